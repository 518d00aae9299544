"""The one data source every open dashboard tab of a server process reads.

A background thread polls a cheap *change marker* about once a second (`DashboardViews.change_marker`: one SQL
statement that reads the newest job's creation time (an index probe), the number of open jobs per state and the
latest change among running ones, and the circuits' count and setups in progress). When the marker moves,
`version` goes up. Every query a view makes is cached under (what it asks, whose rows, `version`), so fifty tabs
on the same view cost one query per change, and a tab that finds nothing new costs none. Tabs keep only who
signed in and their filters. The queries themselves are the store's (`zapiki.store.views`, and the service's
repositories): this module only polls, caches and shapes rows for the tables.

Paging and counts are done in SQL (`LIMIT`/`OFFSET`, `COUNT` grouped by user, status and queue), so the page
stays quick with 100,000 jobs. `scope` is a user id (that user's rows only) or None (every user's: admin keys).

>>> from zapiki.service import ZapikiService
>>> svc = ZapikiService.open("sqlite://", dispatch=False)
>>> _ = svc.submit_many(svc.default_user_id, "commitment", ["a", "b", "c"], {"async": True})
>>> source = Source(svc)
>>> rows, total = source.jobs_page(None, JobFilter(status="pending"), page=0, size=2)
>>> len(rows), total
(2, 3)
>>> source.counts(svc.default_user_id)["queues"]
{'high': 0, 'normal': 3, 'low': 0}
>>> svc.close()
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Hashable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cachetools import LRUCache

from zapiki import systems
from zapiki.config import PRIORITIES
from zapiki.store.models import JobStatus
from zapiki.store.views import DashboardViews, JobFilter

if TYPE_CHECKING:
    from zapiki.service import ZapikiService

__all__ = ["JobFilter", "Source", "PAGE_SIZE"]

log = logging.getLogger("zapiki.dashboard")
PAGE_SIZE = 50
IDLE_AFTER_S = 60.0  # no tab has read for this long: the poll thread ends until one reads again
HISTORY_STEP_S = 5.0  # queue depth is sampled this often (kept for HISTORY_POINTS samples: one hour)
HISTORY_POINTS = 720
METRICS_EVERY_S = 5.0  # the per-minute figures scan the finished jobs of the last hour: at most this often
WORKERS_EVERY_S = 2.0
CACHE_ENTRIES = 2048  # cached view results (least recently used ones go first)


def _iso(t: datetime | None) -> str | None:
    """A UTC time as the tables show it: '2026-12-02 11:06:30'."""
    return t.strftime("%Y-%m-%d %H:%M:%S") if t is not None else None


class Source:
    """The shared, per-process data source of the dashboard (one per service: `Source.of(service)`)."""

    _instances: weakref.WeakKeyDictionary[Any, Source] = weakref.WeakKeyDictionary()
    _instances_lock = threading.Lock()

    def __init__(self, service: ZapikiService, every_s: float = 1.0) -> None:
        self.service = service
        self.every_s = every_s
        self.views = DashboardViews(service.sessions)
        self.version = 0
        self.queries = 0  # view queries this source ran (cache misses; not the marker): what the cache saves
        self._marker: tuple[Any, ...] | None = None
        # key -> (version, monotonic time computed, value); both LRU caches are used under self._lock only
        self._cache: LRUCache[Hashable, tuple[int, float, Any]] = LRUCache(maxsize=CACHE_ENTRIES)
        self._lock = threading.Lock()
        self._key_locks: LRUCache[Hashable, threading.Lock] = LRUCache(maxsize=CACHE_ENTRIES)
        self._history: deque[tuple[float, dict[str, tuple[int, int, int]]]] = deque(maxlen=HISTORY_POINTS)
        self._workers: tuple[float, dict[str, Any]] = (0.0, {})
        self._seen = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._auto = False  # set by of(): the poll thread starts again when a view looks after an idle spell

    @classmethod
    def of(cls, service: ZapikiService) -> Source:
        """The source of `service` in this process (made, and its poll thread started, on first use)."""
        with cls._instances_lock:
            source = cls._instances.get(service)
            if source is None:
                source = cls._instances[service] = cls(service)
                source._auto = True
        source.start()
        return source

    # -- the poll --------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the poll thread (idempotent)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._seen = time.monotonic()
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="zapiki-dashboard-poll", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """Stop the poll thread (a view that looks again starts it, for a source made by `of`)."""
        self._stop.set()

    def _run(self) -> None:
        last_sample = 0.0
        while not self._stop.wait(self.every_s):
            if time.monotonic() - self._seen > IDLE_AFTER_S:
                return  # nobody is looking: the next view to look starts the thread again (touch)
            try:
                self.poll()
                if time.monotonic() - last_sample >= HISTORY_STEP_S:
                    self._sample_queues()
                    last_sample = time.monotonic()
                if time.monotonic() - self._workers[0] >= WORKERS_EVERY_S:
                    self._refresh_workers()
            except Exception as exc:  # the database is away: try again at the next tick (views keep the last figures)
                log.debug("dashboard poll failed: %s", exc)

    def poll(self) -> bool:
        """Read the change marker; True (and `version` + 1) when something changed since the last read."""
        marker = self.views.change_marker()
        with self._lock:
            if marker == self._marker:
                return False
            self._marker = marker
            self.version += 1
            return True

    def touch(self) -> None:
        """A view is looking: the poll thread keeps (or, after an idle spell, starts again) reading the marker."""
        self._seen = time.monotonic()
        if self._auto and (self._thread is None or not self._thread.is_alive()):
            self.start()

    def _cached(self, key: Hashable, fn: Callable[[], Any], min_age_s: float = 0.0) -> Any:  # noqa: ANN401
        """fn()'s value (a query of the store), computed once per `version` (and, with `min_age_s`, at most
        that often)."""
        self.touch()
        version = self.version

        def fresh() -> tuple[bool, Any]:
            with self._lock:  # an LRU read reorders: under the lock, as every use of the caches
                hit = self._cache.get(key)
            if hit is not None and (hit[0] == version or time.monotonic() - hit[1] < min_age_s):
                return True, hit[2]
            return False, None

        found, value = fresh()
        if found:
            return value
        with self._lock:
            lock = self._key_locks.get(key)
            if lock is None:
                lock = self._key_locks[key] = threading.Lock()
        with lock:  # one computation per key: tabs asking meanwhile wait for it and share it
            found, value = fresh()
            if found:
                return value
            self.queries += 1
            value = fn()
            with self._lock:
                self._cache[key] = (version, time.monotonic(), value)
            return value

    # -- counts ----------------------------------------------------------------------------------------------
    def _grouped(self) -> list[tuple[str, str, str, int]]:
        """(user_id, status, queue, count) over all jobs: one GROUP BY (an index-only scan) per change."""
        return self._cached("grouped", self.views.job_groups)

    def counts(self, scope: str | None) -> dict[str, Any]:
        """{status: count for every status, "queues": {queue: pending count}, "total", "success_rate"} of
        `scope`'s jobs."""
        by_status = {s.value: 0 for s in JobStatus}
        pending = {q: 0 for q in PRIORITIES}
        for user_id, status, queue, n in self._grouped():
            if scope is not None and user_id != scope:
                continue
            by_status[status] = by_status.get(status, 0) + n
            if status == JobStatus.PENDING.value and queue in pending:
                pending[queue] += n
        done, failed = by_status[JobStatus.COMPLETED.value], by_status[JobStatus.FAILED.value]
        return {
            **by_status,
            "queues": pending,
            "total": sum(by_status.values()),
            "success_rate": done / (done + failed) if done + failed else None,
        }

    def _count(self, scope: str | None, flt: JobFilter) -> int:
        """Jobs matching `flt`: from the grouped counts, or (with a system filter) one COUNT query."""
        if flt.system is None:
            return sum(
                n
                for user_id, status, queue, n in self._grouped()
                if (scope is None or user_id == scope)
                and (flt.status is None or status == flt.status)
                and (flt.queue is None or queue == flt.queue)
            )
        return self._cached(("count", scope, flt), lambda: self.views.count_jobs(scope, flt))

    # -- jobs ------------------------------------------------------------------------------------------------
    def jobs_page(
        self, scope: str | None, flt: JobFilter, page: int = 0, size: int = PAGE_SIZE
    ) -> tuple[list[dict[str, Any]], int]:
        """(rows of page `page` (0-based, newest first), total matching): the page is one LIMIT/OFFSET query."""
        total = self._count(scope, flt)

        def load() -> list[dict[str, Any]]:
            return [_job_row(r) for r in self.views.jobs_page(scope, flt, limit=size, offset=page * size)]

        return self._cached(("page", scope, flt, page, size), load), total

    def job(self, scope: str | None, job_id: str) -> dict[str, Any]:
        """A job with its proof, circuit name and attempts; NotFound when `scope` may not see it."""

        def load() -> dict[str, Any]:
            job = self.service.proofs.get_job(job_id, scope)
            proof = self.service.proofs.get_proof(job["proof_id"], scope)
            circuit = self.service.circuits.name_of(proof["circuit_id"]) if proof.get("circuit_id") else None
            return {**job, "proof": proof, "circuit": circuit, "attempts": self.service.jobs.attempts(job_id)}

        return self._cached(("job", scope, job_id), load)

    # -- circuits --------------------------------------------------------------------------------------------
    def circuits(self, scope: str | None) -> list[dict[str, Any]]:
        """The circuits `scope` may use (its own and public ones; every one for None), newest first."""

        def load() -> list[dict[str, Any]]:
            circuits = self.service.circuits.list(scope, 1000, 0)
            emails = self.service.keys.emails(c["user_id"] for c in circuits)
            return [{**c, "email": emails.get(c["user_id"])} for c in circuits]

        return self._cached(("circuits", scope), load)

    def input_names(self, scope: str | None, circuit: dict[str, Any]) -> dict[str, Any]:
        """{signal: shape} of a circuit's inputs: recorded at upload (`info["inputs"]`), else read from the
        newest job on it that `scope` can see (names and shapes only, never another job's values)."""
        recorded = (circuit.get("info") or {}).get("inputs")
        if isinstance(recorded, dict):
            return recorded
        newest = self._cached(("inputs", scope, circuit["id"]), lambda: self.views.newest_input(scope, circuit["id"]))
        data = newest.get("data") if newest is not None else None
        return input_shapes(data) if isinstance(data, dict) else {}

    # -- cluster ---------------------------------------------------------------------------------------------
    def _refresh_workers(self) -> None:
        client = self.service.client
        info: dict[str, Any] = {}
        if client is not None:
            try:
                info = dict(client.scheduler_info(n_workers=-1).get("workers") or {})
            except Exception:
                info = {}
        self._workers = (time.monotonic(), info)

    def workers(self, scope: str | None) -> list[dict[str, Any]]:
        """Each Dask worker: threads, memory, CPU, and the job it runs now (another user's job is not named)."""
        if time.monotonic() - self._workers[0] > 2 * WORKERS_EVERY_S:
            self._refresh_workers()
        running = self._cached("running", lambda: self.views.running_jobs(limit=5000))
        by_worker: dict[str, list[Any]] = {}
        for row in running:
            by_worker.setdefault(row[0], []).append(row)
        out = []
        for address, w in sorted(self._workers[1].items()):
            metrics = w.get("metrics") or {}
            jobs = by_worker.get(address, [])
            mine = [r for r in jobs if scope is None or r[2] == scope]
            if mine:
                now = f"{mine[0][1]} ({mine[0][3]})" + (f" +{len(jobs) - 1} more" if len(jobs) > 1 else "")
            else:
                now = f"{len(jobs)} job(s) of other users" if jobs else ""
            out.append(
                {
                    "worker": address,
                    "name": str(w.get("name", "")),
                    "status": w.get("status", ""),
                    "threads": w.get("nthreads", 0),
                    "memory": _mib(metrics.get("memory")),
                    "memory_limit": _mib(w.get("memory_limit")),
                    "cpu_%": round(float(metrics.get("cpu") or 0.0), 1),
                    "executing": int((metrics.get("task_counts") or {}).get("executing", 0)),
                    "running_job": now,
                }
            )
        return out

    def dashboard_link(self) -> str | None:
        """The Dask dashboard's address (…/status), or None without a cluster."""
        client = self.service.client
        try:
            return client.dashboard_link if client is not None else None
        except Exception:
            return None

    # -- metrics ---------------------------------------------------------------------------------------------
    def _sample_queues(self) -> None:
        per_user: dict[str, list[int]] = {}
        for user_id, status, queue, n in self._grouped():
            if status == JobStatus.PENDING.value and queue in PRIORITIES:
                per_user.setdefault(user_id, [0, 0, 0])[PRIORITIES.index(queue)] += n
        self._history.append((time.time(), {u: (v[0], v[1], v[2]) for u, v in per_user.items()}))

    def queue_history(self, scope: str | None) -> list[tuple[datetime, int, int, int]]:
        """(time, pending high, normal, low) samples of the last hour (taken while a tab was open)."""
        out = []
        for t, per_user in list(self._history):
            rows = per_user.values() if scope is None else [per_user.get(scope, (0, 0, 0))]
            out.append((datetime.fromtimestamp(t, UTC), *(sum(r[i] for r in rows) for i in range(3))))
        return out

    def throughput(self, scope: str | None, minutes: int = 60) -> list[tuple[datetime, int, int]]:
        """(minute, completed, failed) for each of the last `minutes` minutes (one grouped query, at most
        every few seconds)."""
        since = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=minutes - 1)
        return self._cached(
            ("throughput", scope, since, minutes),
            lambda: self.views.finished_per_minute(scope, since, minutes),
            METRICS_EVERY_S,
        )

    def timing(self, scope: str | None, limit: int = 1000) -> dict[str, dict[str, float]]:
        """{system: {count, p50_ms, p95_ms}} over the newest `limit` completed proofs of each system."""

        return self._cached(
            ("timing", scope), lambda: self.views.generation_times(scope, systems.names(), limit), METRICS_EVERY_S
        )


