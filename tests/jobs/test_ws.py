"""The job WebSocket: key checked before accept, replay after `after_seq`, then live events."""

from __future__ import annotations

import pytest
from starlette.websockets import WebSocketDisconnect

from tests.jobs.conftest import LONG_SWEEP, QUICK_SWEEP, events, submit, wait_final

MISSING_JOB = "00000000-0000-0000-0000-000000000000"


def read_until_closed(socket) -> list[dict]:
    received = []
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:
            received.append(socket.receive_json())
    assert closed.value.code == 1000
    return received


@pytest.mark.parametrize(
    "credentials",
    [{}, {"headers": {"Authorization": "Bearer astigd_00000000_wrong"}},
     {"headers": {"X-API-Key": "nonsense"}}, {"query": "?api_key=astigd_12345678_nope"}],
)  # fmt: skip
def test_a_missing_or_bad_key_is_closed_with_4001_before_accept(client, control, credentials):
    job = submit(client, control, "defocus_sweep", QUICK_SWEEP).json()
    url = f"/api/v1/ws/jobs/{job['id']}{credentials.get('query', '')}"
    headers = dict(credentials.get("headers", {}))
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect(url, headers=headers),
    ):
        pass
    assert refused.value.code == 4001
    wait_final(client, control, job["id"])


def test_an_unknown_job_is_closed_with_4404(client, keys):
    url = f"/api/v1/ws/jobs/{MISSING_JOB}?api_key={keys['read']}"
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(url):
        pass
    assert refused.value.code == 4404


def test_reconnecting_with_after_seq_misses_nothing_and_repeats_nothing(client, control, keys):
    job = submit(client, control, "defocus_sweep", LONG_SWEEP).json()
    url = f"/api/v1/ws/jobs/{job['id']}"
    with client.websocket_connect(url, headers={"X-API-Key": keys["read"]}) as socket:
        first = [socket.receive_json() for _ in range(4)]
    after_seq = first[-1]["seq"]
    with client.websocket_connect(f"{url}?after_seq={after_seq}&api_key={keys['read']}") as socket:
        rest = read_until_closed(socket)
    seqs = [event["seq"] for event in first + rest]
    assert seqs == list(range(1, len(seqs) + 1))
    assert rest[-1]["kind"] == "state" and rest[-1]["payload"]["state"] == "succeeded"
    assert first + rest == events(client, control, job["id"])


def test_a_finished_job_replays_its_whole_stream_then_closes(client, control):
    job = submit(client, control, "defocus_sweep", QUICK_SWEEP).json()
    wait_final(client, control, job["id"])
    with client.websocket_connect(f"/api/v1/ws/jobs/{job['id']}", headers=dict(control)) as socket:
        replayed = read_until_closed(socket)
    assert replayed == events(client, control, job["id"])


def test_reconnecting_after_the_final_event_closes_at_once(client, control):
    job = submit(client, control, "defocus_sweep", QUICK_SWEEP).json()
    wait_final(client, control, job["id"])
    last_seq = events(client, control, job["id"])[-1]["seq"]
    url = f"/api/v1/ws/jobs/{job['id']}?after_seq={last_seq}"
    with client.websocket_connect(url, headers=dict(control)) as socket:
        assert read_until_closed(socket) == []
