"""The Python client against a running service: jobs, events, live frames, errors, history."""

from __future__ import annotations

import subprocess
import sys

import httpx
import numpy as np
import pytest

from astigd.client import ApiError, AstigdClient, JobFailedError
from astigd.drivers.simulator.frames import Exposure, synthesize_frame
from astigd.workers.ctf import Optics

pytestmark = pytest.mark.integration
SERVER_PACKAGES = ("fastapi", "starlette", "sqlalchemy", "alembic", "numpy", "scipy", "pyfftw",
                   "pydantic", "pydantic_settings", "temscript", "uvicorn")  # fmt: skip
INNER = ("astigd.app", "astigd.workers", "astigd.drivers", "astigd.cli.")


def test_the_client_imports_none_of_the_server_dependencies():
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {SERVER_PACKAGES!r} or name.startswith({INNER!r}):\n"
        "            raise ImportError(f'blocked: {name}')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import astigd.client\n"
        "print(sorted(astigd.client.__all__))\n"
    )
    done = subprocess.run([sys.executable, "-c", blocker], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "AstigdClient" in done.stdout


def test_api_refusals_become_client_errors_with_the_api_message(service):
    with service.client() as client:
        with pytest.raises(ApiError) as unknown:
            client.compensation("no-such-scope", defocus_nm=2000)
        assert unknown.value.status_code == 404
        assert unknown.value.message == "unknown scope 'no-such-scope'"
        with pytest.raises(ApiError) as invalid:
            client.submit_job(service.scope_id, "correct", {"frames": 0})
        assert invalid.value.status_code == 422 and "params.frames" in invalid.value.message
    with AstigdClient(service.url, "astigd_00000000_wrong") as stranger:
        with pytest.raises(ApiError) as refused:
            stranger.scopes()
        assert refused.value.status_code == 401
        with pytest.raises(ApiError), stranger.live():
            pass


def test_a_job_is_followed_over_the_websocket_in_order_to_its_end(calibrated):
    with calibrated.client() as client:
        client.set_defocus(calibrated.scope_id, 2500.0)  # where the fixture's sweep corrected
        params = {"measure_only": True, "exposure_s": 4.0, "frames": 2}
        job = client.submit_job(calibrated.scope_id, "correct", params)
        streamed = list(client.follow_job(job.id))
        polled = client.job_events(job.id)
        finished = client.job(job.id)
    assert [event.seq for event in streamed] == list(range(1, len(streamed) + 1))
    assert [event.seq for event in streamed] == [event.seq for event in polled]
    assert streamed[-1].final_state == finished.state == "succeeded", finished.error
    assert finished.result is not None


def test_a_failed_job_raises_with_its_state_and_error(calibrated):
    faults = f"{calibrated.simulator_url}/v1/astigd/sim/faults"
    httpx.put(faults, json=[{"kind": "drop", "endpoint": "acquire", "count": 1000}])
    try:
        with calibrated.client() as client, pytest.raises(JobFailedError) as failed:
            client.run_job(calibrated.scope_id, "correct", {"exposure_s": 4.0})
    finally:
        httpx.put(faults, json=[]).raise_for_status()
    assert failed.value.job.state == "failed" and failed.value.job.error
    assert "failed" in str(failed.value)


def test_live_frames_are_fitted_in_order_with_their_truth(calibrated):
    frame = synthesize_frame(Exposure(Optics(1.0), 2000, 100, 30), (512, 512), rng=3)
    frame = np.rint(frame).astype(np.uint16)
    optics = {"pixel_size_A": 1.0, "kv": 300, "cs_mm": 2.7}
    with calibrated.client() as client, client.live() as live:
        replies = [live.fit(frame, **optics) for _ in range(2)]
        bad = live.fit(frame, pixel_size_A=-1.0)
    assert [reply["seq"] for reply in replies] == [1, 2]
    assert all(reply["type"] == "fit" and reply["reliable"] for reply in replies)
    assert replies[0]["defocus_mean_nm"] == pytest.approx(2000, abs=60)
    assert replies[0]["astig_nm"] == pytest.approx(100, abs=15)
    assert bad["type"] == "error" and "pixel_size_A" in bad["error"]


def test_compensation_and_a_compensated_focus_move(calibrated):
    with calibrated.client() as client:
        plan = client.compensation(calibrated.scope_id, defocus_nm=3000.0)
        moved = client.set_defocus(calibrated.scope_id, 3000.0)
        state = client.scope_state(calibrated.scope_id)
    assert moved["compensation"]["stig_x"] == pytest.approx(plan.stig_x)
    assert state["defocus_nm"] == pytest.approx(3000.0, abs=1.0)
    assert (state["stig_x"], state["stig_y"]) == pytest.approx((plan.stig_x, plan.stig_y), abs=1e-3)
    assert calibrated.truth()["astig_nm"] < 15.0


def test_history_and_measurements_are_read_back(calibrated):
    with calibrated.client() as client:
        history = client.lens_history(calibrated.scope_id)
        again = client.lens_history(calibrated.scope_id, etag=history.etag)
        page = client.measurements(scope_id=calibrated.scope_id, limit=5)
    assert len(history.days) == 1 and history.days[0]["k_obj_nm_per_um"] > 0
    assert again.not_modified and again.etag == history.etag
    assert len(page["items"]) == 5 and page["total"] > 5
