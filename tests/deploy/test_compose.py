"""docker-compose.yml and the Dockerfile: every command exists in the package and parses, ports
and URLs agree across services, settings are real settings, and no secret is in the file."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import BaseModel

from astigd.app.core.config import Settings
from astigd.app.core.inventory import load_inventory
from tests.deploy.commands import InvalidCommandError, check_command

ROOT = Path(__file__).parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
ASTIGD_SERVICES = ("scheduler", "worker", "simulator", "api")
VARIABLE = re.compile(r"\$\{(\w+)(?::?[-?][^}]*)?\}")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|KEY", re.IGNORECASE)


def interpolate(text: str) -> str:
    """Return text with every ${NAME...} replaced by a placeholder, as compose would fill it."""
    return VARIABLE.sub(lambda match: f"<{match.group(1)}>", text)


def environment(service: str) -> dict[str, str]:
    return {name: str(value) for name, value in SERVICES[service].get("environment", {}).items()}


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def port_of(url: str) -> int:
    return urlsplit(url).port


def healthcheck_url(service: str) -> str:
    (url,) = re.findall(r"https?://[^'\" ]+", " ".join(SERVICES[service]["healthcheck"]["test"]))
    return url


def test_the_stack_has_its_services_and_astigd_ones_share_the_image():
    assert set(SERVICES) == {"db", "scheduler", "worker", "simulator", "api"}
    assert {SERVICES[name]["image"] for name in ASTIGD_SERVICES} == {"astigd:latest"}
    assert all(SERVICES[name]["build"] == "." for name in ASTIGD_SERVICES)


@pytest.mark.parametrize("service", ASTIGD_SERVICES)
def test_every_command_exists_and_parses(service):
    command = SERVICES[service]["command"]
    assert check_command(command) == command[: len(check_command(command))]


def test_a_wrong_command_or_option_is_caught():
    with pytest.raises(InvalidCommandError):
        check_command(["astigd", "serve", "--no-such-option"])
    with pytest.raises(InvalidCommandError):
        check_command(["astigd", "simulator", "no-such-command"])
    with pytest.raises(InvalidCommandError):
        check_command(["dask", "scheduler", "--no-such-option"])
    with pytest.raises(InvalidCommandError):
        check_command(["astigd", "serve", "--port", "not-a-port"])


def test_the_api_serves_on_the_port_it_publishes_and_checks():
    api = SERVICES["api"]
    port = int(option(api["command"], "--port"))
    published = [interpolate(str(mapping)).split(":")[-1] for mapping in api["ports"]]
    assert published == [str(port)]
    assert healthcheck_url("api") == f"http://127.0.0.1:{port}/readyz"


def test_workers_and_the_api_reach_the_scheduler_where_it_listens():
    scheduler = SERVICES["scheduler"]["command"]
    address = f"tcp://scheduler:{option(scheduler, '--port')}"
    assert SERVICES["worker"]["command"][2] == address
    assert environment("api")["ASTIGD_POOL__SCHEDULER"] == address
    dashboard = option(scheduler, "--dashboard-address").rsplit(":", 1)[1]
    assert port_of(healthcheck_url("scheduler")) == int(dashboard)


def test_workers_scale_they_have_no_fixed_name_or_host_port():
    worker = SERVICES["worker"]
    assert "container_name" not in worker and "ports" not in worker


def test_the_api_database_is_the_db_service_with_its_user_and_database():
    url = urlsplit(interpolate(environment("api")["ASTIGD_DATABASE__URL"]))
    db = environment("db")
    assert url.scheme == "postgresql+psycopg"
    assert (url.hostname, url.port) == ("db", 5432)
    assert (url.username, url.path.lstrip("/")) == (db["POSTGRES_USER"], db["POSTGRES_DB"])
    assert url.password == "<POSTGRES_PASSWORD>" == interpolate(db["POSTGRES_PASSWORD"])


def test_the_mounted_inventory_points_at_the_simulator_where_it_listens():
    target = environment("api")["ASTIGD_SCOPES_FILE"]
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in SERVICES["api"]["volumes"]}
    inventory = load_inventory(ROOT / mounts[target])
    simulator_port = int(option(SERVICES["simulator"]["command"], "--port"))
    (scope,) = inventory.scopes
    assert scope.driver == "thermo"
    assert (urlsplit(scope.address).hostname, port_of(scope.address)) == (
        "simulator",
        simulator_port,
    )
    assert port_of(healthcheck_url("simulator")) == simulator_port


def setting_exists(model: type[BaseModel], path: list[str]) -> bool:
    """Return whether ASTIGD_A__B names a field A of Settings with a field B, and so on."""
    field = model.model_fields.get(path[0].lower())
    if field is None:
        return False
    if len(path) == 1:
        return True
    inner = field.annotation
    return (
        isinstance(inner, type) and issubclass(inner, BaseModel) and setting_exists(inner, path[1:])
    )


@pytest.mark.parametrize("service", ASTIGD_SERVICES)
def test_every_astigd_variable_is_a_real_setting(service):
    for name in environment(service):
        assert name.startswith("ASTIGD_"), name
        assert setting_exists(Settings, name.removeprefix("ASTIGD_").split("__")), name


def test_no_secret_is_written_in_the_file():
    for name, service in SERVICES.items():
        for variable, value in service.get("environment", {}).items():
            text = str(value)
            if SECRET_NAME.search(variable):
                assert VARIABLE.fullmatch(text), f"{name}.{variable} must come from .env"
            for secret in re.findall(r"//[^:/@]+:([^@]+)@", text):  # passwords inside URLs
                assert VARIABLE.fullmatch(secret), f"{name}.{variable} has a literal password"
    example = (ROOT / ".env.example").read_text()
    assert re.search(r"^POSTGRES_PASSWORD=$", example, re.MULTILINE)
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()


def test_every_long_running_service_is_health_checked():
    for name in ("db", "scheduler", "simulator", "api"):
        assert SERVICES[name]["healthcheck"]["test"][0] == "CMD", name
    depends = SERVICES["api"]["depends_on"]
    assert {name: rule["condition"] for name, rule in depends.items()} == {
        "db": "service_healthy",
        "scheduler": "service_healthy",
        "simulator": "service_healthy",
    }


def test_the_image_is_slim_python_311_non_root_with_the_dask_extra():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    bases = [line.split()[1] for line in lines if line.startswith("FROM ")]
    assert bases and all(base == "python:3.11-slim" for base in bases)
    assert any("pip install '.[dask]'" in line for line in lines)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert any(line.startswith("HEALTHCHECK") for line in lines)
    assert check_command(["astigd", "serve"]) == ["astigd", "serve"]
