"""The service's compute pool, chosen from the settings: local processes, threads or Dask.

The choice lives in the app, not in `workers/`, because a Dask pool connects to a scheduler over
the network and `workers/` holds only pure numerics without I/O.
"""

from __future__ import annotations

from astigd.app.core.config import PoolSettings
from astigd.fft_wisdom import parse_frame_shapes
from astigd.workers.pool import FitPool, create_executor

LOCAL_STALL = "the local fit processes are stuck or gone"


def create_pool(settings: PoolSettings) -> FitPool:
    """Return a new pool for these settings (a Dask client executor when a scheduler is set)."""
    if settings.scheduler:
        from astigd.dask_cluster import DaskPool

        dask = DaskPool(settings.scheduler)
        return FitPool(dask, settings.fit_timeout_s, dask.ctf_workers, dask.stall_hint)
    assert settings.kind != "dask"  # the settings refuse dask without a scheduler
    shapes = parse_frame_shapes(settings.warm_frame_shapes)
    executor = create_executor(
        settings.kind, settings.workers, settings.warm_up, shapes, settings.fftw_wisdom
    )
    return FitPool(executor, settings.fit_timeout_s, lambda: settings.workers, LOCAL_STALL)
