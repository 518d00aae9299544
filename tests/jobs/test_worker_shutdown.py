"""Graceful worker shutdown, on real `dask scheduler` / `dask worker --preload zapiki.jobs.preload` processes:
a worker told to stop (SIGTERM, SIGINT, a retirement) takes no new job, finishes the one it runs (one run, no
retry charged), hands back what it holds but has not started, prints the seed's lines and exits 0. A second
signal stops it at once; the job then runs again elsewhere and is charged, as for a crash."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest
from realprocs import FINAL, Cluster, audit_completions, figures

from zapiki.service import ZapikiService


@pytest.fixture
def cluster(tmp_path, free_port):
    c = Cluster(tmp_path, free_port())
    yield c
    c.close()


@pytest.fixture
def service(sqlite_url, settings, cluster):
    svc = ZapikiService.open(sqlite_url, cluster.client, settings)
    audit_completions(svc.engine)
    yield svc
    svc.close()


def _job(svc, data, **options):
    return svc.create_proof(svc.default_user_id, "diagnostic", data, options)["job_id"]


def _final(svc, until, job_id, timeout=60.0):
    return until(lambda: (j := svc.proofs.get_job(job_id))["status"] in FINAL and j, timeout=timeout)


def _running_on(svc, until, job_id):
    """The job once its worker announced the run (runs == 1)."""
    return until(lambda: (j := svc.proofs.get_job(job_id))["runs"] >= 1 and j["worker"] and j, timeout=60)


def _log(proc) -> str:
    return proc.log_path.read_text(errors="replace")


def _exit_code(proc, timeout=60.0) -> int:
    return proc.wait(timeout=timeout)


@pytest.mark.parametrize("nanny", [True, False], ids=["nanny", "no-nanny"])
def test_sigterm_lets_the_running_job_finish_once_and_hands_back_the_waiting_one(cluster, service, until, nanny):
    w1 = cluster.worker("w1", nanny=nanny)
    log = _log(w1)
    assert "Registered commitment proof system" in log and "Registered diagnostic proof system" in log
    assert "Starting worker with 1 concurrent processors" in log

    running = _job(service, {"sleep_s": 4, "value": "finishes"})
    _running_on(service, until, running)
    waiting = _job(service, {"value": "handed back"})  # the in-flight buffer sends it to w1, behind the first
    w1_address = cluster.address_of("w1")
    until(lambda: len(cluster.client.processing().get(w1_address, ())) == 2, timeout=30)

    t0 = time.monotonic()
    w1.send_signal(signal.SIGTERM)
    until(lambda: "Shutting down worker..." in _log(w1), timeout=10)
    # the waiting job comes back to pending, uncharged, while the running one still runs
    back = until(lambda: (j := service.proofs.get_job(waiting))["status"] == "pending" and j, timeout=10)
    assert back["retry_count"] == 0 and back["runs"] == 0 and back["started_at"] is None
    assert service.proofs.get_job(running)["status"] == "processing"

    assert _exit_code(w1) == 0
    stopped_after = time.monotonic() - t0
    done = service.proofs.get_job(running)
    assert done["status"] == "completed", done
    assert done["runs"] == 1 and done["retry_count"] == 0
    log = _log(w1)
    assert log.index("Shutting down worker...") < log.index("Proof generation completed") < log.index("Worker stopped")
    assert stopped_after > 1.0  # it waited for the job rather than leaving at once

    cluster.worker("w2", nanny=nanny)
    later = _final(service, until, waiting)
    assert later["status"] == "completed" and later["runs"] == 1 and later["retry_count"] == 0
    assert later["worker"] == cluster.address_of("w2")
    report = figures(
        service.engine,
        [running, waiting],
        f"worker SIGTERM mid-job ({'nanny' if nanny else 'no nanny'})",
        stopped_after,
    )
    assert report["completed_twice"] == 0 and report["audited"] == 2 and report["max_runs"] == 1


def test_ctrl_c_to_the_whole_process_group_drains_too(cluster, service, until):
    # a terminal's Ctrl-C sends SIGINT to the nanny, the worker and the isolated prover alike
    w1 = cluster.worker("w1", start_new_session=True)
    job = _job(service, {"sleep_s": 3, "value": "ctrl-c"})
    _running_on(service, until, job)
    os.killpg(w1.pid, signal.SIGINT)
    assert _exit_code(w1) == 0
    done = service.proofs.get_job(job)
    assert done["status"] == "completed" and done["runs"] == 1 and done["retry_count"] == 0
    assert "Worker stopped" in _log(w1)


def test_a_second_signal_stops_at_once_and_the_job_is_charged_as_for_a_crash(cluster, service, until):
    w1 = cluster.worker("w1", nanny=False)
    job = _job(service, {"sleep_s": 30, "value": "interrupted"}, max_retries=2)
    _running_on(service, until, job)
    w1.send_signal(signal.SIGTERM)
    until(lambda: "Shutting down worker..." in _log(w1), timeout=10)
    t0 = time.monotonic()
    w1.send_signal(signal.SIGTERM)
    assert _exit_code(w1, timeout=10) == 1
    assert time.monotonic() - t0 < 5

    cluster.worker("w2", nanny=False)
    # the attempt is re-run on w2 and that second run is charged; shorten it by cancelling nothing: wait it out
    again = until(lambda: (j := service.proofs.get_job(job))["runs"] >= 2 and j, timeout=60)
    assert again["retry_count"] == 1 and again["worker"] == cluster.address_of("w2")


def test_retiring_a_worker_drains_it_first(cluster, service, until):
    cluster.worker("w1")
    cluster.worker("w2")
    job = _job(service, {"sleep_s": 3, "value": "retired"})
    worker = _running_on(service, until, job)["worker"]
    t0 = time.monotonic()
    retired = cluster.client.retire_workers([worker], close_workers=True)
    assert worker in retired
    assert time.monotonic() - t0 > 1.0  # the retirement waited for the job
    done = _final(service, until, job)
    assert done["status"] == "completed" and done["runs"] == 1 and done["retry_count"] == 0
    assert done["worker"] == worker


def test_make_run_worker_drains_on_sigterm_and_does_not_restart(cluster, service, until):
    root = Path(__file__).resolve().parents[2]
    make = cluster._start(["make", "-s", "run-worker", f"SCHEDULER={cluster.address}"], "make", cwd=root)
    cluster.client.wait_for_workers(1, timeout=120)
    log = _log(make)
    assert "Registered groth16 proof system" in log and "Starting worker with" in log
    job = _job(service, {"sleep_s": 3, "value": "make"})
    _running_on(service, until, job)
    make.send_signal(signal.SIGTERM)  # make passes it on to its recipe, `zapiki worker`
    make.wait(timeout=60)
    done = service.proofs.get_job(job)
    assert done["status"] == "completed" and done["runs"] == 1 and done["retry_count"] == 0
    log = _log(make)
    assert "Shutting down worker..." in log and "Worker stopped" in log and "restarting" not in log
    until(lambda: not cluster.client.scheduler_info()["workers"], timeout=10)


def test_the_supervisor_restarts_a_worker_that_died(cluster, service, until):
    supervisor = cluster._start(
        [sys.executable, "-m", "zapiki.cli", "worker", cluster.address, "--nthreads", "1", "--no-nanny"], "sup"
    )
    cluster.client.wait_for_workers(1, timeout=60)
    pid = next(iter(cluster.client.run(os.getpid).values()))
    os.kill(pid, signal.SIGKILL)
    until(lambda: "restarting in 2 s" in _log(supervisor), timeout=20)
    until(lambda: set(cluster.client.run(os.getpid).values()) - {pid}, timeout=60)
    job = _job(service, {"value": "after restart"})
    assert _final(service, until, job)["status"] == "completed"
    supervisor.send_signal(signal.SIGINT)
    assert supervisor.wait(timeout=60) == 0


def test_an_adaptive_clusters_scale_down_drains_the_worker_it_removes(sqlite_url, settings, until):
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, preload=["zapiki.jobs.preload"]
        ) as lc,
        Client(lc) as client,
    ):
        client.wait_for_workers(2)
        svc = ZapikiService.open(sqlite_url, client, settings)
        try:
            jobs = [_job(svc, {"sleep_s": 4, "value": i}) for i in range(2)]
            for job in jobs:
                _running_on(svc, until, job)
            t0 = time.monotonic()
            lc.scale(1)  # what an adaptive cluster does when it scales down
            until(lambda: len(client.scheduler_info()["workers"]) == 1, timeout=60)
            assert time.monotonic() - t0 > 1.0  # the removed worker finished its job first
            for job in jobs:
                done = _final(svc, until, job)
                assert done["status"] == "completed" and done["runs"] == 1 and done["retry_count"] == 0, done
        finally:
            svc.close()
