"""`astigd worker`: the dask worker it becomes, and the warm-up settings it hands over."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from astigd.cli import app
from astigd.fft_wisdom import WARM_SHAPES_ENV, WISDOM_ENV, warm_frame_shapes, wisdom_path

runner = CliRunner()


@pytest.fixture
def exec_calls(monkeypatch) -> list[list[str]]:
    """Record os.execv instead of replacing the test process; keep the environment clean."""
    calls: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda program, argv: calls.append(list(argv)))
    for name in (WISDOM_ENV, WARM_SHAPES_ENV):  # set first, so teardown restores the original
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    return calls


def test_the_worker_gets_ctf_slots_the_preload_and_its_warm_up_settings(exec_calls, tmp_path):
    wisdom = tmp_path / "wisdom.pickle"
    args = ["worker", "tcp://sched:8786", "--slots", "2", "--wisdom", str(wisdom)]
    result = runner.invoke(app, [*args, "--warm-shapes", "4096x4096", "--memory-limit", "4GB"])
    assert result.exit_code == 0, result.output
    (argv,) = exec_calls
    assert argv[2:] == [
        "distributed.cli.dask_worker",
        "tcp://sched:8786",
        "--nthreads",
        "1",
        "--resources",
        "ctf=2",
        "--preload",
        "astigd.dask_cluster",
        "--memory-limit",
        "4GB",
    ]
    assert wisdom_path() == wisdom and warm_frame_shapes() == ((4096, 4096),)


def test_a_bad_frame_shape_is_refused_before_the_worker_starts(exec_calls):
    result = runner.invoke(app, ["worker", "tcp://sched:8786", "--warm-shapes", "4096"])
    assert result.exit_code == 2 and "ROWSxCOLS" in result.output
    assert exec_calls == []
