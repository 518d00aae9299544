"""Radix-2 number-theoretic transform over Fr with snarkjs's roots of unity.

Arrays are Fr elements in Montgomery form, uint64 ``(n, 4)`` with n a power of two, at most 2^28. The root of
order 2^k is omega_k = omega_28^(2^(28-k)), omega_28 from :mod:`constants` (generator 5), so evaluations
agree with snarkjs and with the H points of a .zkey:

* ``ntt(a)[i] = sum_j a[j] * omega_k^(i*j)`` (coefficients -> evaluations, natural order in and out);
* ``intt`` is its inverse;
* ``coset_ntt(a, shift)[i] = sum_j a[j] * (shift * omega_k^i)^j``; the default shift omega_(k+1) is the odd
  coset the Groth16 prover of snarkjs uses (``coset_intt`` inverts it).

Iterative decimation in time: bit-reversal permutation, then log2(n) stages whose butterflies run in parallel.
Twiddle tables (omega_k^j, j < n/2) are cached per size.
"""

from __future__ import annotations

import sys

import numpy as np
from numba import njit, prange

from zapiki.native import ntt as drivers

from .constants import TWO_ADICITY
from .field import pow_limbs
from .fr import ONE, PINV, P, fr_add, fr_mul, fr_sub
from .limbs import load, store

#: Largest supported transform, log2.
MAX_LOG_N = TWO_ADICITY


root_of_unity = drivers.root_of_unity


@njit(cache=True, nogil=True)
def powers_into(base: tuple, start: tuple, out: np.ndarray) -> None:
    """out[j] = start * base^j (Montgomery), in chunks that each start from a fresh power."""
    n = out.shape[0]
    chunk = 4096
    nchunks = (n + chunk - 1) // chunk
    for c in range(nchunks):
        lo = c * chunk
        hi = min(n, lo + chunk)
        e = np.empty(1, dtype=np.uint64)
        e[0] = np.uint64(lo)
        acc = fr_mul(start, pow_limbs(base, e, ONE, P, PINV))
        for j in range(lo, hi):
            store(out, j, acc)
            acc = fr_mul(acc, base)


@njit(cache=True, nogil=True)
def mul_rows_into(a: np.ndarray, b: np.ndarray) -> None:
    """a[j] *= b[j]."""
    for j in range(a.shape[0]):
        store(a, j, fr_mul(load(a, j), load(b, j)))


@njit(cache=True, nogil=True)
def scale_into(a: np.ndarray, s: tuple) -> None:
    """a[j] *= s."""
    for j in range(a.shape[0]):
        store(a, j, fr_mul(load(a, j), s))


@njit(cache=True, nogil=True)
def bit_reverse(a: np.ndarray, log_n: int) -> None:
    """In-place bit-reversal permutation of the rows of a."""
    n = a.shape[0]
    for i in range(n):
        r = 0
        for b in range(log_n):
            r = (r << 1) | ((i >> b) & 1)
        if i < r:
            for k in range(4):
                t = a[i, k]
                a[i, k] = a[r, k]
                a[r, k] = t


@njit(cache=True)
def _butterflies(a: np.ndarray, tw: np.ndarray, lo: int, hi: int, m: int, stride: int) -> None:
    """All butterflies of half-size m in rows lo..hi (a whole number of 2m-blocks)."""
    for start in range(lo, hi, 2 * m):
        for j in range(m):
            i1 = start + j
            i2 = i1 + m
            u = load(a, i1)
            v = fr_mul(load(a, i2), load(tw, j * stride))
            store(a, i1, fr_add(u, v))
            store(a, i2, fr_sub(u, v))


@njit(cache=True, nogil=True, parallel=True)
def ntt_in_place(a: np.ndarray, tw: np.ndarray, log_n: int) -> None:
    """Forward transform in place; tw[j] = omega^j for j < n/2.

    The first stages run block by block (a block of 2^10 rows stays in cache), blocks spread over threads;
    the later stages run column group by column group, groups spread over threads.
    """
    n = a.shape[0]
    bit_reverse(a, log_n)
    log_b = min(log_n, 10)
    bsize = 1 << log_b
    for blk in prange(n >> log_b):
        lo = np.int64(blk) * bsize
        m = 1
        while m < bsize:
            _butterflies(a, tw, lo, lo + bsize, m, n // (2 * m))
            m *= 2
    # Later stages: a butterfly joins rows i and i + m with m a multiple of the block size, so the rows with
    # the same residue modulo the block size form independent columns; each thread takes a group of
    # adjacent columns through all the remaining stages (one parallel region, no barrier per stage).
    ncols = 64 if bsize >= 64 else bsize
    for grp in prange(bsize // ncols):
        c0 = grp * ncols
        log_m = log_b
        while log_m < log_n:
            m = 1 << log_m
            stride = n >> (log_m + 1)
            for start in range(0, n, 2 * m):
                for q in range(0, m, bsize):
                    for jj in range(c0, c0 + ncols):
                        j = q + jj
                        i1 = start + j
                        i2 = i1 + m
                        u = load(a, i1)
                        v = fr_mul(load(a, i2), load(tw, j * stride))
                        store(a, i1, fr_add(u, v))
                        store(a, i2, fr_sub(u, v))
            log_m += 1


@njit(cache=True, nogil=True)
def reverse_tail(a: np.ndarray) -> None:
    """a[1:] reversed in place: turns a forward transform into an inverse one (up to 1/n)."""
    i = 1
    j = a.shape[0] - 1
    while i < j:
        for k in range(4):
            t = a[i, k]
            a[i, k] = a[j, k]
            a[j, k] = t
        i += 1
        j -= 1


_THIS = sys.modules[__name__]  # these kernels, under the names the compiled module gives them


def twiddles(log_n: int) -> np.ndarray:
    """omega_(log_n)^j for j < 2^(log_n - 1), Montgomery (n/2, 4); cached, not to be written to."""
    return drivers.twiddles(_THIS, log_n)


def ntt(a: np.ndarray) -> np.ndarray:
    """Forward NTT (coefficients -> evaluations at omega^i), new array."""
    return drivers.ntt(_THIS, a)


def intt(a: np.ndarray) -> np.ndarray:
    """Inverse NTT (evaluations at omega^i -> coefficients), new array."""
    return drivers.intt(_THIS, a)


def coset_ntt(a: np.ndarray, shift: int | None = None) -> np.ndarray:
    """Evaluations at shift * omega^i (default shift: omega_(k+1), snarkjs's odd coset), new array."""
    return drivers.coset_ntt(_THIS, a, shift)


def coset_intt(a: np.ndarray, shift: int | None = None) -> np.ndarray:
    """Inverse of :func:`coset_ntt` with the same shift."""
    return drivers.coset_intt(_THIS, a, shift)
