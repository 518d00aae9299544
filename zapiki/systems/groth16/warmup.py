"""Load (or, on a fresh machine, compile) every numba kernel a Groth16 worker uses, before its first job:
the field, curve, MSM, NTT and pairing kernels (:func:`zapiki.kernels.warmup`), and the Groth16 stages' own —
the witness map and the constraint check of the prover, the scatter of the development setup — by running a
setup and a self-checked proof of a one-constraint circuit held in memory (``a * b = c``). A worker that warmed up
pays no compilation on its first proof.
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["warmup"]


def _circuit() -> tuple[object, np.ndarray]:
    """``a * b = c`` (wires: one, c public, a and b private) and the witness for 3 * 11 = 33."""
    from zapiki.formats import BN254_R, R1CS, TERM_DTYPE
    from zapiki.formats.field import ints_to_limbs

    terms = np.zeros(3, dtype=TERM_DTYPE)
    for i, (matrix, signal) in enumerate(((0, 2), (1, 3), (2, 1))):  # A: a, B: b, C: c
        terms[i]["matrix"], terms[i]["row"], terms[i]["signal"] = matrix, 0, signal
        terms[i]["value"][0] = 1
    r1cs = R1CS(
        prime=BN254_R, n_wires=4, n_pub_out=1, n_pub_in=0, n_prv_in=2, n_labels=4, n_constraints=1, terms=terms,
        wire_to_label=None,
    )  # fmt: skip
    return r1cs, ints_to_limbs([1, 33, 3, 11])


def warmup() -> dict[str, float]:
    """Seconds per part: the kernels' (``fields``, ``g1``, ...) and ``groth16`` (setup, proof and its checks).

    >>> sorted(warmup())
    ['fields', 'g1', 'g2', 'groth16', 'msm', 'ntt', 'pairing']
    """
    from zapiki.kernels import warmup as warm_kernels

    from .keys import load_proving_key
    from .prover import prove
    from .setup import dev_setup_r1cs

    times = warm_kernels()
    start = time.perf_counter()
    r1cs, witness = _circuit()
    key = load_proving_key(dev_setup_r1cs(r1cs).zkey_bytes)
    proof = prove(key, witness, r1cs=r1cs)  # the constraint check, the witness map, the self-check
    assert proof.public_json() == ["33"]
    times["groth16"] = time.perf_counter() - start
    return times
