"""The tower Fq6 = Fq2[v]/(v^3 - xi), Fq12 = Fq6[w]/(w^2 - v), xi = 9 + u, for the pairing.

Kernels work on nested tuples: an Fq6 element is ``(c0, c1, c2)`` of Fq2 pairs (meaning c0 + c1 v + c2 v^2), an
Fq12 element is ``(c0, c1)`` of Fq6 (c0 + c1 w). Arrays of Fq12 are uint64 ``(..., 2, 3, 2, 4)``.
py_ecc writes Fq12 as 12 Fq coefficients in the basis 1, w, ..., w^11 with w^6 = xi: see :func:`to_pyecc`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .constants import Q
from .fq import FQ_FIELD
from .fq2 import (
    FQ2_ONE,
    FQ2_ZERO,
    fq2_add,
    fq2_inv,
    fq2_mul,
    fq2_mul_xi,
    fq2_neg,
    fq2_sqr,
    fq2_sub,
)

FQ6_ZERO = (FQ2_ZERO, FQ2_ZERO, FQ2_ZERO)
FQ6_ONE = (FQ2_ONE, FQ2_ZERO, FQ2_ZERO)
FQ12_ONE = (FQ6_ONE, FQ6_ZERO)
U64_1 = np.uint64(1)


@njit(cache=True)
def fq6_add(a: tuple, b: tuple) -> tuple:
    return (fq2_add(a[0], b[0]), fq2_add(a[1], b[1]), fq2_add(a[2], b[2]))


@njit(cache=True)
def fq6_sub(a: tuple, b: tuple) -> tuple:
    return (fq2_sub(a[0], b[0]), fq2_sub(a[1], b[1]), fq2_sub(a[2], b[2]))


@njit(cache=True)
def fq6_neg(a: tuple) -> tuple:
    return (fq2_neg(a[0]), fq2_neg(a[1]), fq2_neg(a[2]))


@njit(cache=True)
def fq6_mul_v(a: tuple) -> tuple:
    """a * v: (c0, c1, c2) -> (xi c2, c0, c1)."""
    return (fq2_mul_xi(a[2]), a[0], a[1])


@njit(cache=True)
def fq6_mul(a: tuple, b: tuple) -> tuple:
    # Karatsuba over the three coefficients, v^3 = xi
    a0, a1, a2 = a
    b0, b1, b2 = b
    t0 = fq2_mul(a0, b0)
    t1 = fq2_mul(a1, b1)
    t2 = fq2_mul(a2, b2)
    c0 = fq2_add(t0, fq2_mul_xi(fq2_sub(fq2_sub(fq2_mul(fq2_add(a1, a2), fq2_add(b1, b2)), t1), t2)))
    c1 = fq2_add(fq2_sub(fq2_sub(fq2_mul(fq2_add(a0, a1), fq2_add(b0, b1)), t0), t1), fq2_mul_xi(t2))
    c2 = fq2_add(fq2_sub(fq2_sub(fq2_mul(fq2_add(a0, a2), fq2_add(b0, b2)), t0), t2), t1)
    return (c0, c1, c2)


@njit(cache=True)
def fq6_inv(a: tuple) -> tuple:
    # 1/a = (c0, c1, c2) / (a0 c0 + xi (a2 c1 + a1 c2))
    a0, a1, a2 = a
    c0 = fq2_sub(fq2_sqr(a0), fq2_mul_xi(fq2_mul(a1, a2)))
    c1 = fq2_sub(fq2_mul_xi(fq2_sqr(a2)), fq2_mul(a0, a1))
    c2 = fq2_sub(fq2_sqr(a1), fq2_mul(a0, a2))
    t = fq2_add(fq2_mul(a0, c0), fq2_mul_xi(fq2_add(fq2_mul(a2, c1), fq2_mul(a1, c2))))
    ti = fq2_inv(t)
    return (fq2_mul(c0, ti), fq2_mul(c1, ti), fq2_mul(c2, ti))


@njit(cache=True)
def fq12_mul(a: tuple, b: tuple) -> tuple:
    # Karatsuba, w^2 = v
    t0 = fq6_mul(a[0], b[0])
    t1 = fq6_mul(a[1], b[1])
    c1 = fq6_sub(fq6_sub(fq6_mul(fq6_add(a[0], a[1]), fq6_add(b[0], b[1])), t0), t1)
    return (fq6_add(t0, fq6_mul_v(t1)), c1)


@njit(cache=True)
def fq12_sqr(a: tuple) -> tuple:
    # complex squaring: (a0 + a1 w)^2 = (a0 + a1)(a0 + v a1) - t - v t + 2 t w, t = a0 a1
    a0, a1 = a
    t = fq6_mul(a0, a1)
    c0 = fq6_sub(fq6_sub(fq6_mul(fq6_add(a0, a1), fq6_add(a0, fq6_mul_v(a1))), t), fq6_mul_v(t))
    return (c0, fq6_add(t, t))


@njit(cache=True)
def fq12_conj(a: tuple) -> tuple:
    """a0 - a1 w, which is a^(q^6)."""
    return (a[0], fq6_neg(a[1]))


@njit(cache=True)
def fq12_inv(a: tuple) -> tuple:
    # 1/(a0 + a1 w) = (a0 - a1 w) / (a0^2 - v a1^2)
    t = fq6_inv(fq6_sub(fq6_mul(a[0], a[0]), fq6_mul_v(fq6_mul(a[1], a[1]))))
    return (fq6_mul(a[0], t), fq6_neg(fq6_mul(a[1], t)))


@njit(cache=True)
def fq12_pow(a: tuple, e: np.ndarray) -> tuple:
    """a^e, e as little-endian uint64 limbs, left-to-right square and multiply."""
    r = FQ12_ONE
    started = False
    for w in range(e.shape[0] - 1, -1, -1):
        word = e[w]
        for bit in range(63, -1, -1):
            if started:
                r = fq12_sqr(r)
            if (word >> np.uint64(bit)) & U64_1:
                r = fq12_mul(r, a) if started else a
                started = True
    return r


@njit(cache=True)
def fq12_is_one(a: tuple) -> bool:
    for i in range(2):
        for j in range(3):
            for k in range(2):
                want = FQ12_ONE[i][j][k]
                for m in range(4):
                    if a[i][j][k][m] != want[m]:
                        return False
    return True


@njit(cache=True)
def fq12_store(out: np.ndarray, a: tuple) -> None:
    """Write an Fq12 tuple into a (2, 3, 2, 4) array."""
    for i in range(2):
        for j in range(3):
            for k in range(2):
                for m in range(4):
                    out[i, j, k, m] = a[i][j][k][m]


@njit(cache=True)
def fq12_load(a: np.ndarray) -> tuple:
    """Read a (2, 3, 2, 4) array as an Fq12 tuple."""
    i0 = np.int64(0)  # plain int64 indices: one compiled signature for the helpers, not one per literal
    i1 = np.int64(1)
    i2 = np.int64(2)
    return (
        (_fq2_load(a, i0, i0), _fq2_load(a, i0, i1), _fq2_load(a, i0, i2)),
        (_fq2_load(a, i1, i0), _fq2_load(a, i1, i1), _fq2_load(a, i1, i2)),
    )


@njit(cache=True)
def _fq2_load(a: np.ndarray, i: int, j: int) -> tuple:
    return (
        (a[i, j, 0, 0], a[i, j, 0, 1], a[i, j, 0, 2], a[i, j, 0, 3]),
        (a[i, j, 1, 0], a[i, j, 1, 1], a[i, j, 1, 2], a[i, j, 1, 3]),
    )


@njit(cache=True)
def _v_mul(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    fq12_store(out, fq12_mul(fq12_load(a), fq12_load(b)))


@njit(cache=True)
def _v_pow(a: np.ndarray, e: np.ndarray, out: np.ndarray) -> None:
    fq12_store(out, fq12_pow(fq12_load(a), e))


@njit(cache=True)
def _v_sqr_inv(a: np.ndarray, sq: np.ndarray, inv: np.ndarray) -> None:
    x = fq12_load(a)
    fq12_store(sq, fq12_sqr(x))
    fq12_store(inv, fq12_inv(x))


def from_ints(coeffs: list[int]) -> np.ndarray:
    """12 tower coefficients in the order (i, j, k) of c_i,j,k (i: w, j: v, k: u) to a (2, 3, 2, 4) array."""
    return FQ_FIELD.from_ints(coeffs).reshape(2, 3, 2, 4)


def to_pyecc(a: np.ndarray) -> list[int]:
    """An Fq12 array to py_ecc's 12 coefficients (basis w^0..w^11, w^6 = 9 + u, so u = w^6 - 9)."""
    c = FQ_FIELD.to_ints(np.asarray(a).reshape(-1, 4))
    out = [0] * 12
    for i in range(2):
        for j in range(3):
            c0, c1 = c[(i * 3 + j) * 2], c[(i * 3 + j) * 2 + 1]
            k = 2 * j + i  # v^j w^i = w^(2j + i)
            out[k] = (out[k] + c0 - 9 * c1) % Q
            out[k + 6] = (out[k + 6] + c1) % Q
    return out


def mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Product of two Fq12 arrays (2, 3, 2, 4)."""
    out = np.empty((2, 3, 2, 4), dtype=np.uint64)
    _v_mul(np.ascontiguousarray(a, dtype=np.uint64), np.ascontiguousarray(b, dtype=np.uint64), out)
    return out


def pow(a: np.ndarray, e: int) -> np.ndarray:  # noqa: A001 - the field operation's name
    """a^e for one Fq12 array and an int e >= 0."""
    limbs = np.array(
        [(e >> (64 * i)) & ((1 << 64) - 1) for i in range(max(1, (e.bit_length() + 63) // 64))], dtype=np.uint64
    )
    out = np.empty((2, 3, 2, 4), dtype=np.uint64)
    _v_pow(np.ascontiguousarray(a, dtype=np.uint64), limbs, out)
    return out


def square_and_inverse(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a^2, 1/a) of one Fq12 array."""
    sq = np.empty((2, 3, 2, 4), dtype=np.uint64)
    inv = np.empty_like(sq)
    _v_sqr_inv(np.ascontiguousarray(a, dtype=np.uint64), sq, inv)
    return sq, inv
