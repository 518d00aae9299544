"""`diagnostic`: a proof system for tests and operational canaries (enabled with ZAPIKI_DIAGNOSTICS=1).

Its input says how to behave: {"sleep_s": seconds to run (in small steps, so a CPU is really held),
"fail_attempts": fail transiently on the first N attempts, "input_error": fail as bad input, "value": echoed}.
It runs isolated, like a real prover, so timeouts kill it.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any, ClassVar

from zapiki.errors import InputError, TransientError
from zapiki.systems.base import Capabilities, ProofOutput, ProveContext


class DiagnosticSystem:
    name: ClassVar[str] = "diagnostic"
    capabilities: ClassVar[Capabilities] = Capabilities(
        async_only=True, isolated=True, typical_ms=10.0, features=("sleep_s", "fail_attempts", "input_error")
    )
    input_forms: ClassVar[list[tuple[dict[str, Any], dict[str, Any], list[str]]]] = [
        ({"type": "object", "properties": {"sleep_s": {"type": ["number", "boolean"], "minimum": 0}}}, {}, [])
    ]

    def prepare_input(self, data: Any, options: dict[str, Any]) -> dict[str, Any]:  # noqa: ANN401
        if not isinstance(data, dict):
            raise InputError("diagnostic input must be a JSON object")
        sleep_s = data.get("sleep_s", 0)
        if not isinstance(sleep_s, int | float) or sleep_s < 0:
            raise InputError("sleep_s must be a number >= 0")
        return dict(data)

    def generate(self, data: dict[str, Any], ctx: ProveContext) -> ProofOutput:
        if data.get("input_error"):
            raise InputError(f"diagnostic input error: {data['input_error']}")
        if ctx.attempt <= int(data.get("fail_attempts", 0)):
            raise TransientError(f"diagnostic transient failure on attempt {ctx.attempt}")
        end = time.monotonic() + float(data.get("sleep_s", 0))
        while time.monotonic() < end:
            time.sleep(min(0.01, max(0.0, end - time.monotonic())))
        proof = {
            "value": data.get("value"),
            "attempt": ctx.attempt,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "secrets": sorted(ctx.secrets),  # the names of the secrets this run was handed (none, when isolated)
        }
        return ProofOutput(proof, {"value": data.get("value")}, None)

    def verify(self, proof: dict[str, Any], public_inputs: Any, verification_key: Any = None) -> bool:  # noqa: ANN401
        return isinstance(proof, dict) and proof.get("value") == (public_inputs or {}).get("value")
