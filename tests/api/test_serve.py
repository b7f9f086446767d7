"""`astigd serve` as a real process on a loopback port: migrate, print a key, serve."""

from __future__ import annotations

import json
import os
import signal

import httpx
import pytest

from tests.database import fresh_database
from tests.processes import free_port, running, wait_for_line, wait_until_healthy

pytestmark = pytest.mark.integration


@pytest.fixture
def server(tmp_path):
    """A running `astigd serve` with its own data dir and database; yields it, its stdout lines
    and its log."""
    with fresh_database(tmp_path, "serve") as url:
        env = {name: value for name, value in os.environ.items() if not name.startswith("ASTIGD_")}
        env.update(ASTIGD_DATA_DIR=str(tmp_path / "data"), ASTIGD_DATABASE__URL=url,
                   ASTIGD_POOL__KIND="thread", PYTHONUNBUFFERED="1")  # fmt: skip
        arguments = ["serve", "--host", "127.0.0.1", "--port", str(free_port())]
        log = tmp_path / "serve.log"
        with running(arguments, env, log) as (process, lines):
            yield process, lines, log


def test_serve_migrates_prints_a_working_admin_key_and_its_url(server):
    process, lines, log = server
    seen: list[str] = []
    key = wait_for_line(lines, "astigd_", seen)
    url = wait_for_line(lines, "astigd: serving at http://127.0.0.1:", seen).split()[-1]
    wait_until_healthy(url)
    assert httpx.get(f"{url}readyz").json()["status"] == "ready"
    assert httpx.get(f"{url}api/v1/scopes").status_code == 401
    scopes = httpx.get(f"{url}api/v1/scopes", headers={"Authorization": f"Bearer {key}"})
    assert scopes.status_code == 200 and scopes.json()[0]["id"] == "sim"
    assert "/docs" in httpx.get(url).text
    process.terminate()  # uvicorn shuts down gracefully, then re-raises SIGTERM
    assert process.wait(timeout=30) in (0, -signal.SIGTERM)
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert any(event["event"] == "stopped" and event["logger"] == "astigd.app" for event in events)
    assert any(
        event.get("path") == "/api/v1/scopes" and event.get("request_id") for event in events
    )
