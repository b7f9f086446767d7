"""Steps on the dashboard page that the browser tests share."""

from __future__ import annotations

import math
import re
from typing import Any

from playwright.sync_api import Page, expect

FINAL = re.compile(r": (succeeded|failed|cancelled|interrupted)")
JOB_TIMEOUT_MS = 240_000


def login(page: Page, url: str, key: str) -> None:
    """Open the dashboard and enter the key."""
    page.goto(url)
    page.fill("#key", key)
    page.click("#login-form button[type=submit]")


def open_view(page: Page, view: str) -> None:
    """Click a tab and wait until its section shows."""
    page.click(f"#tabs button[data-view={view}]")
    expect(page.locator(f"#view-{view}")).to_be_visible()


def fill_form(page: Page, form: str, values: dict[str, Any]) -> None:
    """Fill a form's fields (checkboxes by bool) and submit it."""
    for name, value in values.items():
        field = page.locator(f"#form-{form}-{name}")
        if isinstance(value, bool):
            field.set_checked(value)
        else:
            field.fill(str(value))
    page.click(f"#form-{form} button[type=submit]")


def start_job(page: Page, procedure: str, values: dict[str, Any]) -> str:
    """Start a job from its form; return the job id the live view follows."""
    open_view(page, "actions")
    fill_form(page, procedure, values)
    expect(page.locator("#view-livejob")).to_be_visible()
    expect(page.locator("#job-status")).to_contain_text(procedure)
    return page.locator("#job-select").input_value()


def wait_final(page: Page) -> str:
    """Wait until the followed job ends; return its final state."""
    status = page.locator("#job-status")
    expect(status).to_have_text(FINAL, timeout=JOB_TIMEOUT_MS)
    return FINAL.search(status.inner_text()).group(1)


def expect_success(page: Page) -> None:
    """Wait until the followed job ends and fail, with the page's words, unless it succeeded."""
    state = wait_final(page)
    assert state == "succeeded", page.locator("#job-status").inner_text()
    expect(page.locator("#job-select option:checked")).to_contain_text(" · succeeded · ")


def plot(page: Page, element_id: str) -> dict[str, Any]:
    """Return the traces and layout Plotly drew in an element."""
    return page.evaluate(
        """id => { const el = document.getElementById(id);
                   return { data: el.data.map(t => ({ x: t.x, y: t.y, r: t.r, theta: t.theta,
                                                        name: t.name,
                                                        error_y: t.error_y?.array ?? null })),
                            layout: { shapes: el.layout.shapes || [] } }; }""",
        element_id,
    )


def wait_for_plot(page: Page, element_id: str) -> dict[str, Any]:
    """Wait until Plotly drew at least one trace in the element; return the plot."""
    page.wait_for_function(
        "id => { const el = document.getElementById(id); return el.data && el.data.length > 0; }",
        arg=element_id,
    )
    return plot(page, element_id)


def radius(x: float, y: float) -> float:
    return math.hypot(x, y)
