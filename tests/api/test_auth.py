"""Keys guard the API: missing or bad keys get 401, keys without the scope get 403."""

from __future__ import annotations

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from astigd.app.api.deps import AdminDep, ControlDep
from astigd.app.db.engine import make_session_factory
from astigd.app.db.keys import revoke_key
from astigd.app.main import create_app
from tests.api.conftest import bearer, make_settings


@pytest.fixture
def guarded(app):
    """The app plus two probe routes that need control and admin."""
    probes = APIRouter(prefix="/api/v1/probe", tags=["probe"])

    @probes.post("/control")
    def control(principal: ControlDep) -> dict:
        return {"prefix": principal.prefix}

    @probes.post("/admin")
    def admin(principal: AdminDep) -> dict:
        return {"prefix": principal.prefix}

    app.include_router(probes)
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize("path", ["/api/v1/scopes", "/api/v1/measurements", "/api/v1/fit"])
def test_requests_without_a_key_are_401(client, path):
    response = client.request("POST" if path.endswith("fit") else "GET", path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "API key is required" in response.json()["detail"]


@pytest.mark.parametrize(
    "key",
    ["astigd_00000000_nope", "not-even-a-key", "", "astigd_\x00\x00\x00\x00\x00\x00\x00\x00_x"],
)
def test_unknown_keys_are_401(client, keys, key):
    response = client.get("/api/v1/scopes", headers={"X-API-Key": key or "astigd__"})
    assert response.status_code == 401


def test_a_read_key_reads_by_bearer_or_header(client, keys):
    assert client.get("/api/v1/scopes", headers=bearer(keys["read"])).status_code == 200
    assert client.get("/api/v1/scopes", headers={"X-API-Key": keys["read"]}).status_code == 200


def revoke(database_engine, key: str) -> None:
    with make_session_factory(database_engine)() as session:
        revoke_key(session, key.split("_")[1])


def test_a_revoked_key_is_401(client, keys, database_engine):
    revoke(database_engine, keys["read"])
    assert client.get("/api/v1/scopes", headers=bearer(keys["read"])).status_code == 401


def test_an_accepted_key_is_trusted_for_the_cache_time(client, keys, database_engine):
    """The default 5 s key cache spares pollers a database look-up on every request."""
    assert client.get("/api/v1/scopes", headers=bearer(keys["read"])).status_code == 200
    revoke(database_engine, keys["read"])
    assert client.get("/api/v1/scopes", headers=bearer(keys["read"])).status_code == 200


def test_without_the_key_cache_revocation_takes_effect_at_once(
    db_url, tmp_path, clean_env, keys, database_engine
):
    app = create_app(make_settings(db_url, tmp_path, auth={"key_cache_s": 0.0}))
    with TestClient(app) as client:
        assert client.get("/api/v1/scopes", headers=bearer(keys["read"])).status_code == 200
        revoke(database_engine, keys["read"])
        assert client.get("/api/v1/scopes", headers=bearer(keys["read"])).status_code == 401


@pytest.mark.parametrize(
    ("holder", "path", "status"),
    [
        ("read", "control", 403),
        ("read", "admin", 403),
        ("control", "control", 200),
        ("control", "admin", 403),
        ("admin", "control", 200),
        ("admin", "admin", 200),
    ],
)
def test_scopes_decide_what_a_key_may_do(guarded, keys, holder, path, status):
    response = guarded.post(f"/api/v1/probe/{path}", headers=bearer(keys[holder]))
    assert response.status_code == status
    if status == 403:
        assert f"lacks the '{path}' scope" in response.json()["detail"]


def test_control_and_admin_keys_also_read(client, keys):
    for holder in ("control", "admin"):
        assert client.get("/api/v1/scopes", headers=bearer(keys[holder])).status_code == 200


def test_anonymous_read_opens_reads_but_not_control(db_url, tmp_path, clean_env, keys):
    app = create_app(make_settings(db_url, tmp_path, auth={"anonymous_read": True}))
    probes = APIRouter()

    @probes.post("/control")
    def control(principal: ControlDep) -> dict:
        return {}

    app.include_router(probes)
    with TestClient(app) as client:
        assert client.get("/api/v1/scopes").status_code == 200
        assert client.post("/control").status_code == 401
        assert client.get("/api/v1/scopes", headers={"X-API-Key": "bad"}).status_code == 401


def test_health_metrics_and_docs_need_no_key(client):
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/"):
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize(
    ("scope", "granted"),
    [("read", ["read"]), ("control", ["read", "control"]), ("admin", ["read", "control", "admin"])],
)
def test_auth_me_names_the_key_and_what_it_grants(client, keys, scope, granted):
    response = client.get("/api/v1/auth/me", headers=bearer(keys[scope]))
    assert response.status_code == 200
    assert response.json() == {
        "name": f"{scope} tests",
        "prefix": keys[scope].split("_")[1],
        "scopes": [scope],
        "grants": granted,
    }


def test_auth_me_needs_a_known_key(client):
    assert client.get("/api/v1/auth/me").status_code == 401
    unknown = client.get("/api/v1/auth/me", headers=bearer("astigd_00000000_nope"))
    assert unknown.status_code == 401
    assert unknown.json()["detail"] == "the API key is unknown or revoked"
