"""`zapiki serve` killed mid-batch and started again; PostgreSQL restarted under load. Clients keep sending
jobs over HTTP the whole time: every job acknowledged with a 202 exists afterwards and completes exactly once;
while the database is away the API answers 503 with Retry-After, and it recovers by itself."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter

import httpx
from realprocs import audit_completions, figures, start_serve

from zapiki.service import ZapikiService


class Load:
    """`clients` threads POSTing async jobs (commitments and short diagnostic jobs) until stop()."""

    def __init__(self, url: str, key: str, clients: int = 3) -> None:
        self.url, self.key = url, key
        self.acknowledged: list[str] = []
        self.statuses: Counter[int] = Counter()
        self.retry_after: set[str] = set()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(clients)]
        for t in self._threads:
            t.start()

    def _run(self, i: int) -> None:
        bodies = [
            {"proof_system": "commitment", "data": {"type": "string", "value": f"c{i}"}, "options": {"async": True}},
            {"proof_system": "diagnostic", "data": {"sleep_s": 0.05, "value": i}},
        ]
        n = 0
        with httpx.Client(base_url=self.url, headers={"X-API-Key": self.key}, timeout=10) as client:
            while not self._stop.is_set():
                n += 1
                try:
                    r = client.post("/api/v1/proofs", json=bodies[n % 2])
                except httpx.HTTPError:
                    self.statuses[0] += 1  # no answer (the server is down): nothing was acknowledged
                    time.sleep(0.1)
                    continue
                self.statuses[r.status_code] += 1
                if r.status_code == 202:
                    self.acknowledged.append(r.json()["job_id"])
                elif r.status_code == 503:
                    self.retry_after.add(r.headers.get("Retry-After", ""))
                    time.sleep(0.1)
                else:
                    assert r.status_code < 500, r.text
                time.sleep(0.02)

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(15)


def _prepare(db: str) -> str:
    """Create the schema, audit completions, and make an enterprise key for the load."""
    svc = ZapikiService.open(db, dispatch=False)
    try:
        audit_completions(svc.engine)
        return svc.keys.create_key("load@example.com", tier="enterprise")[1]
    finally:
        svc.close()


def _settle(db, ids, scenario, t0, until):
    svc = ZapikiService.open(db, dispatch=False)
    try:

        def settled():
            found = svc.proofs.statuses(ids)
            return len(found) == len(set(ids)) and all(s in ("completed", "failed") for s in found.values())

        until(settled, timeout=180)
        report = figures(svc.engine, ids, scenario, time.monotonic() - t0)
        # what the crash cut short was ours, not the jobs': nothing charged, and every run closed with an outcome
        jobs = svc.proofs.jobs_by_ids(list(ids))
        assert [j for j in jobs if j["retry_count"]] == []
        assert all(a["outcome"] in ("completed", "interrupted") for i in ids for a in svc.jobs.attempts(i))
        return report
    finally:
        svc.close()


def test_serve_killed_mid_batch_and_started_again_loses_nothing_acknowledged(db_url, tmp_path, free_port, until):
    key = _prepare(db_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc, _ = start_serve(tmp_path, db_url, port)
    load = Load(base, key)
    time.sleep(4)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    t0 = time.monotonic()
    time.sleep(1)
    proc, _ = start_serve(tmp_path, db_url, port)
    try:
        time.sleep(3)
        load.stop()
        report = _settle(
            db_url, load.acknowledged, f"zapiki serve SIGKILL + restart [{db_url.split(':')[0]}]", t0, until
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    assert load.statuses[202] > 20 and load.statuses[0] > 0, load.statuses  # jobs before, during and after
    assert report["lost"] == 0 and report["completed"] == len(load.acknowledged)
    assert report["completed_twice"] == 0 and report["audited"] == report["completed"]


def test_postgres_restarted_under_load_answers_503_then_recovers_and_loses_nothing(
    private_postgres, tmp_path, free_port, until
):
    key = _prepare(private_postgres.url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc, _ = start_serve(tmp_path, private_postgres.url, port)
    try:
        load = Load(base, key)
        time.sleep(3)
        private_postgres.stop()
        until(lambda: load.statuses[503] > 0, timeout=20)
        health = httpx.get(f"{base}/health", timeout=10)
        assert health.status_code == 503 and health.json()["database"] != "ok"
        time.sleep(3)
        private_postgres.start()
        t0 = time.monotonic()
        recovered = until(lambda: httpx.get(f"{base}/health", timeout=10).status_code == 200, timeout=60)
        assert recovered
        recover_s = time.monotonic() - t0
        before = load.statuses[202]
        until(lambda: load.statuses[202] > before + 10, timeout=30)  # accepting jobs again, by itself
        load.stop()
        report = _settle(private_postgres.url, load.acknowledged, "PostgreSQL restart under load", t0, until)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    print(f"API back {recover_s:.2f} s after PostgreSQL restarted; answers: {dict(load.statuses)}")
    assert load.retry_after == {"5"}
    assert report["lost"] == 0 and report["completed"] == len(load.acknowledged)
    assert report["completed_twice"] == 0 and report["audited"] == report["completed"]
