"""The constraint check: the first constraint of an ``.r1cs`` that a witness does not satisfy (numba kernels;
only proofs given the circuit's ``.r1cs`` run it)."""

from __future__ import annotations

import numpy as np
from numba import njit

from zapiki.formats import R1CS
from zapiki.kernels import fr
from zapiki.kernels.fr import fr_add, fr_mul

__all__ = ["first_unsatisfied"]


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
