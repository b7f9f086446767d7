"""The examples against a running service: SerialEM scripts (with `serialem` backed by the
simulated scope over the network) and the dashboard poller."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from itertools import pairwise
from pathlib import Path

import httpx
import pytest

from tests.clients.conftest import SWEEP, Service
from tests.processes import read_lines

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).parents[2] / "examples"
SERIALEM_SIM = Path(__file__).parent / "serialem_sim"
TOLERABLE_ASTIG_NM = 15.0  # below the ~23 nm that 3 Å at 300 kV tolerates
THREE_ANGSTROM_NM = 22.8  # d²/(2λ) for d = 3 Å at 300 kV


def example_env(service: Service, log: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(SERIALEM_SIM),
        "PYTHONUNBUFFERED": "1",
        "SIMULATED_SCOPE_URL": service.simulator_url,
        "SERIALEM_SIM_LOG": str(log),
        "ASTIGD_URL": service.url,
        "ASTIGD_KEY": service.key,
        "ASTIGD_SCOPE": service.scope_id,
        **extra,
    }


def run_serialem_script(name: str, service: Service, log: Path, **extra: str) -> list[str]:
    """Run a SerialEM example as SerialEM would (top to bottom); return its echoed lines."""
    script = EXAMPLES / "serialem" / name
    done = subprocess.run([sys.executable, str(script)], env=example_env(service, log, **extra),
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def exposures(log: Path) -> list[dict]:
    """Return the simulator's truth at each Record, as the adapter logged it."""
    return [json.loads(line) for line in log.read_text().splitlines()]


def set_stigmator(service: Service, stig: tuple[float, float]) -> None:
    url = f"{service.simulator_url}/v1/objective_stigmator"
    httpx.put(url, json=list(stig)).raise_for_status()


def set_defocus_um(service: Service, defocus_um: float) -> None:
    url = f"{service.simulator_url}/v1/astigd/defocus_m"
    httpx.put(url, json=1e-6 * defocus_um).raise_for_status()


def test_serialem_sets_compensated_stigmators_before_each_exposure(calibrated, tmp_path):
    log = tmp_path / "exposures.jsonl"
    targets_um = (-1.0, -2.5, -4.5)  # the sweep's reference defocus is 2.5 µm
    with calibrated.client() as client:
        plans = [client.compensation(calibrated.scope_id, -1000 * d) for d in targets_um]
    set_stigmator(calibrated, (plans[1].stig_x, plans[1].stig_y))  # corrected at the reference
    set_defocus_um(calibrated, targets_um[-1])
    uncompensated_nm = calibrated.truth()["astig_nm"]
    echoed = run_serialem_script("compensated_exposures.py", calibrated, log,
                                 ASTIGD_TARGETS_UM=",".join(map(str, targets_um)))  # fmt: skip
    taken = exposures(log)
    assert len(taken) == len(targets_um) and len(echoed) == len(targets_um)
    steps_nm = [later["defocus_nm"] - earlier["defocus_nm"] for earlier, later in pairwise(taken)]
    wanted_nm = [1000 * (earlier - later) for earlier, later in pairwise(targets_um)]
    assert steps_nm == pytest.approx(wanted_nm, abs=20)  # the true defocus followed SetDefocus
    for truth, plan in zip(taken, plans, strict=True):
        assert truth["stig_commanded"] == pytest.approx([plan.stig_x, plan.stig_y], abs=1e-3)
        assert truth["astig_nm"] < THREE_ANGSTROM_NM
    # 2 µm from the reference: the sweep's K leaves a few nm, the uncompensated drift
    # is K·Δdf (about 25 nm for this seed's lens).
    assert taken[-1]["astig_nm"] < uncompensated_nm / 2


def test_serialem_advisor_corrects_a_mis_set_stigmator_from_one_live_frame(calibrated, tmp_path):
    log = tmp_path / "advisor.jsonl"
    with calibrated.client() as client:
        client.set_defocus(calibrated.scope_id, 2500.0)
    corrected = calibrated.truth()["stig_commanded"]
    set_stigmator(calibrated, (corrected[0] + 0.03, corrected[1] - 0.02))
    before_nm = calibrated.truth()["astig_nm"]
    echoed = run_serialem_script("advisor_live_frame.py", calibrated, log)
    after_nm = calibrated.truth()["astig_nm"]
    assert exposures(log)[0]["astig_nm"] == pytest.approx(before_nm)  # the frame it fitted
    assert any(line.startswith("astigd: stigmator set to") for line in echoed), echoed
    assert before_nm > 3 * TOLERABLE_ASTIG_NM
    assert after_nm < TOLERABLE_ASTIG_NM


def test_serialem_advisor_leaves_the_stigmators_when_told_not_to_apply(calibrated, tmp_path):
    log = tmp_path / "advisor.jsonl"
    before = calibrated.truth()["stig_commanded"]
    echoed = run_serialem_script("advisor_live_frame.py", calibrated, log, ASTIGD_APPLY="0")
    assert any(line.startswith("astigd: astigmatism") for line in echoed), echoed
    assert calibrated.truth()["stig_commanded"] == pytest.approx(before)


def next_line(lines: queue.Queue, wanted, timeout_s: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            line = json.loads(lines.get(timeout=0.5))
        except queue.Empty:
            continue
        if wanted(line):
            return line
    raise AssertionError("the poller never printed the expected line")


def test_dashboard_poller_sees_a_new_sweep_and_costs_304s_otherwise(calibrated, tmp_path):
    command = [sys.executable, str(EXAMPLES / "dashboard_poller.py"), "--url", calibrated.url,
               "--scope", calibrated.scope_id, "--interval-s", "0.2"]  # fmt: skip
    env = example_env(calibrated, tmp_path / "unused.jsonl")
    poller = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=read_lines, args=(poller.stdout, lines), daemon=True).start()
    try:
        first = next_line(lines, lambda line: True)
        next_line(lines, lambda line: line["changed"] is False)
        with calibrated.client() as client:
            client.run_job(calibrated.scope_id, "defocus_sweep", SWEEP)
        changed = next_line(lines, lambda line: line["changed"])
    finally:
        poller.terminate()
        poller.wait(timeout=30)
        poller.stdout.close()
    assert first["changed"] and first["days"] == 1
    assert changed["newest"]["n_sweeps"] == first["newest"]["n_sweeps"] + 1
    assert changed["newest"]["sweep_id"] != first["newest"]["sweep_id"]
