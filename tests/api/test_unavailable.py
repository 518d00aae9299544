"""While the database is unreachable the API answers 503 (JSON, with Retry-After) on everything that needs it,
and nothing it acknowledged before (201/202) is lost: afterwards every such proof is there and every such job
runs to completion. SQLite: the database file is moved away and a directory put in its place (pooled
connections are dropped, as a pool recycle would). PostgreSQL: the database stops accepting connections and
every open one is terminated."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

FINAL = ("completed", "failed", "cancelled")


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


def test_database_outage_answers_503_and_loses_nothing_acknowledged(api, until):
    alice = api.alice
    sync = [alice.post("/api/v1/proofs", json={"proof_system": "commitment", "data": f"s{i}"}) for i in range(3)]
    jobs = [
        alice.post("/api/v1/proofs", json={"proof_system": "diagnostic", "data": {"sleep_s": 0.3, "value": i}})
        for i in range(4)
    ]
    assert [r.status_code for r in sync] == [201] * 3 and [r.status_code for r in jobs] == [202] * 4
    acknowledged = {r.json()["id"] for r in sync} | {r.json()["proof_id"] for r in jobs}

    with database_down(api.service):
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

    until(lambda: api.client().get("/health").status_code == 200, timeout=15)
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
