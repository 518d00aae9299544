"""Load (or, on a fresh machine, compile) the PLONK prover's numba kernels before a worker's first PLONK job, by
setting up and proving a one-constraint circuit held in memory (``a * b = c``, a development powers of tau of
2^3). Without it the first PLONK proof on a fresh worker spends seconds compiling, inside its job's timeout.
"""

from __future__ import annotations

import time

__all__ = ["warmup"]


def warmup() -> dict[str, float]:
    """Seconds the PLONK round trip took (``plonk``).

    >>> sorted(warmup())
    ['plonk']
    """
    from zapiki.formats.plonk_zkey import plonk_zkey_to_vkey
    from zapiki.systems.groth16.ptau_setup import dev_ptau
    from zapiki.systems.groth16.warmup import _circuit

    from .prover import prove
    from .setup import build_plonk_zkey
    from .verifier import verify

    start = time.perf_counter()
    r1cs, witness = _circuit()
    key = build_plonk_zkey(r1cs, dev_ptau(3))
    proof, public = prove(key, witness)
    assert public == ["33"] and verify(plonk_zkey_to_vkey(key), public, proof)
    return {"plonk": time.perf_counter() - start}
