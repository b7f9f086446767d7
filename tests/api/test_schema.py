"""Schemathesis drives every operation from the OpenAPI schema: no input may cause a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks
from schemathesis.python import asgi

from astigd.app.core.config import Settings
from astigd.app.db import migrate
from astigd.app.db.engine import make_engine, make_session_factory
from astigd.app.db.keys import create_key
from astigd.app.main import create_app
from tests.api.conftest import make_settings
from tests.database import fresh_database

MAX_EXAMPLES = 25


def operations_and_modes() -> list[tuple[str, GenerationMode]]:
    """Return each operation with positive data, and with negative data if it takes input."""
    paths = create_app(Settings(database={"url": "sqlite://"})).openapi()["paths"]
    cases = []
    for path, methods in paths.items():
        for method, operation in methods.items():
            label = f"{method.upper()} {path}"
            cases.append((label, GenerationMode.POSITIVE))
            if operation.get("parameters") or operation.get("requestBody"):
                cases.append((label, GenerationMode.NEGATIVE))
    return cases


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """The schema of a running app on its own database, and an admin key for it."""
    folder = tmp_path_factory.mktemp("schema")
    with fresh_database(folder, "schema") as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        with make_session_factory(engine)() as session:
            key = create_key(session, ["admin"], name="schemathesis")
        engine.dispose()
        app = create_app(make_settings(url, folder, limits={"max_upload_bytes": 4_000_000}))
        try:
            yield schemathesis.openapi.from_asgi("/openapi.json", app), key
        finally:
            asgi.shutdown_lifespans()


@pytest.mark.parametrize(("label", "mode"), operations_and_modes())
def test_no_input_causes_a_server_error(api, label, mode):
    schema, key = api
    operation = schema.find_operation_by_label(label)
    auth = {"Authorization": f"Bearer {key}", "X-API-Key": key}
    excluded = []
    if label.endswith("/fit"):  # schema-valid bytes are rarely a frame: those get a 4xx
        excluded.append(checks.positive_data_acceptance)
    if mode is GenerationMode.NEGATIVE:  # a query string cannot tell [true] from true
        excluded.append(checks.negative_data_rejection)

    @given(case=operation.as_strategy(mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case):
        case.call_and_validate(headers=auth, excluded_checks=excluded)

    check()
