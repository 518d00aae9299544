"""Names a package exports but imports from its submodules only when first used (PEP 562), so that importing the
package stays cheap: `zapiki groth16 verify` needs no numpy, a Dask worker no numba or wasmtime.

>>> import sys, types
>>> pkg = types.ModuleType("demo_pkg"); pkg.__path__ = []; sys.modules["demo_pkg"] = pkg
>>> sys.modules["demo_pkg.sub"] = types.SimpleNamespace(answer=42)
>>> pkg.__getattr__, pkg.__dir__ = lazy_exports("demo_pkg", {"answer": "sub"})
>>> pkg.answer, "answer" in pkg.__dict__, "answer" in dir(pkg)
(42, True, True)
>>> pkg.question
Traceback (most recent call last):
...
AttributeError: module 'demo_pkg' has no attribute 'question'
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, where: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of `package`, for which `where` maps each lazily exported
    name to the submodule holding it. A name is imported on first use and then set on the package (later
    uses are plain attribute reads; a value already set on the package, e.g. by a test, wins)."""

    def __getattr__(name: str) -> Any:  # noqa: ANN401
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(where))

    return __getattr__, __dir__
