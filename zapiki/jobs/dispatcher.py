"""The dispatcher: reads due jobs from the database, chooses the next ones by queue weight, runs them on the
Dask cluster, and writes every outcome back. The database is the only source of truth; Dask executes.

- Late choice: only about as many attempts are in flight as the cluster has worker threads (plus a small
  buffer); the rest wait in the database, so the weights decide what runs next. Dask's `priority=` is set too,
  so the task stream shows it.
- Attempts: every dispatch gets a fresh attempt token (also the task's key). Workers announce each run on the
  `zapiki-start` topic; a second run under one token is a Dask re-run after a worker died and is charged to
  the job's retry budget. Results are written only while the job still holds that token.
- Charges: a retry is charged for a run the job had that ended without a result: it failed, or its worker died
  under it (the job may be what killed it). Nothing is charged for what never ran (an attempt queued on a worker
  that died, or handed back by a draining worker) nor for a run our side cut short (the scheduler went away, the
  dispatcher stopped or lost its lease): those jobs go back to pending, their runs closed as 'interrupted'.
- Leases: the dispatcher renews a lease on its running jobs; jobs whose lease expired (their dispatcher died)
  return to pending and are dispatched again. On a clean stop, running jobs go back to pending at once.
- Timeouts: isolated jobs are killed on the worker at their deadline; a watchdog here fails any attempt that
  is still unanswered past deadline + grace (a lost worker), and retries it per policy.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import CancelledError
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cachetools import LRUCache
from distributed import Client, Future, KilledWorker
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from zapiki import systems
from zapiki.config import Settings
from zapiki.jobs.drain import HANDBACK_TOPIC, DrainBeforeRetire, attempt_key
from zapiki.jobs.picker import pick_queue
from zapiki.jobs.worker import START_TOPIC, ZapikiWorkerPlugin, pack_specs, run_attempt, secrets_id
from zapiki.store.jobs import ClaimedJob, JobRepository
from zapiki.store.models import utcnow

log = logging.getLogger("zapiki.dispatcher")
GRACE_S = 30.0

# Given the claimed jobs of one attempt: {name: (sha256, load_bytes)} of the large shared inputs they need.
ResourceResolver = Callable[[list[ClaimedJob]], dict[str, tuple[str, Callable[[], bytes]]]]


#: Seconds the dispatcher waits to fetch a finished attempt's result before treating it as lost.
RESULT_FETCH_S = 10.0


@dataclass
class _Attempt:
    future: Future
    job_ids: list[str]
    timeout_s: float
    starts: int = 0
    abandoned: bool = False


class _ScatteredBlobs(LRUCache[str, Future]):
    """The futures of the large inputs scattered to the cluster, by sha256: the least recently used goes first
    and is released (the cluster frees it once no task in flight still needs it). Used by the dispatcher's
    thread only."""

    def popitem(self) -> tuple[str, Future]:
        sha, fut = super().popitem()
        fut.release()
        return sha, fut


class _Topics:
    """Dask keeps one handler per topic and client: several dispatchers on one client (two services in a
    notebook) share one subscription, and each event goes to all of them (each ignores tokens it does not own)."""

    _lock = threading.Lock()
    _handlers: dict[tuple[str, str], list[Callable[[Any], None]]] = {}

    @classmethod
    def subscribe(cls, client: Client, topic: str, handler: Callable[[Any], None]) -> None:
        key = (client.id, topic)
        with cls._lock:
            handlers = cls._handlers.setdefault(key, [])
            if handler not in handlers:
                handlers.append(handler)
        # sent every time: a new scheduler (after a restart) knows no subscription
        client.subscribe_topic(topic, lambda event: cls._fan_out(key, event))

    @classmethod
    def _fan_out(cls, key: tuple[str, str], event: Any) -> None:  # noqa: ANN401
        with cls._lock:
            handlers = list(cls._handlers.get(key, ()))
        for handler in handlers:
            handler(event)

    @classmethod
    def unsubscribe(cls, client: Client, topic: str, handler: Callable[[Any], None]) -> None:
        key = (client.id, topic)
        with cls._lock:
            handlers = cls._handlers.get(key, [])
            if handler in handlers:
                handlers.remove(handler)
            last = not handlers
            if last:
                cls._handlers.pop(key, None)
        if last:
            try:
                client.unsubscribe_topic(topic)
            except Exception:  # the client is closed, or never subscribed
                pass


class Dispatcher:
    """Runs the job loop in a background thread of the process that owns it (`zapiki serve`, a notebook). Every
    read and write of the database goes through the store's `JobRepository` (`self.repo`). The service makes
    one and starts it (`ZapikiService.open(url, client)`); `stop()` releases what it holds back to pending.
    """

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        client: Client,
        secrets: dict[str, bytes],
        resolve_resources: ResourceResolver | None = None,
    ) -> None:
        self.settings = settings
        self.client = client
        self.secrets = secrets
        self.secrets_id = secrets_id(secrets)
        self.resolve_resources = resolve_resources
        self.repo = JobRepository(sessions)
        self.id = str(uuid.uuid4())
        self.inflight: dict[str, _Attempt] = {}
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._retry_first: tuple[str, Any] | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._finishing = threading.Event()
        self._thread: threading.Thread | None = None
        self._nthreads = 0
        self._nthreads_at = 0.0
        self._scattered = _ScatteredBlobs(maxsize=max(1, settings.cache_scattered_blobs))
        self._scheduler_id: str | None = None
        self._last_user: dict[str, str] = {}  # per queue: the user served last (users take turns)
        self.batchable = frozenset(n for n in systems.names() if not systems.get(n).capabilities.isolated)
        self.rng = random.Random(settings.random_seed)
        self.dispatched = 0  # attempts sent to the cluster (for stats and tests)

    # -- life cycle ------------------------------------------------------------------------------------------
    def start(self) -> Dispatcher:
        self._attach()
        self._thread = threading.Thread(target=self._run, name="zapiki-dispatcher", daemon=True)
        self._thread.start()
        return self

    def _attach(self) -> None:
        """Register what the cluster needs from this dispatcher: the worker plugin (secrets), the scheduler plugin
        (drain before retiring) and the event subscriptions. Again after a scheduler restart: a new scheduler
        knows none of them."""
        plugin = ZapikiWorkerPlugin(self.secrets)
        self.client.register_plugin(plugin, name=plugin.name)
        try:  # needs zapiki importable on the scheduler (true of `make run-scheduler` and local clusters)
            self.client.register_plugin(DrainBeforeRetire(), name="zapiki-drain")
        except Exception as exc:
            log.warning("scheduler plugin not installed (retired workers will not drain first): %s", exc)
        _Topics.subscribe(self.client, START_TOPIC, self._on_start_event)
        _Topics.subscribe(self.client, HANDBACK_TOPIC, self._on_handback_event)
        self._scheduler_id = self.client.scheduler_info(n_workers=0).get("id")

    def wake(self) -> None:
        """New work was written: look at the database now rather than at the next tick."""
        self._wake.set()

    def finish(self, grace_s: float) -> tuple[int, int]:
        """Stop taking new jobs, wait up to `grace_s` for the attempts in flight, then stop and hand the rest
        back to pending (uncharged). Returns (attempts that finished meanwhile, attempts handed back)."""
        self._finishing.set()
        before = len(self.inflight)
        deadline = time.monotonic() + grace_s
        while self.inflight and time.monotonic() < deadline and self._thread is not None and self._thread.is_alive():
            time.sleep(0.05)
        left = len(self.inflight)
        self.stop(release=True)
        return before - left, left

    def stop(self, release: bool = True) -> None:
        """Stop dispatching. With `release`, this dispatcher's running jobs return to pending at once (their
        results, should they still arrive, are ignored), so another dispatcher can take them immediately."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        _Topics.unsubscribe(self.client, START_TOPIC, self._on_start_event)
        _Topics.unsubscribe(self.client, HANDBACK_TOPIC, self._on_handback_event)
        if self._thread is not None and self._thread.is_alive():
            log.warning("the dispatcher thread did not stop within 30 s; stopping without it")
        for attempt in list(self.inflight.values()):
            try:
                attempt.future.cancel()
            except Exception as exc:  # the client may be closing: the release below is what matters
                log.debug("could not cancel an attempt: %s", exc)
        self.inflight.clear()
        if release:
            try:
                self.repo.release_held(self.id)
            except SQLAlchemyError as exc:
                log.warning("could not release running jobs (their leases will expire): %s", exc)

    # -- the loop --------------------------------------------------------------------------------------------
    def _run(self) -> None:
        last_maintenance = last_renewal = 0.0
        while not self._stop.is_set():
            try:
                self._drain_events()
                now = time.monotonic()
                if now - last_renewal >= self.settings.lease_s / 3:
                    self.repo.renew_leases(self.id, self.settings.lease_s)
                    last_renewal = now
                if now - last_maintenance >= 0.5:
                    self._maintain()
                    last_maintenance = now
                self._dispatch()
            except SQLAlchemyError as exc:
                log.warning("database unavailable, dispatcher waiting: %s", exc)
                time.sleep(1.0)
            except Exception:
                log.exception("dispatcher loop error")
                time.sleep(0.5)
            self._wake.wait(timeout=0.1)
            self._wake.clear()

    def _maintain(self) -> None:
        reclaimed = self.repo.reclaim_expired()
        if reclaimed:
            log.info("re-dispatching %d jobs whose dispatcher stopped", reclaimed)
        self.repo.promote_due_retries()
        # Safety net: a job this dispatcher holds whose attempt it no longer tracks would stay processing for
        # ever (its lease renewed); fail that attempt, charged, so the job is retried.
        for token in self.repo.held_tokens(self.id) - set(self.inflight):
            log.warning("attempt %s is held but not tracked: failing it so that its jobs retry", token)
            self._fail(token, None, "transient", "attempt lost by the dispatcher")
        for token in self.repo.overdue_tokens(self.id):
            attempt = self.inflight.pop(token, None)
            if attempt is not None:
                attempt.abandoned = True
                attempt.future.cancel()
            self._fail(token, None, "timeout", "timeout")

    def _fail(self, token: str, job_id: str | None, kind: str, error: str) -> dict[str, str]:
        return self.repo.fail_attempt(
            token, job_id, kind, error, self.settings.retry_delay, retry_timeouts=self.settings.retry_timeouts
        )

    def capacity(self) -> int:
        """Attempts the cluster can take now: its running workers' threads plus the configured buffer (0 with no
        running worker)."""
        if time.monotonic() - self._nthreads_at > 1.0:
            try:
                info = self.client.scheduler_info(n_workers=-1)
                if info.get("id") != self._scheduler_id:
                    log.warning("a new scheduler (%s): registering plugins and subscriptions again", info.get("id"))
                    self._scattered.clear()
                    self._attach()
                # running workers only: a draining worker takes no new job, so it offers no slot
                workers = info["workers"].values()
                self._nthreads = sum(w["nthreads"] for w in workers if w.get("status", "running") == "running")
            except Exception:
                self._nthreads = 0
            self._nthreads_at = time.monotonic()
        if self._nthreads == 0:
            return 0
        return self._nthreads + self.settings.in_flight_buffer

    def _dispatch(self) -> None:
        if self._finishing.is_set():
            return
        slots = self.capacity() - len(self.inflight)
        if slots <= 0:
            return
        backlog = self.repo.non_empty_queues()
        while slots > 0:
            q = pick_queue(backlog, self.settings.queue_weights, self.settings.strict_priority, self.rng)
            if q is None:
                return
            token = str(uuid.uuid4())
            jobs = self.repo.claim(
                q,
                token,
                self.id,
                self.settings.lease_s,
                self.batchable,
                self.settings.batch_size,
                GRACE_S,
                self.settings.max_timeout_s,
                after_user=self._last_user.get(q),
                caps=self.settings.user_max_in_flight,
            )
            if not jobs:
                backlog[q] = 0  # empty, or every user waiting in it is at their cap: the slot goes elsewhere
                continue
            self._last_user[q] = jobs[0].user_id
            self._submit(token, q, jobs)
            slots -= 1

    def _submit(self, token: str, queue_name: str, jobs: list[ClaimedJob]) -> None:
        specs = [
            {
                "job_id": j.id,
                "proof_id": j.proof_id,
                "system": j.system,
                "data": j.data,
                "attempt": j.attempt,
                "timeout_s": j.timeout_s,
                "options": j.options,
                "secrets_id": self.secrets_id,
            }
            for j in jobs
        ]
        resources = self._resources(jobs)
        future = self.client.submit(
            run_attempt,
            token,
            pack_specs(specs),
            resources,
            key=attempt_key(jobs[0].system, queue_name, token),
            priority=jobs[0].priority,
            pure=False,
            retries=0,
        )
        self.inflight[token] = _Attempt(future, [j.id for j in jobs], max(j.timeout_s for j in jobs))
        self.dispatched += 1
        future.add_done_callback(lambda f, t=token: self._post("done", (t, f)))

    def _resources(self, jobs: list[ClaimedJob]) -> dict[str, dict[str, Any]] | None:
        if self.resolve_resources is None:
            return None
        wanted = self.resolve_resources(jobs)
        if not wanted:
            return None
        out = {}
        for name, (sha, load) in wanted.items():
            fut = self._scattered.get(sha)  # a hit is now the most recently used
            if fut is None or fut.status in ("error", "cancelled", "lost"):
                # Sent to the cluster once; workers fetch it once each and keep it while this future lives. Past
                # cache_scattered_blobs, the least recently used one is released (_ScatteredBlobs.popitem).
                fut = self.client.scatter(load(), hash=False)
                self._scattered[sha] = fut
            out[name] = {"sha256": sha, "data": fut}
        return out

    # -- events from the cluster -----------------------------------------------------------------------------
    def _post(self, kind: str, payload: Any) -> None:  # noqa: ANN401
        self._events.put((kind, payload))
        self._wake.set()

    def _on_start_event(self, event: Any) -> None:  # noqa: ANN401
        _, msg = event
        self._post("start", msg)

    def _on_handback_event(self, event: Any) -> None:  # noqa: ANN401
        _, msg = event
        self._post("handback", msg)

    def _drain_events(self) -> None:
        while True:
            if self._retry_first is not None:  # an event that met a database outage keeps its place in the order
                (kind, payload), self._retry_first = self._retry_first, None
            else:
                try:
                    kind, payload = self._events.get_nowait()
                except queue.Empty:
                    return
            try:
                if kind == "start":
                    self._handle_start(payload)
                elif kind == "handback":
                    self._handle_handback(payload)
                else:
                    self._handle_done(*payload)
            except SQLAlchemyError:
                self._retry_first = (kind, payload)  # kept, and handled first next time: nothing is lost
                raise

    # Each handler writes to the database first and changes `inflight` only once the write succeeded: a handler
    # that meets a database outage is run again with the same event (see _drain_events), so nothing is lost.
    def _handle_start(self, msg: dict[str, Any]) -> None:
        token = msg.get("token")
        attempt = self.inflight.get(token)
        if attempt is None:
            return
        run = attempt.starts + 1
        at = datetime.fromtimestamp(float(msg.get("at", time.time())), UTC)
        exhausted = self.repo.record_run(token, str(msg.get("worker")), at, attempt.timeout_s, GRACE_S, rerun=run > 1)
        attempt.starts = run
        if run > 1:
            log.warning("attempt %s re-run by Dask after a worker died (run %d)", token, run)
        if exhausted:
            self.repo.fail_for_good(exhausted, "worker died during the job; attempt budget exhausted")
            if set(exhausted) >= set(attempt.job_ids):
                attempt.abandoned = True
                attempt.future.cancel()
                self.inflight.pop(token, None)

    def _dropped(self, token: str, attempt: _Attempt) -> None:
        """The cluster dropped the attempt's task (the scheduler went away, and its workers with it): our crash,
        not the jobs', so they go back to pending uncharged; a run in progress ends as 'interrupted'."""
        if attempt.starts:
            log.warning("attempt %s was dropped by the cluster after it started; its jobs run again", token)
            self.repo.release_attempt(token, outcome="interrupted")
        else:
            self.repo.release_attempt(token)

    def _count_unannounced_run(self, token: str, attempt: _Attempt, why: str) -> None:
        """Count the run of an attempt that ended on a worker (its task finished or raised) although its start
        was never announced, so that the charge that follows is for a run the job had."""
        if attempt.starts:
            return
        log.warning("attempt %s ran without announcing its start (%s): counting that run", token, why)
        self.repo.record_run(token, "unknown", utcnow(), attempt.timeout_s, GRACE_S, rerun=False)
        attempt.starts = 1

    def _handle_handback(self, msg: dict[str, Any]) -> None:
        """A draining worker holds attempts it will never start: their jobs go back to pending, uncharged, and
        the next free slot anywhere takes them (the worker starts nothing once it drains, so no run is lost)."""
        self._nthreads_at = 0.0  # that worker offers no slot any more: count again before the next dispatch
        for token in msg.get("tokens") or ():
            attempt = self.inflight.get(token)
            if attempt is None or attempt.starts:
                continue
            released = self.repo.release_attempt(token)
            self.inflight.pop(token, None)
            attempt.abandoned = True
            attempt.future.cancel()
            log.info("attempt %s handed back by draining worker %s (%d jobs)", token, msg.get("worker"), released)

    def _handle_done(self, token: str, future: Future) -> None:
        attempt = self.inflight.get(token)
        if attempt is None or attempt.abandoned:
            self.inflight.pop(token, None)
            return
        if future.status == "finished":
            try:
                out = future.result(timeout=RESULT_FETCH_S)
            except CancelledError:  # the scheduler went away between the finish and the read
                self._dropped(token, attempt)
                self.inflight.pop(token, None)
                future.release()
                return
            except Exception as exc:  # noqa: BLE001 - the result went with its worker, or cannot be read here
                # Finished but unreadable (a worker gone with it, a result that does not unpickle here): nothing
                # was stored, so the jobs run again (charged, as a run lost with a dead worker). Without this the
                # attempt stayed tracked, its jobs processing until their timeout.
                log.warning(
                    "attempt %s finished but its result could not be fetched: %r; its jobs run again", token, exc
                )
                self._count_unannounced_run(token, attempt, "the result could not be fetched")
                self._fail(token, None, "transient", f"result lost: {type(exc).__name__}: {exc}")
                self.inflight.pop(token, None)
                future.release()
                return
            if not attempt.starts:  # the result overtook the start event (fast batches): count the run now
                at = datetime.fromtimestamp(float(out.get("started", time.time())), UTC)
                self.repo.record_run(token, str(out.get("worker")), at, attempt.timeout_s, GRACE_S, rerun=False)
                attempt.starts = 1
            results = out["results"]
            self.repo.complete(token, [r for r in results if r["ok"]])
            for r in results:
                if not r["ok"]:
                    self._fail(token, r["job_id"], r["kind"], r["error"])
            missing = set(attempt.job_ids) - {r["job_id"] for r in results}
            for job_id in missing:
                self._fail(token, job_id, "transient", "no result returned")
        elif future.status == "cancelled":
            self._dropped(token, attempt)
        else:
            try:
                exc = future.exception(timeout=5)
                message = f"{type(exc).__name__}: {exc}"
            except Exception as err:
                exc, message = None, f"task failed: {err}"
            if isinstance(exc, KilledWorker) and not attempt.starts:
                # Dask gave up after the workers it was queued on died, but none of them ever started it (a
                # task waiting behind another on a worker counts as 'suspicious' when that worker dies): no
                # run happened, so nothing is charged and the jobs go back to pending.
                log.warning("attempt %s: every worker it was queued on died before running it; released", token)
                self.repo.release_attempt(token)
            else:  # it raised on a worker: a run, though perhaps never announced
                self._count_unannounced_run(token, attempt, "the task failed")
                self._fail(token, None, "transient", message)
        self.inflight.pop(token, None)
        future.release()
