"""The guarantees "How jobs work" in README.md promises beyond the happy path, on a real Dask cluster and a real
database (SQLite and PostgreSQL): the watchdog fails attempts past deadline + grace; a clean stop hands running
jobs back at once; several dispatchers on one database complete every job exactly once; a late result of a
superseded attempt changes nothing."""

import uuid
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from realprocs import audit_completions
from sqlalchemy import select, update

from zapiki.jobs.dispatcher import GRACE_S
from zapiki.service import ZapikiService
from zapiki.store.models import Job, Proof, utcnow

FINAL = ("completed", "failed", "cancelled")


def _job(svc, job_id) -> Job:
    with svc.sessions() as s:
        return s.get(Job, job_id)


def _final(svc, until, job_id, timeout=30.0) -> Job:
    return until(lambda: (j := _job(svc, job_id)).status in FINAL and j, timeout=timeout)


def _running(svc, until, job_id) -> Job:
    """The job once a worker runs it and its dispatcher wrote the start (runs == 1)."""
    return until(lambda: (j := _job(svc, job_id)).status == "processing" and j.runs == 1 and j.worker and j)


def _audited(engine, table: str) -> Counter:
    """How often each job (completions) or proof (result_writes) was written."""
    with engine.connect() as conn:
        return Counter(conn.execute(sa.text(f"SELECT * FROM {table}")).scalars())


# -- the watchdog ---------------------------------------------------------------------------------------------


def test_the_watchdog_fails_an_attempt_past_its_deadline_and_retries_it(db_url, make_service, until):
    """A worker that never answers is simulated by a deadline already past (deadline_at is deadline + grace):
    the dispatcher fails that attempt with `timeout` within moments, abandons it, and retries it per policy;
    the abandoned attempt's result, which the worker still produces, is not what gets stored."""
    svc = make_service(db_url, retry_delays_s=(1.0,), retry_timeouts=True)
    out = svc.create_proof(
        svc.default_user_id, "diagnostic", {"sleep_s": 1.5, "value": "watched"}, {"timeout_s": 60, "max_retries": 1}
    )
    first = _running(svc, until, out["job_id"])
    assert first.deadline_at == first.started_at + timedelta(seconds=60 + GRACE_S)  # deadline + grace, far away
    assert first.attempt_token in svc.dispatcher.inflight
    forced_at = utcnow()
    with svc.sessions.begin() as s:
        changed = s.execute(
            update(Job)
            .where(Job.attempt_token == first.attempt_token, Job.status == "processing")
            .values(deadline_at=forced_at - timedelta(seconds=1))
        ).rowcount
    assert changed == 1
    failed = until(lambda: (j := _job(svc, out["job_id"])).status != "processing" and j, timeout=10)
    assert failed.status == "retrying" and failed.error_message == "timeout"
    assert failed.retry_count == 1 and failed.attempt_token is None and failed.dispatcher_id is None
    assert forced_at < failed.updated_at <= forced_at + timedelta(seconds=5)  # the watchdog acted within 5 s
    assert failed.next_attempt_at == failed.updated_at + timedelta(seconds=1.0)  # retried after the set delay
    assert first.attempt_token not in svc.dispatcher.inflight  # abandoned
    with svc.sessions() as s:
        assert s.get(Proof, out["proof_id"]).error_message == "timeout"
    done = _final(svc, until, out["job_id"])
    assert done.status == "completed" and done.runs == 2 and done.retry_count == 1
    assert done.attempt_token not in (None, first.attempt_token)
    assert svc.proofs.get_proof(out["proof_id"])["proof_data"]["attempt"] == 2  # the retry's result, not the first's


