"""Graceful worker shutdown: take nothing new, finish what runs, hand back what waits, then leave.

A worker started with `--preload zapiki.jobs.preload` drains on SIGTERM or SIGINT, when its nanny closes, when
the scheduler retires it (`Client.retire_workers`, an adaptive cluster's scale-down, `--lifetime`):

1. it logs `Shutting down worker...` and sets its status to `closing_gracefully`: the scheduler sends it no new
   task and the worker starts none of the tasks it holds;
2. it hands back the attempts it holds but has not started (topic `zapiki-handback`): the dispatcher puts their
   jobs back to pending, uncharged, and they run on another worker or wait for the next one;
3. it waits until every running attempt has finished and the dispatcher has collected its result (at most the
   longest job timeout: an isolated prover is killed at its deadline anyway);
4. it closes, logs `Worker stopped`, and the process exits 0.

A second signal stops at once: the isolated provers are killed and the process exits 1; the attempt that was
running is re-run by Dask and charged, as for a crash.

Three hooks lead to the one `drain` coroutine: a signal handler in the worker process, a nanny plugin whose
teardown runs before the nanny stops its worker, and a scheduler plugin that drains a worker before retiring it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import re
import signal
import threading
import time
from typing import Any

from distributed.core import Status, rpc
from distributed.diagnostics.plugin import NannyPlugin, SchedulerPlugin

log = logging.getLogger("zapiki.worker")
HANDBACK_TOPIC = "zapiki-handback"
DRAIN_OP = "zapiki_drain"
RESULT_PICKUP_S = 30.0  # how long a finished result may wait for the dispatcher to collect it
CONNECT_S = 3.0  # a nanny's connection to its own worker, on the same machine
_ATTEMPT_KEY = re.compile(r"-(?:high|normal|low)-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
_NOT_STARTED = frozenset({"waiting", "ready", "constrained", "fetch", "flight", "missing", "resumed"})


def attempt_key(system: str, queue: str, token: str) -> str:
    """The Dask key of an attempt: the task stream shows the system and the queue.

    >>> attempt_key("groth16", "high", "0b7e2f8a-3c1d-4e5f-8a9b-0c1d2e3f4a5b")
    'groth16-high-0b7e2f8a-3c1d-4e5f-8a9b-0c1d2e3f4a5b'
    >>> attempt_token(_)
    '0b7e2f8a-3c1d-4e5f-8a9b-0c1d2e3f4a5b'
    """
    return f"{system}-{queue}-{token}"


def attempt_token(key: Any) -> str | None:  # noqa: ANN401
    """The attempt token in a Dask key made by `attempt_key`, else None."""
    match = _ATTEMPT_KEY.search(key) if isinstance(key, str) else None
    return match.group(1) if match else None


def _attempts(worker: Any, states: frozenset[str] | None = None) -> list[str]:  # noqa: ANN401
    """Tokens of the attempts this worker holds (in the given task states)."""
    out = []
    for key, ts in list(worker.state.tasks.items()):
        token = attempt_token(key)
        if token and (states is None or ts.state in states):
            out.append(token)
    return out


async def drain(worker: Any, limit_s: float, reason: str = "shutdown") -> bool:  # noqa: ANN401
    """Drain `worker` (steps 1-3 above); returns True when nothing is left running. Safe to call several times
    at once: later calls wait for the first one."""
    task = getattr(worker, "_zapiki_drain", None)
    if task is None:
        task = worker._zapiki_drain = asyncio.ensure_future(_drain(worker, limit_s, reason))
    return await asyncio.shield(task)


async def _drain(worker: Any, limit_s: float, reason: str) -> bool:  # noqa: ANN401
    log.info("Shutting down worker...")
    log.info("draining: %s", reason)
    if worker.status in (Status.running, Status.paused):
        worker.status = Status.closing_gracefully
    handed_back: set[str] = set()
    deadline = time.monotonic() + limit_s
    if worker.state.executing_count:
        log.info("waiting for %d running jobs to finish", worker.state.executing_count)
    while True:
        # Attempts that reach this worker while it drains (sent just before the scheduler knew) go back too.
        waiting = [t for t in _attempts(worker, _NOT_STARTED) if t not in handed_back]
        if waiting:
            handed_back.update(waiting)
            worker.log_event(HANDBACK_TOPIC, {"tokens": waiting, "worker": worker.address})
            log.info("handed back %d attempts that had not started", len(waiting))
        if not worker.state.executing_count or time.monotonic() >= deadline:
            break
        await asyncio.sleep(0.1)
    # A finished attempt's result lives in this worker's memory until the dispatcher has written it and released
    # the key; leaving before that would lose it (and Dask would run the attempt again).
    pickup = min(deadline, time.monotonic() + RESULT_PICKUP_S)
    while set(_attempts(worker)) - handed_back and time.monotonic() < pickup:
        await asyncio.sleep(0.1)
    left = worker.state.executing_count
    if left:
        log.warning("%d jobs still running after %.0f s; they will be re-run elsewhere", left, limit_s)
    return left == 0


def install(worker: Any, max_timeout_s: float = 600.0) -> None:  # noqa: ANN401
    """Make `worker` drain on every way out (called by the preload's dask_setup); a drain waits at most the
    longest a job can run (`max_timeout_s`, the configured maximum timeout) plus a margin."""
    limit_s = float(max_timeout_s) + 30.0

    async def _handler(limit_s: float = limit_s, reason: str = "requested") -> bool:
        return await drain(worker, limit_s, reason)

    worker.handlers[DRAIN_OP] = _handler
    if worker.nanny:
        asyncio.get_running_loop().create_task(_add_nanny_plugin(worker))
    if threading.current_thread() is threading.main_thread():
        _install_signal_handlers(worker, limit_s)


async def _add_nanny_plugin(worker: Any) -> None:  # noqa: ANN401
    try:
        async with worker.rpc(worker.nanny) as nanny:
            await nanny.plugin_add(plugin=pickle.dumps(DrainOnNannyClose()), name="zapiki-drain")
    except Exception as exc:
        log.warning("could not ask the nanny to drain this worker on close: %s", exc)


def _install_signal_handlers(worker: Any, limit_s: float) -> None:  # noqa: ANN401
    loop = asyncio.get_running_loop()
    fired: list[int] = []

    def _on_signal(signum: int, frame: Any) -> None:  # noqa: ANN401
        fired.append(signum)
        if len(fired) > 1:
            _stop_now()
        loop.call_soon_threadsafe(lambda: loop.create_task(_drain_then_close(worker, limit_s, signum)))

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _on_signal)


def _stop_now() -> None:
    """The second signal: no more waiting."""
    from zapiki.jobs.worker import STATE

    os.write(2, b"Second signal: stopping the worker at once\n")
    if STATE.pool is not None:
        STATE.pool.close()
    os._exit(1)


async def _drain_then_close(worker: Any, limit_s: float, signum: int) -> None:  # noqa: ANN401
    name = signal.Signals(signum).name
    await drain(worker, limit_s, f"signal {name}")
    await asyncio.sleep(0.5)  # a nanny that got the same signal is closing this worker already
    if worker.status in (Status.running, Status.paused, Status.closing_gracefully):
        # nanny=True: the nanny is told this was on purpose, so it neither restarts the worker nor lingers
        await worker.close(reason=f"zapiki-drained-{name}", nanny=True)


class DrainOnNannyClose(NannyPlugin):
    """Runs in the nanny: when it closes (SIGTERM or SIGINT to `dask worker`, a cluster's scale-down), its
    teardown drains the worker before the nanny stops the worker process (which it does after 8 s)."""

    name = "zapiki-drain"
    restart = False

    async def teardown(self, nanny: Any) -> None:  # noqa: ANN401
        address = nanny.worker_address
        if address is None:
            return
        # A short connect timeout: a worker that closed itself (its scheduler went away) no longer listens, and
        # Dask's default would keep the nanny retrying for 30 s before its supervisor could start a new worker.
        # The drain itself may take as long as the longest job.
        try:
            async with rpc(address, timeout=CONNECT_S, connection_args=nanny.connection_args) as worker:
                await worker.zapiki_drain(reason="nanny closing")
        except Exception as exc:  # the worker is gone already, or was closing
            log.debug("no drain before the nanny closed: %s", exc)


class DrainBeforeRetire(SchedulerPlugin):
    """Runs in the scheduler: a worker being retired (`Client.retire_workers`, an adaptive scale-down, a worker's
    `--lifetime`) is drained first, so its running jobs finish where they are instead of running twice."""

    name = "zapiki-drain"
    idempotent = True  # every dispatcher registers it; the first one stays

    async def start(self, scheduler: Any) -> None:  # noqa: ANN401
        track = getattr(scheduler, "_track_retire_worker", None)
        if track is None or getattr(track, "_zapiki", False):
            return

        async def _track_retire_worker(ws: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
            try:
                await scheduler.rpc(ws.address).zapiki_drain(reason="retired by the scheduler")
            except Exception as exc:  # not a zapiki worker, or gone
                log.debug("no drain before retiring %s: %s", ws.address, exc)
            return await track(ws, *args, **kwargs)

        _track_retire_worker._zapiki = True  # type: ignore[attr-defined]
        scheduler._track_retire_worker = _track_retire_worker
