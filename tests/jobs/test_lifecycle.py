"""The job lifecycle on a real Dask cluster and a real database (SQLite and PostgreSQL)."""

from datetime import datetime

import pytest

from zapiki.errors import InputError

FINAL = ("completed", "failed", "cancelled")


def _ts(value):
    return datetime.fromisoformat(value)


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


def test_many_fast_jobs_each_keep_their_own_row(db_url, make_service, until):
    svc = make_service(db_url)
    ids = svc.submit_many(svc.default_user_id, "commitment", [f"item-{i}" for i in range(1200)], {"priority": "low"})
    until(lambda: svc.proofs.count_jobs().get("completed", 0) == 1200, timeout=60)
    commitments = {svc.proofs.get_proof(pid)["proof_data"]["commitment"] for pid, _ in ids[:50]}
    assert len(commitments) == 50
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


def test_transient_failures_retry_after_the_configured_delays(db_url, make_service, until):
    svc = make_service(db_url, retry_delays_s=(0.6, 1.2))
    out = svc.create_proof(svc.default_user_id, "diagnostic", {"fail_attempts": 2}, {"max_retries": 3})
    waiting = until(lambda: (j := svc.proofs.get_job(out["job_id"]))["status"] == "retrying" and j)
    assert waiting["next_attempt_at"] is not None and "attempt 1" in waiting["error_message"]
    job = until(lambda: (j := svc.proofs.get_job(out["job_id"]))["status"] in FINAL and j)
    assert job["status"] == "completed" and job["retry_count"] == 2 and job["runs"] == 3
    elapsed = (_ts(job["completed_at"]) - _ts(job["created_at"])).total_seconds()
    assert elapsed >= 0.6 + 1.2


def test_retries_end_in_failure_with_the_last_error(db_url, make_service, until):
    svc = make_service(db_url, retry_delays_s=(0.0,))
    out = svc.create_proof(svc.default_user_id, "diagnostic", {"fail_attempts": 9}, {"max_retries": 2})
    job = until(lambda: (j := svc.proofs.get_job(out["job_id"]))["status"] in FINAL and j)
    assert job["status"] == "failed" and job["retry_count"] == 2 and job["runs"] == 3
    assert "attempt 3" in job["error_message"]
    assert svc.proofs.get_proof(out["proof_id"])["error_message"] == job["error_message"]


def test_timeout_stops_a_job_that_would_run_forever_and_frees_the_worker(sqlite_url, make_service, until):
    svc = make_service(sqlite_url, retry_delays_s=(0.0,))
    forever = svc.create_proof(
        svc.default_user_id, "diagnostic", {"sleep_s": 3600}, {"timeout_s": 1.0, "max_retries": 1}
    )
    job = until(lambda: (j := svc.proofs.get_job(forever["job_id"]))["status"] in FINAL and j, timeout=30)
    assert job["status"] == "failed" and job["error_message"] == "timeout"
    assert job["retry_count"] == 1  # the timeout was retried once, per policy, and timed out again
    # The single worker thread is free again: a quick job completes at once.
    quick = svc.create_proof(svc.default_user_id, "diagnostic", {"value": "next"})
    until(lambda: svc.proofs.get_job(quick["job_id"])["status"] == "completed", timeout=15)


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
