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

import numpy as np
from numba import njit, prange

from zapiki.formats import R1CS
from zapiki.kernels import fr, ntt
from zapiki.kernels.fr import fr_add, fr_mul, fr_sub

from .keys import ProvingKey

__all__ = ["coset_evaluations", "evaluate_ab", "first_unsatisfied", "h_scalars"]


@njit(cache=True, nogil=True, parallel=True)
def _rows_into(ptr: np.ndarray, sig: np.ndarray, val: np.ndarray, w: np.ndarray, out: np.ndarray) -> None:
    """out[i] = sum_{t in row i} val[t] * w[sig[t]] (Montgomery products)."""
    for i in prange(ptr.shape[0] - 1):
        acc = (np.uint64(0), np.uint64(0), np.uint64(0), np.uint64(0))
        for t in range(ptr[i], ptr[i + 1]):
            s = sig[t]
            term = fr_mul((val[t, 0], val[t, 1], val[t, 2], val[t, 3]), (w[s, 0], w[s, 1], w[s, 2], w[s, 3]))
            acc = fr_add(acc, term)
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = acc


@njit(cache=True, nogil=True, parallel=True)
def _mul_into(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    for i in prange(a.shape[0]):
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = fr_mul(
            (a[i, 0], a[i, 1], a[i, 2], a[i, 3]), (b[i, 0], b[i, 1], b[i, 2], b[i, 3])
        )


@njit(cache=True, nogil=True, parallel=True)
def _h_into(a: np.ndarray, b: np.ndarray, c: np.ndarray, out: np.ndarray) -> None:
    """out = from_montgomery(a * b - c): plain limbs, ready as MSM scalars."""
    one = (np.uint64(1), np.uint64(0), np.uint64(0), np.uint64(0))
    for i in prange(a.shape[0]):
        ab = fr_mul((a[i, 0], a[i, 1], a[i, 2], a[i, 3]), (b[i, 0], b[i, 1], b[i, 2], b[i, 3]))
        d = fr_sub(ab, (c[i, 0], c[i, 1], c[i, 2], c[i, 3]))
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = fr_mul(d, one)


def evaluate_ab(pk: ProvingKey, witness: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(A, B, C)`` on the n-domain, Montgomery ``(domain_size, 4)``; ``witness`` is plain ``(n_vars, 4)``."""
    w = np.ascontiguousarray(witness, dtype=np.uint64)
    n = pk.domain_size
    a = np.empty((n, 4), dtype=np.uint64)
    b = np.empty((n, 4), dtype=np.uint64)
    _rows_into(pk.row_ptr[0], pk.signal[0], pk.value[0], w, a)
    _rows_into(pk.row_ptr[1], pk.signal[1], pk.value[1], w, b)
    c = np.empty_like(a)
    _mul_into(a, b, c)
    return a, b, c


def _to_odd_coset(values: np.ndarray) -> np.ndarray:
    return ntt.coset_ntt(ntt.intt(values))


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
    _h_into(a, b, c, out)
    return out


@njit(cache=True, nogil=True)
def _lc(ptr: np.ndarray, sig: np.ndarray, val: np.ndarray, w: np.ndarray, i: int) -> tuple:
    acc = (np.uint64(0), np.uint64(0), np.uint64(0), np.uint64(0))
    for t in range(ptr[i], ptr[i + 1]):
        s = sig[t]
        acc = fr_add(acc, fr_mul((val[t, 0], val[t, 1], val[t, 2], val[t, 3]), (w[s, 0], w[s, 1], w[s, 2], w[s, 3])))
    return acc


@njit(cache=True, nogil=True)
def _first_bad_row(ptrs: tuple, sigs: tuple, vals: tuple, w: np.ndarray) -> int:
    """The first row with <A,w> * <B,w> != <C,w>, or -1. vals are Montgomery, w plain: sums are plain."""
    one = (np.uint64(1), np.uint64(0), np.uint64(0), np.uint64(0))
    for i in range(ptrs[0].shape[0] - 1):
        a = _lc(ptrs[0], sigs[0], vals[0], w, i)
        b = _lc(ptrs[1], sigs[1], vals[1], w, i)
        c = _lc(ptrs[2], sigs[2], vals[2], w, i)
        # a * b / R on the left, c / R on the right
        ab = fr_mul(a, b)
        cc = fr_mul(c, one)
        if ab[0] != cc[0] or ab[1] != cc[1] or ab[2] != cc[2] or ab[3] != cc[3]:
            return i
    return -1


def first_unsatisfied(r1cs: R1CS, witness: np.ndarray) -> int | None:
    """Index of the first constraint of ``r1cs`` that the plain ``(n_wires, 4)`` witness fails, or None."""
    terms = r1cs.terms
    matrix = np.asarray(terms["matrix"])
    rows = np.asarray(terms["row"]).astype(np.int64)
    ptrs, sigs, vals = [], [], []
    for m in (0, 1, 2):
        sel = np.flatnonzero(matrix == m)
        order = sel[np.argsort(rows[sel], kind="stable")]
        ptr = np.zeros(r1cs.n_constraints + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows[order], minlength=r1cs.n_constraints), out=ptr[1:])
        ptrs.append(ptr)
        sigs.append(np.ascontiguousarray(terms["signal"][order], dtype=np.int64))
        vals.append(fr.to_montgomery(np.ascontiguousarray(terms["value"][order], dtype=np.uint64).reshape(-1, 4)))
    bad = _first_bad_row(tuple(ptrs), tuple(sigs), tuple(vals), np.ascontiguousarray(witness, dtype=np.uint64))
    return None if bad < 0 else int(bad)
