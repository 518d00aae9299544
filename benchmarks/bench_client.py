"""The notebook client submitting a batch: `zk.submit_many("commitment", 10,000 items)` over HTTP on loopback
(`zapiki.connect(url, api_key=...)`, batch requests to POST /api/v1/proofs/batch) beside the same batch on a
direct connection (the anchor, measured in the same run). The server runs in its own process (the handlers
`zapiki serve` mounts, no cluster: jobs are only written, so the figure is the submission alone); then the
batch's progress is read back once (`batch.counts()`, POST /api/v1/jobs/lookup). Goal: 10,000 jobs over HTTP
in under 10 s.

Usage: python benchmarks/bench_client.py [--jobs 10000] [--db URL]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_S = 10.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=10_000)
    ap.add_argument("--db", default=None, help="database URL for the server (default: a new SQLite file)")
    args = ap.parse_args()

    import zapiki

    db = args.db or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    bench_http = Path(__file__).resolve().parent / "bench_http.py"
    server = subprocess.Popen(
        [sys.executable, str(bench_http), "--serve", db], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    items = [f"row {i}" for i in range(args.jobs)]
    try:
        url, key = server.stdout.readline().split()
        print(f"server      {url} (own process), database {db.split('://')[0]}, {os.cpu_count()} cores")
        print(f"machine     load average {os.getloadavg()[0]:.1f} before the run")
        with zapiki.connect(url, api_key=key) as zk:
            zk.submit_many("commitment", items[:100], progress=False)  # warm up: connection, imports, key cache
            t0 = time.perf_counter()
            batch = zk.submit_many("commitment", items, progress=False)
            remote_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            counts = batch.counts()
            lookup_s = time.perf_counter() - t0
        direct_db = f"sqlite:///{tempfile.mkdtemp()}/direct.db"
        with zapiki.connect(db=direct_db, local_cluster=False, dispatch=False) as zk:
            zk.submit_many("commitment", items[:100], progress=False)
            t0 = time.perf_counter()
            zk.submit_many("commitment", items, progress=False)
            direct_s = time.perf_counter() - t0
    finally:
        server.stdin.close()
        server.wait(30)
    n = args.jobs
    print(f"{'connection':<12} {'jobs':>7} {'seconds':>8} {'jobs/s':>8}")
    print(f"{'remote HTTP':<12} {n:>7} {remote_s:>8.2f} {n / remote_s:>8,.0f}")
    print(f"{'direct':<12} {n:>7} {direct_s:>8.2f} {n / direct_s:>8,.0f}")
    print(f"ratio       remote / direct = {remote_s / direct_s:.2f}x")
    print(f"progress    batch.counts() of {n} jobs over HTTP: {lookup_s:.2f} s ({counts})")
    verdict = "met" if remote_s < GOAL_S else "NOT met"
    print(f"goal        {n} jobs over HTTP in < {GOAL_S:g} s -> {verdict}")


if __name__ == "__main__":
    main()
