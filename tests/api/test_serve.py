"""`astigd serve` as a real process on a loopback port: migrate, print a key, serve."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

from tests.database import fresh_database

pytestmark = pytest.mark.integration
START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))


def wait_for_line(lines: queue.Queue, starts: str, seen: list[str]) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        seen.append(line)
        if line.startswith(starts):
            return line
    raise AssertionError(f"no line starting {starts!r} in {seen}")


def wait_for_http(url: str, failure: str, timeout_s: float = START_TIMEOUT_S) -> None:
    """Poll a URL until it answers 200, or fail with `failure`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(failure)


def wait_until_healthy(url: str) -> None:
    wait_for_http(f"{url}healthz", "astigd serve never became healthy")


@pytest.fixture
def server(tmp_path):
    """A running `astigd serve` with its own data dir and database; yields URL and stdout."""
    port = free_port()
    with fresh_database(tmp_path, "serve") as url:
        env = {name: value for name, value in os.environ.items() if not name.startswith("ASTIGD_")}
        env.update(
            ASTIGD_DATA_DIR=str(tmp_path / "data"),
            ASTIGD_DATABASE__URL=url,
            ASTIGD_POOL__KIND="thread",
            PYTHONUNBUFFERED="1",
        )
        command = [
            sys.executable,
            "-m",
            "astigd",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        log = (tmp_path / "serve.log").open("w")
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=read_lines, args=(process.stdout, lines), daemon=True).start()
        try:
            yield process, lines, tmp_path / "serve.log"
        finally:
            process.terminate()
            process.wait(timeout=30)
            process.stdout.close()
            log.close()


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
