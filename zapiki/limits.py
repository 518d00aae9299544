"""The limits' types, low in the package so that reading the settings does not import the proof systems.

:class:`CircuitLimits` bounds the circuits a key of a tier may upload (checked by
:func:`zapiki.systems.groth16.limits.check_circuit_limits`); :class:`WasmLimits` bounds an uploaded wasm while
:mod:`zapiki.witness.sandbox` probes it. Both are plain frozen dataclasses; the settings hold one
``CircuitLimits`` per tier and one ``WasmLimits``.

>>> CircuitLimits(max_constraints=1000, max_wires=2000, max_public=4).max_domain_size
1024
>>> WasmLimits(cpu_s=3).wall_s
15.0
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CircuitLimits", "WasmLimits"]


@dataclass(frozen=True)
class CircuitLimits:
    """The largest circuit accepted: constraints, wires (= witness values = key variables) and public signals.

    Validated when built: ``max_constraints`` and ``max_wires`` are integers >= 1, ``max_public`` >= 0.

    >>> CircuitLimits(max_constraints=65_000, max_wires=131_072, max_public=256).max_domain_size
    65536
    >>> CircuitLimits(max_constraints=0, max_wires=1, max_public=0)
    Traceback (most recent call last):
    ...
    ValueError: CircuitLimits.max_constraints must be an integer >= 1, got 0
    """

    max_constraints: int
    max_wires: int
    max_public: int

    def __post_init__(self) -> None:
        for name, least in (("max_constraints", 1), ("max_wires", 1), ("max_public", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"CircuitLimits.{name} must be an integer >= {least}, got {value!r}")

    @property
    def max_domain_size(self) -> int:
        """The evaluation domain of the largest circuit within the limits: the smallest power of two
        ``>= max_constraints + max_public + 1`` (snarkjs's rule; the key's H section has that many points)."""
        return 1 << (self.max_constraints + self.max_public).bit_length()


@dataclass(frozen=True)
class WasmLimits:
    """Bounds on an uploaded wasm while it is probed."""

    max_bytes: int = 64 << 20  # the module itself
    cpu_s: int = 10  # CPU seconds of the probing process (RLIMIT_CPU)
    wall_s: float = 15.0  # wall time of the probing process
    memory_bytes: int = 1 << 30  # the module's linear memory (wasmtime store limit)
    address_space_bytes: int = 6 << 30  # the probing process's address space (RLIMIT_AS)
    table_elements: int = 1_000_000
