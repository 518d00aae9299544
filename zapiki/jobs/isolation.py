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
from typing import Any

from zapiki.jobs import wire
from zapiki.systems.base import ProveContext

START_TIMEOUT_S = 60.0


class ChildProcess:
    """One prover child process; `run` sends a request and waits at most until the deadline."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "zapiki.jobs.child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=os.environ.copy(),
        )
        assert proc.stdout is not None
        if not _wait_readable(proc.stdout, time.time() + START_TIMEOUT_S):
            proc.kill()
            raise RuntimeError("isolated prover process did not start")
        wire.receive(proc.stdout)
        return proc

    def run(self, system: str, data: Any, ctx: ProveContext) -> dict[str, Any]:  # noqa: ANN401
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        proc = self.proc
        assert proc.stdin is not None and proc.stdout is not None
        t0 = time.perf_counter()
        request = {
            "system": system,
            "data": data,
            "ctx": {
                "secrets": ctx.secrets,
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
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        assert self.proc.stdin is not None and self.proc.stdout is not None
        wire.send(self.proc.stdin, {"warmup": True})
        wire.receive(self.proc.stdout)

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

    def run(self, system: str, data: Any, ctx: ProveContext) -> dict[str, Any]:  # noqa: ANN401
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

    def warmup(self, n: int) -> None:
        children = [self._checkout() for _ in range(n)]
        try:
            for c in children:
                c.warmup()
        finally:
            with self._lock:
                self._free.extend(children)

    def close(self) -> None:
        with self._lock:
            for child in self._all:
                child.kill()
            self._all.clear()
            self._free.clear()
