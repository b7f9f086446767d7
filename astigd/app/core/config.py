"""Service settings from the environment: `ASTIGD_` prefix, nested groups joined by `__`.

Examples: `ASTIGD_DATABASE__URL`, `ASTIGD_POOL__KIND=thread`, `ASTIGD_AUTH__ANONYMOUS_READ=true`,
`ASTIGD_LIMITS__MAX_UPLOAD_BYTES`, `ASTIGD_SERVER__PORT`, `ASTIGD_SCOPES_FILE`, `ASTIGD_DATA_DIR`,
`ASTIGD_POOL__SCHEDULER=tcp://host:8786`.
"""

from __future__ import annotations

import datetime as dt
import os
from datetime import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from astigd.drivers.simulator.config import LensStatistics
from astigd.fft_wisdom import DEFAULT_WARM_SHAPES

SQLITE_FILE_NAME = "astigd.sqlite"


def default_data_dir() -> Path:
    """Return where astigd keeps its data by default: $XDG_DATA_HOME/astigd or ~/.local/share."""
    base = os.environ.get("XDG_DATA_HOME")
    return (Path(base) if base else Path.home() / ".local" / "share") / "astigd"


def default_pool_workers() -> int:
    """Return the default number of fit processes: half the cores, at least one."""
    return max(1, (os.cpu_count() or 2) // 2)


class DatabaseSettings(BaseModel):
    """Where the database is; None means a SQLite file in the data directory."""

    url: str | None = None
    busy_timeout_ms: int = Field(5000, ge=0)


class PoolSettings(BaseModel):
    """The compute pool fits run in: local processes, threads (tests) or a Dask cluster.

    Setting `scheduler` (e.g. `ASTIGD_POOL__SCHEDULER=tcp://host:8786`) selects the Dask cluster.
    A fit (or other pool task) with no result after `fit_timeout_s` fails, so a job never waits
    forever on a pool with no worker left. Local workers plan the FFTs of `warm_frame_shapes`
    at start-up, with FFTW wisdom loaded from and saved to `fftw_wisdom` (default: the cache
    directory; Dask workers take both from `astigd worker` options).
    """

    kind: Literal["local", "thread", "dask"] = "local"
    workers: int = Field(default_factory=default_pool_workers, ge=1, le=256)
    scheduler: str | None = Field(None, min_length=1)
    warm_up: bool = True
    fit_timeout_s: float = Field(120.0, gt=0, le=86400)
    warm_frame_shapes: str = Field(DEFAULT_WARM_SHAPES, pattern=r"^\s*\d+x\d+(\s*,\s*\d+x\d+)*\s*$")
    fftw_wisdom: Path | None = None

    @model_validator(mode="after")
    def _dask_when_a_scheduler_is_set(self) -> PoolSettings:
        if self.scheduler:
            self.kind = "dask"
        elif self.kind == "dask":
            raise ValueError("pool.kind dask needs pool.scheduler (ASTIGD_POOL__SCHEDULER)")
        return self


class AuthSettings(BaseModel):
    """Who may do what without a key."""

    anonymous_read: bool = False
    # Seconds an accepted key is trusted without a database look-up (a revoked key works that long).
    key_cache_s: float = Field(5.0, ge=0.0, le=300.0)


class LimitsSettings(BaseModel):
    """Bounds on what clients may send."""

    max_upload_bytes: int = Field(256 * 1024 * 1024, ge=1024)


class ServerSettings(BaseModel):
    """Where `astigd serve` listens."""

    host: str = "127.0.0.1"
    port: int = Field(8040, ge=0, le=65535)


class SimulatorSettings(BaseModel):
    """The in-process simulated scope (driver `simulator`): seed, speed, frame size and lens."""

    seed: int = Field(0, ge=0)
    time_scale: float = Field(1.0, ge=0.0)  # real s per simulated s; 0 makes waits instant
    frame_px: int = Field(1024, ge=64, le=4096)
    lens: LensStatistics = Field(default_factory=LensStatistics)  # what the lens is drawn from
    specimen: Literal["carbon", "ice", "blank", "gold"] = "carbon"  # gold: for calibrations
    specimen_area: Literal["fresh", "fixed"] = "fresh"  # fixed: one area until the stage moves
    date: dt.date | None = None  # the simulated day (the lens drifts day to day); None: today, UTC


class JobsSettings(BaseModel):
    """The job runner: scope lease, subscriber queues and the daily acceptance schedule."""

    lease_ttl_s: float = Field(30.0, gt=0.5, le=3600.0)  # renewed every third of it
    subscriber_queue_size: int = Field(256, ge=1, le=100_000)
    acceptance_daily_utc: dict[str, time] = {}  # scope id -> "HH:MM" (UTC)
    # scope id -> its scheduled acceptance's parameters (collection mag_index, defocus range...)
    acceptance_params: dict[str, dict[str, Any]] = {}
    schedule_poll_s: float = Field(30.0, gt=0.0, le=3600.0)


class CalibrationSettings(BaseModel):
    """When stored calibrations may steer the optics (dynamic compensation, advice, plans)."""

    max_age_h: float = Field(24.0, gt=0.0, le=24.0 * 365)  # older ones are refused as stale


class Settings(BaseSettings):
    """Everything the service is configured with."""

    model_config = SettingsConfigDict(
        env_prefix="ASTIGD_", env_nested_delimiter="__", extra="ignore"
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    database: DatabaseSettings = DatabaseSettings()
    pool: PoolSettings = Field(default_factory=PoolSettings)
    auth: AuthSettings = AuthSettings()
    limits: LimitsSettings = LimitsSettings()
    server: ServerSettings = ServerSettings()
    simulator: SimulatorSettings = SimulatorSettings()
    jobs: JobsSettings = JobsSettings()
    calibration: CalibrationSettings = CalibrationSettings()
    scopes_file: Path | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @model_validator(mode="after")
    def _default_database_url(self) -> Settings:
        if self.database.url is None:
            url = f"sqlite:///{self.data_dir.expanduser() / SQLITE_FILE_NAME}"
            self.database = self.database.model_copy(update={"url": url})
        return self

    @property
    def database_url(self) -> str:
        """Return the database URL (always set after validation)."""
        assert self.database.url is not None
        return self.database.url