def input_shapes(example: dict[str, Any]) -> dict[str, list[int]]:
    """{signal name: shape} of an input object ([] for a single value, [3] for three, [2, 2] nested).

    >>> input_shapes({"a": 3, "in": [1, 2, 3], "m": [[1, 2], [3, 4]]})
    {'a': [], 'in': [3], 'm': [2, 2]}
    """
    shapes = {}
    for name, value in example.items():
        shape: list[int] = []
        while isinstance(value, list):
            shape.append(len(value))
            value = value[0] if value else None
        shapes[str(name)] = shape
    return shapes


def _later(first: datetime, then: datetime | None) -> str | None:
    """A time after `first`, as short as is clear: the time of day alone on the same day."""
    if then is None:
        return None
    return then.strftime("%H:%M:%S") if then.date() == first.date() else _iso(then)


def _mib(value: Any) -> float | None:  # noqa: ANN401
    return round(float(value) / 2**20, 1) if value else None


def _job_row(r: dict[str, Any]) -> dict[str, Any]:
    """A row of `DashboardViews.jobs_page` as the jobs table shows it."""
    created, started, completed = r["created_at"], r["started_at"], r["completed_at"]
    duration = (completed - started).total_seconds() if completed and started else None
    return {
        "id": r["id"],
        "system": r["proof_system"],
        "circuit": r["circuit"] or "",
        "queue": r["queue"],
        "status": r["status"],
        "attempts": r["runs"],
        "retries": r["retry_count"],
        "worker": (r["worker"] or "").split("://")[-1],
        "created": _iso(created),
        "started": _later(created, started),
        "completed": _later(created, completed),
        "duration_s": round(duration, 3) if duration is not None else None,
        "error": r["error_message"] or "",
        "user": r["email"],
    }
