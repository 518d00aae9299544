"""Size limits on a circuit, checked before any work is sized by it (the platform picks them per API-key tier).

A circuit is described by the dict :func:`~zapiki.systems.groth16.circuit_info` returns (or the counts of a
file's header alone): ``n_constraints``, ``n_wires``, ``n_vars`` (zkey), ``witness_size`` (wasm),
``n_public`` and ``domain_size`` (zkey). Each count present is compared with its limit; wires, key variables
and witness values are all bounded by ``max_wires``, and the evaluation domain by the domain of the largest
circuit within ``max_constraints`` and ``max_public``.

>>> limits = CircuitLimits(max_constraints=1000, max_wires=1000, max_public=4)
>>> check_circuit_limits({"n_constraints": 1, "n_wires": 4, "n_public": 1}, limits)
>>> check_circuit_limits({"n_constraints": 1920, "n_wires": 1923, "n_public": 2}, limits)
Traceback (most recent call last):
...
zapiki.errors.InputError: circuit too large: 1920 constraints (n_constraints) exceed the limit max_constraints=1000
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zapiki.errors import InputError
from zapiki.limits import CircuitLimits

__all__ = ["CircuitLimits", "check_circuit_limits"]

#: (key of the info dict, the limit that bounds it, what it counts), in the order they are checked.
_CHECKS = (
    ("n_constraints", "max_constraints", "constraints"),
    ("n_wires", "max_wires", "wires"),
    ("n_vars", "max_wires", "proving-key variables"),
    ("witness_size", "max_wires", "witness values"),
    ("n_public", "max_public", "public signals"),
)


def check_circuit_limits(info: Mapping[str, Any], limits: CircuitLimits) -> None:
    """Raise :class:`~zapiki.errors.InputError` naming the limit when the circuit ``info`` describes exceeds it.

    ``info`` is a :func:`~zapiki.systems.groth16.circuit_info` dict (any subset of its keys; absent keys and
    ``None`` values are not checked). A count equal to its limit is accepted.

    >>> limits = CircuitLimits(max_constraints=1000, max_wires=5000, max_public=4)
    >>> check_circuit_limits({"n_vars": 1923, "n_public": 2, "domain_size": 2048}, limits)
    Traceback (most recent call last):
    ...
    zapiki.errors.InputError: circuit too large: domain_size=2048 exceeds 1024, the domain of the largest \
circuit within the limits max_constraints=1000 and max_public=4
    """
    for key, limit_name, what in _CHECKS:
        value = info.get(key)
        limit = getattr(limits, limit_name)
        if value is not None and int(value) > limit:
            raise InputError(f"circuit too large: {int(value)} {what} ({key}) exceed the limit {limit_name}={limit}")
    domain = info.get("domain_size")
    if domain is not None and int(domain) > limits.max_domain_size:
        raise InputError(
            f"circuit too large: domain_size={int(domain)} exceeds {limits.max_domain_size}, the domain of the "
            f"largest circuit within the limits max_constraints={limits.max_constraints} and "
            f"max_public={limits.max_public}"
        )
