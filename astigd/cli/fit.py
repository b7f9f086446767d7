"""`astigd fit`: fit defocus and 2-fold astigmatism to frames in files, and report each fit.

Heavy modules (numpy, scipy, the fitter, matplotlib) are imported when the command runs, so
`astigd --help` stays quick. A file that cannot be read or fitted gets a one-line reason on
stderr; the other files are still processed, and the exit code is 1 if any file failed.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NamedTuple

import typer

if TYPE_CHECKING:
    from astigd.workers.anisotropy import AnisoMag
    from astigd.workers.ctf import Optics
    from astigd.workers.fit import FitSettings
    from astigd.workers.results import CtfFit

PROG = "astigd fit"
logging.getLogger("tifffile").addHandler(logging.NullHandler())  # its reasons reach stderr as ours


class FitJob(NamedTuple):
    """Everything the fit of one file needs besides the frame."""

    optics: Optics
    settings: FitSettings
    aniso: AnisoMag | None
    diagnostics: bool


def fit_command(
    files: Annotated[
        list[Path],
        typer.Argument(metavar="FILE", help="MRC, TIFF or .npy frames; a stack is averaged."),
    ],
    pixel_size_A: Annotated[float, typer.Option("--pixel-size-A", help="Pixel size, Å.")],
    kv: Annotated[float, typer.Option("--kv", help="Accelerating voltage, kV.")],
    cs_mm: Annotated[float, typer.Option("--cs-mm", help="Spherical aberration, mm.")],
    amplitude_contrast: Annotated[
        float, typer.Option("--amplitude-contrast", help="Amplitude contrast fraction.")
    ] = 0.07,
    min_res_A: Annotated[
        float | None,
        typer.Option("--min-res-A", help="Lowest resolution fitted, Å (fitter default 30)."),
    ] = None,
    max_res_A: Annotated[
        float | None,
        typer.Option("--max-res-A", help="Highest resolution fitted, Å (fitter default 4)."),
    ] = None,
    aniso: Annotated[
        str | None,
        typer.Option(
            "--aniso",
            metavar="SCALE_MAJOR,SCALE_MINOR,ANGLE_DEG",
            help="Known anisotropic magnification, removed before fitting.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object per file, one per line.")
    ] = False,
    ctffind_out: Annotated[
        Path | None, typer.Option("--ctffind-out", help="Write CTFFIND 4's 7-column text here.")
    ] = None,
    diagnostic: Annotated[
        Path | None,
        typer.Option("--diagnostic", help="Write a diagnostic PNG (one per file: stem suffix)."),
    ] = None,
) -> None:
    """Fit defocus and astigmatism to each FILE and print the results."""
    job = make_job(pixel_size_A, kv, cs_mm, amplitude_contrast, min_res_A, max_res_A, aniso)
    job = job._replace(diagnostics=diagnostic is not None)
    from astigd.fft_wisdom import load_wisdom, save_wisdom

    load_wisdom()
    fitted, failures = fit_files(files, diagnostic_paths(diagnostic, files), job, as_json)
    save_wisdom()
    if ctffind_out is not None:
        failures += not write_ctffind(ctffind_out, fitted, job)
    raise typer.Exit(1 if failures else 0)


def make_job(
    pixel_size_A: float,
    kv: float,
    cs_mm: float,
    amplitude_contrast: float,
    min_res_A: float | None,
    max_res_A: float | None,
    aniso: str | None,
) -> FitJob:
    """Build optics, fit settings and anisotropy from the options; reject bad values."""
    from astigd.workers.ctf import Optics
    from astigd.workers.fft import get_backend
    from astigd.workers.fit import FitSettings

    limits = {"min_res_A": min_res_A, "max_res_A": max_res_A}
    try:
        optics = Optics(pixel_size_A, kv, cs_mm, amplitude_contrast)
        settings = FitSettings(**{key: value for key, value in limits.items() if value is not None})
        get_backend(settings.fft_backend, settings.fft_threads)  # fail early on a bad env var
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    return FitJob(optics, settings, parse_aniso(aniso), False)


def parse_aniso(text: str | None) -> AnisoMag | None:
    """Parse SCALE_MAJOR,SCALE_MINOR,ANGLE_DEG into an AnisoMag (None when not given)."""
    if text is None:
        return None
    from astigd.workers.anisotropy import AnisoMag

    try:
        major, minor, angle = (float(part) for part in text.split(","))
    except ValueError:
        raise typer.BadParameter(
            f"{text!r}: expected SCALE_MAJOR,SCALE_MINOR,ANGLE_DEG", param_hint="--aniso"
        ) from None
    try:
        return AnisoMag(major, minor, angle)
    except ValueError as error:
        raise typer.BadParameter(f"{text!r}: {error}", param_hint="--aniso") from None


def fit_files(
    files: list[Path], pictures: list[Path | None], job: FitJob, as_json: bool
) -> tuple[list[tuple[str, CtfFit]], int]:
    """Fit, print and picture each file in turn; return the fits and the number of failures."""
    from astigd.outputs.records import fit_record, json_line, summary_line

    fitted, failures = [], 0
    for path, picture in zip(files, pictures, strict=True):
        fit = fit_file(path, job)
        if fit is None:
            failures += 1
            continue
        name = str(path)
        typer.echo(json_line(fit_record(name, fit)) if as_json else summary_line(name, fit))
        failures += not write_picture(picture, fit, path)
        fitted.append((name, fit))
    return fitted, failures


def fit_file(path: Path, job: FitJob) -> CtfFit | None:
    """Read and fit one file; for a bad file print the reason to stderr and return None."""
    from astigd.frame_files import FrameFileError, read_frame_file
    from astigd.workers.fit import fit_frame
    from astigd.workers.spectrum import InvalidFrameError

    try:
        frame = read_frame_file(path)
        return fit_frame(frame, job.optics, job.settings, job.aniso, job.diagnostics)
    except (FrameFileError, InvalidFrameError) as error:
        report(path, str(error))
        return None


def write_picture(picture: Path | None, fit: CtfFit, path: Path) -> bool:
    """Write a file's diagnostic PNG if one was asked for; return False if that failed."""
    if picture is None:
        return True
    from astigd.outputs.diagnostic import write_diagnostic_png

    try:
        write_diagnostic_png(picture, fit, label=path.name)
    except OSError as error:
        report(path, f"cannot write diagnostic {picture}: {error.strerror or error}")
        return False
    return True


