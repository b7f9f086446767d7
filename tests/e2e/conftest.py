"""A real `astigd serve` with the simulated scope, and Debian's Chromium driven by Playwright.

The tests skip, saying why, when Playwright or Chromium is missing (`.ci/run` installs both).
Screenshots go to test-artifacts/e2e/ (or $ASTIGD_E2E_ARTIFACTS).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import SIMULATED_DATE
from tests.database import fresh_database
from tests.processes import free_port, running, wait_for_line, wait_until_healthy

CHROMIUM = os.environ.get("ASTIGD_E2E_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(
    os.environ.get("ASTIGD_E2E_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts" / "e2e")
)
# Simulated time stands still (waits are instant, frames are the seeded ones every run); each fit
# still takes real time, so the page sees progress live.
SERVE_ENV = {
    "ASTIGD_POOL__KIND": "thread",
    "ASTIGD_SIMULATOR__TIME_SCALE": "0",
    "ASTIGD_SIMULATOR__FRAME_PX": "512",
    "ASTIGD_SIMULATOR__DATE": SIMULATED_DATE,
    "ASTIGD_JOBS__SCHEDULE_POLL_S": "3600",
    "PYTHONUNBUFFERED": "1",
}


@dataclass
class Service:
    """A running service: its URL and an admin key."""

    url: str
    key: str

    def api(self, method: str, path: str, headers: dict | None = None, **kwargs) -> httpx.Response:
        """Call the API with the admin key (and any other headers)."""
        headers = {"Authorization": f"Bearer {self.key}", **(headers or {})}
        return httpx.request(
            method, f"{self.url}api/v1{path}", headers=headers, timeout=30, **kwargs
        )


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[Service]:
    """`astigd serve` on a free loopback port, with its own data dir and database."""
    folder = tmp_path_factory.mktemp("e2e")
    with fresh_database(folder, "e2e") as database_url, serving(folder, database_url) as running:
        yield running


@contextmanager
def serving(folder: Path, database_url: str, extra_env: dict | None = None) -> Iterator[Service]:
    """Run `astigd serve` on a free loopback port against a database; stop it afterwards."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("ASTIGD_")}
    env.update(SERVE_ENV, ASTIGD_DATA_DIR=str(folder / "data"), ASTIGD_DATABASE__URL=database_url)
    env.update(extra_env or {})
    arguments = ["serve", "--host", "127.0.0.1", "--port", str(free_port())]
    with running(arguments, env, folder / "serve.log") as (_, lines):
        seen: list[str] = []
        key = wait_for_line(lines, "astigd_", seen)
        url = wait_for_line(lines, "astigd: serving at http://127.0.0.1:", seen).split()[-1]
        wait_until_healthy(url)
        yield Service(url, key)


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium, or a skip that says what is missing."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not shutil.which(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@dataclass
class Console:
    """What the page reported: console errors and uncaught exceptions."""

    errors: list[str] = field(default_factory=list)

    def listen(self, page) -> None:
        """Collect the page's console errors and uncaught exceptions."""
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(browser, console):
    """A fresh tab (its own session storage) whose console is watched."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    console.listen(tab)
    yield tab
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.mouse.move(0, 0)  # no hover: Plotly's mode bar stays hidden
    page.screenshot(path=str(path), full_page=True)
    return path
