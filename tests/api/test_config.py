"""Settings from ASTIGD_* variables, and the YAML scope inventory."""

from __future__ import annotations

import datetime as dt

import pytest

from astigd.app.core.config import Settings, SimulatorSettings
from astigd.app.core.inventory import Inventory, InventoryError, ScopeEntry, load_inventory
from astigd.app.scopes.registry import build_registry
from astigd.drivers.limits import ScopeTiming

INVENTORY = """
scopes:
  - id: krios1
    driver: thermo
    address: http://krios1-pc:8080
    optics:
      kv: 300
      cs_mm: 2.7
      camera: K3
      magnifications:
        - {mag_index: 23, magnification: 105000, pixel_size_A: 0.83,
           aniso: {scale_major: 1.012, scale_minor: 1.0, angle_deg: 37}}
  - id: glacios
    driver: jeol
    optics: {kv: 200, cs_mm: 1.4}
"""


def test_nested_groups_come_from_double_underscore_variables(clean_env, monkeypatch, tmp_path):
    monkeypatch.setenv("ASTIGD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ASTIGD_POOL__KIND", "thread")
    monkeypatch.setenv("ASTIGD_POOL__WORKERS", "3")
    monkeypatch.setenv("ASTIGD_AUTH__ANONYMOUS_READ", "true")
    monkeypatch.setenv("ASTIGD_LIMITS__MAX_UPLOAD_BYTES", "5000")
    monkeypatch.setenv("ASTIGD_SERVER__PORT", "9001")
    settings = Settings()
    assert (settings.pool.kind, settings.pool.workers) == ("thread", 3)
    assert settings.auth.anonymous_read and settings.limits.max_upload_bytes == 5000
    assert settings.server.port == 9001
    assert settings.database_url == f"sqlite:///{tmp_path / 'astigd.sqlite'}"


def test_an_explicit_database_url_wins(clean_env, monkeypatch):
    monkeypatch.setenv("ASTIGD_DATABASE__URL", "postgresql+psycopg://db/astigd")
    assert Settings().database_url == "postgresql+psycopg://db/astigd"


def test_bad_settings_are_refused(clean_env, monkeypatch):
    monkeypatch.setenv("ASTIGD_POOL__KIND", "cloud")
    with pytest.raises(ValueError, match="kind"):
        Settings()


def test_the_inventory_file_is_parsed_into_scopes(tmp_path):
    path = tmp_path / "scopes.yaml"
    path.write_text(INVENTORY)
    inventory = load_inventory(path)
    krios = inventory.get("krios1")
    assert krios.driver == "thermo" and krios.optics.camera == "K3"
    mag = krios.optics.at_mag(23)
    assert mag.pixel_size_A == 0.83 and mag.aniso.to_aniso().anisotropy == pytest.approx(0.012)
    assert inventory.get("glacios").optics.kv == 200


def test_a_scope_call_timeout_reaches_the_scope_layer():
    entry = ScopeEntry(id="a", driver="thermo", call_timeout_s=2.5)
    timing = entry.timing(settle_scale=0.0)
    assert (timing.call_timeout_s, timing.settle_s) == (2.5, 0.0)
    assert ScopeEntry(id="b", driver="jeol").timing().call_timeout_s == ScopeTiming.call_timeout_s


@pytest.mark.parametrize(("camera", "used"), [("BM-Falcon", "BM-Falcon"), (None, "BM-Ceta")])
def test_a_thermo_scope_acquires_from_the_inventory_camera(camera, used):
    entry = ScopeEntry(
        id="krios", driver="thermo", address="http://127.0.0.1:9", optics={"camera": camera}
    )
    handles = build_registry(Inventory(scopes=(entry,)), None, SimulatorSettings())
    assert handles["krios"].get()._backend.config.camera == used  # no connection is made yet


@pytest.mark.parametrize("day", ["2031-02-03", None])
def test_the_simulated_scope_lives_on_the_set_day_or_today(clean_env, monkeypatch, day):
    if day is not None:
        monkeypatch.setenv("ASTIGD_SIMULATOR__DATE", day)
    (entry,) = load_inventory(None).scopes
    handles = build_registry(Inventory(scopes=(entry,)), None, Settings().simulator)
    expected = dt.date.fromisoformat(day) if day else dt.datetime.now(dt.UTC).date()
    assert handles["sim"].simulator.state.lens.date == expected


def test_without_a_file_there_is_one_simulated_scope():
    (scope,) = load_inventory(None).scopes
    assert (scope.id, scope.driver) == ("sim", "simulator")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("scopes: []", "scopes"),
        ("scopes: [{id: a, driver: hitachi}]", "scopes.0.driver"),
        ("scopes: [{id: a, driver: jeol}, {id: a, driver: jeol}]", "only once"),
        ("scopes: [{id: a, driver: jeol, optics: {kv: -1}}]", "optics.kv"),
        ("scopes: [{id: a, driver: jeol, colour: red}]", "colour"),
        ("scopes: [{id: 'a b', driver: jeol}]", "scopes.0.id"),
        ("scopes: [{id: a, driver: jeol, call_timeout_s: 0}]", "scopes.0.call_timeout_s"),
        ("scopes: [unclosed", "not valid YAML"),
    ],
)
def test_invalid_inventories_say_where(tmp_path, text, words):
    path = tmp_path / "scopes.yaml"
    path.write_text(text)
    with pytest.raises(InventoryError, match=words):
        load_inventory(path)


def test_a_missing_inventory_file_is_reported(tmp_path):
    with pytest.raises(InventoryError, match="cannot read"):
        load_inventory(tmp_path / "nowhere.yaml")


def test_fits_take_pixel_size_and_aniso_from_the_inventory(
    db_url, tmp_path, clean_env, keys, carbon_frame
):
    from fastapi.testclient import TestClient

    from astigd.app.main import create_app
    from tests.api.conftest import make_settings

    path = tmp_path / "scopes.yaml"
    path.write_text(INVENTORY.replace("0.83", "1.0").replace("1.012", "1.0"))
    settings = make_settings(db_url, tmp_path, scopes_file=path)
    with TestClient(create_app(settings)) as client:
        headers = {
            "X-API-Key": keys["read"],
            "X-Dtype": "uint16",
            "X-Shape": "1024,1024",
            "Content-Type": "application/octet-stream",
        }
        params = {"scope_id": "krios1", "mag_index": 23}
        response = client.post(
            "/api/v1/fit", params=params, content=carbon_frame.tobytes(), headers=headers
        )
        assert response.status_code == 200, response.text
        optics = client.get("/api/v1/measurements", headers=headers).json()["items"][0]["optics"]
    assert optics["pixel_size_A"] == 1.0 and optics["mag_index"] == 23
    assert optics["aniso"]["angle_deg"] == 37 and optics["camera"] == "K3"
    assert response.json()["defocus_mean_nm"] == pytest.approx(1500, abs=15)
