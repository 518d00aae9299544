"""Fq2 = Fq[u]/(u^2 + 1), the field of G2 coordinates.

Kernels take and return pairs ``(c0, c1)`` of Fq limb tuples (Montgomery form), meaning ``c0 + c1*u``.
Arrays of Fq2 elements are uint64 of shape ``(..., 2, 4)``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .constants import fq2_mul_int
from .fq import FQ_FIELD, ONE, ZERO, fq_add, fq_dbl, fq_eq, fq_inv, fq_is_zero, fq_mul, fq_neg, fq_sqr, fq_sub

#: Fq2 limb tuples (documentation alias): ((4 limbs), (4 limbs)).
Fq2 = tuple

FQ2_ZERO = (ZERO, ZERO)
FQ2_ONE = (ONE, ZERO)


@njit(cache=True)
def fq2_add(a: Fq2, b: Fq2) -> Fq2:
    return (fq_add(a[0], b[0]), fq_add(a[1], b[1]))


@njit(cache=True)
def fq2_sub(a: Fq2, b: Fq2) -> Fq2:
    return (fq_sub(a[0], b[0]), fq_sub(a[1], b[1]))


@njit(cache=True)
def fq2_neg(a: Fq2) -> Fq2:
    return (fq_neg(a[0]), fq_neg(a[1]))


@njit(cache=True)
def fq2_dbl(a: Fq2) -> Fq2:
    return (fq_dbl(a[0]), fq_dbl(a[1]))


@njit(cache=True)
def fq2_conj(a: Fq2) -> Fq2:
    """Conjugate c0 - c1 u, which is also the q-power Frobenius."""
    return (a[0], fq_neg(a[1]))


@njit(cache=True)
def fq2_mul(a: Fq2, b: Fq2) -> Fq2:
    # Karatsuba with u^2 = -1
    t0 = fq_mul(a[0], b[0])
    t1 = fq_mul(a[1], b[1])
    t2 = fq_mul(fq_add(a[0], a[1]), fq_add(b[0], b[1]))
    return (fq_sub(t0, t1), fq_sub(fq_sub(t2, t0), t1))


@njit(cache=True)
def fq2_sqr(a: Fq2) -> Fq2:
    # (a0 + a1 u)^2 = (a0 + a1)(a0 - a1) + 2 a0 a1 u
    t = fq_mul(a[0], a[1])
    return (fq_mul(fq_add(a[0], a[1]), fq_sub(a[0], a[1])), fq_dbl(t))


@njit(cache=True)
def fq2_mul_fq(a: Fq2, s: tuple) -> Fq2:
    """Multiply by an Fq element."""
    return (fq_mul(a[0], s), fq_mul(a[1], s))


@njit(cache=True)
def fq2_mul_xi(a: Fq2) -> Fq2:
    """Multiply by the non-residue xi = 9 + u (the Fq6 modulus v^3 = xi)."""
    a0, a1 = a
    t0 = fq_add(fq_dbl(fq_dbl(fq_dbl(a0))), a0)
    t1 = fq_add(fq_dbl(fq_dbl(fq_dbl(a1))), a1)
    return (fq_sub(t0, a1), fq_add(t1, a0))


@njit(cache=True)
def fq2_inv(a: Fq2) -> Fq2:
    """1/a = conj(a) / (a0^2 + a1^2); 0 maps to 0."""
    t = fq_inv(fq_add(fq_sqr(a[0]), fq_sqr(a[1])))
    return (fq_mul(a[0], t), fq_neg(fq_mul(a[1], t)))


@njit(cache=True)
def fq2_is_zero(a: Fq2) -> bool:
    return fq_is_zero(a[0]) and fq_is_zero(a[1])


@njit(cache=True)
def fq2_eq(a: Fq2, b: Fq2) -> bool:
    return fq_eq(a[0], b[0]) and fq_eq(a[1], b[1])


@njit(cache=True)
def fq2_load(arr: np.ndarray, i: int) -> Fq2:
    """Element i of an (n, 2, 4) array."""
    return (
        (arr[i, 0, 0], arr[i, 0, 1], arr[i, 0, 2], arr[i, 0, 3]),
        (arr[i, 1, 0], arr[i, 1, 1], arr[i, 1, 2], arr[i, 1, 3]),
    )


@njit(cache=True)
def _v_mul(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    for i in range(a.shape[0]):
        r = fq2_mul(fq2_load(a, i), fq2_load(b, i))
        for j in range(2):
            for k in range(4):
                out[i, j, k] = r[j][k]


@njit(cache=True)
def _v_inv(a: np.ndarray, out: np.ndarray) -> None:
    for i in range(a.shape[0]):
        r = fq2_inv(fq2_load(a, i))
        for j in range(2):
            for k in range(4):
                out[i, j, k] = r[j][k]


def from_ints(values: list[tuple[int, int]]) -> np.ndarray:
    """Pairs (c0, c1) of ints to a Montgomery array of shape (n, 2, 4)."""
    flat = [c for v in values for c in v]
    return FQ_FIELD.from_ints(flat).reshape(-1, 2, 4)


def to_ints(arr: np.ndarray) -> list[tuple[int, int]]:
    """A Montgomery array (..., 2, 4) to a list of (c0, c1) pairs."""
    flat = FQ_FIELD.to_ints(np.asarray(arr).reshape(-1, 4))
    return list(zip(flat[0::2], flat[1::2], strict=True))


def mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise Fq2 product of two (n, 2, 4) arrays."""
    a = np.ascontiguousarray(a, dtype=np.uint64).reshape(-1, 2, 4)
    b = np.ascontiguousarray(b, dtype=np.uint64).reshape(-1, 2, 4)
    out = np.empty_like(a)
    _v_mul(a, b, out)
    return out


def inverse(a: np.ndarray) -> np.ndarray:
    """Elementwise Fq2 inverse (0 maps to 0) of an (n, 2, 4) array."""
    a = np.ascontiguousarray(a, dtype=np.uint64).reshape(-1, 2, 4)
    out = np.empty_like(a)
    _v_inv(a, out)
    return out


def mul_int(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    """Reference product on Python ints."""
    return fq2_mul_int(a, b)


def pow_int(a: tuple[int, int], e: int) -> tuple[int, int]:
    """Reference power on Python ints."""
    r = (1, 0)
    while e:
        if e & 1:
            r = fq2_mul_int(r, a)
        a = fq2_mul_int(a, a)
        e >>= 1
    return r
