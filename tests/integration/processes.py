"""Local processes of the deployment, each in its own process group so a kill takes it all."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

from tests.processes import read_lines, wait_for_line

STOP_TIMEOUT_S = 20


class Process:
    """One command (and its children): start, SIGKILL, stop; stdout is kept as lines."""

    def __init__(
        self, name: str, arguments: list[str], env: dict[str, str], folder: Path, url: str = ""
    ) -> None:
        self.name, self.arguments, self.env, self.folder = name, arguments, env, folder
        self.url = url  # where it answers HTTP, if it does
        self.popen: subprocess.Popen | None = None
        self.lines: queue.Queue = queue.Queue()

    def start(self) -> Process:
        command = [sys.executable, "-m", *self.arguments]
        log = (self.folder / f"{self.name}.log").open("a")
        self.popen = subprocess.Popen(command, env=self.env, stdout=subprocess.PIPE, stderr=log,
                                      text=True, start_new_session=True)  # fmt: skip
        log.close()  # the child holds its own descriptor
        self.lines = queue.Queue()
        reader = threading.Thread(target=read_lines, args=(self.popen.stdout, self.lines))
        reader.daemon = True
        reader.start()
        return self

    def wait_for_line(self, starts: str) -> list[str]:
        """Return the lines printed up to the first one starting with `starts`."""
        seen: list[str] = []
        wait_for_line(self.lines, starts, seen)
        return seen

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group, as a crash or `kill -9` would."""
        self._signal(signal.SIGKILL)
        self.popen.wait(timeout=STOP_TIMEOUT_S)
        self.popen.stdout.close()

    def stop(self) -> None:
        """Terminate the group, then kill what is left; safe to call on a stopped process."""
        if self.popen is None:
            return
        self._signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=STOP_TIMEOUT_S)
        self._signal(signal.SIGKILL)  # a leader that hung, and children it left behind
        self.popen.wait(timeout=STOP_TIMEOUT_S)
        self.popen.stdout.close()

    def _signal(self, number: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, number)