def test_the_watchdog_leaves_attempts_within_their_deadline_and_other_dispatchers_alone(db_url, make_service, until):
    """Only this dispatcher's attempts past their deadline are failed: one within its deadline, and a past-
    deadline job held by another (live) dispatcher, are left processing."""
    svc = make_service(db_url, in_flight_buffer=0)  # one slot, held by `mine`: svc claims nothing else meanwhile
    mine = svc.create_proof(svc.default_user_id, "diagnostic", {"sleep_s": 2.0}, {"timeout_s": 60})
    running = _running(svc, until, mine["job_id"])
    other = ZapikiService.open(db_url, dispatch=False)
    try:
        [(_, foreign_id)] = other.submit_many(other.default_user_id, "diagnostic", [{"value": 1}], {"priority": "low"})
        foreign = other.jobs.claim("low", str(uuid.uuid4()), "another-dispatcher", 60.0, frozenset(), 1)
        assert [j.id for j in foreign] == [foreign_id]
        with other.sessions.begin() as s:
            s.execute(update(Job).where(Job.id == foreign_id).values(deadline_at=utcnow() - timedelta(seconds=5)))
        assert svc.dispatcher.repo.overdue_tokens(svc.dispatcher.id) == []
        done = _final(svc, until, mine["job_id"])
        assert done.status == "completed" and done.retry_count == 0 and done.attempt_token == running.attempt_token
        held = _job(svc, foreign_id)
        assert held.status == "processing" and held.dispatcher_id == "another-dispatcher" and held.retry_count == 0
    finally:
        other.close()


# -- a clean stop ---------------------------------------------------------------------------------------------


def test_a_clean_stop_hands_running_jobs_back_at_once(db_url, make_service, until):
    first = make_service(db_url)
    out = first.create_proof(
        first.default_user_id, "diagnostic", {"sleep_s": 1.5, "value": "handed back"}, {"max_retries": 0}
    )
    running = _running(first, until, out["job_id"])
    dispatcher = first.dispatcher
    dispatcher.stop(release=True)
    stopped_at = utcnow()
    job = _job(first, out["job_id"])
    # back to pending the moment stop() returned, while its lease was still valid: released, not expired
    assert job.lease_until > stopped_at
    assert job.status == "pending" and job.attempt_token is None and job.dispatcher_id is None
    assert job.retry_count == 0 and job.runs == 1  # handing back charges nothing
    assert dispatcher.inflight == {}
    with first.sessions() as s:
        assert s.get(Proof, out["proof_id"]).status == "pending"
    # another dispatcher takes it at once and runs it to completion (max_retries 0: nothing was charged)
    second = make_service(db_url)
    done = _final(second, until, out["job_id"])
    assert done.status == "completed" and done.runs == 2 and done.retry_count == 0
    assert done.dispatcher_id == second.dispatcher.id and done.attempt_token not in (None, running.attempt_token)
    assert second.proofs.get_proof(out["proof_id"])["proof_data"]["value"] == "handed back"


# -- several dispatchers ----------------------------------------------------------------------------------------


def _busy_provers():  # run on the workers: pids of isolated prover processes running a job now
    from zapiki.jobs.worker import STATE

    pool = STATE.pool
    return [] if pool is None else [c.proc.pid for c in list(pool._all) if c.proc and c not in pool._free]


def test_two_dispatchers_on_one_database_complete_every_job_exactly_once(db_url, settings, cluster, until):
    """Two services (as two `zapiki serve` processes would be: each its own Dask client) dispatch one backlog of
    isolated diagnostic jobs and batched commitment jobs from one database to one cluster; the second joins
    while the first one's job runs in an isolated prover, which must not disturb it."""
    from distributed import Client

    writer = ZapikiService.open(db_url, dispatch=False)
    audit_completions(writer.engine)
    user = writer.default_user_id
    ids = writer.submit_many(user, "diagnostic", [{"sleep_s": 0.5, "value": i} for i in range(6)], {"priority": "high"})
    ids += writer.submit_many(user, "commitment", [f"row {i}" for i in range(400)], {})
    clients = [Client(cluster.scheduler.address, set_as_default=False) for _ in range(2)]
    services = []
    try:
        services.append(ZapikiService.open(db_url, clients[0], replace(settings, batch_size=20)))
        until(lambda: any(cluster.run(_busy_provers).values()), interval=0.01)
        services.append(ZapikiService.open(db_url, clients[1], replace(settings, batch_size=20)))
        until(lambda: writer.proofs.count_jobs() == {"completed": len(ids)}, timeout=60)
        with writer.sessions() as s:
            jobs = {j.id: j for j in s.scalars(select(Job))}
            proofs = {p.id: p for p in s.scalars(select(Proof))}
        assert set(jobs) == {job_id for _, job_id in ids}
        assert _audited(writer.engine, "completions") == {job_id: 1 for job_id in jobs}  # each completed once
        assert _audited(writer.engine, "result_writes") == {j.proof_id: 1 for j in jobs.values()}  # written once
        runs = Counter((j.proof_system, j.runs, j.retry_count) for j in jobs.values())
        assert runs == {("diagnostic", 1, 0): 6, ("commitment", 1, 0): 400}, runs  # each ran once, uncharged
        by = {svc.dispatcher.id: 0 for svc in services}
        for j in jobs.values():
            by[j.dispatcher_id] += 1
        assert len(by) == 2 and all(by.values()), by  # both took part, and nobody else
        for j in jobs.values():
            p = proofs[j.proof_id]
            assert writer.verify(j.proof_system, p.proof_data, p.public_inputs, p.verification_key)
    finally:
        for svc in services:
            svc.close()
        for client in clients:
            client.close()
        writer.close()


