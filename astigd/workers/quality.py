"""How far a CTF fit holds, how sure it is, and whether it may be trusted to steer optics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Neighbouring spectrum samples are not independent (tile taper, overlap); this factor inflates
# variances accordingly. Calibrated with bench/fit.py against the errors of seeded frames.
SAMPLE_CORRELATION = 1.5
RING_Z_MIN = 3.0
MIN_RINGS = 3
MIN_SIGNIFICANCE = 10.0
# The residuals are normalised by a periodogram's noise, so real frames scatter about 1 (0.98-1.01
# measured from 2 to 20 e/Å², carbon and ice). Far less means a frame without shot noise (a
# single hot pixel on a flat field, say), on which ring statistics mean nothing.
MIN_NOISE_SCATTER = 0.25


@dataclass(frozen=True)
class RingStats:
    """Per-ring agreement between data and model, from the first ring outwards."""

    ring_k_invA: np.ndarray  # outer edge of each ring
    ring_cc: np.ndarray
    ring_z: np.ndarray
    score: float  # overall weighted correlation
    significance: float  # score in units of its noise-only standard deviation

    @property
    def rings_fitted(self) -> int:
        """Return how many rings, counted outward, agree with the model (one miss allowed)."""
        misses, count = 0, 0
        for index, z in enumerate(self.ring_z):
            if z >= RING_Z_MIN:
                count, misses = index + 1, 0
            else:
                misses += 1
                if misses > 1:
                    break
        return count

    @property
    def resolution_A(self) -> float:
        """Return the finest spacing to which the rings agree with the model."""
        count = self.rings_fitted
        return float(1.0 / self.ring_k_invA[count - 1]) if count else float("inf")


def ring_statistics(
    chi: np.ndarray,
    k_equiv: np.ndarray,
    data: np.ndarray,
    model: np.ndarray,
    weight: np.ndarray,
    samples: np.ndarray,
) -> RingStats:
    """Correlate data and model ring by ring (between zeros of the CTF); `samples` per point."""
    if len(chi) == 0:
        return RingStats(np.zeros(0), np.zeros(0), np.zeros(0), 0.0, 0.0)
    ring = np.floor(chi / np.pi).astype(np.intp)
    ring -= ring.min()
    size = ring.max() + 1
    wdm, wdd, wmm = (np.bincount(ring, weights=weight * a * b, minlength=size) for a, b in
                     ((data, model), (data, data), (model, model)))  # fmt: skip
    counts = np.bincount(ring, weights=samples, minlength=size)
    edge = np.zeros(size)
    np.maximum.at(edge, ring, k_equiv)
    cc = wdm / np.sqrt(np.maximum(wdd * wmm, 1e-300))
    z = cc * np.sqrt(counts / SAMPLE_CORRELATION)
    score = float(wdm.sum() / np.sqrt(max(wdd.sum() * wmm.sum(), 1e-300)))
    significance = score * float(np.sqrt(samples.sum() / SAMPLE_CORRELATION))
    used = counts > 0
    return RingStats(edge[used], cc[used], z[used], score, significance)


def noise_scatter(normal: np.ndarray, residual: np.ndarray) -> float:
    """Return the normalised residual's variance per degree of freedom (about 1 on real frames)."""
    dof = max(len(residual) - len(normal), 1)
    return float(residual @ residual) / dof


def parameter_covariance(normal: np.ndarray, residual: np.ndarray) -> np.ndarray:
    """Return the parameters' covariance from JᵀJ and the scatter of the normalised residual."""
    return SAMPLE_CORRELATION * noise_scatter(normal, residual) * np.linalg.pinv(normal)


def unreliable_reason(
    stats: RingStats,
    astig_uncertainty_nm: float,
    max_astig_uncertainty_nm: float,
    at_search_edge: bool,
    converged: bool,
    scatter: float,
) -> str | None:
    """Return why a fit must not steer optics, or None when it may (`scatter`: noise_scatter)."""
    if stats.significance < MIN_SIGNIFICANCE:
        return (
            f"no Thon rings detected (significance {stats.significance:.1f} < {MIN_SIGNIFICANCE})"
        )
    if stats.rings_fitted < MIN_RINGS:
        return f"only {stats.rings_fitted} Thon ring(s) above noise; need {MIN_RINGS}"
    if not scatter >= MIN_NOISE_SCATTER:
        return (
            f"the spectrum has no shot noise (scatter {scatter:.2g} of a periodogram's): "
            "this is not a camera frame"
        )
    if at_search_edge:
        return "defocus is at the edge of the search range"
    if not converged:
        return "the 2D refinement did not converge"
    if not astig_uncertainty_nm <= max_astig_uncertainty_nm:
        return (
            f"astigmatism uncertainty {astig_uncertainty_nm:.1f} nm exceeds "
            f"{max_astig_uncertainty_nm:.1f} nm"
        )
    return None
