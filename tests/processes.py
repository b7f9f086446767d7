"""Run astigd commands as real processes on loopback for tests, and wait for what they print."""

from __future__ import annotations

import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

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


@contextmanager
def running(
    arguments: list[str], env: dict[str, str], log: Path
) -> Iterator[tuple[subprocess.Popen, queue.Queue]]:
    """Run `python -m astigd ARGUMENTS`, stderr to `log`; yield it and its stdout lines; stop it
    at the end, even on failure."""
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "astigd", *arguments],
            env=env, stdout=subprocess.PIPE, stderr=stderr, text=True,
        )  # fmt: skip
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=read_lines, args=(process.stdout, lines), daemon=True).start()
        try:
            yield process, lines
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.stdout.close()