def write_ctffind(target: Path, fitted: list[tuple[str, CtfFit]], job: FitJob) -> bool:
    """Write CTFFIND 4's results text for the fitted files; return False if that failed."""
    from astigd.outputs.ctffind import CtffindRun, write_ctffind_text

    settings = job.settings
    box_px = fitted[0][1].parameters.get("box_px", settings.box_px) if fitted else settings.box_px
    run = CtffindRun(
        box_px=int(box_px),
        min_res_A=settings.min_res_A,
        max_res_A=1.0 / settings.band_invA(job.optics.pixel_size_A)[1],
        min_defocus_A=10.0 * settings.defocus_min_nm,
        max_defocus_A=10.0 * settings.defocus_max_nm,
    )
    try:
        write_ctffind_text(target, fitted, job.optics, run)
    except OSError as error:
        report(target, f"cannot write CTFFIND results: {error.strerror or error}")
        return False
    return True


def diagnostic_paths(target: Path | None, files: list[Path]) -> list[Path | None]:
    """Return each file's PNG path: the target itself for one file, else <target>_<stem>.png."""
    if target is None:
        return [None] * len(files)
    if len(files) == 1:
        return [target]
    suffix = target.suffix or ".png"
    names = [f"{target.stem}_{path.stem}" for path in files]
    unique = [name if names.count(name) == 1 else f"{name}_{i + 1}" for i, name in enumerate(names)]
    return [target.with_name(name + suffix) for name in unique]


def report(path: Path, reason: str) -> None:
    """Print one line, `astigd fit: PATH: reason`, to stderr."""
    typer.echo(f"{PROG}: {path}: {' '.join(reason.split())}", err=True)
