"""The daily acceptance schedule: the decision as a pure function, and one run on a fake clock."""

from __future__ import annotations

import time as time_module
from datetime import UTC, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient

from astigd.app.core.config import JobsSettings
from astigd.app.jobs.schedule import acceptance_due, check_schedule

AT = time(6, 30)
DAY = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "last", "due"),
    [
        (DAY.replace(hour=6, minute=29), None, False),  # not yet
        (DAY.replace(hour=6, minute=30), None, True),  # on time
        (DAY.replace(hour=23), None, True),  # the service was down at 06:30: still today
        (DAY.replace(hour=7), DAY.replace(hour=6, minute=31), False),  # ran today already
        (DAY.replace(hour=7), DAY.replace(hour=2), False),  # a manual one ran earlier today
        (DAY.replace(hour=7), datetime(2026, 11, 21, 6, 30, tzinfo=UTC), True),  # yesterday's
        (DAY.replace(hour=0, minute=5), datetime(2026, 11, 21, 6, 30, tzinfo=UTC), False),
    ],
)
def test_acceptance_is_due_once_per_utc_day_after_its_time(now, last, due):
    assert acceptance_due(now, AT, last) is due


PLANNED = {"defocus_min_nm": 800.0, "defocus_max_nm": 2600.0, "frames_per_step": 2}


@pytest.fixture
def jobs_settings():
    return {
        "lease_ttl_s": 2.0,
        "schedule_poll_s": 0.05,
        "acceptance_daily_utc": {"sim": "12:00"},
        "acceptance_params": {"sim": PLANNED},
    }


def acceptance_jobs(client, headers) -> list[dict]:
    query = {"procedure": "acceptance"}
    return client.get("/api/v1/jobs", params=query, headers=headers).json()["items"]


def settle(client, headers, count: int) -> list[dict]:
    """Let the schedule poll a few times, cancel what it submitted, expect `count` jobs."""
    deadline = time_module.monotonic() + 10
    while len(jobs := acceptance_jobs(client, headers)) < count:
        assert time_module.monotonic() < deadline, jobs
        time_module.sleep(0.05)
    time_module.sleep(0.3)  # several more polls: nothing more may come
    for job in jobs:
        client.post(f"/api/v1/jobs/{job['id']}/cancel", headers=headers)
    return acceptance_jobs(client, headers)


def test_the_schedule_submits_one_acceptance_a_day_on_a_fake_clock(app, control):
    today = datetime.now(UTC).replace(hour=11, minute=59, second=0, microsecond=0)
    clock = [today]
    app.state.clock = lambda: clock[0]
    with TestClient(app) as client:
        assert settle(client, control, 0) == []
        clock[0] = today.replace(minute=1, hour=12)
        first = settle(client, control, 1)
        assert len(first) == 1 and first[0]["requested_by"] == "schedule"
        assert PLANNED.items() <= first[0]["params"].items()
        clock[0] = today.replace(hour=12, minute=1) + timedelta(days=1)
        assert len(settle(client, control, 2)) == 2


def test_invalid_scheduled_acceptance_parameters_are_refused_naming_the_scope():
    settings = JobsSettings(acceptance_params={"krios1": {"defocus_min_nm": 3000.0,
                                                          "defocus_max_nm": 1000.0}})  # fmt: skip
    with pytest.raises(ValueError, match="(?s)acceptance_params\\['krios1'\\].*defocus_max_nm"):
        check_schedule(settings)
    check_schedule(JobsSettings(acceptance_params={"krios1": PLANNED}))
