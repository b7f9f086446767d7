"""`astigd worker`: a real Dask worker process that offers a CTF slot and warms up first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from distributed import Client, LocalCluster

from astigd.dask_cluster import CTF_RESOURCE

JOIN_TIMEOUT_S = 90.0
LOOPBACK = {"host": "127.0.0.1", "dashboard_address": ":0"}  # tcp: the worker is a process


def wait_for_workers(client: Client) -> dict:
    deadline = time.monotonic() + JOIN_TIMEOUT_S
    while time.monotonic() < deadline:
        if workers := client.scheduler_info()["workers"]:
            return workers
        time.sleep(0.2)
    raise AssertionError("the worker never joined")


def test_astigd_worker_joins_with_a_ctf_slot_after_the_warm_up_preload(tmp_path):
    log_path = tmp_path / "worker.log"
    with (
        LocalCluster(n_workers=0, processes=False, protocol="tcp", **LOOPBACK) as cluster,
        Client(cluster) as client,
        log_path.open("w") as log,
    ):
        command = [sys.executable, "-m", "astigd", "worker", cluster.scheduler_address,
                   "--slots", "2", "--no-nanny", "--dashboard-address", ":0"]  # fmt: skip
        worker = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            (info,) = wait_for_workers(client).values()
        finally:
            os.kill(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
    assert info["resources"] == {CTF_RESOURCE: 2} and info["nthreads"] == 1
    assert "Run preload setup: astigd.dask_cluster" in log_path.read_text()


def test_the_dask_side_imports_without_the_service_stack():
    code = ("import sys, astigd.dask_cluster, astigd.workers.pool; "
            "assert not {'fastapi', 'sqlalchemy', 'distributed'} & set(sys.modules)")  # fmt: skip
    subprocess.run([sys.executable, "-c", code], check=True)
