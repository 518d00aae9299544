"""The PLONK tests' shared fixture: ``plonk_circuits``, the session's :class:`~.circuits.Workshop`, so that a
circuit the prover's, the verifier's, the reference prover's and the setup's tests all use is compiled and set
up once."""

from __future__ import annotations

import pytest

from .circuits import Snarkjs, Workshop


@pytest.fixture(scope="session")
def plonk_circuits(snarkjs: Snarkjs, tmp_path_factory: pytest.TempPathFactory) -> Workshop:
    """Builds the circuits of :data:`~.circuits.CIRCUITS` on demand, each once a session (see :mod:`.circuits`)."""
    return Workshop(tmp_path_factory.mktemp("plonk-circuits"), snarkjs)
