"""Migrations run up and down on SQLite and PostgreSQL, and match the models exactly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
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
    "pixel_size_checks",
}


@pytest.fixture
def empty_url(tmp_path):
    with fresh_database(tmp_path, "migrations") as url:
        yield url


@contextmanager
def disposing(engine: Engine) -> Iterator[Engine]:
    """Yield the engine and dispose of it afterwards."""
    try:
        yield engine
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    with disposing(make_engine(url)) as engine:
        return set(inspect(engine).get_table_names())


def model_differences(url: str) -> list:
    with disposing(make_engine(url)) as engine, engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


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
    with disposing(make_engine(empty_url)) as engine:
        assert "astigd db upgrade" in migrate.schema_problem(engine)
        migrate.upgrade(empty_url)
        assert migrate.schema_problem(engine) is None
        assert migrate.current_revisions(engine) == migrate.head_revisions()


def test_db_commands_upgrade_report_and_downgrade(empty_url, monkeypatch):
    monkeypatch.setenv("ASTIGD_DATABASE__URL", empty_url)
    runner = CliRunner()
    assert runner.invoke(app, ["db", "current"]).output.startswith("none")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    (head,) = migrate.head_revisions()
    assert runner.invoke(app, ["db", "current"]).output.strip() == f"{head} (head)"
    assert runner.invoke(app, ["db", "downgrade", "base"]).exit_code == 0
    assert table_names(empty_url) == {"alembic_version"}


AT = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
POINT_0005 = {"astig_rmsd_nm", "fitted_defocus_nm", "defocus_rmsd_nm", "n_frames", "n_rejected",
              "reemerged_x_nm", "reemerged_y_nm", "direct_correction"}  # fmt: skip


def column_names(url: str, table: str) -> set[str]:
    with disposing(make_engine(url)) as engine:
        return {column["name"] for column in inspect(engine).get_columns(table)}


def add_profile_point(url: str) -> None:
    """Write a scope, a profile and one point with the columns every revision has."""
    with disposing(make_engine(url)) as engine, engine.begin() as connection:
        connection.execute(
            text("INSERT INTO scopes (id, driver, registered_at, seen_at) "
                 "VALUES ('s', 'simulator', :at, :at)"), {"at": AT}
        )  # fmt: skip
        connection.execute(text(
            "INSERT INTO magnification_profiles (id, scope_id, ht_kv, probe_mode_or_alpha,"
            " defocus_nm, n_points, created_at) VALUES (1, 's', 300, 'none', 1500, 1,"
            " :at)"
        ), {"at": AT})  # fmt: skip
        connection.execute(text(
            "INSERT INTO magnification_profile_points (profile_id, mag_index, astig_x_nm,"
            " astig_y_nm) VALUES (1, 5, 3.0, 4.0)"
        ))  # fmt: skip


def profile_points(url: str) -> list[tuple]:
    with disposing(make_engine(url)) as engine, engine.connect() as connection:
        query = "SELECT mag_index, astig_x_nm, astig_y_nm FROM magnification_profile_points"
        return [tuple(row) for row in connection.execute(text(query))]


def test_0005_adds_the_statistics_and_the_checks_and_keeps_older_rows_both_ways(empty_url):
    migrate.upgrade(empty_url, "0004")
    add_profile_point(empty_url)
    migrate.upgrade(empty_url, "0005")
    assert column_names(empty_url, "magnification_profile_points") >= POINT_0005
    assert "angle_uncertainty_deg" in column_names(empty_url, "aniso_mag_calibrations")
    assert "pixel_size_checks" in table_names(empty_url)
    assert profile_points(empty_url) == [(5, 3.0, 4.0)]
    migrate.downgrade(empty_url, "0004")
    assert not POINT_0005 & column_names(empty_url, "magnification_profile_points")
    assert "angle_uncertainty_deg" not in column_names(empty_url, "aniso_mag_calibrations")
    assert "pixel_size_checks" not in table_names(empty_url)
    assert profile_points(empty_url) == [(5, 3.0, 4.0)]
