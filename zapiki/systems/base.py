"""The one interface every proof system implements, and the values it exchanges with the job platform."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from zapiki.errors import JobTimeout


@dataclass(frozen=True)
class Capabilities:
    """What the platform needs to know to schedule a system's work.

    async_only: always runs as a job (never inside a request).
    isolated: runs in a worker's child process that is killed at the deadline (long, CPU-bound provers).
      Systems that are not isolated are fast and bounded; their jobs are batched many to one Dask task.
    typical_ms: a rough duration of one proof, for clients and the dashboard.
    setup_required: needs a circuit (proving/verification key) registered first.
    uses_kernels: proves with the compiled numba kernels (a fresh worker warms them up first).
    """

    async_only: bool = False
    isolated: bool = False
    typical_ms: float = 1.0
    setup_required: bool = False
    features: tuple[str, ...] = ()
    uses_kernels: bool = False  # proves with the numba kernels: waits for a worker's warm-up before running

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ProofOutput:
    """What a generation returns: stored in the proof row as proof_data, public_inputs, verification_key."""

    proof_data: dict[str, Any]
    public_inputs: Any = None
    verification_key: Any = None


@dataclass
class ProveContext:
    """Per-attempt facts handed to `generate`: secrets the system needs, the attempt number, the deadline."""

    secrets: dict[str, bytes] = field(default_factory=dict)
    attempt: int = 1
    deadline: float | None = None  # time.time() value; long kernels call check_deadline() between stages
    resources: dict[str, Any] = field(default_factory=dict)  # shared large inputs (e.g. a proving key) by name
    options: dict[str, Any] = field(default_factory=dict)

    def check_deadline(self) -> None:
        """Raise JobTimeout if the deadline has passed (the cooperative half of the timeout)."""
        if self.deadline is not None and time.time() > self.deadline:
            raise JobTimeout("timeout")


@runtime_checkable
class ProofSystem(Protocol):
    """A proof system: a name, its capabilities, and how to prepare, generate and verify.

    Third-party systems register a class with this shape under the entry-point group `zapiki.proof_systems`.
    """

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]

    def prepare_input(self, data: Any, options: dict[str, Any]) -> Any:  # noqa: ANN401
        """Check and normalise the input when the job is created; raise InputError for bad input."""
        ...

    def generate(self, data: Any, ctx: ProveContext) -> ProofOutput:  # noqa: ANN401
        """Produce a proof of `data` (already normalised by prepare_input)."""
        ...

    def verify(self, proof: dict[str, Any], public_inputs: Any, verification_key: Any) -> bool:  # noqa: ANN401
        """True when the proof is valid for the public inputs under the verification key."""
        ...


@runtime_checkable
class CircuitSystem(Protocol):
    """A proof system that proves circuits registered with the service (`capabilities.setup_required`): how a
    circuit's files are checked and its keys made. The service stores what these return; it knows no system.
    A system with a universal setup sets `uses_ptau = True`: the service then passes its powers of tau
    (`ptau=...`, from `plonk.ptau`) to these methods."""

    def setup_label(self) -> str:
        """How a setup run here makes a circuit's keys (shown while it runs)."""
        ...

    def check_circuit(
        self,
        wasm_info: dict[str, Any],
        *,
        zkey: bytes | None,
        r1cs: bytes | None,
        limits: Any,  # noqa: ANN401
    ) -> dict[str, Any]:
        """The circuit's info from the files' headers, checked against `limits` (the caller's tier's, or None)
        and against the probed wasm (`wasm_info`); InputError otherwise. No key work."""
        ...

    def circuit_keys(
        self,
        wasm_info: dict[str, Any],
        *,
        zkey: bytes | None,
        r1cs: bytes | None,
        limits: Any,  # noqa: ANN401
    ) -> tuple[bytes, dict[str, Any], dict[str, Any]]:
        """(proving key, verification key, info): a given key checked, or one made (a setup) from `r1cs`."""
        ...
