"""Fixtures for the Groth16 tests: the circuits in tests/fixtures/groth16 and a snarkjs 0.7.6 to check against.

snarkjs is found at ``.ci/node/node_modules/.bin/snarkjs`` (``npm install --prefix .ci/node snarkjs@0.7.6``) or
at ``$ZAPIKI_SNARKJS``. Locally a missing snarkjs skips the interop tests; in CI (``CI=true``) it fails them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "groth16"
CIRCUITS = ["multiplier", "poseidon_chain_8"]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class Circuit:
    """One fixture folder: circuit files plus snarkjs's witness, proof, public signals and verification key."""

    name: str
    dir: Path

    def path(self, name: str) -> Path:
        return self.dir / name

    def json(self, name: str) -> Any:  # noqa: ANN401
        return json.loads((self.dir / name).read_text())


@pytest.fixture(params=CIRCUITS, scope="session")
def circuit(request: pytest.FixtureRequest) -> Circuit:
    return Circuit(request.param, FIXTURES / request.param)


@pytest.fixture(scope="session")
def multiplier() -> Circuit:
    return Circuit("multiplier", FIXTURES / "multiplier")


def _find_snarkjs() -> str | None:
    env = os.environ.get("ZAPIKI_SNARKJS")
    if env:
        return env if Path(env).exists() or shutil.which(env) else None
    local = REPO / ".ci" / "node" / "node_modules" / ".bin" / "snarkjs"
    return str(local) if local.exists() and shutil.which("node") else None


@pytest.fixture(scope="session")
def snarkjs() -> Callable[..., subprocess.CompletedProcess]:
    """Run ``snarkjs ARGS...``; returns the completed process (check ``returncode``)."""
    exe = _find_snarkjs()
    if exe is None:
        message = "snarkjs not found: run `npm install --prefix .ci/node snarkjs@0.7.6` or set ZAPIKI_SNARKJS"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)

    def run(*args: str | Path) -> subprocess.CompletedProcess:
        return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, timeout=120)

    return run
