"""The registry of proof systems: built-in ones plus any registered through the `zapiki.proof_systems`
entry-point group, so a `dask worker` finds a third-party system just by having its package installed.

>>> get("commitment").capabilities.async_only
False
>>> "commitment" in names()
True
"""

from __future__ import annotations

import os
from importlib.metadata import entry_points

from zapiki.errors import UnknownProofSystem
from zapiki.systems.base import Capabilities, ProofOutput, ProofSystem, ProveContext

__all__ = ["Capabilities", "ProofOutput", "ProofSystem", "ProveContext", "get", "names", "register"]

ENTRY_POINT_GROUP = "zapiki.proof_systems"
_registry: dict[str, ProofSystem] = {}
_loaded = False

# Systems that exist for tests and operational canaries; visible only when ZAPIKI_DIAGNOSTICS=1.
_DIAGNOSTIC = {"diagnostic"}


def register(system: ProofSystem, *, replace: bool = False) -> ProofSystem:
    """Add `system` (an instance) under `system.name`."""
    if not replace and system.name in _registry and type(_registry[system.name]) is not type(system):
        raise ValueError(f"a proof system named {system.name!r} is already registered")
    _registry[system.name] = system
    return system


def _diagnostics_enabled() -> bool:
    return os.environ.get("ZAPIKI_DIAGNOSTICS", "") not in ("", "0", "false")


def _load() -> None:
    global _loaded
    if _loaded:
        return
    from zapiki.systems.commitment import CommitmentSystem
    from zapiki.systems.diagnostic import DiagnosticSystem
    from zapiki.systems.groth16.system import Groth16System

    for cls in (CommitmentSystem, DiagnosticSystem, Groth16System):
        _registry.setdefault(cls.name, cls())
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _registry:
            continue
        try:
            cls = ep.load()
        except Exception:  # a broken plug-in must not take the platform down
            continue
        _registry.setdefault(ep.name, cls() if isinstance(cls, type) else cls)
    _loaded = True


def names() -> list[str]:
    """The names of the registered systems (diagnostic ones only when enabled)."""
    _load()
    return sorted(n for n in _registry if n not in _DIAGNOSTIC or _diagnostics_enabled())


def get(name: str) -> ProofSystem:
    """The system registered as `name`; UnknownProofSystem (an input error) otherwise."""
    _load()
    if not isinstance(name, str) or name not in names():
        raise UnknownProofSystem(f"unknown proof system {name!r}; available: {', '.join(names())}")
    return _registry[name]
