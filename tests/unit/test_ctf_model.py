import pytest
from hypothesis import given
from hypothesis import strategies as st

from astigd.workers.astigmatism import (
    astig_from_vector,
    astig_vector_nm,
    defocus_pair,
    wrap_angle_deg,
)
from astigd.workers.ctf import Optics, electron_wavelength_A, tolerable_astigmatism_nm


@pytest.mark.parametrize(("kv", "wavelength_A"), [(100, 0.03701), (200, 0.02508), (300, 0.01969)])
def test_wavelength_matches_tabulated_values(kv, wavelength_A):
    assert electron_wavelength_A(kv) == pytest.approx(wavelength_A, abs=2e-5)


def test_tolerable_astigmatism_is_d_squared_over_two_lambda():
    # DESIGN.md §5: about 10 nm for 2 Å and 23 nm for 3 Å at 300 kV.
    assert tolerable_astigmatism_nm(2.0, 300) == pytest.approx(10.2, abs=0.1)
    assert tolerable_astigmatism_nm(3.0, 300) == pytest.approx(22.9, abs=0.1)


@pytest.mark.parametrize("bad", [{"pixel_size_A": 0}, {"pixel_size_A": 1, "kv": -1},
                                 {"pixel_size_A": 1, "amplitude_contrast": 1.5}])  # fmt: skip
def test_optics_rejects_unphysical_values(bad):
    with pytest.raises(ValueError):
        Optics(**bad)


@given(st.floats(0, 2000), st.floats(-720, 720))
def test_astig_vector_round_trips(astig_nm, angle_deg):
    magnitude, angle = astig_from_vector(*astig_vector_nm(astig_nm, angle_deg))
    assert magnitude == pytest.approx(astig_nm, abs=1e-9)
    if astig_nm > 1e-6:
        difference = abs(wrap_angle_deg(angle - angle_deg))
        assert min(difference, 180 - difference) < 1e-6


@given(st.floats(100, 8000), st.floats(-500, 500), st.floats(0, 360))
def test_defocus_pairs_are_in_ctffind_order(mean_nm, astig_nm, angle_deg):
    pair = defocus_pair(mean_nm, astig_nm, angle_deg)
    assert pair.defocus1_nm >= pair.defocus2_nm
    assert 0 <= pair.angle_deg < 180
    assert (pair.defocus1_nm + pair.defocus2_nm) / 2 == pytest.approx(mean_nm)
