"""The prover's BN254 kernels compiled ahead of time: Groth16 proofs without numba at run time.

``zapiki.kernels`` holds the kernels as numba functions, compiled on first use and then loaded from numba's
cache; a process that loads them carries numba and LLVM (about 110 MB) and pays a fraction of a second for it.
:mod:`zapiki.kernels.aot` compiles the ones a Groth16 proof needs (MSM, NTT, witness map) into one extension
module, ``zapiki/native/_bn254*.so`` (``make native``, part of ``make install``), with numba's ``pycc``; this
package loads it with numpy alone and runs the same kernels, the MSM's windows and digits spread over threads
(each call releases the GIL).

:func:`module` is the compiled module when it was built from the kernels' current sources for this machine
(a stamp beside it says which), else ``None``: the prover then uses the numba kernels, with the same results.
``ZAPIKI_NATIVE=off`` turns it off.

>>> from zapiki import native
>>> native.module() is None or hasattr(native.module(), "windows_into_g1")
True
"""

from __future__ import annotations

import hashlib
import importlib
import os
import threading
from importlib import metadata
from pathlib import Path
from types import ModuleType

__all__ = ["STAMP", "expected_stamp", "module", "threads"]

HERE = Path(__file__).resolve().parent
KERNELS = HERE.parent / "kernels"
#: Written beside the compiled module by the build: what it was compiled from and for.
STAMP = HERE / "_bn254.stamp"

_lock = threading.Lock()
_loaded: list[ModuleType | None] = []


def expected_stamp(cpu: str) -> str:
    """The stamp a module compiled now from the kernels' sources for ``cpu`` would carry."""
    digest = hashlib.sha256()
    for path in sorted(KERNELS.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    try:
        numba_version = metadata.version("numba")
    except metadata.PackageNotFoundError:
        numba_version = "none"
    return f"{digest.hexdigest()} numba {numba_version} cpu {cpu}"


def _host_cpu() -> str:
    """The CPU's model as /proc/cpuinfo names it (a module compiled for "host" runs only on the same model)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def _load() -> ModuleType | None:
    if os.environ.get("ZAPIKI_NATIVE", "").lower() in ("off", "0", "no", "false"):
        return None
    try:
        stamp = STAMP.read_text().strip()
    except OSError:
        return None
    cpu = stamp.rsplit(" cpu ", 1)[-1]
    if stamp != expected_stamp(cpu) or (cpu.startswith("host:") and cpu != f"host:{_host_cpu()}"):
        return None  # built from other sources, another numba, or for another CPU: the numba kernels instead
    try:
        return importlib.import_module("zapiki.native._bn254")
    except ImportError:
        return None


def module() -> ModuleType | None:
    """The compiled kernels, or None where they are not built (or stale, or turned off)."""
    with _lock:
        if not _loaded:
            _loaded.append(_load())
        return _loaded[0]


def threads() -> int:
    """How many threads a compiled MSM spreads over: ``NUMBA_NUM_THREADS`` where set (the same knob as the numba
    kernels'), else the CPUs this process may run on."""
    env = os.environ.get("NUMBA_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
