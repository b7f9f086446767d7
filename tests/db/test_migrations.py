"""Migrations run up and down on SQLite and PostgreSQL, and match the models exactly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from typer.testing import CliRunner

from astigd.app.db import migrate
from astigd.app.db.engine import make_engine
from astigd.app.db.models import Base
from astigd.cli import app
from tests.database import fresh_database

TABLES = {
    "scopes",
    "jobs",
    "job_events",
    "measurements",
    "stigmator_calibrations",
    "lens_sweeps",
    "lens_sweep_points",
    "magnification_profiles",
    "magnification_profile_points",
    "aniso_mag_calibrations",
    "pixel_size_calibrations",
    "api_keys",
    "optics_audit",
    "scope_leases",
    "btid_calibrations",
}


@pytest.fixture
def empty_url(tmp_path):
    with fresh_database(tmp_path, "migrations") as url:
        yield url


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def model_differences(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_migrations_create_every_table_and_match_the_models(empty_url):
    migrate.upgrade(empty_url)
    assert table_names(empty_url) == TABLES | {"alembic_version"}
    assert model_differences(empty_url) == []


def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(empty_url):
    migrate.upgrade(empty_url)
    migrate.downgrade(empty_url, "base")
    assert table_names(empty_url) == {"alembic_version"}
    migrate.upgrade(empty_url)
    assert table_names(empty_url) == TABLES | {"alembic_version"}


def test_schema_problem_names_a_database_without_schema_then_clears_at_head(empty_url):
    engine = make_engine(empty_url)
    try:
        assert "astigd db upgrade" in migrate.schema_problem(engine)
        migrate.upgrade(empty_url)
        assert migrate.schema_problem(engine) is None
        assert migrate.current_revisions(engine) == migrate.head_revisions()
    finally:
        engine.dispose()


def test_db_commands_upgrade_report_and_downgrade(empty_url, monkeypatch):
    monkeypatch.setenv("ASTIGD_DATABASE__URL", empty_url)
    runner = CliRunner()
    assert runner.invoke(app, ["db", "current"]).output.startswith("none")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    (head,) = migrate.head_revisions()
    assert runner.invoke(app, ["db", "current"]).output.strip() == f"{head} (head)"
    assert runner.invoke(app, ["db", "downgrade", "base"]).exit_code == 0
    assert table_names(empty_url) == {"alembic_version"}
