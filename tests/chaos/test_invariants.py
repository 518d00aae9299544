"""The soak's judge: each invariant, broken on purpose through the same SQL the job store runs, is reported,
and a clean history reports nothing. (A checker that cannot fail would make every soak pass.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from zapiki.chaos import audit
from zapiki.chaos.invariants import Drain, Expectations, check
from zapiki.service import ZapikiService
from zapiki.store.jobs import JobRepository

NO_DELAY = lambda n: 0.0  # noqa: E731


@pytest.fixture
def store(postgres_url):
    svc = ZapikiService.open(postgres_url, dispatch=False)
    audit.install(svc.engine)
    yield svc
    svc.close()


def _job(svc, max_retries=3):
    return svc.create_proof(svc.default_user_id, "diagnostic", {"value": 1}, {"max_retries": max_retries})["job_id"]


def _claim(repo, token):
    return repo.claim("normal", token, "d1", 30, frozenset(), 1)


def _judge(svc, ids, drains=(), input_errors=()):
    expected = Expectations(acknowledged=set(ids), input_errors=set(input_errors))
    return check(svc.engine, expected, audit.changes(svc.engine), list(drains))


def test_a_clean_history_breaks_nothing(store):
    repo = JobRepository(store.sessions)
    job = _job(store)
    _claim(repo, "t1")
    repo.record_run("t1", "w1", datetime.now(UTC), 60, 30, rerun=False)
    repo.fail_attempt("t1", None, "transient", "boom", NO_DELAY)  # a run that failed: charged
    repo.promote_due_retries(datetime.now(UTC) + timedelta(seconds=1))
    _claim(repo, "t2")
    repo.record_run("t2", "w1", datetime.now(UTC), 60, 30, rerun=False)
    repo.record_run("t2", "w2", datetime.now(UTC), 60, 30, rerun=True)  # its worker died; Dask ran it again
    repo.complete("t2", [{"job_id": job, "proof_data": {}, "public_inputs": [], "verification_key": {}, "took_ms": 1}])
    bad, figures = _judge(store, [job])
    assert bad == []
    assert (figures["completed"], figures["runs"], figures["charged"]) == (1, 3, 2)


def test_a_charge_for_a_run_that_never_happened_is_reported(store):
    repo = JobRepository(store.sessions)
    job = _job(store)
    _claim(repo, "t1")
    repo.fail_attempt("t1", None, "transient", "KilledWorker", NO_DELAY)  # the old bug: charged, never ran
    bad, _ = _judge(store, [job])
    assert any("for a run it never had" in b for b in bad), bad
    assert any("retrying at the end, not final" in b for b in bad), bad


def test_runs_not_matching_the_announced_runs_are_reported(store):
    repo = JobRepository(store.sessions)
    job = _job(store)
    _claim(repo, "t1")
    with store.engine.begin() as conn:  # a run counted without being announced
        conn.execute(sa.text("UPDATE jobs SET runs = runs + 1 WHERE id = :id"), {"id": job})
    bad, _ = _judge(store, [job])
    assert any("runs=1 but 0 runs were announced" in b for b in bad), bad
    assert any("processing at the end" in b for b in bad), bad


def test_an_open_attempt_a_double_completion_and_a_missing_job_are_reported(store):
    repo = JobRepository(store.sessions)
    job = _job(store)
    _claim(repo, "t1")
    repo.record_run("t1", "w1", datetime.now(UTC), 60, 30, rerun=False)
    with store.engine.begin() as conn:
        for status in ("completed", "processing", "completed"):
            conn.execute(sa.text("UPDATE jobs SET status = :s WHERE id = :id"), {"s": status, "id": job})
    bad, _ = _judge(store, [job, "00000000-0000-0000-0000-000000000000"])
    assert any("completed 2 times" in b for b in bad), bad
    assert any("never closed with an outcome" in b for b in bad), bad
    assert any("acknowledged (202) but not in the database" in b for b in bad), bad


def test_a_failure_with_budget_left_and_a_charge_during_a_drain_are_reported(store):
    repo = JobRepository(store.sessions)
    job = _job(store, max_retries=3)
    _claim(repo, "t1")
    began = datetime.now(UTC)
    repo.record_run("t1", "w-draining", began, 60, 30, rerun=False)
    repo.fail_attempt("t1", None, "transient", "lost", NO_DELAY)
    repo.promote_due_retries(datetime.now(UTC) + timedelta(seconds=1))
    _claim(repo, "t2")
    repo.record_run("t2", "w1", datetime.now(UTC), 60, 30, rerun=False)
    repo.fail_for_good([job], "gave up early")
    drain = Drain("w-draining", began - timedelta(seconds=1), datetime.now(UTC) + timedelta(seconds=1))
    bad, _ = _judge(store, [job], drains=[drain])
    assert any("while it drained" in b for b in bad), bad
    assert any("failed with budget left (1/3)" in b for b in bad), bad
    # the same failure is fine for a job sent with an input error
    bad, _ = _judge(store, [job], input_errors=[job])
    assert not any("budget left" in b for b in bad), bad
