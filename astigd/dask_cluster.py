"""Fits on a Dask `distributed` cluster: the service's executor and the workers' preload.

It sits beside `fft_wisdom.py` rather than in `workers/` or `app/`. `workers/` is pure numerics
with no I/O, and a Dask client holds network connections to a scheduler. The worker side
(`astigd worker`, or `dask worker --preload astigd.dask_cluster`) must import without the
service's web and database stack, so it cannot live in `app/` either. The service picks its pool
in `astigd.app.core.pool`.

Each fit asks for one `ctf` resource slot, so fits only run on workers started with that tag
and never more at once than the slots a worker declares. Fits are pure and idempotent: when a
worker dies, the scheduler reruns its tasks elsewhere (up to `distributed.scheduler.
allowed-failures` times, then the fit fails with `KilledWorker`). Fits that raise are not
retried, since the same frame raises again. When no worker with a CTF slot is left, a fit waits
in the scheduler; the pool's fit timeout (`ASTIGD_POOL__FIT_TIMEOUT_S`, in `workers.pool.FitPool`)
then cancels it and raises `FitTimeoutError`, which fails the job and restores the scope. Optics
are never moved from a compute task; only the control process drives a scope.

Frames travel inside their task rather than being scattered to a worker first: a scattered frame
dies with its worker and its fit could not be rerun. A 4096² frame is 32–64 MiB, above Dask's
10 MB "large graph" warning, so the pool raises that threshold for the process.
"""

from __future__ import annotations

from concurrent.futures import Executor, Future
from typing import Any

CTF_RESOURCE = "ctf"
CONNECT_TIMEOUT_S = 20.0
SCHEDULER_QUERY_S = 2.0
LARGE_TASK_WARNING = "1GiB"  # frames are meant to travel with their fit


class PoolUnavailableError(RuntimeError):
    """A Dask pool that cannot be created: no `distributed` package or no scheduler."""


class DaskPool(Executor):
    """A `Client.get_executor` that owns its client: each fit takes one CTF slot."""

    def __init__(self, scheduler: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        try:
            import dask.config
            from distributed import Client
        except ImportError:
            raise PoolUnavailableError(
                "a Dask pool needs the `distributed` package: pip install 'astigd[dask]'"
            ) from None
        dask.config.set({"distributed.admin.large-graph-warning-threshold": LARGE_TASK_WARNING})
        try:
            self.client = Client(scheduler, timeout=timeout_s, set_as_default=False)
        except OSError as error:
            raise PoolUnavailableError(
                f"cannot reach the Dask scheduler at {scheduler}: {error}"
            ) from None
        # pure=False: every fit is its own task, and frames are not hashed to name it.
        self._executor = self.client.get_executor(resources={CTF_RESOURCE: 1}, pure=False)

    @property
    def stall_hint(self) -> str:
        """Return what a fit that never finishes most likely means."""
        address = self.client.scheduler.address
        return f"is any worker with a `{CTF_RESOURCE}` resource connected to {address}?"

    def ctf_workers(self) -> int | None:
        """Return how many running workers offer CTF slots (None if the scheduler is silent)."""
        try:
            info = self.client.sync(
                self.client.scheduler.identity, n_workers=-1, callback_timeout=SCHEDULER_QUERY_S
            )
        except (OSError, TimeoutError):
            return None
        workers = info.get("workers", {}).values()
        return sum(1 for w in workers if w.get("resources", {}).get(CTF_RESOURCE))

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future:
        """Run `fn(*args, **kwargs)` on a worker with a free CTF slot."""
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Wait for (or cancel) the submitted fits, then close the client."""
        self._executor.shutdown(wait=wait and not cancel_futures)
        self.client.close()


def worker_arguments(scheduler: str, nthreads: int, slots: int, name: str | None) -> list[str]:
    """Return the `dask worker` arguments of an astigd worker (after the program name)."""
    arguments = [scheduler, "--nthreads", str(nthreads), "--resources", f"{CTF_RESOURCE}={slots}"]
    arguments += ["--preload", __name__]
    return arguments + (["--name", name] if name else [])


def dask_setup(worker: Any) -> None:
    """Warm a starting worker (Dask's preload hook): plan real frames' FFTs, keep the wisdom.

    The frame shapes and the wisdom file come from $ASTIGD_WARM_FRAME_SHAPES and
    $ASTIGD_FFTW_WISDOM (`astigd worker --warm-shapes/--wisdom` set them), see `fft_wisdom`.
    """
    from astigd.workers.pool import warm_worker

    warm_worker()
