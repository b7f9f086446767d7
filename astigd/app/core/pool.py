"""The service's compute pool, chosen from the settings: local processes, threads or Dask.

The choice lives in the app, not in `workers/`, because a Dask pool connects to a scheduler over
the network and `workers/` holds only pure numerics without I/O.
"""

from __future__ import annotations

from concurrent.futures import Executor

from astigd.app.core.config import PoolSettings
from astigd.workers.pool import create_executor


def create_pool(settings: PoolSettings) -> Executor:
    """Return a new pool for these settings (a Dask client executor when a scheduler is set)."""
    if settings.scheduler:
        from astigd.dask_cluster import DaskPool

        return DaskPool(settings.scheduler)
    assert settings.kind != "dask"  # the settings refuse dask without a scheduler
    return create_executor(settings.kind, settings.workers, settings.warm_up)
