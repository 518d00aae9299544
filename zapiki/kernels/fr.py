"""The scalar field Fr of BN254: scalar kernels over limb tuples, and the vectorised array API.

Kernels (``fr_*``) take and return 4-tuples of uint64 limbs in Montgomery form; they are what the NTT and the
MSM scalar handling are built from. Array functions (``add``, ``mul``, ``from_bytes``, ...) work on uint64 arrays
of shape ``(..., 4)``, see :mod:`zapiki.kernels.field`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .constants import FR
from .field import PrimeField, pow_limbs
from .limbs import Limbs, is_zero, mod_add, mod_neg, mod_sub, mont_mul

P = tuple(np.uint64(v) for v in FR.limbs)
PINV = FR.inv
ONE = tuple(np.uint64(v) for v in FR.one)
ZERO = (np.uint64(0),) * 4
PM2 = FR.pm2


@njit(cache=True)
def fr_add(a: Limbs, b: Limbs) -> Limbs:
    return mod_add(a, b, P)


@njit(cache=True)
def fr_sub(a: Limbs, b: Limbs) -> Limbs:
    return mod_sub(a, b, P)


@njit(cache=True)
def fr_neg(a: Limbs) -> Limbs:
    return mod_neg(a, P)


@njit(cache=True)
def fr_dbl(a: Limbs) -> Limbs:
    return mod_add(a, a, P)


@njit(cache=True)
def fr_mul(a: Limbs, b: Limbs) -> Limbs:
    return mont_mul(a, b, P, PINV)


@njit(cache=True)
def fr_sqr(a: Limbs) -> Limbs:
    return mont_mul(a, a, P, PINV)


@njit(cache=True)
def fr_inv(a: Limbs) -> Limbs:
    """1/a by Fermat (0 maps to 0)."""
    return pow_limbs(a, PM2, ONE, P, PINV)


@njit(cache=True)
def fr_is_zero(a: Limbs) -> bool:
    return is_zero(a)


@njit(cache=True)
def fr_eq(a: Limbs, b: Limbs) -> bool:
    return a[0] == b[0] and a[1] == b[1] and a[2] == b[2] and a[3] == b[3]


FR_FIELD = PrimeField(FR, "Fr")

add = FR_FIELD.add
sub = FR_FIELD.sub
neg = FR_FIELD.neg
mul = FR_FIELD.mul
square = FR_FIELD.square
pow = FR_FIELD.pow  # noqa: A001 - mirrors the field operation name
inverse = FR_FIELD.inverse
batch_inverse = FR_FIELD.batch_inverse
from_ints = FR_FIELD.from_ints
to_ints = FR_FIELD.to_ints
from_bytes = FR_FIELD.from_bytes
to_bytes = FR_FIELD.to_bytes
to_montgomery = FR_FIELD.to_montgomery
from_montgomery = FR_FIELD.from_montgomery
check = FR_FIELD.check
