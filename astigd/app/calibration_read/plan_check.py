"""Check a collection plan against the paper's advice and today's calibrations (DESIGN.md §1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from astigd.app.calibration_read.compensation import CalibrationRefusedError, require_row
from astigd.app.calibration_read.lookup import OpticsWhere, calibration_info, illuminations
from astigd.app.db.models import LensSweep, StigmatorCalibration
from astigd.workers.ctf import tolerable_astigmatism_nm


@dataclass
class PlanReport:
    """Recommendations (info) and warnings, with the calibrations that cover the plan."""

    median_defocus_nm: float
    findings: list[dict[str, str]] = field(default_factory=list)
    calibrations: dict[str, Any] = field(default_factory=dict)

    def add(self, code: str, severity: str, message: str) -> None:
        """Record one finding."""
        self.findings.append({"code": code, "severity": severity, "message": message})

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON, warnings counted."""
        warnings = [f for f in self.findings if f["severity"] == "warning"]
        return {"median_defocus_nm": self.median_defocus_nm, "ok": not warnings,
                "n_warnings": len(warnings), "findings": self.findings,
                "calibrations": self.calibrations}  # fmt: skip


def general_advice(
    magnification: float, low_nm: float, high_nm: float, focus_magnification: float | None
) -> PlanReport:
    """Return the advice that holds for any scope: magnification, median defocus, focus mode."""
    report = PlanReport((low_nm + high_nm) / 2.0)
    report.add(
        "correct_at_collection_magnification",
        "info",
        f"Correct astigmatism at the collection magnification, {magnification:g}×: it "
        "changes with magnification and cannot be carried over.",
    )
    median = f"{report.median_defocus_nm:.0f} nm"
    report.add(
        "correct_at_median_defocus",
        "info",
        f"Correct at the median defocus of the plan, {median} "
        f"(range {low_nm:.0f}–{high_nm:.0f} nm), so the error is smallest at both ends.",
    )
    if focus_magnification is None:
        report.add(
            "focus_at_exposure_magnification",
            "info",
            "Use the exposure magnification in the low-dose focus mode.",
        )
    elif focus_magnification != magnification:
        report.add(
            "focus_magnification_differs",
            "warning",
            f"The focus mode uses {focus_magnification:g}×, exposures {magnification:g}×: "
            "astigmatism corrected in focus mode will not hold for the exposures; use the "
            "exposure magnification in focus mode.",
        )
    return report


def check_coverage(
    report: PlanReport, session: Session, where: OpticsWhere, span_nm: tuple[float, float],
    max_age_h: float, resolution_A: float,
) -> None:  # fmt: skip
    """Add whether today's stigmator calibration and lens sweep cover the plan."""
    if where.illumination is None:
        _warn_if_ambiguous(report, session, where)
    stig = _current(report, session, StigmatorCalibration, "stigmator", where, max_age_h)
    sweep = _current(report, session, LensSweep, "lens sweep", where, max_age_h)
    if stig is not None:
        report.calibrations["stigmator_response"] = calibration_info("stigmator_response", stig)
    if sweep is not None:
        report.calibrations["lens_sweep"] = calibration_info("lens_sweep", sweep)
        _check_sweep(report, sweep, span_nm, where.ht_kv or 300.0, resolution_A)


def _warn_if_ambiguous(report: PlanReport, session: Session, where: OpticsWhere) -> None:
    """Warn when the plan names no illumination and calibrations exist for several."""
    found = {*illuminations(session, StigmatorCalibration, where)}
    found |= {*illuminations(session, LensSweep, where)}
    if len(found) > 1:
        report.add(
            "illumination_ambiguous",
            "warning",
            f"Calibrations at this magnification exist for several illuminations "
            f"({', '.join(sorted(found))}): give probe_mode or alpha to check the plan's.",
        )


def _current(report: PlanReport, session, model, kind: str, where, max_age_h: float):
    """Return today's row of a kind at the plan's magnification, or add why there is none."""
    try:
        return require_row(session, model, kind, where, max_age_h)
    except CalibrationRefusedError as refusal:
        code = f"{kind.replace(' ', '_')}_{refusal.code}"
        report.add(code, "warning", f"{refusal.reason}.")
        return None


def _check_sweep(report: PlanReport, sweep: LensSweep, span_nm, kv: float, resolution_A: float):
    """Warn when the sweep does not span the plan or K spoils the range's ends."""
    low_nm, high_nm = span_nm
    if low_nm < sweep.defocus_min_nm or high_nm > sweep.defocus_max_nm:
        report.add(
            "lens_sweep_range",
            "warning",
            f"Lens sweep {sweep.id} spans {sweep.defocus_min_nm:.0f}–"
            f"{sweep.defocus_max_nm:.0f} nm, not the plan's {low_nm:.0f}–{high_nm:.0f} nm: "
            "K is extrapolated.",
        )
    worst_nm = sweep.k_magnitude_nm_per_um * (high_nm - low_nm) / 2.0 / 1000.0
    tolerable_nm = tolerable_astigmatism_nm(resolution_A, kv)
    if worst_nm > tolerable_nm:
        report.add(
            "defocus_range_exceeds_tolerance",
            "warning",
            f"With k_obj {sweep.k_magnitude_nm_per_um:.1f} nm/µm, astigmatism corrected at "
            f"the median reaches {worst_nm:.1f} nm at the range's ends, above the "
            f"{tolerable_nm:.1f} nm tolerable for {resolution_A:g} Å: narrow the range or "
            "use dynamic compensation.",
        )
