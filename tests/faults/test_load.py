"""A burst of 10,000 jobs over the API from several concurrent clients, while a poller watches /health: every
job ends terminal and none is lost, the API stays responsive (p99 of /health reported), the first picks while
all three queues are backlogged follow the 6:3:1 weights within 5 points, and the serving process's memory is
reported before and after, and bounded."""

from __future__ import annotations

import signal
import statistics
import threading
import time

import httpx
import sqlalchemy as sa
from realprocs import audit_completions, figures, start_serve

from zapiki.service import ZapikiService

JOBS = 10_000
CLIENTS = 4
QUEUES = ("high", "normal", "low")


def _rss_mib(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _submit(base: str, key: str, start: int, count: int, ids: list[str], errors: list[str]) -> None:
    with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=30) as client:
        for i in range(start, start + count):
            body = {
                "proof_system": "commitment",
                "data": {"type": "string", "value": f"job {i}"},
                "options": {"async": True, "priority": QUEUES[i % 3]},
            }
            r = client.post("/api/v1/proofs", json=body)
            if r.status_code == 202:
                ids.append(r.json()["job_id"])
            else:
                errors.append(f"{r.status_code} {r.text[:200]}")


def test_a_burst_of_10000_jobs_from_several_clients(db_url, procs, tmp_path, free_port, until):
    config = tmp_path / "zapiki.yaml"
    # small batches, so that the queue picks are many; a fixed seed, so that the weighted picks are reproducible
    config.write_text("zapiki:\n  batch_size: 20\n  random_seed: 20261202\n")
    setup = ZapikiService.open(db_url, dispatch=False)
    audit_completions(setup.engine)
    key = setup.keys.create_key("burst@example.com", tier="enterprise")[1]
    setup.close()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # no worker yet: every queue is backlogged when the first worker joins
    proc, _ = start_serve(tmp_path, db_url, port, "--scheduler", procs.address, "--config", str(config))
    try:
        time.sleep(2)
        rss_before = _rss_mib(proc.pid)
        latencies: list[float] = []
        polling = threading.Event()

        def poll() -> None:
            with httpx.Client(timeout=30) as client:
                while not polling.is_set():
                    t0 = time.perf_counter()
                    assert client.get(f"{base}/health").status_code == 200
                    latencies.append(time.perf_counter() - t0)
                    time.sleep(0.05)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        ids: list[str] = []
        errors: list[str] = []
        t0 = time.monotonic()
        share = JOBS // CLIENTS
        clients = [
            threading.Thread(target=_submit, args=(base, key, n * share, share, ids, errors)) for n in range(CLIENTS)
        ]
        for c in clients:
            c.start()
        for c in clients:
            c.join()
        submit_s = time.monotonic() - t0
        assert not errors, errors[:5]
        procs.worker("w1")
        svc = ZapikiService.open(db_url, dispatch=False)
        try:
            until(lambda: all(s == "completed" for s in svc.proofs.statuses(ids).values()), timeout=600)
            done_s = time.monotonic() - t0
            polling.set()
            poller.join(10)
            rss_after = _rss_mib(proc.pid)
            report = figures(svc.engine, ids, f"burst of {JOBS} jobs, {CLIENTS} clients [{svc.engine.dialect.name}]")
            with svc.engine.connect() as conn:
                claims = conn.execute(sa.text("SELECT queue, started_at FROM jobs ORDER BY started_at")).all()
        finally:
            svc.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    assert report["submitted"] == JOBS and report["completed"] == JOBS and report["lost"] == 0
    assert report["completed_twice"] == 0 and report["audited"] == JOBS

    # Fairness: the jobs claimed before the first queue ran dry, per queue.
    last = {q: max(t for queue, t in claims if queue == q) for q in QUEUES}
    window_end = min(last.values())
    picked = [queue for queue, t in claims if t < window_end]
    shares = {q: picked.count(q) / len(picked) for q in QUEUES}
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000
    print(
        f"burst: {JOBS} jobs submitted in {submit_s:.1f} s ({JOBS / submit_s:.0f}/s), all done after {done_s:.1f} s; "
        f"/health p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {p99:.1f} ms over {len(latencies)} polls; "
        f"shares while backlogged { ({q: round(v, 3) for q, v in shares.items()}) } over {len(picked)} jobs; "
        f"serve RSS {rss_before:.0f} -> {rss_after:.0f} MiB"
    )
    for q, weight in zip(QUEUES, (0.6, 0.3, 0.1), strict=True):
        assert abs(shares[q] - weight) <= 0.05, shares
    assert len(picked) >= 1000  # the window held enough picks to measure
    assert rss_after - rss_before < 200, (rss_before, rss_after)
