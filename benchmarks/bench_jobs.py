"""Commitment jobs per minute through the Python client: submitted in batch, dispatched to a local Dask
cluster, every job persisted with its own proof and job rows. Compared with the seed's figure (1,000 jobs/min
with 10 workers). Usage: python benchmarks/bench_jobs.py [N] [--db URL] [--workers 2]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import tempfile
import time

SEED_JOBS_PER_MIN = 1_000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="?", default=100_000)
    ap.add_argument("--db", default=None)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--profile", action="store_true", help="profile the service process (where the time goes)")
    args = ap.parse_args()

    import zapiki

    db = args.db or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    zk = zapiki.connect(db=db, n_workers=args.workers, threads_per_worker=1)
    try:
        zk.prove("commitment", "warm-up")
        items = [f"record {i}" for i in range(args.n)]
        prof = cProfile.Profile() if args.profile else None
        if prof:
            prof.enable()
        t0 = time.perf_counter()
        batch = zk.submit_many("commitment", items, progress=False)
        t_submit = time.perf_counter() - t0
        batch.wait(progress=False)
        t_total = time.perf_counter() - t0
        if prof:
            prof.disable()
        stats = zk.stats()
        assert stats["completed"] >= args.n, stats
        per_min = args.n / t_total * 60
        print(f"database            {db.split('://')[0]}")
        print(
            f"jobs                {args.n:,} commitment jobs, {args.workers} workers x 1 thread, {os.cpu_count()} cores"
        )
        print(f"submit (insert)     {t_submit:.2f} s  ({args.n / t_submit:,.0f} jobs/s)")
        print(f"submit -> all done  {t_total:.2f} s")
        print(f"throughput          {per_min:,.0f} jobs/min")
        ratio = per_min / SEED_JOBS_PER_MIN
        print(f"seed                {SEED_JOBS_PER_MIN:,} jobs/min with 10 workers -> ratio {ratio:.0f}x")
        print(f"target              100,000 jobs/min -> {'met' if per_min >= 100_000 else 'NOT met'}")
        print(f"attempts dispatched {zk.service.dispatcher.dispatched:,} Dask tasks")
        if prof:
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    finally:
        zk.close()


if __name__ == "__main__":
    main()
