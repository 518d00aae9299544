"""The isolated child process: reads (system, data, context) requests, answers with result dicts.

Started by `zapiki.jobs.isolation.ChildProcess` as `python -m zapiki.jobs.child`. It dies with its parent
(PR_SET_PDEATHSIG on Linux, and end-of-input otherwise), so a killed worker leaves no orphan prover behind.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

from zapiki.jobs import wire
from zapiki.jobs.execute import execute
from zapiki.systems.base import ProveContext


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def main() -> None:
    _die_with_parent()
    # The worker decides when this process stops (it drains on SIGTERM/SIGINT, kills this child at a deadline):
    # a Ctrl-C or SIGTERM sent to the whole process group must not end a proof half-way.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # The protocol owns the original stdout; anything the prover prints goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    inp = sys.stdin.buffer
    if os.getppid() == 1:
        return
    _configure_caches()
    wire.send(out, {"ready": os.getpid()})
    while True:
        try:
            request = wire.receive(inp)
        except EOFError:
            return
        if request.get("warmup"):
            _warmup()
            wire.send(out, {"ok": True})
            continue
        ctx = ProveContext(**request["ctx"])
        wire.send(out, execute(request["system"], request["data"], ctx))


def _configure_caches() -> None:
    """The cache sizes of `scheduler_config.yaml` (defaults when it cannot be read)."""
    try:
        from zapiki.config import Settings
        from zapiki.systems.groth16 import configure_caches

        settings = Settings.load()
        configure_caches(calculators=settings.cache_calculators, proving_keys=settings.cache_proving_keys)
    except Exception:  # a bad or missing config file leaves the defaults
        pass


def warm_numba_kernels() -> None:
    """Every numba kernel a job may use: compiled on a fresh machine (into numba's cache), else loaded from it."""
    from zapiki.systems.groth16.warmup import warmup as groth16_warmup
    from zapiki.systems.plonk.warmup import warmup as plonk_warmup

    groth16_warmup()
    plonk_warmup()


def _warmup() -> None:
    """No job may pay a compilation. With the compiled kernels (zapiki.native) a Groth16 proof needs no numba:
    the numba kernels (PLONK, setups, constraint checks) are compiled into numba's cache by a throwaway process,
    and this one stays without numba (about 110 MB less) until a job needs them, then loads them from the cache.
    Without the compiled kernels this process loads them all now."""
    from zapiki import native

    if native.module() is None:
        warm_numba_kernels()
        return
    import subprocess

    warm = "from zapiki.jobs.child import warm_numba_kernels; warm_numba_kernels()"
    subprocess.run([sys.executable, "-c", warm], stdin=subprocess.DEVNULL, check=False, timeout=1800)


if __name__ == "__main__":
    main()
