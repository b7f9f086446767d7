"""`astigd worker SCHEDULER`: a Dask worker that fits frames for the service.

It runs `dask worker` with a `ctf` resource tag (the slots fits ask for) and the
`astigd.dask_cluster` preload, which loads FFTW wisdom, plans the FFTs of the frame shapes real
fits use, and saves the wisdom before the worker joins. Options it does not know are passed to
`dask worker` unchanged.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from astigd.dask_cluster import worker_arguments
from astigd.fft_wisdom import DEFAULT_WARM_SHAPES, WARM_SHAPES_ENV, WISDOM_ENV, parse_frame_shapes

DASK_WORKER_MODULE = "distributed.cli.dask_worker"
PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}


def worker_command(
    context: typer.Context,
    scheduler: Annotated[str, typer.Argument(help="Scheduler address, e.g. tcp://host:8786.")],
    nthreads: Annotated[int, typer.Option(min=1, help="Threads of the worker process.")] = 1,
    slots: Annotated[
        int | None, typer.Option(min=1, help="Fits run at once (default: --nthreads).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="A unique worker name.")] = None,
    wisdom: Annotated[
        Path | None, typer.Option(help="FFTW wisdom file to load and save (default: cache).")
    ] = None,
    warm_shapes: Annotated[
        str | None,
        typer.Option(help=f"Frame shapes to plan FFTs for [default: {DEFAULT_WARM_SHAPES}]."),
    ] = None,
) -> None:
    """Start a Dask worker for astigd's fits; extra options go to `dask worker`."""
    if importlib.util.find_spec("distributed") is None:
        typer.echo("astigd worker: needs `distributed`: pip install 'astigd[dask]'", err=True)
        raise typer.Exit(2)
    try:
        parse_frame_shapes(warm_shapes or DEFAULT_WARM_SHAPES)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--warm-shapes") from None
    if wisdom is not None:
        os.environ[WISDOM_ENV] = str(wisdom)  # the worker process (same pid) reads them
    if warm_shapes is not None:
        os.environ[WARM_SHAPES_ENV] = warm_shapes
    arguments = worker_arguments(scheduler, nthreads, slots or nthreads, name) + context.args
    command = [sys.executable, "-m", DASK_WORKER_MODULE, *arguments]
    sys.stdout.flush()
    os.execv(sys.executable, command)  # the worker takes this process over: same pid, signals
