"""Nothing is lost when a process dies: the dispatching process (SIGKILL, then a new one starts) or a worker
(SIGKILL mid-job). Scheduler and workers here are plain `dask scheduler` / `dask worker` processes."""

import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import replace

import pytest

from zapiki.service import ZapikiService

DASK = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
WORKER = [sys.executable, "-m", "distributed.cli.dask_worker"]


@pytest.fixture
def dask_cluster(tmp_path, free_port):
    """A scheduler and two single-thread workers without nannies (so SIGKILL really kills the worker)."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "ZAPIKI_DIAGNOSTICS": "1", "ZAPIKI_WARMUP": "0"}  # no kernel compiling competing for CPU
    procs = [
        subprocess.Popen(
            [*DASK, "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / "scheduler.log", "wb"),
        )
    ]
    workers = []
    for i in range(2):
        p = subprocess.Popen(
            [
                *WORKER,
                address,
                "--nthreads",
                "1",
                "--no-nanny",
                "--no-dashboard",
                "--name",
                f"w{i}",
                "--preload",
                "zapiki.jobs.preload",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / f"worker{i}.log", "wb"),
        )
        procs.append(p)
        workers.append(p)
    from distributed import Client

    client = Client(address, timeout=60)
    client.wait_for_workers(2, timeout=60)
    pids = client.run(os.getpid)  # {worker address: pid}
    yield client, address, pids
    client.close()
    for p in procs:
        p.kill()
        p.wait()


def test_a_worker_killed_mid_job_loses_nothing(sqlite_url, settings, dask_cluster, until, tmp_path):
    client, _, pids = dask_cluster
    svc = ZapikiService.open(sqlite_url, client, settings)
    try:
        out = svc.create_proof(
            svc.default_user_id, "diagnostic", {"sleep_s": 4, "value": "survivor"}, {"max_retries": 2}
        )
        running = until(lambda: (j := svc.proofs.get_job(out["job_id"]))["worker"] and j, timeout=30)
        victim = running["worker"]
        os.kill(pids[victim], signal.SIGKILL)
        job = until(
            lambda: (j := svc.proofs.get_job(out["job_id"]))["status"] in ("completed", "failed") and j, timeout=60
        )
        assert job["status"] == "completed"
        assert job["worker"] != victim
        assert job["runs"] == 2 and job["retry_count"] == 1  # the re-run was counted against the budget
        assert svc.proofs.get_proof(out["proof_id"])["proof_data"]["value"] == "survivor"
        logs = "".join(p.read_text() for p in tmp_path.glob("worker*.log"))
        assert logs.count(f"Processing proof generation: {out['proof_id']} (system: diagnostic)") == 2
        assert f"Proof generation completed: {out['proof_id']} (took " in logs
    finally:
        svc.close()


def test_reruns_beyond_the_budget_fail_the_job(sqlite_url, settings, dask_cluster, until):
    client, _, pids = dask_cluster
    svc = ZapikiService.open(sqlite_url, client, settings)
    try:
        out = svc.create_proof(svc.default_user_id, "diagnostic", {"sleep_s": 30}, {"max_retries": 0})
        running = until(lambda: (j := svc.proofs.get_job(out["job_id"]))["worker"] and j, timeout=30)
        os.kill(pids[running["worker"]], signal.SIGKILL)
        job = until(
            lambda: (j := svc.proofs.get_job(out["job_id"]))["status"] in ("completed", "failed") and j, timeout=60
        )
        assert job["status"] == "failed" and "budget" in job["error_message"]
    finally:
        svc.close()


DISPATCHER = textwrap.dedent(
    """
    import sys, time
    from dataclasses import replace
    from distributed import Client
    from zapiki.config import Settings
    from zapiki.service import ZapikiService
    settings = replace(Settings.load(env={}), lease_s=2.0)
    svc = ZapikiService.open(sys.argv[1], Client(sys.argv[2]), settings)
    svc.submit_many(svc.default_user_id, "diagnostic", [{"sleep_s": 0.5, "value": i} for i in range(8)], {})
    print("submitted", flush=True)
    time.sleep(3600)
    """
)


def test_a_killed_dispatcher_is_replaced_and_every_job_completes_once(db_url, settings, dask_cluster, until):
    client, address, _ = dask_cluster
    proc = subprocess.Popen([sys.executable, "-c", DISPATCHER, db_url, address], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"submitted"
        reader = ZapikiService.open(db_url, dispatch=False)
        until(lambda: reader.proofs.count_jobs().get("processing", 0) >= 1, timeout=30)
        proc.kill()  # SIGKILL: no clean-up, its running jobs keep their (expiring) leases
        proc.wait()
        counts = reader.proofs.count_jobs()
        assert counts.get("completed", 0) < 8 and counts.get("processing", 0) >= 1
        reader.close()
        svc = ZapikiService.open(db_url, client, replace(settings, lease_s=2.0))
        try:
            until(lambda: svc.proofs.count_jobs() == {"completed": 8}, timeout=60)
            jobs = svc.proofs.list_jobs(None, limit=None)
            assert sorted(svc.proofs.get_proof(j["proof_id"])["proof_data"]["value"] for j in jobs) == list(range(8))
            assert all(j["retry_count"] == 0 for j in jobs)  # a dispatcher's death is not the job's failure
        finally:
            svc.close()
    finally:
        proc.kill()
