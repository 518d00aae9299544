"""G1: the BN254 curve y^2 = x^3 + 3 over Fq (prime order r, cofactor 1).

Affine arrays are uint64 ``(n, 2, 4)`` (x, y in Montgomery form, infinity all zeros); Jacobian ``(n, 3, 4)``.
See :class:`zapiki.kernels.group.Group` for the functions; they are re-exported here.

>>> from zapiki.kernels import g1
>>> g = g1.generator()
>>> g1.to_ints(g1.to_affine(g1.scalar_mul(g1.to_jacobian(g), [2])))[0] == g1.to_ints(
...     g1.to_affine(g1.double(g1.to_jacobian(g))))[0]
True
"""

from __future__ import annotations

from .constants import G1_GEN
from .group import Group

G1 = Group("G1", 1, G1_GEN)

from_ints = G1.from_ints
to_ints = G1.to_ints
from_bytes = G1.from_bytes
to_bytes = G1.to_bytes
generator = G1.generator
on_curve = G1.on_curve
in_subgroup = G1.in_subgroup
validate = G1.validate
to_jacobian = G1.to_jacobian
to_affine = G1.to_affine
add = G1.add
add_mixed = G1.add_mixed
double = G1.double
neg = G1.neg
neg_affine = G1.neg_affine
scalar_mul = G1.scalar_mul
eq = G1.eq
infinity = G1.infinity
