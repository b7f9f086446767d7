"""The gates of the closed-loop correction: when it is done, and when a fit may not drive a move."""

from __future__ import annotations

import math

from astigd.app.procedures.context import ProcedureContext
from astigd.app.procedures.events import warn
from astigd.app.procedures.params import CorrectionSettings
from astigd.workers.results import CtfFit

GROWTH_SIGMAS = 2.0  # astigmatism "grew" when it rose by more than this many combined σ


def within_tolerance(fit: CtfFit, tolerance_nm: float, settings: CorrectionSettings) -> bool:
    """Return whether the astigmatism is within tolerance with the requested confidence."""
    return fit.astig_nm + settings.confidence_sigmas * fit.astig_uncertainty_nm <= tolerance_nm


async def warn_if_noisy(
    ctx: ProcedureContext, fit: CtfFit, tolerance_nm: float, settings: CorrectionSettings
) -> None:
    """Warn when the measurement is too noisy to ever confirm the tolerance."""
    if settings.confidence_sigmas * fit.astig_uncertainty_nm >= tolerance_nm:
        message = (
            f"the measurement uncertainty ({fit.astig_uncertainty_nm:.1f} nm) is too large to "
            f"confirm a tolerance of {tolerance_nm:.1f} nm: expose longer or average more frames"
        )
        await warn(ctx, message)


def gate_reason(first: CtfFit, fit: CtfFit, settings: CorrectionSettings) -> str | None:
    """Return why a fit may not drive a move (unreliable, off-score, off-focus), or None."""
    if not fit.reliable:
        return f"the fit is unreliable ({fit.reason})"
    if fit.score < settings.min_score_fraction * first.score:
        return (
            f"the fit score fell from {first.score:.3f} to {fit.score:.3f} (below "
            f"{settings.min_score_fraction:.0%} of the first): the specimen changed"
        )
    change_nm = abs(fit.defocus_mean_nm - first.defocus_mean_nm)
    if change_nm > settings.max_defocus_change_nm:
        return f"the defocus moved by {change_nm:.0f} nm since the first fit: focus changed"
    return None


def growth_reason(before: CtfFit, after: CtfFit) -> str | None:
    """Return how the astigmatism grew beyond its noise after a move, or None."""
    noise_nm = GROWTH_SIGMAS * math.hypot(before.astig_uncertainty_nm, after.astig_uncertainty_nm)
    if after.astig_nm <= before.astig_nm + noise_nm:
        return None
    return f"the astigmatism grew from {before.astig_nm:.1f} to {after.astig_nm:.1f} nm"
