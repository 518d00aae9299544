"""From the witness to the prover's scalars: A/B/C evaluations on the domain, odd-coset NTTs and h.

1. ``A[i] = sum v * w[signal]`` over the key's A terms of row i (B likewise), ``C[i] = A[i] * B[i]``. Key
   values are ``v * R^2`` and witness values plain, so one Montgomery product gives ``v * w`` in Montgomery form.
2. Each of A, B, C: inverse NTT on the n-domain, then a forward NTT on the odd coset ``omega_2n * omega_n^i``.
3. ``h = A * B - C`` on that coset, returned as plain limbs (the MSM's scalar format). The key's H points are
   the odd Lagrange basis of the 2n-domain over delta, so no division by Z(x) is needed.

The constraint check (:func:`first_unsatisfied`) evaluates an ``.r1cs``'s three matrices in plain arithmetic.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from types import ModuleType

import numpy as np

from zapiki import native
from zapiki.formats import R1CS
from zapiki.native import ntt as native_ntt

from .keys import ProvingKey

__all__ = ["coset_evaluations", "evaluate_ab", "first_unsatisfied", "h_scalars"]


def _kernels(numba_twin: str) -> ModuleType:
    """The compiled kernels where built (no numba in this process), else numba's module of the same names,
    ``zapiki.kernels.rows`` or ``zapiki.kernels.ntt``."""
    compiled = native.module()
    if compiled is not None:
        return compiled
    from zapiki.kernels import ntt, rows

    return {"ntt": ntt, "rows": rows}[numba_twin]


def _to_odd_coset(values: np.ndarray) -> np.ndarray:
    k = _kernels("ntt")
    return native_ntt.coset_ntt(k, native_ntt.intt(k, values))


def first_unsatisfied(r1cs: R1CS, witness: np.ndarray) -> int | None:
    """Index of the first constraint of ``r1cs`` that the plain ``(n_wires, 4)`` witness fails, or None
    (:mod:`.constraints`)."""
    from .constraints import first_unsatisfied as first

    return first(r1cs, witness)


def evaluate_ab(pk: ProvingKey, witness: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(A, B, C)`` on the n-domain, Montgomery ``(domain_size, 4)``; ``witness`` is plain ``(n_vars, 4)``."""
    w = np.require(witness, dtype=np.uint64, requirements=["C", "W"])
    n = pk.domain_size
    a = np.empty((n, 4), dtype=np.uint64)
    b = np.empty((n, 4), dtype=np.uint64)
    k = _kernels("rows")
    k.rows_into(pk.row_ptr[0], pk.signal[0], pk.value[0], w, a)
    k.rows_into(pk.row_ptr[1], pk.signal[1], pk.value[1], w, b)
    c = np.empty_like(a)
    k.mul_into(a, b, c)
    return a, b, c


def coset_evaluations(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, pool: ThreadPoolExecutor | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A, B, C moved from the n-domain to the odd coset (3 inverse + 3 forward NTTs, concurrently in ``pool``)."""
    if pool is None:
        return _to_odd_coset(a), _to_odd_coset(b), _to_odd_coset(c)
    futs = [pool.submit(_to_odd_coset, x) for x in (a, b, c)]
    return futs[0].result(), futs[1].result(), futs[2].result()


def h_scalars(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``A * B - C`` on the coset as plain limbs ``(domain_size, 4)``."""
    out = np.empty_like(a)
    _kernels("rows").h_into(a, b, c, out)
    return out
