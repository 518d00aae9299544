"""G2: the sextic twist y^2 = x^3 + 3/(9 + u) over Fq2, its subgroup of order r.

Affine arrays are uint64 ``(n, 2, 2, 4)`` (x, y in Fq2, each (c0, c1) Montgomery; infinity all zeros),
Jacobian ``(n, 3, 2, 4)``. Functions as in :mod:`g1`. Subgroup membership uses the endomorphism
psi = untwist o Frobenius o twist, which acts on G2 as multiplication by q mod r = 6u^2: a point P on the
twist is in G2 iff psi(P) == [6u^2] P (Scott 2021, El Housni et al. 2022), about half a scalar multiplication.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from . import fq2 as _fq2
from .constants import BN_U, G2_GEN, Q, R
from .curve import aff_is_inf, f_eq, f_mul, f_one, f_sqr, jac_mul_limbs, load_fe
from .fq2 import fq2_conj
from .group import Group

#: psi on the twist: (x, y) -> (conj(x) * PSI_X, conj(y) * PSI_Y), xi = 9 + u.
PSI_X_INT = _fq2.pow_int((9, 1), (Q - 1) // 3)
PSI_Y_INT = _fq2.pow_int((9, 1), (Q - 1) // 2)
_psi = _fq2.from_ints([PSI_X_INT, PSI_Y_INT])
PSI_X = tuple(tuple(np.uint64(v) for v in c) for c in _psi[0])
PSI_Y = tuple(tuple(np.uint64(v) for v in c) for c in _psi[1])
SUBGROUP_K = 6 * BN_U * BN_U
assert SUBGROUP_K == Q - R
_K0 = np.uint64(SUBGROUP_K & ((1 << 64) - 1))
_K1 = np.uint64(SUBGROUP_K >> 64)
_Z = np.uint64(0)


@njit(cache=True)
def psi(x: tuple, y: tuple) -> tuple:
    """The q-power endomorphism of the twist, affine."""
    return (f_mul(fq2_conj(x), PSI_X), f_mul(fq2_conj(y), PSI_Y))


@njit(cache=True)
def aff_in_g2(x: tuple, y: tuple) -> bool:
    """psi(P) == [6u^2] P for an affine point already on the twist."""
    if aff_is_inf(x, y):
        return True
    X, Y, Z = jac_mul_limbs((x, y, f_one(x)), _K0, _K1, _Z, _Z)
    px, py = psi(x, y)
    z2 = f_sqr(Z)
    return f_eq(X, f_mul(px, z2)) and f_eq(Y, f_mul(py, f_mul(z2, Z)))


@njit(cache=True, nogil=True, parallel=True)
def v_in_g2_parallel(a: np.ndarray, ok: np.ndarray) -> None:
    for i in prange(a.shape[0]):
        ok[i] = aff_in_g2(load_fe(a, i, 0), load_fe(a, i, 1))


@njit(cache=True, nogil=True)
def v_in_g2_serial(a: np.ndarray, ok: np.ndarray) -> None:
    for i in range(a.shape[0]):
        ok[i] = aff_in_g2(load_fe(a, i, 0), load_fe(a, i, 1))


def v_in_g2(a: np.ndarray, ok: np.ndarray) -> None:
    """Subgroup flags of affine points on the twist (threads only for batches worth waking them for)."""
    (v_in_g2_parallel if a.shape[0] >= 64 else v_in_g2_serial)(a, ok)


G2 = Group("G2", 2, G2_GEN, subgroup_kernel=v_in_g2)

from_ints = G2.from_ints
to_ints = G2.to_ints
from_bytes = G2.from_bytes
to_bytes = G2.to_bytes
generator = G2.generator
on_curve = G2.on_curve
in_subgroup = G2.in_subgroup
validate = G2.validate
to_jacobian = G2.to_jacobian
to_affine = G2.to_affine
add = G2.add
add_mixed = G2.add_mixed
double = G2.double
neg = G2.neg
neg_affine = G2.neg_affine
scalar_mul = G2.scalar_mul
eq = G2.eq
infinity = G2.infinity
