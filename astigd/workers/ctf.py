"""The CTF model in CTFFIND's conventions (DESIGN.md §2)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ELECTRON_REST_ENERGY_KEV = 510.99895
HC_KEV_A = 12.398419843  # Planck constant times speed of light, keV·Å


def electron_wavelength_A(kv: float) -> float:
    """Return the relativistic electron wavelength in Å for an accelerating voltage in kV."""
    if kv <= 0:
        raise ValueError(f"kv must be positive, got {kv}")
    pc_kev = math.sqrt(kv * (kv + 2.0 * ELECTRON_REST_ENERGY_KEV))
    return HC_KEV_A / pc_kev


@dataclass(frozen=True)
class Optics:
    """Imaging conditions a CTF depends on, in the house units."""

    pixel_size_A: float
    kv: float = 300.0
    cs_mm: float = 2.7
    amplitude_contrast: float = 0.07
    phase_shift_deg: float = 0.0

    def __post_init__(self) -> None:
        if not self.pixel_size_A > 0:
            raise ValueError(f"pixel_size_A must be positive, got {self.pixel_size_A}")
        if not self.kv > 0:
            raise ValueError(f"kv must be positive, got {self.kv}")
        if not 0 <= self.cs_mm < 20:
            raise ValueError(f"cs_mm must be in [0, 20), got {self.cs_mm}")
        if not 0 <= self.amplitude_contrast < 1:
            raise ValueError(f"amplitude_contrast must be in [0, 1), got {self.amplitude_contrast}")

    @property
    def wavelength_A(self) -> float:
        """Electron wavelength in Å."""
        return electron_wavelength_A(self.kv)

    @property
    def cs_A(self) -> float:
        """Spherical aberration in Å."""
        return self.cs_mm * 1e7

    @property
    def constant_phase(self) -> float:
        """Phase shift plus the amplitude-contrast phase, in radians."""
        return math.radians(self.phase_shift_deg) + math.asin(self.amplitude_contrast)


def defocus_at_azimuth_A(
    defocus_mean_nm: float, astig_x_nm: float, astig_y_nm: float, cos2phi, sin2phi
):
    """Return df(phi) in Å from the mean defocus and the doubled-angle astigmatism vector."""
    return 10.0 * (defocus_mean_nm + 0.5 * (astig_x_nm * cos2phi + astig_y_nm * sin2phi))


def ctf_phase(k2_invA2, defocus_A, optics: Optics):
    """Return chi(k) in radians; k² in Å⁻², defocus in Å (underfocus positive)."""
    lam = optics.wavelength_A
    return (
        math.pi * lam * k2_invA2 * defocus_A
        - 0.5 * math.pi * optics.cs_A * lam**3 * k2_invA2**2
        + optics.constant_phase
    )


def ctf_value(k2_invA2, defocus_A, optics: Optics):
    """Return the CTF, −sin(chi), as in CTFFIND."""
    return -np.sin(ctf_phase(k2_invA2, defocus_A, optics))


def tolerable_astigmatism_nm(resolution_A: float, kv: float) -> float:
    """Return the astigmatism that still allows a target resolution: d²/(2λ), in nm."""
    return resolution_A**2 / (2.0 * electron_wavelength_A(kv)) / 10.0
