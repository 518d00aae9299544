"""Isolated execution on a worker: each worker thread owns a persistent child process that runs provers and
is killed (SIGKILL) when a job passes its deadline, so the CPU is free within moments and the next job gets a
fresh child. Keeping the child between jobs keeps what it cached (parsed proving keys, compiled kernels).
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from zapiki.jobs import wire
from zapiki.systems.base import ProveContext

START_TIMEOUT_S = 60.0
#: Variables a prover process does not inherit from its worker. A Dask nanny sets glibc's MALLOC_TRIM_THRESHOLD_
#: for its worker (`distributed.nanny.pre-spawn-environ`); set at all, it also fixes malloc's mmap threshold at
#: 128 KiB, so every large array a proof allocates is mapped afresh and faulted in page by page: at 2^16
#: constraints ~275,000 page faults and ~0.45 CPU-seconds of system time more per proof (+23%, measured with
#: `benchmarks/bench_service.py`). The prover's heap keeps what a proof freed for the next one instead.
PROVER_ENV_DROPPED = ("MALLOC_TRIM_THRESHOLD_",)
# Children die with the thread that started them (PR_SET_PDEATHSIG follows the parent *thread*), so every
# child is started from this one long-lived thread, never from a short-lived warm-up or task thread.
_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zapiki-spawn")


def prover_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a prover process starts with: `base` (default: this process's), less
    `PROVER_ENV_DROPPED`.

    >>> prover_environment({"MALLOC_TRIM_THRESHOLD_": "65536", "OMP_NUM_THREADS": "1", "PATH": "/usr/bin"})
    {'OMP_NUM_THREADS': '1', 'PATH': '/usr/bin'}
    """
    env = dict(os.environ if base is None else base)
    for name in PROVER_ENV_DROPPED:
        env.pop(name, None)
    return env


class ChildProcess:
    """One prover child process; `run` sends a request and waits at most until the deadline."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        proc = _SPAWNER.submit(
            subprocess.Popen,
            [sys.executable, "-m", "zapiki.jobs.child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=prover_environment(),
            # its own process group: a Ctrl-C to the terminal's group reaches the worker, which drains, and not
            # the prover half-way through a proof (it still dies with the worker: PR_SET_PDEATHSIG)
            process_group=0,
        ).result()
        assert proc.stdout is not None
        if not _wait_readable(proc.stdout, time.time() + START_TIMEOUT_S):
            proc.kill()
            raise RuntimeError("isolated prover process did not start")
        wire.receive(proc.stdout)
        return proc

    def _running(self) -> subprocess.Popen[bytes]:
        """The child, (re)started if it is not running."""
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        assert self.proc.stdin is not None and self.proc.stdout is not None
        return self.proc

    def run(self, system: str, data: Any, ctx: ProveContext) -> dict[str, Any]:  # noqa: ANN401
        proc = self._running()
        t0 = time.perf_counter()
        request = {
            "system": system,
            "data": data,
            "ctx": {
                # never a secret: an isolated prover runs code from strangers (a circuit's wasm)
                "secrets": {},
                "attempt": ctx.attempt,
                "deadline": ctx.deadline,
                "resources": ctx.resources,
                "options": ctx.options,
            },
        }
        try:
            wire.send(proc.stdin, request)
            if _wait_readable(proc.stdout, ctx.deadline):
                return wire.receive(proc.stdout)
        except (BrokenPipeError, EOFError):
            self.kill()
            return {"ok": False, "kind": "transient", "error": "isolated prover process died", "took_ms": 0.0}
        self.kill()
        return {"ok": False, "kind": "timeout", "error": "timeout", "took_ms": (time.perf_counter() - t0) * 1000}

    def warmup(self) -> None:
        proc = self._running()
        wire.send(proc.stdin, {"warmup": True})
        wire.receive(proc.stdout)

    def kill(self) -> None:
        if self.proc is not None:
            try:
                self.proc.kill()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
            self.proc = None


def _wait_readable(stream: Any, deadline: float | None) -> bool:  # noqa: ANN401
    while True:
        remaining = None if deadline is None else max(0.0, deadline - time.time())
        ready, _, _ = select.select([stream], [], [], remaining)
        if ready:
            return True
        if deadline is not None and time.time() >= deadline:
            return False


class ChildPool:
    """A child process per worker thread (checked out while a job runs)."""

    def __init__(self) -> None:
        self._free: list[ChildProcess] = []
        self._all: list[ChildProcess] = []
        self._lock = threading.Lock()
        self._warm = threading.Event()
        self._warm.set()

    def run(self, system: str, data: Any, ctx: ProveContext, needs_kernels: bool = True) -> dict[str, Any]:  # noqa: ANN401
        # A job that needs the compiled kernels and arrives while the children warm up waits for them (within
        # its deadline) rather than starting a cold child that would compile the same kernels again.
        if needs_kernels:
            self._warm.wait(None if ctx.deadline is None else max(0.0, ctx.deadline - time.time()))
        child = self._checkout()
        try:
            return child.run(system, data, ctx)
        finally:
            with self._lock:
                self._free.append(child)

    def _checkout(self) -> ChildProcess:
        with self._lock:
            if self._free:
                return self._free.pop()
            child = ChildProcess()
            self._all.append(child)
            return child

    def warmup(self, n: int, background: bool = True) -> None:
        """Start `n` children and load the compiled kernels in them (in a background thread by default, so a
        worker registers at once even when the kernel cache is cold and compiling takes minutes)."""
        self._warm.clear()
        children = [self._checkout() for _ in range(n)]

        def _warm() -> None:
            try:
                for c in children:
                    try:
                        c.warmup()
                    except Exception:
                        c.kill()
            finally:
                with self._lock:
                    self._free.extend(children)
                self._warm.set()

        if background:
            threading.Thread(target=_warm, name="zapiki-warmup", daemon=True).start()
        else:
            _warm()

    def close(self) -> None:
        with self._lock:
            for child in self._all:
                child.kill()
            self._all.clear()
            self._free.clear()
