"""The base field Fq of BN254: scalar kernels over limb tuples, and the vectorised array API.

Kernels (``fq_*``) take and return 4-tuples of uint64 limbs in Montgomery form; they are what the curve and
pairing kernels are built from. Array functions (``add``, ``mul``, ``from_bytes``, ...) work on uint64 arrays
of shape ``(..., 4)``, see :mod:`zapiki.kernels.field`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .constants import FQ
from .field import PrimeField, pow_limbs
from .limbs import Limbs, is_zero, mod_add, mod_neg, mod_sub, mont_mul

P = tuple(np.uint64(v) for v in FQ.limbs)
PINV = FQ.inv
ONE = tuple(np.uint64(v) for v in FQ.one)
ZERO = (np.uint64(0),) * 4
PM2 = FQ.pm2


@njit(cache=True)
def fq_add(a: Limbs, b: Limbs) -> Limbs:
    return mod_add(a, b, P)


@njit(cache=True)
def fq_sub(a: Limbs, b: Limbs) -> Limbs:
    return mod_sub(a, b, P)


@njit(cache=True)
def fq_neg(a: Limbs) -> Limbs:
    return mod_neg(a, P)


@njit(cache=True)
def fq_dbl(a: Limbs) -> Limbs:
    return mod_add(a, a, P)


@njit(cache=True)
def fq_mul(a: Limbs, b: Limbs) -> Limbs:
    return mont_mul(a, b, P, PINV)


@njit(cache=True)
def fq_sqr(a: Limbs) -> Limbs:
    return mont_mul(a, a, P, PINV)


@njit(cache=True)
def fq_inv(a: Limbs) -> Limbs:
    """1/a by Fermat (0 maps to 0)."""
    return pow_limbs(a, PM2, ONE, P, PINV)


@njit(cache=True)
def fq_is_zero(a: Limbs) -> bool:
    return is_zero(a)


@njit(cache=True)
def fq_eq(a: Limbs, b: Limbs) -> bool:
    return a[0] == b[0] and a[1] == b[1] and a[2] == b[2] and a[3] == b[3]


FQ_FIELD = PrimeField(FQ, "Fq")

add = FQ_FIELD.add
sub = FQ_FIELD.sub
neg = FQ_FIELD.neg
mul = FQ_FIELD.mul
square = FQ_FIELD.square
pow = FQ_FIELD.pow  # noqa: A001 - mirrors the field operation name
inverse = FQ_FIELD.inverse
batch_inverse = FQ_FIELD.batch_inverse
from_ints = FQ_FIELD.from_ints
to_ints = FQ_FIELD.to_ints
from_bytes = FQ_FIELD.from_bytes
to_bytes = FQ_FIELD.to_bytes
to_montgomery = FQ_FIELD.to_montgomery
from_montgomery = FQ_FIELD.from_montgomery
check = FQ_FIELD.check
