"""The dashboard's data source (no browser needed): one cheap change marker per process, one query per change
however many tabs look, paging and counts in SQL at 100,000 jobs, and the attempt history the job page shows."""

from __future__ import annotations

import time
import uuid

import pytest
import sqlalchemy as sa

from zapiki.dashboard.source import JobFilter, Source
from zapiki.service import ZapikiService
from zapiki.store.jobs import JobRepository


@pytest.fixture
def service(db_url):
    """A service over an empty database (SQLite, then PostgreSQL), no cluster."""
    svc = ZapikiService.open(db_url, dispatch=False)
    yield svc
    svc.close()


@pytest.fixture
def statements(service):
    """The SQL statements the engine runs from now on (the marker's included)."""
    seen: list[str] = []
    sa.event.listen(service.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def _users(service, n):
    return [service.keys.get_or_create_user(f"user{i}@example.com", tier="pro")[0]["id"] for i in range(n)]


def _jobs(service, user_id, n, queue="normal", system="commitment"):
    """n pending jobs inserted in bulk through the store (as the service's batch submit writes them)."""
    return service.proofs.add_jobs(user_id, system, [({"n": i}, {}) for i in range(n)], queue, 3, 60.0)


def test_fifty_tabs_on_one_view_cost_one_query_per_change(service, statements):
    alice, bob = _users(service, 2)
    _jobs(service, alice, 30)
    source = Source(service)
    source.poll()
    statements.clear()
    for _ in range(50):  # fifty tabs of alice's, on the first page of her pending jobs
        rows, total = source.jobs_page(alice, JobFilter(status="pending"), 0, 20)
        assert len(rows) == 20 and total == 30
    assert len(statements) == 2  # the grouped counts and the page: once for all fifty
    for _ in range(50):  # nothing changed: the marker says so, and no tab queries
        assert not source.poll()
        source.jobs_page(alice, JobFilter(status="pending"), 0, 20)
    assert len(statements) == 2 + 50  # only the marker, once a poll
    _jobs(service, bob, 1)
    assert source.poll()
    statements.clear()
    for _ in range(50):
        source.jobs_page(alice, JobFilter(status="pending"), 0, 20)
        source.jobs_page(bob, JobFilter(), 0, 20)
    assert len(statements) == 3  # counts shared by both users' views, one page query each


def test_the_marker_moves_on_every_kind_of_change(service):
    (alice,) = _users(service, 1)
    source = Source(service)
    source.poll()
    [(_, job_id)] = _jobs(service, alice, 1)
    assert source.poll()  # a new job
    jobs = JobRepository(service.sessions)
    token = str(uuid.uuid4())
    assert jobs.claim("normal", token, "d1", 30.0, frozenset(), 1)
    assert source.poll()  # pending -> processing
    jobs.record_run(token, "tcp://worker:1", _now(), 60.0, 30.0, rerun=False)
    assert source.poll()  # a running job changed worker (no state change)
    jobs.complete(token, [_result(job_id)])
    assert source.poll()  # processing -> completed
    assert not source.poll()
    service.circuits.create(alice, "c", proof_system="groth16", status="setting_up")
    assert source.poll()  # a circuit (and a development setup in progress)


def _now():
    from zapiki.store.models import utcnow

    return utcnow()


def _result(job_id):
    return {"job_id": job_id, "proof_data": {}, "public_inputs": {}, "verification_key": None, "took_ms": 1.0}


def test_every_attempt_is_kept_with_its_worker_outcome_and_error(service):
    (alice,) = _users(service, 1)
    [(_, job_id)] = _jobs(service, alice, 1)
    jobs = JobRepository(service.sessions)
    first, second, third = (str(uuid.uuid4()) for _ in range(3))
    jobs.claim("normal", first, "d1", 30.0, frozenset(), 1)
    jobs.record_run(first, "tcp://a:1", _now(), 60.0, 30.0, rerun=False)
    jobs.record_run(first, "tcp://b:2", _now(), 60.0, 30.0, rerun=True)  # a worker died; Dask ran it again
    jobs.fail_attempt(first, None, "transient", "boom", lambda n: 0.0)
    jobs.promote_due_retries()
    jobs.claim("normal", second, "d1", 30.0, frozenset(), 1)
    jobs.release_attempt(second)  # handed back before it ran: no attempt
    jobs.claim("normal", third, "d1", 30.0, frozenset(), 1)
    jobs.record_run(third, "tcp://c:3", _now(), 60.0, 30.0, rerun=False)
    assert [a["outcome"] for a in jobs.attempts(job_id)] == ["lost", "failed", "running"]
    jobs.complete(third, [_result(job_id)])
    attempts = jobs.attempts(job_id)
    assert [(a["attempt"], a["worker"], a["outcome"], a["error"]) for a in attempts] == [
        (1, "tcp://a:1", "lost", "the worker died; Dask ran the task again"),
        (2, "tcp://b:2", "failed", "boom"),
        (3, "tcp://c:3", "completed", None),
    ]
    assert all(a["started_at"] and a["finished_at"] for a in attempts)
    source = Source(service)
    assert [a["outcome"] for a in source.job(alice, job_id)["attempts"]] == ["lost", "failed", "completed"]


def test_the_metrics_are_per_minute_and_per_system_for_the_keys_rows(service):
    alice, bob = _users(service, 2)
    jobs = JobRepository(service.sessions)
    for user, n in ((alice, 3), (bob, 1)):
        for _, job_id in _jobs(service, user, n):
            token = str(uuid.uuid4())
            assert jobs.claim("normal", token, "d1", 30.0, frozenset(), 1)
            jobs.record_run(token, "tcp://w:1", _now(), 60.0, 30.0, rerun=False)
            jobs.complete(token, [_result(job_id)])
    _jobs(service, alice, 2, queue="high")
    source = Source(service)
    source.poll()
    source._sample_queues()
    minutes = source.throughput(alice)
    assert len(minutes) == 60 and sum(c for _, c, _ in minutes) == 3 and minutes[-1][1] == 3
    assert sum(c for _, c, _ in source.throughput(None)) == 4
    assert source.timing(alice) == {"commitment": {"count": 3, "p50_ms": 1.0, "p95_ms": 1.0}}
    assert source.queue_history(alice)[-1][1:] == (2, 0, 0) and source.queue_history(bob)[-1][1:] == (0, 0, 0)
    counts = source.counts(alice)
    assert counts["completed"] == 3 and counts["queues"]["high"] == 2 and counts["success_rate"] == 1.0
    assert source.workers(alice) == []  # no cluster


def test_paging_and_counts_at_100k_jobs_are_done_in_sql(sqlite_url, capsys):
    service = ZapikiService.open(sqlite_url, dispatch=False)
    try:
        _at_100k(service, capsys)
    finally:
        service.close()


def _at_100k(service, capsys):
    statements: list[str] = []
    sa.event.listen(service.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    users = _users(service, 4)
    t0 = time.perf_counter()
    for i in range(100):
        _jobs(service, users[i % 4], 1000, queue=("high", "normal", "low")[i % 3])
    inserted_s = time.perf_counter() - t0
    source = Source(service)
    source.poll()
    statements.clear()

    t0 = time.perf_counter()
    rows, total = source.jobs_page(None, JobFilter(), page=1000, size=50)  # deep in the table
    page_s = time.perf_counter() - t0
    assert total == 100_000 and len(rows) == 50
    grouped, page = statements
    assert "count(*)" in grouped and "GROUP BY" in grouped  # counted in SQL: a few rows come back
    assert len(source._grouped()) == 4 * 3  # (user, status, queue) groups, not jobs
    assert "LIMIT" in page and "OFFSET" in page  # 50 rows come back, not 100,000
    with service.engine.connect() as conn:
        plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + page, (50, 50_000)))
    assert "ix_jobs_created" in plan and "TEMP B-TREE" not in plan, plan  # walks the index; no sort of all rows

    statements.clear()
    t0 = time.perf_counter()
    rows, total = source.jobs_page(users[1], JobFilter(status="pending", system="commitment"), page=10, size=50)
    user_page_s = time.perf_counter() - t0
    assert total == 25_000 and len(rows) == 50 and {r["user"] for r in rows} == {"user1@example.com"}
    count, page = statements
    assert count.startswith("SELECT count(*)") and "LIMIT" in page

    t0 = time.perf_counter()
    source.poll()
    marker_s = time.perf_counter() - t0
    with capsys.disabled():
        print(
            f"\n100,000 jobs (SQLite): inserted in {inserted_s:.1f} s; page 1000 with the counts "
            f"{page_s * 1000:.0f} ms; a user's filtered page {user_page_s * 1000:.0f} ms; "
            f"the change marker {marker_s * 1000:.1f} ms"
        )


def test_the_cache_keeps_at_most_its_configured_number_of_results(service, statements, monkeypatch):
    from zapiki.dashboard import source as source_module

    monkeypatch.setattr(source_module, "CACHE_ENTRIES", 3)
    (alice,) = _users(service, 1)
    _jobs(service, alice, 10)
    source = Source(service)
    source.poll()
    statements.clear()
    for page in range(5):  # five pages: the first ones make room for the last ones
        assert len(source.jobs_page(alice, JobFilter(system="commitment"), page, 2)[0]) == 2
    assert len(source._cache) <= 3 and len(source._key_locks) <= 3
    assert len(statements) == 1 + 5  # the count, then one query per page
    source.jobs_page(alice, JobFilter(system="commitment"), 4, 2)  # the newest results are kept
    assert len(statements) == 6
    source.jobs_page(alice, JobFilter(system="commitment"), 0, 2)  # the oldest went: asked again
    assert len(statements) == 7
