"""While the database is unreachable the API answers 503 (JSON, with Retry-After) on everything that needs it,
and nothing it acknowledged before (201/202) is lost: afterwards every such proof is there and every such job
runs to completion. SQLite: the database file is moved away and a directory put in its place (pooled
connections are dropped, as a pool recycle would). PostgreSQL: the database stops accepting connections and
every open one is terminated."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import select

from zapiki.store.models import Job, utcnow

FINAL = ("completed", "failed", "cancelled")
JOB_S = 1.0  # how long each diagnostic job runs


@contextmanager
def database_down(service) -> Iterator[None]:
    url = service.engine.url
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        service.engine.dispose()
        moved = []
        for suffix in ("", "-wal", "-shm"):
            f = Path(f"{path}{suffix}")
            if f.exists():
                os.replace(f, f"{f}.away")
                moved.append(f)
        path.mkdir()  # "unable to open database file"
        try:
            yield
        finally:
            path.rmdir()
            for f in moved:
                os.replace(f"{f}.away", f)
    else:
        admin = sa.create_engine(os.environ["ZAPIKI_TEST_POSTGRES_URL"], isolation_level="AUTOCOMMIT")
        name = url.database
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(
                sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
            )
        try:
            yield
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            admin.dispose()


def _job_rows(service) -> dict[str, Job]:
    with service.sessions() as s:
        return {j.id: j for j in s.scalars(select(Job))}


def test_database_outage_answers_503_and_loses_nothing_acknowledged(api, until):
    alice = api.alice
    service = api.service
    sync = [alice.post("/api/v1/proofs", json={"proof_system": "commitment", "data": f"s{i}"}) for i in range(3)]
    jobs = [
        alice.post("/api/v1/proofs", json={"proof_system": "diagnostic", "data": {"sleep_s": JOB_S, "value": i}})
        for i in range(4)
    ]
    assert [r.status_code for r in sync] == [201] * 3 and [r.status_code for r in jobs] == [202] * 4
    acknowledged = {r.json()["id"] for r in sync} | {r.json()["proof_id"] for r in jobs}

    # The outage begins while a job runs on the worker, and lasts until its result has come back from the
    # cluster (longer than a job takes): results arrive while nothing can be written.
    until(lambda: any(j.status == "processing" and j.runs == 1 for j in _job_rows(service).values()))
    with database_down(service):
        began = time.monotonic()
        began_at = utcnow()
        # the attempts still out on the cluster as the outage begins: their results can only arrive during it
        in_flight = {t: a for t, a in dict(service.dispatcher.inflight).items() if not a.future.done()}
        assert in_flight
        health = api.client().get("/health")
        assert health.status_code == 503 and health.json()["database"] == "unreachable"
        for method, path, body in [
            ("GET", "/api/v1/proofs", None),
            ("GET", f"/api/v1/proofs/{sync[0].json()['id']}", None),
            ("GET", "/api/v1/jobs", None),
            ("GET", f"/api/v1/jobs/{jobs[0].json()['job_id']}", None),
            ("POST", f"/api/v1/jobs/{jobs[1].json()['job_id']}/cancel", None),
            ("GET", "/api/v1/stats", None),
            ("POST", "/api/v1/proofs", {"proof_system": "commitment", "data": "during the outage"}),
            ("POST", "/api/v1/proofs", {"proof_system": "diagnostic", "data": {"value": "during"}}),
            ("DELETE", f"/api/v1/proofs/{sync[1].json()['id']}", None),
        ]:
            r = alice.request(method, path, json=body)
            assert r.status_code == 503, (method, path, r.text)
            assert r.json()["error"]["code"] == "database_unavailable" and r.headers["Retry-After"]
        # a key not seen before cannot be checked either: 503, not 401
        stranger = api.client(None, **{"X-API-Key": "zk_someone-else"}).get("/api/v1/jobs")
        assert stranger.status_code == 503
        assert api.client().get("/api/v1/openapi.json").status_code == 200  # needs no database
        # every one of them ends during the outage: the running job's result arrives, and the job that waited in
        # Dask behind it starts (its start is announced) and finishes too
        until(lambda: all(a.future.status == "finished" for a in in_flight.values()), timeout=2 * JOB_S + 10)
        arrived = {r["job_id"]: r["proof_data"] for a in in_flight.values() for r in a.future.result()["results"]}
        time.sleep(1.5)  # the dispatcher meets the outage as it goes to store them (it retries every 1 s)
        assert time.monotonic() - began > JOB_S  # the outage outlasted a whole job

    until(lambda: api.client().get("/health").status_code == 200, timeout=15)
    # The results that arrived during the outage are stored afterwards, as they arrived (not re-run).
    deadline = time.monotonic() + 20
    while (rows := _job_rows(service)) and any(rows[j].status != "completed" for j in arrived):
        assert time.monotonic() < deadline, {j: (rows[j].status, rows[j].runs, rows[j].retry_count) for j in arrived}
        time.sleep(0.1)
    for job_id, proof_data in arrived.items():
        job = rows[job_id]
        # unfinished when the outage began, so stored after it (the dispatcher takes completed_at just before a
        # write that then waits for the database to come back)
        assert job.completed_at > began_at and job.runs == 1 and job.retry_count == 0
        assert service.proofs.get_proof(job.proof_id)["proof_data"] == proof_data
    proofs = until(
        lambda: (
            (ps := alice.get("/api/v1/proofs", params={"limit": 100}).json()["proofs"])
            and all(p["status"] in FINAL for p in ps)
            and ps
        ),
        timeout=60,
    )
    assert {p["id"] for p in proofs} == acknowledged  # all there, and nothing refused was half-written
    assert {p["status"] for p in proofs} == {"completed"}
    assert sorted(p["proof_data"]["value"] for p in proofs if p["proof_system"] == "diagnostic") == [0, 1, 2, 3]
    # each job ran once and was charged nothing: an outage is not the job's failure
    assert {(j.runs, j.retry_count) for j in _job_rows(service).values()} == {(1, 0)}
