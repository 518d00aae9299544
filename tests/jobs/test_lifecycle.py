"""The job lifecycle on a real Dask cluster and a real database (SQLite and PostgreSQL)."""

import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from zapiki.errors import InputError
from zapiki.store.models import Job, utcnow

FINAL = ("completed", "failed", "cancelled")


def _ts(value):
    return datetime.fromisoformat(value)


def _row(svc, token=None, job_id=None):
    """A job's row straight from the database, by its running attempt's token or by id."""
    with svc.sessions() as s:
        query = select(Job).where(Job.attempt_token == token) if token else select(Job).where(Job.id == job_id)
        return s.scalars(query).one()


def test_sync_commitment_is_stored_without_a_job(db_url, make_service):
    svc = make_service(db_url)
    proof = svc.create_proof(svc.default_user_id, "commitment", "now")
    assert proof["status"] == "completed"
    assert svc.proofs.get_proof(proof["id"])["proof_data"] == proof["proof_data"]
    assert svc.proofs.job_for_proof(proof["id"]) is None


def test_async_commitment_moves_pending_processing_completed(db_url, make_service, until):
    svc = make_service(db_url)
    out = svc.create_proof(svc.default_user_id, "commitment", "later", {"async": True})
    assert out["status"] == "pending" and set(out) == {"proof_id", "job_id", "status"}
    job = until(lambda: (j := svc.proofs.get_job(out["job_id"]))["status"] in FINAL and j)
    assert job["status"] == "completed"
    assert _ts(job["created_at"]) <= _ts(job["started_at"]) <= _ts(job["completed_at"])
    assert job["runs"] == 1 and job["retry_count"] == 0 and job["worker"].startswith("tcp://")
    proof = svc.proofs.get_proof(out["proof_id"])
    assert proof["status"] == "completed" and proof["generation_time_ms"] >= 0
    assert svc.verify("commitment", proof["proof_data"], proof["public_inputs"], proof["verification_key"])


def test_async_only_systems_always_become_jobs(db_url, make_service, until):
    svc = make_service(db_url)
    out = svc.create_proof(svc.default_user_id, "diagnostic", {"value": 1}, {"async": False})
    assert out["status"] == "pending"
    until(lambda: svc.proofs.get_job(out["job_id"])["status"] == "completed")


def test_isolated_provers_are_handed_no_secret_while_the_worker_signs_commitments(db_url, make_service, until):
    svc = make_service(db_url)
    signed = svc.create_proof(svc.default_user_id, "commitment", "signed on a worker", {"async": True})
    isolated = svc.create_proof(svc.default_user_id, "diagnostic", {"value": "isolated"})
    for out in (signed, isolated):
        until(lambda out=out: svc.proofs.get_job(out["job_id"])["status"] == "completed")
    proof = svc.proofs.get_proof(signed["proof_id"])
    assert svc.verify("commitment", proof["proof_data"], proof["public_inputs"], proof["verification_key"])
    # the isolated child (where a circuit's wasm runs) saw no secret at all
    assert svc.proofs.get_proof(isolated["proof_id"])["proof_data"]["secrets"] == []


