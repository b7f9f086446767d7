"""Issue 5's correction figure over HTTP: from up to 300 nm to ≤ 10 nm in ≤ 3 moves, ≥ 99 %.

200 seeded trials on two simulated scopes. On each scope the first half of the trials steer
with the calibration a `calibrate_stigmators` job measured; the second half with one that is
off by ±10 % in gain and ±10° in direction. Every trial must end no worse than it started.
"""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.slow

SEEDS = (5, 42)
TRIALS_PER_SCOPE = 100
CALIBRATION_ERRORS = [(1.1, 10.0), (0.9, -10.0), (1.1, -10.0), (0.9, 10.0)]
CORRECT = {"target_resolution_A": 2.0, "exposure_s": 8.0}  # 10.2 nm at 300 kV; 160 e/Å²
SUCCESS_NM = 10.0


def random_vector_nm(rng: np.random.Generator, largest_nm: float = 300.0) -> np.ndarray:
    angle = rng.uniform(0.0, 2.0 * np.pi)
    return rng.uniform(0.0, largest_nm) * np.array([np.cos(angle), np.sin(angle)])


def trials_on(service, seed: int) -> list[dict]:
    """Run one scope's trials; return each trial's start, end, moves and calibration error."""
    service.set_defocus(2000.0)
    service.run("calibrate_stigmators", {"exposure_s": 4.0})
    rng = np.random.default_rng(seed)
    outcomes = []
    for trial in range(TRIALS_PER_SCOPE):
        error = (1.0, 0.0)
        if trial >= TRIALS_PER_SCOPE // 2:
            error = CALIBRATION_ERRORS[trial % len(CALIBRATION_ERRORS)]
            service.store_calibration(service.true_response(*error))
        service.jump_astig_to(random_vector_nm(rng))
        start_nm = service.astig_nm()
        job = service.submit("correct", CORRECT)
        moves = (job["result"] or {}).get("moves")
        outcomes.append({"start": start_nm, "end": service.astig_nm(), "moves": moves,
                         "state": job["state"], "error": error})  # fmt: skip
    return outcomes


@pytest.mark.timeout(1200)  # about 2 min on a quiet 2-core machine
def test_correction_succeeds_in_99_percent_of_200_trials_and_never_makes_it_worse(
    make_service,
) -> None:
    outcomes = [o for seed in SEEDS for o in trials_on(make_service(seed), seed)]
    assert len(outcomes) == 2 * TRIALS_PER_SCOPE
    successes = [o["end"] <= SUCCESS_NM and (o["moves"] or 0) <= 3 for o in outcomes]
    failures = [o for o, ok in zip(outcomes, successes, strict=True) if not ok]
    assert sum(successes) >= 0.99 * len(outcomes), failures
    worse = [o for o in outcomes if o["end"] > o["start"] + 1.0]
    assert not worse, worse
    assert all(o["state"] in {"succeeded", "failed"} for o in outcomes)
