"""Checks of the client's arguments: a wrong argument is an InputError naming it, before anything is sent."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from zapiki.config import PRIORITIES
from zapiki.errors import InputError
from zapiki.schema import STATUSES

FINAL = ("completed", "failed", "cancelled")


def text(name: str, value: Any, optional: bool = False) -> str | None:  # noqa: ANN401
    """`value` when it is a string (or None, when `optional`); else an InputError naming the argument."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise InputError(f"{name} must be a string, got {type(value).__name__}")
    return value


def limit(value: Any) -> int | None:  # noqa: ANN401
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"limit must be a whole number >= 0 or None, got {value!r}")
    return value


def status(value: Any) -> str | None:  # noqa: ANN401
    found = text("status", value, optional=True)
    if found is not None and found not in STATUSES:
        raise InputError(f"status must be one of {', '.join(STATUSES)}, got {found!r}")
    return found


def timeout(value: Any) -> float | None:  # noqa: ANN401
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise InputError(f"timeout must be a number of seconds >= 0 or None, got {value!r}")
    return float(value)


def priority(value: Any) -> str:  # noqa: ANN401
    if value not in PRIORITIES:
        raise InputError(f"priority must be one of {', '.join(PRIORITIES)}, got {value!r}")
    return value


def file(name: str, value: Any) -> bytes | None:  # noqa: ANN401
    """A circuit file given as bytes or as a path."""
    if value is None or isinstance(value, bytes | bytearray | memoryview):
        return None if value is None else bytes(value)
    if not isinstance(value, str | os.PathLike):
        raise InputError(f"{name} must be bytes or a path to a file, got {type(value).__name__}")
    try:
        return Path(value).read_bytes()
    except (OSError, ValueError) as exc:
        raise InputError(f"{name}: cannot read {value!r}: {exc}") from exc


def circuit_ref(circuit: Any) -> str | None:  # noqa: ANN401
    """A circuit given by its name, its id, or what `register_circuit` returned, as a name or id string."""
    if circuit is None:
        return None
    if isinstance(circuit, dict) and isinstance(circuit.get("id"), str):
        return circuit["id"]
    if not isinstance(circuit, str):
        raise InputError(
            f"circuit must be a circuit's name, its id or what register_circuit returned, got {type(circuit).__name__}"
        )
    return circuit


def folder(value: Any) -> Path:  # noqa: ANN401
    if not isinstance(value, str | os.PathLike):
        raise InputError(f"folder must be a path, got {type(value).__name__}")
    return Path(value)
