"""`GET /metrics`: the service's counts in Prometheus' text format, for a Prometheus server to scrape. No key
needed, and nothing in it names a user, a key, an input or a proof: counts and times only.

======================================================  =====================================================
``zapiki_jobs{status,queue}``                           jobs in each status, per queue (gauge)
``zapiki_queue_depth{queue}``                           pending jobs waiting to run (gauge)
``zapiki_queue_oldest_pending_age_seconds{queue}``      age of the oldest pending job, 0 when none (gauge)
``zapiki_job_retries_total``                            retries used, over every job (counter)
``zapiki_job_attempts_total{outcome}``                  finished runs by outcome: completed, failed, timeout,
                                                        lost, released, interrupted (counter)
``zapiki_job_timeouts_total``                           runs that ran past their job's timeout (counter)
``zapiki_proof_generation_seconds{system}``             generation time of completed proofs (histogram)
``zapiki_workers``, ``zapiki_worker_threads``           Dask workers and their threads (gauges)
``zapiki_database_up``                                  1 when the counts above could be read (gauge)
======================================================  =====================================================

The database is read by one repository method (`zapiki.store.metrics`), at most once per `ttl_s` seconds
however many scrapers ask; the answer is built on the API's thread pool, off the event loop.

>>> from zapiki.service import ZapikiService
>>> svc = ZapikiService.open("sqlite://", dispatch=False)
>>> _ = svc.create_proof(svc.default_user_id, "commitment", "hello")
>>> text = Metrics(svc).render().decode()
>>> 'zapiki_proof_generation_seconds_count{system="commitment"} 1.0' in text, "zapiki_database_up 1.0" in text
(True, True)
>>> svc.close()
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from zapiki.api.handlers import BaseHandler
from zapiki.config import PRIORITIES
from zapiki.service import ZapikiService
from zapiki.store.db import session_factory
from zapiki.store.metrics import BUCKETS_S, MetricsRepository, MetricsSnapshot
from zapiki.store.models import JobStatus

__all__ = ["Metrics", "MetricsHandler"]


class Metrics:
    """The Prometheus collector of one service: the database's counts (cached `ttl_s` seconds) and the cluster's
    workers."""

    def __init__(self, service: ZapikiService, ttl_s: float = 5.0) -> None:
        self.service = service
        self.repo = MetricsRepository(session_factory(service.engine))
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Metric]] | None = None
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    def render(self) -> bytes:
        """The metrics in Prometheus' text format (blocking: the database and the scheduler are asked)."""
        return generate_latest(self.registry)

    def collect(self) -> Iterator[Metric]:
        with self._lock:  # one scrape reads the database; others arriving meanwhile wait for its answer
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] > self.ttl_s:
                self._cached = (now, self._families())
            yield from self._cached[1]

    def _families(self) -> list[Metric]:
        up = GaugeMetricFamily("zapiki_database_up", "1 when the job counts could be read from the database")
        try:
            snap: MetricsSnapshot | None = self.repo.snapshot()
        except Exception:  # the database is down: say so, and still answer with what is known
            snap = None
        up.add_metric([], 0 if snap is None else 1)
        families: list[Metric] = [up, *(_job_families(snap) if snap is not None else [])]
        workers = self.service.workers()
        count = GaugeMetricFamily("zapiki_workers", "Dask workers of the service's cluster")
        count.add_metric([], workers["count"])
        threads = GaugeMetricFamily("zapiki_worker_threads", "Threads of the service's Dask workers")
        threads.add_metric([], workers["threads"])
        return [*families, count, threads]


def _job_families(snap: MetricsSnapshot) -> list[Metric]:
    queues = sorted({*PRIORITIES, *(q for _, q in snap.jobs)})
    statuses = sorted({*(s.value for s in JobStatus), *(s for s, _ in snap.jobs)})
    jobs = GaugeMetricFamily("zapiki_jobs", "Jobs in each status, per queue", labels=["status", "queue"])
    for status in statuses:
        for queue in queues:
            jobs.add_metric([status, queue], snap.jobs.get((status, queue), 0))
    depth = GaugeMetricFamily("zapiki_queue_depth", "Pending jobs waiting to run, per queue", labels=["queue"])
    age = GaugeMetricFamily(
        "zapiki_queue_oldest_pending_age_seconds",
        "Age of the oldest pending job, per queue (0: none)",
        labels=["queue"],
    )
    for queue in queues:
        depth.add_metric([queue], snap.jobs.get((JobStatus.PENDING.value, queue), 0))
        oldest = snap.oldest_pending.get(queue)
        age.add_metric([queue], 0.0 if oldest is None else max(0.0, (snap.at - oldest).total_seconds()))
    retries = CounterMetricFamily("zapiki_job_retries", "Retries used, over every job")
    retries.add_metric([], snap.retries)
    attempts = CounterMetricFamily("zapiki_job_attempts", "Finished runs of jobs, by outcome", labels=["outcome"])
    for outcome in sorted({"completed", "failed", "timeout", "lost", *snap.attempts}):
        attempts.add_metric([outcome], snap.attempts.get(outcome, 0))
    timeouts = CounterMetricFamily("zapiki_job_timeouts", "Runs that ran past their job's timeout")
    timeouts.add_metric([], snap.attempts.get("timeout", 0))
    times = HistogramMetricFamily(
        "zapiki_proof_generation_seconds", "Generation time of completed proofs, per proof system", labels=["system"]
    )
    for system, t in sorted(snap.generation.items()):
        buckets: list[tuple[str, Any]] = [(_bound(b), n) for b, n in zip(BUCKETS_S, t.buckets, strict=True)]
        times.add_metric([system], [*buckets, ("+Inf", t.count)], t.sum_s)
    return [jobs, depth, age, retries, attempts, timeouts, times]


def _bound(seconds: float) -> str:
    """A bucket's `le` label as Prometheus' clients write it: 0.5, 1.0, 600.0."""
    return repr(float(seconds))


class MetricsHandler(BaseHandler):
    """`GET /metrics` (no key). Not an operation of the OpenAPI document, which describes the JSON API: it is
    appended to the routes beside it (`zapiki.api.routes`)."""

    auth_required = False

    def initialize(self, ctx: Any, metrics: Metrics) -> None:  # noqa: ANN401
        super().initialize(ctx)
        self.metrics = metrics

    async def get(self) -> None:
        body = await self.run(self.metrics.render)
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(body)
