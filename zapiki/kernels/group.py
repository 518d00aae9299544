"""The array API of a curve group, shared by :mod:`g1` (coordinates in Fq) and :mod:`g2` (in Fq2).

Arrays (uint64, Montgomery form, see :mod:`zapiki.kernels.curve` for the layouts): affine ``(n, 2, *E)``,
Jacobian ``(n, 3, *E)`` with ``E = (4,)`` for G1 and ``(2, 4)`` for G2. Python-int points are ``(x, y)``
(G1: ints, G2: pairs ``(c0, c1)``) or ``None`` for the point at infinity.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from zapiki.errors import CurveError

from . import curve
from .fq import FQ_FIELD
from .fr import FR_FIELD


def scalars_to_limbs(scalars: Sequence[int] | np.ndarray) -> np.ndarray:
    """Plain scalars (Python ints, reduced mod r) or an (n, 4) uint64 limb array to (n, 4) plain limbs."""
    if isinstance(scalars, np.ndarray) and scalars.dtype == np.uint64:
        return np.ascontiguousarray(scalars).reshape(-1, 4)
    data = b"".join((int(k) % FR_FIELD.p).to_bytes(32, "little") for k in scalars)
    return np.frombuffer(data, dtype="<u8").astype(np.uint64).reshape(-1, 4)


class Group:
    """Vectorised point arithmetic for one of the two BN254 groups (instances live in g1 and g2)."""

    def __init__(self, name: str, degree: int, generator: tuple, subgroup_kernel: object | None = None) -> None:
        self.name = name
        self.degree = degree
        self.elem_shape = (4,) if degree == 1 else (2, 4)
        self._subgroup_kernel = subgroup_kernel
        self.generator_ints = generator

    # -- conversion -------------------------------------------------------------------------------------
    def _coords_to_ints(self, flat: list[int]) -> list:
        if self.degree == 1:
            return flat
        return list(zip(flat[0::2], flat[1::2], strict=True))

    def from_ints(self, points: Sequence[tuple | None]) -> np.ndarray:
        """Affine Python-int points (None = infinity) to an affine Montgomery array (n, 2, *E)."""
        flat: list[int] = []
        width = 2 * self.degree
        for pt in points:
            if pt is None:
                flat.extend([0] * width)
            elif self.degree == 1:
                flat.extend([int(pt[0]), int(pt[1])])
            else:
                flat.extend([int(pt[0][0]), int(pt[0][1]), int(pt[1][0]), int(pt[1][1])])
        return FQ_FIELD.from_ints(flat).reshape((-1, 2, *self.elem_shape))

    def to_ints(self, affine: np.ndarray) -> list[tuple | None]:
        """Affine array (n, 2, *E) to Python-int points (None for infinity)."""
        arr = np.asarray(affine, dtype=np.uint64).reshape((-1, 2, *self.elem_shape))
        flat = FQ_FIELD.to_ints(arr.reshape(-1, 4))
        coords = self._coords_to_ints(flat)
        out: list[tuple | None] = []
        for i in range(arr.shape[0]):
            x, y = coords[2 * i], coords[2 * i + 1]
            out.append(None if not arr[i].any() else (x, y))
        return out

    def generator(self) -> np.ndarray:
        """The standard generator, affine, shape (1, 2, *E)."""
        return self.from_ints([self.generator_ints])

    def from_bytes(self, buf: bytes, montgomery: bool = True, check_subgroup: bool = True) -> np.ndarray:
        """snarkjs point bytes to an affine array, validated.

        G1 = x || y (64 bytes), G2 = x.c0 || x.c1 || y.c0 || y.c1 (128 bytes), little-endian, coordinates in
        Montgomery form as in a .zkey (``montgomery=False`` for plain), all zeros = infinity. Raises
        CurveError for a coordinate >= q, a point off the curve or (G2, ``check_subgroup``) outside the group.
        """
        size = 64 * self.degree
        if len(buf) % size:
            raise CurveError(f"{self.name}: byte length {len(buf)} is not a multiple of {size}")
        coords = FQ_FIELD.from_bytes(buf, montgomery=montgomery, what=f"{self.name} coordinate")
        pts = coords.reshape((-1, 2, *self.elem_shape))
        self.validate(pts, check_subgroup=check_subgroup)
        return pts

    def to_bytes(self, affine: np.ndarray, montgomery: bool = True) -> bytes:
        """Inverse of :meth:`from_bytes` (infinity stays all zeros)."""
        return FQ_FIELD.to_bytes(np.asarray(affine).reshape(-1, 4), montgomery=montgomery)

    # -- checks -----------------------------------------------------------------------------------------
    def on_curve(self, affine: np.ndarray) -> np.ndarray:
        """Boolean array: each affine point (infinity included) satisfies the curve equation."""
        arr = self._aff(affine)
        ok = np.empty(arr.shape[0], dtype=np.bool_)
        curve.v_on_curve(arr, ok)
        return ok

    def in_subgroup(self, affine: np.ndarray) -> np.ndarray:
        """Boolean array: on the curve and in the prime-order subgroup (G1: cofactor 1, same as on_curve)."""
        ok = self.on_curve(affine)
        if self._subgroup_kernel is not None:
            arr = self._aff(affine)
            sub = np.empty(arr.shape[0], dtype=np.bool_)
            self._subgroup_kernel(arr, sub)
            ok &= sub
        return ok

    def validate(self, affine: np.ndarray, check_subgroup: bool = True) -> None:
        """Raise CurveError naming the first bad point: coordinate >= q, off the curve, outside the subgroup."""
        arr = self._aff(affine)
        FQ_FIELD.check(arr.reshape(-1, 4), what=f"{self.name} coordinate")
        ok = self.on_curve(arr)
        if not ok.all():
            raise CurveError(f"{self.name} point #{int(np.argmin(ok))} is not on the curve")
        if check_subgroup and self._subgroup_kernel is not None:
            ok = self.in_subgroup(arr)
            if not ok.all():
                raise CurveError(f"{self.name} point #{int(np.argmin(ok))} is not in the prime-order subgroup")

    # -- arithmetic -------------------------------------------------------------------------------------
    def _aff(self, a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=np.uint64).reshape((-1, 2, *self.elem_shape))

    def _jac(self, a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=np.uint64).reshape((-1, 3, *self.elem_shape))

    def to_jacobian(self, affine: np.ndarray) -> np.ndarray:
        """Affine (n, 2, *E) to Jacobian (n, 3, *E)."""
        a = self._aff(affine)
        out = np.empty((a.shape[0], 3, *self.elem_shape), dtype=np.uint64)
        curve.v_aff_to_jac(a, out)
        return out

    def to_affine(self, jac: np.ndarray) -> np.ndarray:
        """Batch normalisation of Jacobian points (one inversion for all); infinity -> zeros."""
        a = self._jac(jac)
        out = np.empty((a.shape[0], 2, *self.elem_shape), dtype=np.uint64)
        curve.v_jac_to_aff(a, out)
        return out

    def add(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        """Jacobian + Jacobian, elementwise (any of them may be infinity, P + P and P + (-P) included)."""
        a, b = self._jac(p), self._jac(q)
        out = np.empty_like(a)
        curve.v_jac_add(a, b, out)
        return out

    def add_mixed(self, p: np.ndarray, q_affine: np.ndarray) -> np.ndarray:
        """Jacobian + affine, elementwise."""
        a, b = self._jac(p), self._aff(q_affine)
        out = np.empty_like(a)
        curve.v_jac_add_aff(a, b, out)
        return out

    def double(self, p: np.ndarray) -> np.ndarray:
        """2P, Jacobian."""
        a = self._jac(p)
        out = np.empty_like(a)
        curve.v_jac_double(a, out)
        return out

    def neg(self, p: np.ndarray) -> np.ndarray:
        """-P, Jacobian."""
        a = self._jac(p)
        out = np.empty_like(a)
        curve.v_jac_neg(a, out)
        return out

    def neg_affine(self, p: np.ndarray) -> np.ndarray:
        """-P, affine (infinity stays zeros)."""
        a = self._aff(p).copy()
        a[:, 1] = FQ_FIELD.neg(a[:, 1].reshape(-1, 4)).reshape(a[:, 1].shape)
        return a

    def scalar_mul(self, p: np.ndarray, scalars: Sequence[int] | np.ndarray) -> np.ndarray:
        """[k_i] P_i for Jacobian P (n, 3, *E) and plain scalars (ints or (n, 4) uint64 limbs)."""
        a = self._jac(p)
        k = scalars_to_limbs(scalars)
        if k.shape[0] != a.shape[0]:
            raise ValueError(f"{a.shape[0]} points but {k.shape[0]} scalars")
        out = np.empty_like(a)
        curve.v_jac_mul(a, k, out)
        return out

    def eq(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        """Elementwise equality of Jacobian points (as group elements)."""
        a, b = self._jac(p), self._jac(q)
        ok = np.empty(a.shape[0], dtype=np.bool_)
        curve.v_jac_eq(a, b, ok)
        return ok

    def infinity(self, n: int = 1, jacobian: bool = True) -> np.ndarray:
        """n points at infinity."""
        if not jacobian:
            return np.zeros((n, 2, *self.elem_shape), dtype=np.uint64)
        return self.to_jacobian(np.zeros((n, 2, *self.elem_shape), dtype=np.uint64))

    def warmup(self) -> None:
        """Compile (or load from cache) this group's kernels."""
        g = self.generator()
        j = self.to_jacobian(g)
        self.to_affine(self.add(j, self.double(j)))
        self.add_mixed(j, g), self.neg(j), self.eq(j, j), self.scalar_mul(j, [5])
        self.validate(g)