# -- late results -----------------------------------------------------------------------------------------------


def _result(job_id: str, value: str) -> dict:
    return {
        "job_id": job_id,
        "ok": True,
        "proof_data": {"value": value},
        "public_inputs": {"value": value},
        "verification_key": None,
        "took_ms": 1.0,
    }


def _state(svc, job_ids) -> list[dict]:
    """Every column of these jobs and of their proofs."""
    with svc.sessions() as s:
        jobs = s.execute(select(Job.__table__).where(Job.id.in_(job_ids)).order_by(Job.id)).mappings().all()
        proof_ids = [j["proof_id"] for j in jobs]
        proofs = s.execute(select(Proof.__table__).where(Proof.id.in_(proof_ids)).order_by(Proof.id)).mappings()
        return [dict(r) for r in jobs] + [dict(r) for r in proofs.all()]


@pytest.mark.parametrize("superseded_by", ["lease expired", "retry"])
def test_a_late_result_of_a_superseded_attempt_changes_nothing(db_url, superseded_by):
    """Three batched jobs claimed under attempt `old`, superseded (their dispatcher's lease expired, or the attempt
    failed and was retried) and claimed again under `new`: results and failures under `old` change nothing,
    results under `new` are stored, and only once."""
    svc = ZapikiService.open(db_url, dispatch=False)
    try:
        repo = svc.jobs
        ids = [job_id for _, job_id in svc.submit_many(svc.default_user_id, "commitment", ["a", "b", "c"], {})]
        batchable = frozenset({"commitment"})
        old, new = str(uuid.uuid4()), str(uuid.uuid4())
        if superseded_by == "lease expired":
            assert [j.id for j in repo.claim("normal", old, "dead", -1.0, batchable, 10)] == ids
            assert repo.reclaim_expired() == 3
        else:
            assert [j.id for j in repo.claim("normal", old, "alive", 60.0, batchable, 10)] == ids
            assert repo.fail_attempt(old, None, "transient", "boom", lambda n: 0.0) == dict.fromkeys(ids, "retrying")
            assert repo.promote_due_retries(utcnow() + timedelta(seconds=1)) == 3
        claimed = repo.claim("normal", new, "alive", 60.0, batchable, 10)
        assert [j.id for j in claimed] == ids
        before = _state(svc, ids)

        assert repo.complete(old, [_result(i, "late") for i in ids]) == []
        assert repo.fail_attempt(old, None, "transient", "late failure", lambda n: 0.0) == {}
        assert repo.fail_attempt(old, ids[0], "input", "late input error", lambda n: 0.0) == {}
        assert _state(svc, ids) == before  # not a single column changed

        assert repo.complete(new, [_result(i, "current") for i in ids[:2]]) == ids[:2]
        assert repo.complete(old, [_result(ids[2], "late")]) == []
        assert repo.complete(new, [_result(ids[2], "current")]) == ids[2:]
        done = _state(svc, ids)
        assert [r["status"] for r in done] == ["completed"] * 6
        assert [r["proof_data"] for r in done[3:]] == [{"value": "current"}] * 3
        # a second result, under either token, changes nothing: a job completes at most once
        assert repo.complete(new, [_result(i, "again") for i in ids]) == []
        assert repo.complete(old, [_result(i, "late") for i in ids]) == []
        assert repo.fail_attempt(new, None, "transient", "after the fact", lambda n: 0.0) == {}
        assert _state(svc, ids) == done
    finally:
        svc.close()
