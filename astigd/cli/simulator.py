"""``astigd simulator``: serve the simulated scope over temscript's REST protocol, and poke it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import httpx
import typer
import yaml

from astigd.drivers.simulator.config import SimulatorConfig
from astigd.drivers.simulator.faults import FaultSpec

simulator_app = typer.Typer(
    help="The simulated TEM: a temscript REST server with real lens physics."
)
DEFAULT_URL = "http://127.0.0.1:8080"
Url = Annotated[str, typer.Option(help="Base URL of a running simulator.")]


@simulator_app.callback()
def simulator() -> None:
    """Serve, inspect and fault the simulated scope."""


def load_config(
    path: Path | None = None,
    *,
    seed: int | None = None,
    date: str | None = None,
    time_scale: float | None = None,
    frame_px: int | None = None,
) -> SimulatorConfig:
    """Return a config from an optional YAML/JSON file, overridden by the given options."""
    data = (yaml.safe_load(path.read_text()) if path else None) or {}
    if seed is not None:
        data["seed"] = seed
    if date is not None:
        data["date"] = date
    if time_scale is not None:
        data.setdefault("timing", {})["time_scale"] = time_scale
    if frame_px is not None:
        data.setdefault("camera", {})["frame_px"] = frame_px
    return SimulatorConfig.model_validate(data)


@simulator_app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (temscript's default is 8080).")] = 8080,
    seed: Annotated[int | None, typer.Option(help="Seed of the simulated scope.")] = None,
    date: Annotated[str | None, typer.Option(help="Simulated date, YYYY-MM-DD.")] = None,
    time_scale: Annotated[float | None, typer.Option(help="Real s per simulated s.")] = None,
    frame_px: Annotated[int | None, typer.Option(help="Largest frame side, pixels.")] = None,
    config: Annotated[Path | None, typer.Option(help="YAML/JSON SimulatorConfig.")] = None,
) -> None:
    """Serve temscript's v1 REST protocol plus /v1/astigd/... until interrupted."""
    from astigd.drivers.simulator.microscope import SimulatedMicroscope
    from astigd.drivers.simulator.server import serve as run_server

    cfg = load_config(config, seed=seed, date=date, time_scale=time_scale, frame_px=frame_px)
    typer.echo(f"astigd simulator: seed {cfg.seed}, date {cfg.date}, http://{host}:{port}/v1/")
    run_server(SimulatedMicroscope(cfg), host, port)


@simulator_app.command()
def truth(url: Url = DEFAULT_URL) -> None:
    """Print the simulator's ground truth (simulator only) as JSON."""
    response = httpx.get(f"{url}/v1/astigd/sim/truth")
    response.raise_for_status()
    typer.echo(json.dumps(response.json(), indent=2))


@simulator_app.command()
def fault(
    kind: Annotated[str, typer.Argument(help="busy, timeout, drop, out_of_range, ...")],
    url: Url = DEFAULT_URL,
    endpoint: Annotated[str, typer.Option(help="Endpoint glob after /v1/.")] = "*",
    count: Annotated[int, typer.Option(help="How many times it fires.")] = 1,
) -> None:
    """Arm one fault on a running simulator (adds to those armed)."""
    spec = FaultSpec.model_validate({"kind": kind, "endpoint": endpoint, "count": count})
    armed = httpx.get(f"{url}/v1/astigd/sim/faults").json()
    body = [*armed, spec.model_dump(mode="json")]
    httpx.put(f"{url}/v1/astigd/sim/faults", json=body).raise_for_status()
    typer.echo(f"armed {spec.kind} on {spec.endpoint} x{spec.count}")


@simulator_app.command("clear-faults")
def clear_faults(url: Url = DEFAULT_URL) -> None:
    """Remove every fault from a running simulator."""
    httpx.put(f"{url}/v1/astigd/sim/faults", json=[]).raise_for_status()
    typer.echo("faults cleared")
