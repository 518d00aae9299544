"""Row-wise Fr kernels of the Groth16 witness map, over ``(n, 4)`` uint64 limb arrays (one element per row).

* :func:`rows_into`: a sparse matrix (CSR: row pointers, column = signal index, values ``v * R^2``, Montgomery)
  times a plain witness vector, giving Montgomery values;
* :func:`mul_into`: the elementwise product (Montgomery);
* :func:`h_into`: ``a * b - c`` taken out of Montgomery form (plain limbs, the MSM's scalar format).

Rows are independent and run in parallel (numba prange; compiled ahead of time, see :mod:`zapiki.native`, the
same loops run serially and the caller splits the rows).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .fr import fr_add, fr_mul, fr_sub

__all__ = ["h_into", "mul_into", "rows_into"]


@njit(cache=True, nogil=True, parallel=True)
def rows_into(ptr: np.ndarray, sig: np.ndarray, val: np.ndarray, w: np.ndarray, out: np.ndarray) -> None:
    """out[i] = sum_{t in row i} val[t] * w[sig[t]] (Montgomery products)."""
    for i in prange(ptr.shape[0] - 1):
        acc = (np.uint64(0), np.uint64(0), np.uint64(0), np.uint64(0))
        for t in range(ptr[i], ptr[i + 1]):
            s = sig[t]
            term = fr_mul((val[t, 0], val[t, 1], val[t, 2], val[t, 3]), (w[s, 0], w[s, 1], w[s, 2], w[s, 3]))
            acc = fr_add(acc, term)
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = acc


@njit(cache=True, nogil=True, parallel=True)
def mul_into(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """out[i] = a[i] * b[i] (Montgomery)."""
    for i in prange(a.shape[0]):
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = fr_mul(
            (a[i, 0], a[i, 1], a[i, 2], a[i, 3]), (b[i, 0], b[i, 1], b[i, 2], b[i, 3])
        )


@njit(cache=True, nogil=True, parallel=True)
def h_into(a: np.ndarray, b: np.ndarray, c: np.ndarray, out: np.ndarray) -> None:
    """out = from_montgomery(a * b - c): plain limbs, ready as MSM scalars."""
    one = (np.uint64(1), np.uint64(0), np.uint64(0), np.uint64(0))
    for i in prange(a.shape[0]):
        ab = fr_mul((a[i, 0], a[i, 1], a[i, 2], a[i, 3]), (b[i, 0], b[i, 1], b[i, 2], b[i, 3]))
        d = fr_sub(ab, (c[i, 0], c[i, 1], c[i, 2], c[i, 3]))
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = fr_mul(d, one)
