"""Health, readiness, metrics, the landing page, request ids and the OpenAPI operation ids."""

from __future__ import annotations

import logging

from fastapi.testclient import TestClient

from astigd.app.db import migrate
from astigd.app.main import create_app
from tests.api.conftest import make_settings
from tests.database import fresh_database


def test_healthz_answers_ok(client):
    assert client.get("/healthz").json()["status"] == "ok"


def test_readyz_is_200_at_head_with_a_live_pool(client):
    body = client.get("/readyz").json()
    assert body["status"] == "ready" and body["pool_alive"] and body["reasons"] == []
    assert body["database_revision"] == sorted(migrate.head_revisions())


def test_readyz_is_503_with_reasons_before_migration(tmp_path, clean_env):
    with (
        fresh_database(tmp_path, "unmigrated") as url,
        TestClient(create_app(make_settings(url, tmp_path))) as client,
    ):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert "astigd db upgrade" in response.json()["reasons"][0]


def test_readyz_is_503_when_the_pool_is_gone(client):
    client.app.state.executor.shutdown()
    body = client.get("/readyz")
    assert body.status_code == 503
    assert body.json()["reasons"] == ["the compute pool does not run tasks"]


def test_metrics_are_prometheus_text(client):
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE astigd_fit_seconds histogram" in response.text


def test_the_landing_page_is_the_dashboard_and_links_the_docs(client):
    response = client.get("/")
    assert response.headers["content-type"].startswith("text/html")
    assert 'href="/docs"' in response.text and "<title>astigd dashboard</title>" in response.text


def test_requests_carry_an_id_into_the_response_and_the_logs(client, caplog):
    caplog.set_level(logging.INFO, logger="astigd.http")
    response = client.get("/healthz", headers={"X-Request-ID": "collect-42"})
    assert response.headers["x-request-id"] == "collect-42"
    events = [record.msg for record in caplog.records if record.name == "astigd.http"]
    assert {"event": "request", "request_id": "collect-42", "status": 200}.items() <= events[
        -1
    ].items()
    fresh = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert len(fresh.headers["x-request-id"]) == 32


def test_operation_ids_are_tag_and_function(client):
    schema = client.get("/openapi.json").json()
    ids = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert {
        "fit-fit_upload",
        "measurements-list_measurements",
        "scopes-list_scopes",
        "health-readyz",
    } <= ids
    body = schema["paths"]["/api/v1/fit"]["post"]["requestBody"]["content"]
    assert {"application/octet-stream", "application/x-mrc", "image/tiff"} <= set(body)
