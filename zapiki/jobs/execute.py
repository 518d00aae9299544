"""Run one job's generation and turn every outcome into a plain result dict (never an exception).

Used the same way inline (fast systems, in the worker thread) and inside the isolated child process.
Result: {"ok": True, "proof_data", "public_inputs", "verification_key", "took_ms"} or
{"ok": False, "kind": "input" | "timeout" | "transient", "error": message, "took_ms"}.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

from zapiki import systems
from zapiki.errors import InputError, JobTimeout
from zapiki.systems.base import ProveContext


def execute(system_name: str, data: Any, ctx: ProveContext) -> dict[str, Any]:  # noqa: ANN401
    """Generate a proof with the named system; classify any failure as input, timeout or transient."""
    t0 = time.perf_counter()
    try:
        out = systems.get(system_name).generate(data, ctx)
        return {
            "ok": True,
            "proof_data": out.proof_data,
            "public_inputs": out.public_inputs,
            "verification_key": out.verification_key,
            "took_ms": (time.perf_counter() - t0) * 1000,
        }
    except InputError as exc:
        return _failure("input", str(exc) or type(exc).__name__, t0)
    except JobTimeout:
        return _failure("timeout", "timeout", t0)
    except Exception as exc:  # anything else may pass: retried per policy
        detail = f"{type(exc).__name__}: {exc}"
        return _failure("transient", detail, t0, traceback.format_exc(limit=5))


def _failure(kind: str, message: str, t0: float, tb: str | None = None) -> dict[str, Any]:
    result = {"ok": False, "kind": kind, "error": message, "took_ms": (time.perf_counter() - t0) * 1000}
    if tb:
        result["traceback"] = tb
    return result
