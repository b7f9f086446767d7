"""``astigd simulator``: config loading, serve wiring, and poking a running simulator."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from astigd.cli import simulator as cli
from astigd.drivers.simulator.config import SimulatorConfig, Timing
from astigd.drivers.simulator.microscope import SimulatedMicroscope
from astigd.drivers.simulator.server import ServerThread

runner = CliRunner()


def test_options_override_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "sim.yaml"
    path.write_text("seed: 3\ncs_mm: 2.0\ncamera: {frame_px: 256}\n")
    config = cli.load_config(path, seed=9, date="2024-05-06", time_scale=0.0)
    assert (config.seed, config.cs_mm, config.date) == (9, 2.0, dt.date(2024, 5, 6))
    assert (config.camera.frame_px, config.timing.time_scale) == (256, 0.0)


def test_serve_builds_the_scope_from_the_options(monkeypatch: pytest.MonkeyPatch) -> None:
    served = {}
    monkeypatch.setattr(
        "astigd.drivers.simulator.server.serve",
        lambda microscope, host, port: served.update(m=microscope, host=host, port=port),
    )
    args = ["serve", "--port", "9123", "--seed", "4", "--date", "2025-01-02", "--frame-px", "512"]
    result = runner.invoke(cli.simulator_app, args)
    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"]) == ("127.0.0.1", 9123)
    assert served["m"].config.seed == 4 and served["m"].config.camera.frame_px == 512
    assert served["m"].state.lens.date == dt.date(2025, 1, 2)


def test_the_root_cli_has_the_simulator_sub_app() -> None:
    from astigd.cli import app

    result = runner.invoke(app, ["simulator", "--help"])
    assert result.exit_code == 0 and "serve" in result.output


def test_fault_truth_and_clear_commands_talk_to_a_running_simulator() -> None:
    microscope = SimulatedMicroscope(SimulatorConfig(seed=2, timing=Timing(time_scale=0.0)))
    with ServerThread(microscope) as server:
        url = ["--url", server.url]
        result = runner.invoke(cli.simulator_app, ["fault", "busy", *url, "--endpoint", "acquire"])
        assert result.exit_code == 0, result.output
        assert [spec.endpoint for spec in microscope.faults.pending()] == ["acquire"]
        truth = runner.invoke(cli.simulator_app, ["truth", *url])
        assert json.loads(truth.output)["simulator_only"] is True
        assert runner.invoke(cli.simulator_app, ["clear-faults", *url]).exit_code == 0
        assert microscope.faults.pending() == []
