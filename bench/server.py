"""Start `astigd serve` as a subprocess on a free loopback port with a fresh SQLite database."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import yaml

KEY_TEXT = re.compile(r"astigd_[0-9a-f]{8}_\S+")


@dataclass(frozen=True)
class Server:
    """A running service: its base URL and the admin key it printed on first start."""

    url: str
    key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(data_dir: str, port: int, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASTIGD_")}
    env.update(ASTIGD_DATA_DIR=data_dir, ASTIGD_SERVER__PORT=str(port), ASTIGD_LOG_LEVEL="warning")
    return {**env, **extra}


def _read_key(process: subprocess.Popen, found: list[str]) -> None:
    """Drain the server's stdout, keeping the first key it prints."""
    for line in process.stdout:
        match = KEY_TEXT.search(line)
        if match and not found:
            found.append(match.group(0))


@contextmanager
def astigd_server(
    extra_env: dict[str, str] | None = None, timeout_s: float = 120
) -> Iterator[Server]:
    """Run `astigd serve` until the block ends; yield its URL and admin key."""
    data_dir, port = tempfile.mkdtemp(prefix="astigd-bench-"), free_port()
    command = [sys.executable, "-m", "astigd", "serve", "--host", "127.0.0.1"]
    env = _env(data_dir, port, extra_env or {})
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    keys: list[str] = []
    threading.Thread(target=_read_key, args=(process, keys), daemon=True).start()
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url, keys, process, timeout_s)
        yield Server(url, keys[0])
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(data_dir, ignore_errors=True)


@contextmanager
def simulator_server(seed: int = 0, time_scale: float = 0.0) -> Iterator[str]:
    """Run `astigd simulator serve` until the block ends; yield an inventory (YAML text) that
    drives it as the Thermo scope `sim`, as a facility's scope is driven."""
    port = free_port()
    command = [sys.executable, "-m", "astigd", "simulator", "serve", "--port", str(port),
               "--seed", str(seed), "--time-scale", str(time_scale)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_answering(f"{url}/v1/astigd/optics", process)
        yield yaml.safe_dump({"scopes": [{"id": "sim", "driver": "thermo", "address": url}]})
    finally:
        process.terminate()
        process.wait(30)


def _wait_answering(url: str, process: subprocess.Popen, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(url, timeout=2).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer")


def _wait_ready(url: str, keys: list[str], process: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"astigd serve exited with {process.returncode}")
        try:
            if keys and httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError("astigd serve did not become ready")
