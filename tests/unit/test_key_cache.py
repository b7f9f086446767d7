"""The key cache remembers accepted keys for a while, by digest, and no longer."""

from __future__ import annotations

import pytest

from astigd.app.core import key_cache
from astigd.app.core.key_cache import KeyCache


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    now = [100.0]
    monkeypatch.setattr(key_cache.time, "monotonic", lambda: now[0])
    return now


def test_a_remembered_key_expires_after_its_time(clock):
    cache = KeyCache[str](ttl_s=5.0)
    cache.put("astigd_0000000a_secret", "reader")
    assert cache.get("astigd_0000000a_secret") == "reader"
    assert cache.get("astigd_0000000a_other") is None
    clock[0] += 5.0
    assert cache.get("astigd_0000000a_secret") is None


def test_a_zero_time_remembers_nothing(clock):
    cache = KeyCache[str](ttl_s=0.0)
    cache.put("astigd_0000000a_secret", "reader")
    assert cache.get("astigd_0000000a_secret") is None


def test_the_oldest_keys_make_room_and_no_key_text_is_kept(clock):
    cache = KeyCache[int](ttl_s=5.0, max_keys=2)
    for number in range(3):
        cache.put(f"astigd_0000000{number}_secret", number)
    assert [cache.get(f"astigd_0000000{n}_secret") for n in range(3)] == [None, 1, 2]
    assert all(b"secret" not in digest for digest in cache._entries)
