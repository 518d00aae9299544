"""Fixtures for the Groth16 tests: the circuits in tests/fixtures/groth16 and a snarkjs 0.7.6 to check against.

The `snarkjs` fixture itself is shared by the whole suite: see tests/conftest.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "groth16"
CIRCUITS = ["multiplier", "poseidon_chain_8"]


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
