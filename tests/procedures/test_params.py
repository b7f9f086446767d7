"""Procedure parameters: validated, bounded, no unknown fields; the registry names them all."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from astigd.app.procedures import PROCEDURES
from astigd.app.procedures.acceptance import AcceptanceParams
from astigd.app.procedures.calibrate_btid import CalibrateBtidParams
from astigd.app.procedures.calibrate_stigmators import CalibrateParams
from astigd.app.procedures.correct import CorrectParams
from astigd.app.procedures.defocus_sweep import DefocusSweepParams
from astigd.app.procedures.mag_sweep import MagSweepParams
from astigd.app.procedures.params import CorrectionSettings


def test_the_registry_names_every_procedure_with_its_params() -> None:
    assert set(PROCEDURES) == {"calibrate_stigmators", "correct", "defocus_sweep", "mag_sweep",
                               "acceptance", "calibrate_btid", "calibrate_magnification",
                               "check_pixel_size"}  # fmt: skip
    for name, procedure in PROCEDURES.items():
        assert callable(procedure.run), name
        with pytest.raises(ValidationError, match="Extra inputs"):
            procedure.params.model_validate({"mag_indices": [7, 6], "unknown_nm": 1.0})


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (CalibrateParams, {"defocus_nm": 3000.0}),  # 1.5–2.5 µm only
        (CalibrateParams, {"target_induced_astig_nm": 200.0}),
        (CorrectParams, {"max_moves": 4}),
        (CorrectParams, {"measure_only": True, "defocus_nm": 2000.0}),
        (CorrectParams, {"exposure_s": float("nan")}),
        (CorrectParams, {"method": "tableau"}),
        (CalibrateBtidParams, {"tilt_mrad": 12.0}),  # beyond the driver's ±10 mrad
        (CalibrateBtidParams, {"directions": 1}),
        (CalibrateBtidParams, {"reference": "guess"}),
        (DefocusSweepParams, {"defocus_start_nm": 1000.0, "defocus_stop_nm": 1200.0}),
        (MagSweepParams, {"mag_indices": [7, 7]}),
        (MagSweepParams, {"mag_indices": [7]}),
        (AcceptanceParams, {"defocus_min_nm": 3000.0, "defocus_max_nm": 1000.0}),
    ],
)
def test_out_of_bounds_parameters_are_refused(model, values) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(values)


def test_defaults_follow_the_paper_and_serialise() -> None:
    sweep = DefocusSweepParams()
    assert sweep.defocus_steps_nm()[:2] == [500.0, 800.0] and sweep.defocus_steps_nm()[-1] == 3500.0
    assert sweep.reference_nm() == 2000.0
    assert CorrectionSettings().tolerance_for(300.0) == pytest.approx(22.9, abs=0.1)
    assert CorrectionSettings(target_resolution_A=2.0).tolerance_for(300.0) == pytest.approx(
        10.2, abs=0.1
    )
    assert AcceptanceParams().sweep_params().reference_nm() == 2000.0
    assert MagSweepParams(mag_indices=(9, 8)).model_dump(mode="json")["mag_indices"] == [9, 8]
