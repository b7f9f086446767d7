import json
import math
import struct
from datetime import UTC, datetime

import numpy as np
import pytest

from astigd.outputs.ctffind import (
    COLUMNS_LINE,
    CtffindRun,
    format_ctffind_text,
    read_ctffind_rows,
    result_row,
    write_ctffind_text,
)
from astigd.outputs.diagnostic import split_image, write_diagnostic_png
from astigd.outputs.records import fit_record, json_line, summary_line
from astigd.workers.ctf import Optics
from astigd.workers.results import CtfFit, FitDiagnostics

OPTICS = Optics(pixel_size_A=1.06, kv=300.0, cs_mm=2.7, amplitude_contrast=0.07)
RUN = CtffindRun(
    box_px=512, min_res_A=30.0, max_res_A=4.0, min_defocus_A=2000.0, max_defocus_A=80000.0
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def make_diagnostics(box=128, pixel_A=1.06):
    freq = np.fft.fftshift(np.fft.fftfreq(box)) / pixel_A
    kx, ky = np.meshgrid(freq, freq)
    k2 = kx**2 + ky**2
    band = (k2 > 0.03**2) & (k2 < 0.2**2)
    model = np.where(band, np.cos(2 * np.pi * 3000 * 0.0197 * k2), 0.0)
    data = np.where(band, model + np.random.default_rng(3).normal(0, 0.5, model.shape), 0.0)
    k = np.linspace(0.03, 0.2, 60)
    profile = np.cos(2 * np.pi * 3000 * 0.0197 * k**2)
    fit_cc = np.linspace(0.9, 0.1, 60)
    return FitDiagnostics(data, model, pixel_A, k, profile + 0.1, profile, fit_cc)


def make_fit(diagnostics=None, **changes):
    values = dict(
        defocus1_nm=1550.0,
        defocus2_nm=1450.0,
        angle_deg=30.0,
        astig_nm=100.0,
        astig_x_nm=50.0,
        astig_y_nm=86.6,
        astig_uncertainty_nm=3.5,
        defocus_mean_nm=1500.0,
        defocus_uncertainty_nm=1.2,
        phase_shift_deg=90.0,
        score=0.345,
        resolution_A=4.25,
        reliable=True,
        reason=None,
        elapsed_ms=210.0,
        estimator="astigd-ctf",
        version="0.1.0",
        parameters={"box_px": 512, "significance": np.float64(27.5)},
        diagnostics=diagnostics,
    )
    return CtfFit(**(values | changes))


# CTFFIND text


def test_result_row_has_ctffind_columns_in_angstrom_degrees_and_radians():
    words = result_row(2, make_fit()).split()
    assert words == [
        "2.000000",
        "15500.000000",
        "14500.000000",
        "30.000000",
        f"{math.pi / 2:f}",
        "0.345000",
        "4.250000",
    ]


def test_ctffind_text_has_five_header_lines_then_one_row_per_file():
    fits = [("a.mrc", make_fit()), ("b.tif", make_fit(defocus1_nm=2000.0))]
    lines = format_ctffind_text(fits, OPTICS, RUN).splitlines()
    assert [line.startswith("# ") for line in lines] == [True] * 5 + [False] * 2
    assert lines[0].startswith("# Output from CTFFind version 4.")
    assert lines[1] == "# Input file: a.mrc, b.tif ; Number of micrographs: 2"
    assert lines[3] == (
        "# Box size: 512 pixels ; min. res.: 30.0 Angstroms ; max. res.: 4.0 Angstroms ; "
        "min. def.: 2000.0 um; max. def. 80000.0 um"
    )
    assert lines[4] == COLUMNS_LINE
    assert [row.split()[0] for row in lines[5:]] == ["1.000000", "2.000000"]


def test_header_has_the_exact_columns_line_ctffind_writes():
    assert COLUMNS_LINE == (
        "# Columns: #1 - micrograph number; #2 - defocus 1 [Angstroms]; #3 - defocus 2; "
        "#4 - azimuth of astigmatism; #5 - additional phase shift [radians]; "
        "#6 - cross correlation; #7 - spacing (in Angstroms) up to which CTF rings were fit "
        "successfully"
    )


def test_relion_style_reader_finds_optics_and_first_result():
    text = format_ctffind_text([("a.mrc", make_fit())], OPTICS, RUN)
    lines = text.splitlines()
    optics_line = next(line for line in lines if "acceleration voltage:" in line)
    words = optics_line.split()
    assert len(words) >= 19
    assert [float(words[i]) for i in (3, 8, 13, 18)] == [1.06, 300.0, 2.7, 0.07]
    after_columns = lines[next(i for i, line in enumerate(lines) if "Columns: " in line) + 1]
    result = [float(word) for word in after_columns.split()]
    assert result[1:4] == [15500.0, 14500.0, 30.0]


def test_ctffind_text_parses_back_with_numpy_and_our_reader(tmp_path):
    fits = [("a.mrc", make_fit()), ("b.mrc", make_fit(resolution_A=float("inf")))]
    path = tmp_path / "out.txt"
    write_ctffind_text(path, fits, OPTICS, RUN)
    rows = read_ctffind_rows(path.read_text())
    assert rows.shape == (2, 7)
    np.testing.assert_array_equal(np.loadtxt(path, comments="#", ndmin=2), rows)
    assert rows[0, 1] == pytest.approx(15500.0) and math.isinf(rows[1, 6])


def test_header_records_the_run_time_in_utc():
    run_at = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    first = format_ctffind_text([("a.mrc", make_fit())], OPTICS, RUN, run_at).splitlines()[0]
    assert first.endswith(", run on 2024-05-06 07:08:09")
    assert "astigd-ctf 0.1.0" in first


def test_ctffind_text_without_fits_is_only_the_header():
    text = format_ctffind_text([], OPTICS, RUN)
    assert len(text.splitlines()) == 5
    assert read_ctffind_rows(text).shape == (0, 7)


def test_reader_rejects_rows_without_seven_columns():
    with pytest.raises(ValueError, match="7 columns"):
        read_ctffind_rows("# header\n1 2 3\n")


# JSON records and readable lines


def test_fit_record_is_file_plus_every_result_field_as_strict_json():
    fit = make_fit(resolution_A=float("inf"))
    record = json.loads(json_line(fit_record("dir/a.mrc", fit)))
    assert record["file"] == "dir/a.mrc"
    assert set(record) == {"file"} | set(fit.to_dict())
    assert record["resolution_A"] is None
    assert record["parameters"]["significance"] == 27.5


def test_fit_record_itself_holds_only_native_json_values():
    record = fit_record("a.mrc", make_fit(resolution_A=float("nan")))
    json.dumps(record, allow_nan=False)  # raises on NaN, inf or numpy scalars
    assert type(record["parameters"]["significance"]) is float


def test_json_line_is_a_single_line():
    assert "\n" not in json_line(fit_record("a\nb.mrc", make_fit()))


def test_summary_line_gives_values_and_the_reason_a_fit_is_unreliable():
    line = summary_line("a.mrc", make_fit(reliable=False, reason="only 2 Thon ring(s)"))
    assert line.startswith("a.mrc: defocus 1550.0 / 1450.0 nm")
    assert "astig 100.0 ± 3.5 nm" in line
    assert "UNRELIABLE (only 2 Thon ring(s))" in line
    assert "\n" not in line


# Diagnostic PNG


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_diagnostic_png_is_a_valid_two_panel_picture(tmp_path):
    path = tmp_path / "diag.png"
    write_diagnostic_png(path, make_fit(make_diagnostics()), label="a.mrc")
    width, height = png_size(path)
    assert (width, height) == (1100, 480)
    assert path.stat().st_size > 20_000


def test_diagnostic_png_copes_with_no_resolution_and_a_blank_spectrum(tmp_path):
    blank = make_diagnostics()
    blank = FitDiagnostics(
        np.zeros_like(blank.spectrum),
        np.zeros_like(blank.model),
        blank.spectrum_pixel_A,
        blank.radial_frequency_invA,
        np.full_like(blank.radial_data, np.nan),
        blank.radial_model,
        blank.radial_fit_cc,
    )
    path = tmp_path / "blank.png"
    write_diagnostic_png(path, make_fit(blank, resolution_A=float("inf"), reliable=False))
    assert png_size(path) == (1100, 480)


def test_diagnostic_png_needs_a_fit_with_diagnostics(tmp_path):
    with pytest.raises(ValueError, match="diagnostics=True"):
        write_diagnostic_png(tmp_path / "x.png", make_fit())
    assert not (tmp_path / "x.png").exists()


def test_split_image_puts_data_left_and_model_right():
    data = np.tile(np.arange(8.0), (8, 1)) + 1
    model = -data
    combined = split_image(data, model)
    assert combined[:, :4].max() > 0  # stretched data, increasing to the right
    assert np.all(np.diff(combined[:, 4:], axis=1) <= 0)  # the model runs the other way
    assert combined.min() >= 0 and combined.max() <= 1
