import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import mrcfile
import numpy as np
import pytest
import tifffile
from typer.testing import CliRunner

from astigd import __version__
from astigd.cli import app
from astigd.cli.fit import diagnostic_paths
from astigd.drivers.simulator.frames import Exposure, synthesize_frame
from astigd.outputs.ctffind import read_ctffind_rows
from astigd.workers.ctf import Optics

OPTICS = Optics(pixel_size_A=1.0, kv=300.0, cs_mm=2.7, amplitude_contrast=0.07)
TRUTH = {"defocus_mean_nm": 1500.0, "astig_nm": 100.0, "angle_deg": 30.0}
OPTION_ARGS = ["--pixel-size-A", "1.0", "--kv", "300", "--cs-mm", "2.7"]
REQUIRED_KEYS = {
    "file", "defocus1_nm", "defocus2_nm", "angle_deg", "astig_nm", "astig_uncertainty_nm",
    "defocus_mean_nm", "score", "resolution_A", "reliable", "elapsed_ms", "estimator", "version",
}  # fmt: skip
runner = CliRunner()


def exposure(dose_e_per_A2=20.0):
    return Exposure(OPTICS, dose_e_per_A2=dose_e_per_A2, **TRUTH)


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    """Synthetic carbon frames with known defocus and astigmatism, in each format."""
    folder = tmp_path_factory.mktemp("frames")
    frame = synthesize_frame(exposure(), (1024, 1024), rng=11)
    stack = np.stack([synthesize_frame(exposure(10.0), (1024, 1024), rng=s) for s in (12, 13)])
    with mrcfile.new(folder / "carbon.mrc") as mrc:
        mrc.set_data(frame)
    tifffile.imwrite(folder / "carbon_stack.tif", stack, photometric="minisblack")
    np.save(folder / "carbon.npy", frame)
    return {"mrc": folder / "carbon.mrc", "tiff": folder / "carbon_stack.tif",
            "npy": folder / "carbon.npy"}  # fmt: skip


@pytest.fixture
def bad_files(tmp_path):
    """Files that cannot be fitted, each with the reason the CLI must give."""
    (tmp_path / "text.mrc").write_text("not an MRC file\n" * 100)
    np.save(tmp_path / "line.npy", np.ones(512, np.float32))
    np.save(tmp_path / "nan.npy", np.full((256, 256), np.nan, np.float32))
    np.save(tmp_path / "constant.npy", np.full((256, 256), 7.0, np.float32))
    return {
        tmp_path / "text.mrc": "not a valid MRC file",
        tmp_path / "line.npy": "expected a 2D frame or a 3D stack",
        tmp_path / "nan.npy": "NaN or infinite",
        tmp_path / "constant.npy": "constant",
        tmp_path / "missing.mrc": "No such file",
    }


def invoke(*args):
    return runner.invoke(app, ["fit", *map(str, args), *OPTION_ARGS])


def json_records(stdout):
    return [json.loads(line) for line in stdout.splitlines()]


def assert_recovers_truth(record):
    assert record["defocus_mean_nm"] == pytest.approx(TRUTH["defocus_mean_nm"], rel=0.02)
    assert record["astig_nm"] == pytest.approx(TRUTH["astig_nm"], abs=10.0)
    assert record["angle_deg"] == pytest.approx(TRUTH["angle_deg"], abs=5.0)
    assert record["defocus1_nm"] - record["defocus2_nm"] == pytest.approx(record["astig_nm"])


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


# In-process, through typer's CliRunner


def test_root_help_lists_the_fit_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "fit" in result.stdout


def test_version_option_prints_the_package_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"astigd {__version__}"


def test_json_output_recovers_the_simulated_defocus_and_astigmatism(frames):
    result = invoke(frames["mrc"], frames["tiff"], frames["npy"], "--json")
    assert result.exit_code == 0, result.stderr
    records = json_records(result.stdout)
    assert [r["file"] for r in records] == [str(frames[k]) for k in ("mrc", "tiff", "npy")]
    for record in records:
        assert set(record) >= REQUIRED_KEYS
        assert record["reliable"] is True
        assert record["version"] == __version__
        assert 0 < record["elapsed_ms"] < 60_000
        assert_recovers_truth(record)


