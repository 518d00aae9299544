"""Workers that die: killed with SIGKILL again and again during a batch, or handed a job that never ends."""

from __future__ import annotations

import os
import random
import signal
import time

from realprocs import Cluster, figures

MAX_RETRIES = 3


def test_workers_killed_again_and_again_lose_nothing_and_complete_nothing_twice(db_url, procs, audited, until):
    for name in ("w1", "w2"):
        procs.worker(name, nanny=False, supervised=True)  # restarted by `zapiki worker`, as `make run-worker` does
    svc = audited(db_url, procs.client)
    ids = [
        svc.create_proof(svc.default_user_id, "diagnostic", {"sleep_s": 0.4, "value": i}, {"max_retries": MAX_RETRIES})[
            "job_id"
        ]
        for i in range(24)
    ]
    rng = random.Random(7)
    kills = 0
    for _ in range(5):
        time.sleep(1.2)
        pids = procs.client.run(os.getpid)
        if pids:
            os.kill(rng.choice(sorted(pids.values())), signal.SIGKILL)
            kills += 1
    t0 = time.monotonic()
    until(lambda: all(j["status"] in ("completed", "failed") for j in map(svc.proofs.get_job, ids)), timeout=180)
    report = figures(
        svc.engine, ids, f"worker SIGKILL x{kills} during a batch [{svc.engine.dialect.name}]", time.monotonic() - t0
    )
    assert report["lost"] == 0 and report["completed_twice"] == 0 and report["audited"] == report["completed"]
    jobs = [svc.proofs.get_job(i) for i in ids]
    for job in jobs:
        assert job["runs"] <= 1 + MAX_RETRIES, job
        # every run after the first was a crash, charged to the budget
        assert job["retry_count"] == job["runs"] - 1, job
        if job["status"] == "failed":
            assert job["retry_count"] == MAX_RETRIES, job
    assert any(j["runs"] > 1 for j in jobs), "no kill hit a running job: the test proved nothing"
    assert report["completed"] == len(ids) - report["failed"]


def test_a_job_that_never_ends_is_stopped_at_its_timeout_and_its_slot_is_free_at_once(sqlite_url, procs, audited):
    procs.worker("w1", nanny=False)
    svc = audited(sqlite_url, procs.client)
    hung = svc.create_proof(svc.default_user_id, "diagnostic", {"sleep_s": 10_000}, {"timeout_s": 3, "max_retries": 0})[
        "job_id"
    ]
    until_started = time.monotonic() + 60
    while svc.proofs.get_job(hung)["runs"] < 1:
        assert time.monotonic() < until_started
        time.sleep(0.05)
    started = time.monotonic()
    after = svc.create_proof(svc.default_user_id, "diagnostic", {"value": "next"}, {})["job_id"]
    while svc.proofs.get_job(hung)["status"] != "failed":
        assert time.monotonic() - started < 3 + 5, "not stopped within 5 s of its timeout"
        time.sleep(0.05)
    stopped = time.monotonic() - started
    job = svc.proofs.get_job(hung)
    assert job["error_message"] == "timeout"
    while svc.proofs.get_job(after)["status"] != "completed":
        assert time.monotonic() - started < stopped + 5, "the worker's slot was not free at once"
        time.sleep(0.05)
    figures(svc.engine, [hung, after], "a job that hangs forever (timeout 3 s)", stopped)


def test_an_attempt_queued_on_a_worker_that_dies_before_running_it_costs_nothing(
    db_url, tmp_path, free_port, audited, until
):
    """The exact interleaving behind a retry charged for a run that never happened: attempt B waits on a
    one-thread worker behind attempt A; the worker dies; Dask (allowed-failures 0 here, 3 by default, reached
    after as many deaths) gives up on both with KilledWorker. A ran and is charged; B never ran and is not: it
    runs later as its job's first and only run, even with no retry to spare."""
    procs = Cluster(tmp_path, free_port(), scheduler_env={"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"})
    try:
        w1 = procs.worker("w1", nanny=False)
        svc = audited(db_url, procs.client)
        no_retry = {"max_retries": 0}
        running = svc.create_proof(svc.default_user_id, "diagnostic", {"sleep_s": 10_000}, no_retry)["job_id"]
        until(lambda: svc.proofs.get_job(running)["runs"] == 1, timeout=60)
        queued = svc.create_proof(svc.default_user_id, "diagnostic", {"value": "queued"}, no_retry)["job_id"]
        address = procs.address_of("w1")
        # the order is forced: both attempts are on w1, the second waiting behind the first, which never ends
        until(lambda: len(procs.client.processing().get(address, ())) == 2, timeout=60)
        assert svc.proofs.get_job(queued)["runs"] == 0
        w1.send_signal(signal.SIGKILL)
        w1.wait()
        procs.worker("w2", nanny=False)
        until(lambda: svc.proofs.get_job(queued)["status"] in ("completed", "failed"), timeout=60)
        job = svc.proofs.get_job(queued)
        assert (job["status"], job["runs"], job["retry_count"]) == ("completed", 1, 0), job
        assert [a["outcome"] for a in svc.jobs.attempts(queued)] == ["completed"]
        until(lambda: svc.proofs.get_job(running)["status"] == "failed", timeout=30)
        job = svc.proofs.get_job(running)
        # its one run ended with its worker: charged, and with no retry left the job failed
        assert (job["runs"], job["retry_count"]) == (1, 0), job
        assert "KilledWorker" in job["error_message"], job
    finally:
        procs.close()