def test_many_fast_jobs_each_keep_their_own_row(db_url, make_service, until):
    svc = make_service(db_url)
    ids = svc.submit_many(svc.default_user_id, "commitment", [f"item-{i}" for i in range(1200)], {"priority": "low"})
    until(lambda: svc.proofs.count_jobs() == {"completed": 1200}, timeout=60)
    jobs = svc.proofs.list_jobs(None, limit=None)
    assert {j["id"] for j in jobs} == {job_id for _, job_id in ids}
    assert {(j["runs"], j["retry_count"]) for j in jobs} == {(1, 0)}  # each ran once, in its batch
    proofs = {p["id"]: p for p in svc.proofs.list_proofs(None, limit=None)}
    assert set(proofs) == {proof_id for proof_id, _ in ids}
    assert len({p["proof_data"]["commitment"] for p in proofs.values()}) == 1200
    for proof_id, _ in ids[:: len(ids) // 10]:
        p = proofs[proof_id]
        assert svc.verify("commitment", p["proof_data"], p["public_inputs"], p["verification_key"])
    # 1200 jobs went out in a handful of batched tasks, not 1200 tasks
    assert svc.dispatcher.dispatched <= 12


def test_bad_input_is_rejected_before_anything_is_written(db_url, make_service):
    svc = make_service(db_url)
    with pytest.raises(InputError):
        svc.submit_many(svc.default_user_id, "commitment", ["ok", {"x": float("nan")}], {"data_type": "json"})
    assert svc.proofs.count_jobs() == {}
    for options in ({"priority": "urgent"}, {"timeout_s": 10_000}, {"max_retries": -1}, {"async": "yes"}):
        with pytest.raises(InputError):
            svc.create_proof(svc.default_user_id, "commitment", "x", options)


def test_input_errors_fail_at_once_without_retries(db_url, make_service, until):
    svc = make_service(db_url)
    out = svc.create_proof(svc.default_user_id, "diagnostic", {"input_error": "bad witness"}, {"max_retries": 3})
    job = until(lambda: (j := svc.proofs.get_job(out["job_id"]))["status"] in FINAL and j)
    assert job["status"] == "failed" and job["retry_count"] == 0 and job["runs"] == 1
    assert "bad witness" in job["error_message"]
    assert svc.proofs.get_proof(out["proof_id"])["status"] == "failed"


def test_transient_failures_retry_after_the_configured_delays(db_url, make_service, until, monkeypatch):
    svc = make_service(db_url)
    delays = svc.settings.retry_delays_s
    assert delays == (0.0, 0.5, 1.0)  # the settings fixture: the first retry is immediate
    failures = []  # (test clock before the failure was written, after it, the failed run's row, the row after)
    fail_attempt = svc.dispatcher.repo.fail_attempt

    def recorded_fail_attempt(token, *args, **kwargs):
        before = _row(svc, token=token)
        t0 = utcnow()
        out = fail_attempt(token, *args, **kwargs)
        t1 = utcnow()
        failures.append((t0, t1, out, before, _row(svc, job_id=before.id)))
        return out

    monkeypatch.setattr(svc.dispatcher.repo, "fail_attempt", recorded_fail_attempt)
    out = svc.create_proof(svc.default_user_id, "diagnostic", {"fail_attempts": 3}, {"max_retries": 3})
    job = until(lambda: (j := svc.proofs.get_job(out["job_id"]))["status"] in FINAL and j, timeout=30)
    assert job["status"] == "completed" and job["retry_count"] == 3 and job["runs"] == 4
    assert svc.proofs.get_proof(out["proof_id"])["proof_data"]["attempt"] == 4
    assert len(failures) == 3
    # when each run started: the failed runs' rows as they failed, then the run that completed
    starts = [failed.started_at for _, _, _, failed, _ in failures] + [_ts(job["started_at"])]
    for n, (t0, t1, result, failed, waiting) in enumerate(failures, start=1):
        assert result == {out["job_id"]: "retrying"}
        assert failed.status == "processing" and failed.retry_count == n - 1 and failed.runs == n
        assert waiting.status == "retrying" and waiting.retry_count == n
        assert waiting.error_message == f"TransientError: diagnostic transient failure on attempt {n}"
        # retry n is due its configured delay after the failure that scheduled it (t0..t1 brackets that failure)
        assert t0 + timedelta(seconds=delays[n - 1]) <= waiting.next_attempt_at <= t1 + timedelta(seconds=delays[n - 1])
        # ... and its run starts no earlier than that, and promptly then (maintenance runs every 0.5 s)
        assert waiting.next_attempt_at <= starts[n] <= waiting.next_attempt_at + timedelta(seconds=3), n


def test_retries_end_in_failure_with_the_last_error(db_url, make_service, until):
    svc = make_service(db_url, retry_delays_s=(0.0,))
    out = svc.create_proof(svc.default_user_id, "diagnostic", {"fail_attempts": 9}, {"max_retries": 2})
    job = until(lambda: (j := svc.proofs.get_job(out["job_id"]))["status"] in FINAL and j)
    assert job["status"] == "failed" and job["retry_count"] == 2 and job["runs"] == 3
    assert "attempt 3" in job["error_message"]
    assert svc.proofs.get_proof(out["proof_id"])["error_message"] == job["error_message"]


def _prover_process_gone(pid: int) -> bool:
    """True when no isolated prover process has this pid any more (not even as an unreaped zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return True
    zombie = stat.rsplit(")", 1)[1].split()[0] == "Z"
    return not zombie and b"zapiki.jobs.child" not in cmdline  # only a reused pid may exist now


def test_timeout_stops_a_job_that_would_run_forever_and_frees_the_worker(sqlite_url, make_service, cluster, until):
    def busy_provers():  # on the worker: the pids of prover processes running a job now
        from zapiki.jobs.worker import STATE

        pool = STATE.pool
        return [] if pool is None else [c.proc.pid for c in list(pool._all) if c.proc and c not in pool._free]

    svc = make_service(sqlite_url, retry_delays_s=(0.0,), retry_timeouts=True)  # timeouts retried: opted in
    timeout_s = 2.0
    forever = svc.create_proof(
        svc.default_user_id, "diagnostic", {"sleep_s": 3600}, {"timeout_s": timeout_s, "max_retries": 1}
    )
    provers = set()  # every prover process seen running the job (one per attempt)
    while (job := svc.proofs.get_job(forever["job_id"]))["status"] not in FINAL:
        provers.update(pid for pids in cluster.run(busy_provers).values() for pid in pids)
        assert _ts(job["created_at"]) > utcnow() - timedelta(seconds=30), "the job did not end within 30 s"
        time.sleep(0.02)
    assert job["status"] == "failed" and job["error_message"] == "timeout"
    assert job["retry_count"] == 1 and job["runs"] == 2  # the timeout was retried once, per policy, and timed out again
    # the second attempt failed at its deadline (the worker killed it), not later (the dispatcher's watchdog)
    ran_for = (_ts(job["completed_at"]) - _ts(job["started_at"])).total_seconds()
    assert timeout_s <= ran_for <= timeout_s + 5, ran_for
    # each attempt had its own prover process, and each was killed: neither exists any more
    assert len(provers) == 2, provers
    assert [pid for pid in provers if not _prover_process_gone(pid)] == []
    # The single worker thread is free again: a quick job completes at once, in a fresh prover process.
    quick = svc.create_proof(svc.default_user_id, "diagnostic", {"value": "next"})
    until(lambda: svc.proofs.get_job(quick["job_id"])["status"] == "completed", timeout=15)
    fresh = svc.proofs.get_proof(quick["proof_id"])["proof_data"]["pid"]
    assert fresh not in provers and not _prover_process_gone(fresh)


def test_a_timeout_is_not_retried_by_default(sqlite_url, make_service, until):
    svc = make_service(sqlite_url, retry_delays_s=(0.0,))
    out = svc.create_proof(svc.default_user_id, "diagnostic", {"sleep_s": 3600}, {"timeout_s": 1, "max_retries": 3})
    job = until(lambda: (j := svc.proofs.get_job(out["job_id"]))["status"] in FINAL and j, timeout=30)
    assert job["status"] == "failed" and job["error_message"] == "timeout"
    assert job["runs"] == 1 and job["retry_count"] == 0


def test_cancel_pending_and_retry_failed(db_url, make_service, until):
    svc = make_service(db_url)
    blocker = svc.create_proof(svc.default_user_id, "diagnostic", {"sleep_s": 1.5})
    queued = [svc.create_proof(svc.default_user_id, "diagnostic", {"value": i}) for i in range(3)]
    cancelled = svc.proofs.cancel_job(queued[-1]["job_id"])
    assert cancelled["status"] == "cancelled"
    until(lambda: svc.proofs.get_job(blocker["job_id"])["status"] == "completed", timeout=20)
    until(lambda: all(svc.proofs.get_job(q["job_id"])["status"] == "completed" for q in queued[:2]), timeout=20)
    assert svc.proofs.get_job(queued[-1]["job_id"])["runs"] == 0
    again = svc.proofs.retry_job(queued[-1]["job_id"])
    assert again["status"] == "pending"
    until(lambda: svc.proofs.get_job(queued[-1]["job_id"])["status"] == "completed", timeout=20)


def test_dask_sees_the_queue_in_the_task_key_and_priority(sqlite_url, make_service, cluster, until):
    svc = make_service(sqlite_url)
    out = svc.create_proof(svc.default_user_id, "diagnostic", {"sleep_s": 2}, {"priority": "high"})
    until(lambda: svc.proofs.get_job(out["job_id"])["status"] == "processing")

    def priorities(dask_scheduler):
        return {str(k): ts.priority for k, ts in dask_scheduler.tasks.items()}

    tasks = until(
        lambda: {k: p for k, p in cluster.run_on_scheduler(priorities).items() if k.startswith("diagnostic-high-")}
    )
    [(key, priority)] = tasks.items()
    assert priority[0] == -2  # Dask orders by -priority: high is 2, normal 1, low 0
    until(lambda: svc.proofs.get_job(out["job_id"])["status"] == "completed")