def test_readable_output_is_one_line_per_file(frames):
    result = invoke(frames["mrc"], frames["npy"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [str(frames["mrc"]), str(frames["npy"])]
    assert all("defocus" in line and "astig" in line and "reliable" in line for line in lines)


def test_ctffind_output_parses_back_in_angstrom(frames, tmp_path):
    out = tmp_path / "ctffind.txt"
    result = invoke(frames["mrc"], frames["tiff"], "--json", "--ctffind-out", out)
    assert result.exit_code == 0, result.stderr
    records = json_records(result.stdout)
    text = out.read_text()
    assert sum(line.startswith("#") for line in text.splitlines()) == 5
    rows = read_ctffind_rows(text)
    assert rows.shape == (2, 7)
    assert list(rows[:, 0]) == [1.0, 2.0]
    for row, record in zip(rows, records, strict=True):
        assert row[1] == pytest.approx(10 * record["defocus1_nm"], abs=1e-3)
        assert row[2] == pytest.approx(10 * record["defocus2_nm"], abs=1e-3)
        assert row[3] == pytest.approx(record["angle_deg"], abs=1e-5)
        assert row[5] == pytest.approx(record["score"], abs=1e-5)
        assert row[6] == pytest.approx(record["resolution_A"], abs=1e-5)
    assert 14_000 < rows[0, 2] < rows[0, 1] < 16_000


def test_diagnostic_writes_a_png_for_a_single_file(frames, tmp_path):
    picture = tmp_path / "diag.png"
    result = invoke(frames["mrc"], "--diagnostic", picture)
    assert result.exit_code == 0, result.stderr
    assert png_size(picture) == (1100, 480)
    assert picture.stat().st_size > 20_000


def test_diagnostic_with_several_files_writes_one_png_per_file_stem(frames, tmp_path):
    result = invoke(frames["mrc"], frames["tiff"], "--diagnostic", tmp_path / "diag.png")
    assert result.exit_code == 0, result.stderr
    written = sorted(path.name for path in tmp_path.iterdir())
    assert written == ["diag_carbon.png", "diag_carbon_stack.png"]


def test_diagnostic_paths_keep_files_with_the_same_stem_apart():
    paths = diagnostic_paths(Path("out/d.png"), [Path("a.mrc"), Path("x/a.tif"), Path("b.npy")])
    assert paths == [Path("out/d_a_1.png"), Path("out/d_a_2.png"), Path("out/d_b.png")]
    assert diagnostic_paths(None, [Path("a.mrc")]) == [None]


def test_each_bad_file_gets_a_one_line_reason_and_a_failing_exit_code(bad_files):
    for path, reason in bad_files.items():
        result = invoke(path)
        assert result.exit_code == 1, path
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"astigd fit: {path}: "), lines
        assert reason in lines[0]
        assert "Traceback" not in result.output


def test_good_files_are_still_fitted_when_others_fail(frames, bad_files, tmp_path):
    out = tmp_path / "ctffind.txt"
    bad = list(bad_files)
    result = invoke(bad[0], frames["npy"], *bad[1:], "--json", "--ctffind-out", out)
    assert result.exit_code == 1
    assert [r["file"] for r in json_records(result.stdout)] == [str(frames["npy"])]
    assert len(result.stderr.splitlines()) == len(bad)
    assert read_ctffind_rows(out.read_text()).shape == (1, 7)


def test_unwritable_outputs_fail_with_one_line_each_after_printing_the_fit(frames, tmp_path):
    missing = tmp_path / "no" / "such" / "folder"
    result = invoke(
        frames["npy"], "--diagnostic", missing / "d.png", "--ctffind-out", missing / "c.txt"
    )
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{frames['npy']}: defocus")
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert "cannot write diagnostic" in lines[0] and "cannot write CTFFIND" in lines[1]


def test_fit_settings_and_anisotropy_reach_the_fitter(frames):
    result = invoke(
        frames["npy"], "--json", "--min-res-A", "25", "--max-res-A", "5", "--aniso", "1.0,1.0,0"
    )
    assert result.exit_code == 0, result.stderr
    parameters = json_records(result.stdout)[0]["parameters"]
    assert parameters["settings"]["min_res_A"] == 25.0
    assert parameters["settings"]["max_res_A"] == 5.0
    assert parameters["aniso"] == {"scale_major": 1.0, "scale_minor": 1.0, "angle_deg": 0.0}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--aniso", "1.01,0.99"], "SCALE_MAJOR,SCALE_MINOR,ANGLE_DEG"),
        (["--aniso", "3,1,0"], "scale_major"),
        (["--min-res-A", "5", "--max-res-A", "8"], "max_res_A"),
        (["--amplitude-contrast", "1.5"], "amplitude_contrast"),
    ],
)
def test_bad_option_values_are_usage_errors(frames, args, message):
    result = invoke(frames["npy"], *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_missing_optics_options_are_usage_errors(frames):
    result = runner.invoke(app, ["fit", str(frames["npy"]), "--pixel-size-A", "1"])
    assert result.exit_code == 2
    assert "--kv" in result.stderr


# Out of process, through the installed console script


def astigd_command():
    script = Path(sys.executable).with_name("astigd")
    if script.exists():
        return [str(script)]
    found = shutil.which("astigd")
    return [found] if found else [sys.executable, "-m", "astigd"]


def run_astigd(*args, env=None):
    return subprocess.run(
        [*astigd_command(), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=240,
        env=os.environ | (env or {}),
    )


def test_console_script_fits_a_frame_and_prints_json(frames):
    result = run_astigd("fit", frames["mrc"], *OPTION_ARGS, "--json")
    assert result.returncode == 0, result.stderr
    (record,) = json_records(result.stdout)
    assert record["file"] == str(frames["mrc"])
    assert_recovers_truth(record)


def test_console_script_reports_a_bad_file_in_one_line_without_traceback(bad_files, frames):
    text_mrc = next(iter(bad_files))
    scipy = {"ASTIGD_FFT_BACKEND": "scipy"}  # skips FFTW planning; the default has its own test
    result = run_astigd("fit", text_mrc, frames["npy"], *OPTION_ARGS, env=scipy)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"astigd fit: {text_mrc}: not a valid MRC file: Map ID string not found - not an MRC "
        "file, or file is corrupt"
    ]
    assert result.stdout.startswith(f"{frames['npy']}: defocus")


def test_scipy_fft_backend_gives_the_same_answer(frames):
    result = run_astigd(
        "fit", frames["npy"], *OPTION_ARGS, "--json", env={"ASTIGD_FFT_BACKEND": "scipy"}
    )
    assert result.returncode == 0, result.stderr
    assert_recovers_truth(json_records(result.stdout)[0])


def test_unknown_fft_backend_is_a_usage_error(frames):
    result = run_astigd("fit", frames["npy"], *OPTION_ARGS, env={"ASTIGD_FFT_BACKEND": "cufft"})
    assert result.returncode == 2
    assert "unknown FFT backend 'cufft'" in result.stderr
    assert "Traceback" not in result.stderr


def test_python_dash_m_runs_the_same_cli():
    result = subprocess.run(
        [sys.executable, "-m", "astigd", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"astigd {__version__}"
