"""Short-Weierstrass (a = 0) point arithmetic written once for G1 (over Fq) and G2 (over Fq2).

The field operations ``f_*`` are numba overloads that pick the Fq or the Fq2 kernel from the argument type
(a 4-tuple of uint64 is Fq, a pair of those is Fq2), so every kernel below compiles into a G1 and a G2
version. Point layouts, in kernels and in arrays (last axes):

* affine ``(x, y)``: arrays ``(n, 2, 4)`` for G1, ``(n, 2, 2, 4)`` for G2; the point at infinity is all zeros
  (``(0, 0)`` is on neither curve);
* Jacobian ``(X, Y, Z)`` meaning ``(X/Z^2, Y/Z^3)``: arrays ``(n, 3, 4)`` / ``(n, 3, 2, 4)``; infinity has Z = 0.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import overload

from .constants import B1, B2, FQ
from .fq import ONE, ZERO, fq_add, fq_dbl, fq_eq, fq_inv, fq_is_zero, fq_mul, fq_neg, fq_sqr, fq_sub
from .fq2 import (
    FQ2_ONE,
    FQ2_ZERO,
    fq2_add,
    fq2_dbl,
    fq2_eq,
    fq2_inv,
    fq2_is_zero,
    fq2_mul,
    fq2_neg,
    fq2_sqr,
    fq2_sub,
)

U64_1 = np.uint64(1)

FQ_B = tuple(np.uint64((B1 * (1 << 256) % FQ.p) >> (64 * i) & ((1 << 64) - 1)) for i in range(4))
FQ2_B = tuple(tuple(np.uint64((c * (1 << 256) % FQ.p) >> (64 * i) & ((1 << 64) - 1)) for i in range(4)) for c in B2)


def _is_fq(t: types.Type) -> bool:
    return isinstance(t, types.UniTuple) and t.dtype == types.uint64


# Python stubs; numba replaces them by the overloads below inside kernels.
def f_add(a, b):  # noqa: ANN001, ANN201
    raise NotImplementedError


def f_sub(a, b):  # noqa: ANN001, ANN201
    raise NotImplementedError


def f_mul(a, b):  # noqa: ANN001, ANN201
    raise NotImplementedError


def f_sqr(a):  # noqa: ANN001, ANN201
    raise NotImplementedError


def f_neg(a):  # noqa: ANN001, ANN201
    raise NotImplementedError


def f_dbl(a):  # noqa: ANN001, ANN201
    raise NotImplementedError


def f_inv(a):  # noqa: ANN001, ANN201
    raise NotImplementedError


def f_is_zero(a):  # noqa: ANN001, ANN201
    raise NotImplementedError


def f_eq(a, b):  # noqa: ANN001, ANN201
    raise NotImplementedError


def f_zero(like):  # noqa: ANN001, ANN201
    raise NotImplementedError


def f_one(like):  # noqa: ANN001, ANN201
    raise NotImplementedError


def f_b(like):  # noqa: ANN001, ANN201
    raise NotImplementedError


def _binary(stub, fq_impl, fq2_impl):  # noqa: ANN001, ANN202
    @overload(stub, jit_options={"cache": True})
    def _ol(a, b):  # noqa: ANN001, ANN202
        if _is_fq(a):
            return lambda a, b: fq_impl(a, b)
        return lambda a, b: fq2_impl(a, b)


def _unary(stub, fq_impl, fq2_impl):  # noqa: ANN001, ANN202
    @overload(stub, jit_options={"cache": True})
    def _ol(a):  # noqa: ANN001, ANN202
        if _is_fq(a):
            return lambda a: fq_impl(a)
        return lambda a: fq2_impl(a)


def _const(stub, fq_value, fq2_value):  # noqa: ANN001, ANN202
    @overload(stub, jit_options={"cache": True})
    def _ol(like):  # noqa: ANN001, ANN202
        if _is_fq(like):
            return lambda like: fq_value
        return lambda like: fq2_value


_binary(f_add, fq_add, fq2_add)
_binary(f_sub, fq_sub, fq2_sub)
_binary(f_mul, fq_mul, fq2_mul)
_binary(f_eq, fq_eq, fq2_eq)
_unary(f_sqr, fq_sqr, fq2_sqr)
_unary(f_neg, fq_neg, fq2_neg)
_unary(f_dbl, fq_dbl, fq2_dbl)
_unary(f_inv, fq_inv, fq2_inv)
_unary(f_is_zero, fq_is_zero, fq2_is_zero)
_const(f_zero, ZERO, FQ2_ZERO)
_const(f_one, ONE, FQ2_ONE)
_const(f_b, FQ_B, FQ2_B)


# -- array access: the field type follows the array rank (3 = G1 affine/Jacobian, 4 = G2) --------------------
def load_fe(arr, i, j):  # noqa: ANN001, ANN201
    raise NotImplementedError


def store_fe(arr, i, j, v):  # noqa: ANN001, ANN201
    raise NotImplementedError


@overload(load_fe, jit_options={"cache": True})
def _ol_load(arr, i, j):  # noqa: ANN001, ANN202
    if arr.ndim == 3:
        return lambda arr, i, j: (arr[i, j, 0], arr[i, j, 1], arr[i, j, 2], arr[i, j, 3])
    return lambda arr, i, j: (
        (arr[i, j, 0, 0], arr[i, j, 0, 1], arr[i, j, 0, 2], arr[i, j, 0, 3]),
        (arr[i, j, 1, 0], arr[i, j, 1, 1], arr[i, j, 1, 2], arr[i, j, 1, 3]),
    )


@overload(store_fe, jit_options={"cache": True})
def _ol_store(arr, i, j, v):  # noqa: ANN001, ANN202
    if arr.ndim == 3:

        def impl3(arr, i, j, v):  # noqa: ANN001, ANN202
            for k in range(4):
                arr[i, j, k] = v[k]

        return impl3

    def impl4(arr, i, j, v):  # noqa: ANN001, ANN202
        for k in range(4):
            arr[i, j, 0, k] = v[0][k]
            arr[i, j, 1, k] = v[1][k]

    return impl4


# -- point kernels ------------------------------------------------------------------------------------------
@njit(cache=True)
def jac_infinity(like: tuple) -> tuple:
    """The point at infinity in Jacobian coordinates, in the field of ``like``."""
    return (f_one(like), f_one(like), f_zero(like))


@njit(cache=True)
def aff_is_inf(x: tuple, y: tuple) -> bool:
    return f_is_zero(x) and f_is_zero(y)


@njit(cache=True)
def jac_from_aff(x: tuple, y: tuple) -> tuple:
    if aff_is_inf(x, y):
        return jac_infinity(x)
    return (x, y, f_one(x))


@njit(cache=True)
def jac_double(p: tuple) -> tuple:
    # Doubling, dbl-2009-l (a = 0)
    X, Y, Z = p
    if f_is_zero(Z):
        return p
    A = f_sqr(X)
    B = f_sqr(Y)
    C = f_sqr(B)
    D = f_dbl(f_sub(f_sub(f_sqr(f_add(X, B)), A), C))
    E = f_add(f_dbl(A), A)
    F = f_sqr(E)
    X3 = f_sub(F, f_dbl(D))
    Y3 = f_sub(f_mul(E, f_sub(D, X3)), f_dbl(f_dbl(f_dbl(C))))
    Z3 = f_dbl(f_mul(Y, Z))
    return (X3, Y3, Z3)


@njit(cache=True)
def jac_add(p: tuple, q: tuple) -> tuple:
    # Addition, add-2007-bl, with the equal-point and inverse-point cases handled
    X1, Y1, Z1 = p
    X2, Y2, Z2 = q
    if f_is_zero(Z1):
        return q
    if f_is_zero(Z2):
        return p
    Z1Z1 = f_sqr(Z1)
    Z2Z2 = f_sqr(Z2)
    U1 = f_mul(X1, Z2Z2)
    U2 = f_mul(X2, Z1Z1)
    S1 = f_mul(f_mul(Y1, Z2), Z2Z2)
    S2 = f_mul(f_mul(Y2, Z1), Z1Z1)
    H = f_sub(U2, U1)
    rr = f_dbl(f_sub(S2, S1))
    if f_is_zero(H):
        if f_is_zero(rr):
            return jac_double(p)
        return jac_infinity(X1)
    I = f_sqr(f_dbl(H))  # noqa: E741
    J = f_mul(H, I)
    V = f_mul(U1, I)
    X3 = f_sub(f_sub(f_sqr(rr), J), f_dbl(V))
    Y3 = f_sub(f_mul(rr, f_sub(V, X3)), f_dbl(f_mul(S1, J)))
    Z3 = f_mul(f_sub(f_sub(f_sqr(f_add(Z1, Z2)), Z1Z1), Z2Z2), H)
    return (X3, Y3, Z3)


@njit(cache=True)
def jac_add_aff(p: tuple, x2: tuple, y2: tuple) -> tuple:
    # Mixed addition, madd-2007-bl: Jacobian p plus affine (x2, y2)
    if aff_is_inf(x2, y2):
        return p
    X1, Y1, Z1 = p
    if f_is_zero(Z1):
        return (x2, y2, f_one(x2))
    Z1Z1 = f_sqr(Z1)
    U2 = f_mul(x2, Z1Z1)
    S2 = f_mul(f_mul(y2, Z1), Z1Z1)
    H = f_sub(U2, X1)
    rr = f_dbl(f_sub(S2, Y1))
    if f_is_zero(H):
        if f_is_zero(rr):
            return jac_double(p)
        return jac_infinity(X1)
    HH = f_sqr(H)
    I = f_dbl(f_dbl(HH))  # noqa: E741
    J = f_mul(H, I)
    V = f_mul(X1, I)
    X3 = f_sub(f_sub(f_sqr(rr), J), f_dbl(V))
    Y3 = f_sub(f_mul(rr, f_sub(V, X3)), f_dbl(f_mul(Y1, J)))
    Z3 = f_sub(f_sub(f_sqr(f_add(Z1, H)), Z1Z1), HH)
    return (X3, Y3, Z3)


@njit(cache=True)
def jac_neg(p: tuple) -> tuple:
    return (p[0], f_neg(p[1]), p[2])


@njit(cache=True)
def jac_to_aff(p: tuple) -> tuple:
    """Single normalisation (one inversion); infinity -> (0, 0)."""
    X, Y, Z = p
    if f_is_zero(Z):
        return (f_zero(X), f_zero(X))
    zi = f_inv(Z)
    zi2 = f_sqr(zi)
    return (f_mul(X, zi2), f_mul(Y, f_mul(zi2, zi)))


@njit(cache=True)
def jac_mul_limbs(p: tuple, k0: np.uint64, k1: np.uint64, k2: np.uint64, k3: np.uint64) -> tuple:
    """[k]p for a plain 256-bit scalar given as four limbs (left-to-right double and add)."""
    acc = jac_infinity(p[0])
    ks = (k0, k1, k2, k3)
    for w in range(3, -1, -1):
        word = ks[w]
        for bit in range(63, -1, -1):
            acc = jac_double(acc)
            if (word >> np.uint64(bit)) & U64_1:
                acc = jac_add(acc, p)
    return acc


@njit(cache=True)
def aff_on_curve(x: tuple, y: tuple) -> bool:
    """y^2 == x^3 + b, with (0, 0) (infinity) accepted."""
    if aff_is_inf(x, y):
        return True
    return f_eq(f_sqr(y), f_add(f_mul(f_sqr(x), x), f_b(x)))


# -- array kernels --------------------------------------------------------------------------------------------
@njit(cache=True)
def load_jac(arr: np.ndarray, i: int) -> tuple:
    return (load_fe(arr, i, 0), load_fe(arr, i, 1), load_fe(arr, i, 2))


@njit(cache=True)
def store_jac(arr: np.ndarray, i: int, p: tuple) -> None:
    store_fe(arr, i, 0, p[0])
    store_fe(arr, i, 1, p[1])
    store_fe(arr, i, 2, p[2])


@njit(cache=True)
def load_aff_as_jac(arr: np.ndarray, i: int) -> tuple:
    return jac_from_aff(load_fe(arr, i, 0), load_fe(arr, i, 1))


@njit(cache=True, nogil=True)
def v_jac_add(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    for i in range(a.shape[0]):
        store_jac(out, i, jac_add(load_jac(a, i), load_jac(b, i)))


@njit(cache=True, nogil=True)
def v_jac_add_aff(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    for i in range(a.shape[0]):
        store_jac(out, i, jac_add_aff(load_jac(a, i), load_fe(b, i, 0), load_fe(b, i, 1)))


@njit(cache=True, nogil=True)
def v_jac_double(a: np.ndarray, out: np.ndarray) -> None:
    for i in range(a.shape[0]):
        store_jac(out, i, jac_double(load_jac(a, i)))


@njit(cache=True, nogil=True)
def v_jac_neg(a: np.ndarray, out: np.ndarray) -> None:
    for i in range(a.shape[0]):
        store_jac(out, i, jac_neg(load_jac(a, i)))


@njit(cache=True, nogil=True)
def v_aff_to_jac(a: np.ndarray, out: np.ndarray) -> None:
    for i in range(a.shape[0]):
        store_jac(out, i, load_aff_as_jac(a, i))


@njit(cache=True, nogil=True)
def v_jac_mul(a: np.ndarray, k: np.ndarray, out: np.ndarray) -> None:
    for i in range(a.shape[0]):
        store_jac(out, i, jac_mul_limbs(load_jac(a, i), k[i, 0], k[i, 1], k[i, 2], k[i, 3]))


@njit(cache=True, nogil=True)
def v_jac_to_aff(a: np.ndarray, out: np.ndarray) -> None:
    """Batch normalisation: one field inversion for the whole array (Montgomery's trick)."""
    n = a.shape[0]
    if n == 0:
        return
    one = f_one(load_fe(a, 0, 2))
    prefix = np.empty_like(out[:, 0:1])  # prefix products of the non-zero Z, stored in column 0
    acc = one
    for i in range(n):
        store_fe(prefix, i, 0, acc)
        z = load_fe(a, i, 2)
        if not f_is_zero(z):
            acc = f_mul(acc, z)
    inv = f_inv(acc)
    for i in range(n - 1, -1, -1):
        z = load_fe(a, i, 2)
        if f_is_zero(z):
            zero = f_zero(z)
            store_fe(out, i, 0, zero)
            store_fe(out, i, 1, zero)
            continue
        zi = f_mul(inv, load_fe(prefix, i, 0))
        inv = f_mul(inv, z)
        zi2 = f_sqr(zi)
        store_fe(out, i, 0, f_mul(load_fe(a, i, 0), zi2))
        store_fe(out, i, 1, f_mul(load_fe(a, i, 1), f_mul(zi2, zi)))


@njit(cache=True, nogil=True)
def v_on_curve(a: np.ndarray, ok: np.ndarray) -> None:
    for i in range(a.shape[0]):
        ok[i] = aff_on_curve(load_fe(a, i, 0), load_fe(a, i, 1))


@njit(cache=True, nogil=True)
def v_jac_eq(a: np.ndarray, b: np.ndarray, ok: np.ndarray) -> None:
    """Projective equality X1 Z2^2 == X2 Z1^2 and Y1 Z2^3 == Y2 Z1^3 (infinity equals only infinity)."""
    for i in range(a.shape[0]):
        X1, Y1, Z1 = load_jac(a, i)
        X2, Y2, Z2 = load_jac(b, i)
        i1 = f_is_zero(Z1)
        i2 = f_is_zero(Z2)
        if i1 or i2:
            ok[i] = i1 and i2
            continue
        z1s = f_sqr(Z1)
        z2s = f_sqr(Z2)
        ok[i] = f_eq(f_mul(X1, z2s), f_mul(X2, z1s)) and f_eq(f_mul(f_mul(Y1, z2s), Z2), f_mul(f_mul(Y2, z1s), Z1))
