"""The scheduler dies mid-batch and a new one starts on the same address; the serving process dies mid-batch
and starts again; PostgreSQL restarts under load. Every unfinished job runs, nothing acknowledged is lost,
nothing completes twice."""

from __future__ import annotations

import signal
import time

from realprocs import SCHEDULER, figures


def _batch(svc, n, sleep_s=0.3):
    return [
        svc.create_proof(svc.default_user_id, "diagnostic", {"sleep_s": sleep_s, "value": i}, {"max_retries": 3})[
            "job_id"
        ]
        for i in range(n)
    ]


def _all_final(svc, ids):
    return all(j["status"] in ("completed", "failed") for j in map(svc.proofs.get_job, ids))


def test_a_new_scheduler_on_the_same_address_takes_over_and_every_job_runs(db_url, procs, audited, until):
    for name in ("w1", "w2"):
        procs.worker(name, nanny=False, supervised=True)
    svc = audited(db_url, procs.client)
    ids = _batch(svc, 20)
    until(lambda: sum(j["status"] == "completed" for j in map(svc.proofs.get_job, ids)) >= 3, timeout=60)
    procs.scheduler.send_signal(signal.SIGKILL)
    procs.scheduler.wait()
    t0 = time.monotonic()
    time.sleep(1.0)
    port = procs.address.rsplit(":", 1)[1]
    procs.scheduler = procs._start([*SCHEDULER, "--host", "127.0.0.1", "--port", port, "--no-dashboard"], "scheduler2")
    until(lambda: _all_final(svc, ids), timeout=180)
    report = figures(svc.engine, ids, f"scheduler SIGKILL + new one [{svc.engine.dialect.name}]", time.monotonic() - t0)
    assert report["lost"] == 0 and report["completed_twice"] == 0 and report["audited"] == report["completed"]
    assert report["completed"] == len(ids)
    # the runs the dead scheduler took with it were our crash, not the jobs': nothing is charged
    jobs = [svc.proofs.get_job(i) for i in ids]
    assert all(j["retry_count"] == 0 for j in jobs), [j for j in jobs if j["retry_count"]]
    assert all(a["outcome"] in ("completed", "interrupted") for i in ids for a in svc.jobs.attempts(i))
    # the service is connected to the new scheduler and keeps working
    later = _batch(svc, 2, 0)
    until(lambda: _all_final(svc, later), timeout=60)
    assert all(svc.proofs.get_job(i)["status"] == "completed" for i in later)
