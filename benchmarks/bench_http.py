"""Synchronous commitment proofs over HTTP on loopback: POST /api/v1/proofs answered 201 with the stored proof.
The server runs in its own process (the same Tornado handlers `zapiki serve` mounts, on a SQLite or
PostgreSQL database, no cluster needed for sync proofs); an asyncio client (aiohttp, else httpx) keeps C
requests in flight.
Prints requests/s and p50/p99 latency for each concurrency; the target is p50 <= 5 ms.

Usage: python benchmarks/bench_http.py [--requests 2000] [--concurrency 1 4 16] [--db URL]
(--db: an empty database of its own; the benchmark migrates it and writes thousands of proofs into it.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_P50_MS = 5.0


def serve(db: str) -> None:
    """Server mode: print "<url> <key>" and serve until stdin closes."""
    import threading

    import tornado.web
    from tornado.httpserver import HTTPServer
    from tornado.netutil import bind_sockets

    from zapiki.api import routes
    from zapiki.service import ZapikiService

    service = ZapikiService.open(db, None, dispatch=False)
    _, key = service.keys.create_key("bench@example.com", tier="enterprise")
    sockets = bind_sockets(0, "127.0.0.1")

    async def main() -> None:
        server = HTTPServer(tornado.web.Application(routes(service)))
        server.add_sockets(sockets)
        print(f"http://127.0.0.1:{sockets[0].getsockname()[1]} {key}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        threading.Thread(target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(stop.set)), daemon=True).start()
        await stop.wait()

    asyncio.run(main())
    service.close()


async def load(url: str, key: str, n: int, concurrency: int) -> tuple[float, list[float]]:
    """Send n POSTs with `concurrency` in flight over keep-alive connections; returns (seconds, latencies ms).
    Uses aiohttp when installed (the lighter client), else httpx."""
    latencies: list[float] = []
    counter = iter(range(n))
    headers = {"X-API-Key": key}
    try:
        import aiohttp
    except ImportError:
        aiohttp = None

    if aiohttp is not None:
        connector = aiohttp.TCPConnector(limit=concurrency)
        session = aiohttp.ClientSession(url, headers=headers, connector=connector)

        async def post(body: dict) -> int:
            async with session.post("/api/v1/proofs", json=body) as r:
                await r.read()
                return r.status
    else:
        import httpx

        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        session = httpx.AsyncClient(base_url=url, headers=headers, limits=limits)

        async def post(body: dict) -> int:
            return (await session.post("/api/v1/proofs", json=body)).status_code

    async def worker() -> None:
        for i in counter:
            t0 = time.perf_counter()
            status = await post({"proof_system": "commitment", "data": f"row {i}"})
            latencies.append((time.perf_counter() - t0) * 1000)
            if status != 201:
                raise RuntimeError(f"unexpected status {status}")

    try:
        for _ in range(min(50, n)):  # warm up: connections, the key cache, the database file
            await post({"proof_system": "commitment", "data": "warm-up"})
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - t0, latencies
    finally:
        await session.close() if aiohttp is not None else await session.aclose()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000, help="requests per concurrency level")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--db", default=None, help="database URL (default: a new SQLite file)")
    ap.add_argument("--serve", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve)
        return

    db = args.db or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", db], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        url, key = server.stdout.readline().split()
        load_avg = os.getloadavg()[0]
        print(f"server      {url} (own process), database {db.split('://')[0]}, {os.cpu_count()} cores")
        print(f"machine     load average {load_avg:.1f} before the run (other work on the machine skews latency)")
        print(f"request     POST /api/v1/proofs commitment (sync, 201 with the stored proof), {args.requests} each")
        print(f"{'in flight':>10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
        p50_at_1 = None
        for c in args.concurrency:
            took, lat = asyncio.run(load(url, key, args.requests, c))
            p50 = statistics.median(lat)
            if c == 1:
                p50_at_1 = p50
            print(f"{c:>10} {len(lat) / took:>9,.0f} {p50:>8.2f} {pct(lat, 0.99):>8.2f} {statistics.mean(lat):>8.2f}")
        if p50_at_1 is not None:
            verdict = "met" if p50_at_1 <= TARGET_P50_MS else "NOT met"
            print(f"target      p50 <= {TARGET_P50_MS:g} ms with one request in flight -> {verdict}")
    finally:
        server.stdin.close()
        server.wait(30)


if __name__ == "__main__":
    main()
