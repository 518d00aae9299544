"""G1 and G2 of BN254 on Python ints: curve checks, the G2 subgroup check and vk_x's linear combination.

The twin of :mod:`zapiki.kernels.g1` / ``g2``. Affine points are ``(x, y)`` (G2 coordinates are Fq2 pairs),
``None`` is the point at infinity. Inside, Jacobian ``(X, Y, Z)`` (x = X/Z^2, y = Y/Z^3) avoids the modular
inverse per step that affine formulas would cost.

>>> g1_on_curve(G1_GEN), g2_on_curve(G2_GEN), g2_in_subgroup(G2_GEN)
(True, True, True)
>>> g1_lincomb([G1_GEN, G1_GEN], [2, R - 3]) == (G1_GEN[0], Q - G1_GEN[1])   # [2 - 3] G = -G
True
>>> g2_lincomb([G2_GEN, G2_GEN], [2, R - 3]) == (G2_GEN[0], f2_neg(G2_GEN[1]))
True
"""

from __future__ import annotations

from collections.abc import Sequence

from .fields import GAMMA, Fq2, Q, R, U, f2_conj, f2_inv, f2_mul, f2_neg, f2_pow, f2_sqr, f2_sub

__all__ = [
    "B2",
    "G1_GEN",
    "G2_GEN",
    "G1Point",
    "G2Point",
    "g1_from_jacobian",
    "g1_lincomb",
    "g1_on_curve",
    "g2_from_jacobian",
    "g2_lincomb",
    "g2_in_subgroup",
    "g2_on_curve",
    "naf",
    "psi",
]

G1Point = tuple[int, int] | None
G2Point = tuple[Fq2, Fq2] | None

#: E: y^2 = x^3 + 3 over Fq; the twist E': y^2 = x^3 + 3/(9 + u) over Fq2.
B1 = 3
B2: Fq2 = f2_mul((3, 0), f2_inv((9, 1)))
G1_GEN = (1, 2)
G2_GEN = (
    (
        10857046999023057135944570762232829481370756359578518086990519993285655852781,
        11559732032986387107991004021392285783925812861821192530917403151452391805634,
    ),
    (
        8495653923123431417604973247489272438418190587263600148770280649306958101930,
        4082367875863433681332203403145435568316851327593401208105741076214120093531,
    ),
)
#: psi = untwist o Frobenius o twist: (x, y) -> (conj(x) PSI_X, conj(y) PSI_Y); on G2 it is [q] = [6u^2].
PSI_X = f2_pow(GAMMA, 2)  # xi^((q - 1)/3)
PSI_Y = f2_pow(GAMMA, 3)  # xi^((q - 1)/2)
SUBGROUP_K = 6 * U * U
assert SUBGROUP_K == Q - R


def naf(k: int) -> list[int]:
    """The non-adjacent form of k > 0: digits in {-1, 0, 1}, most significant first."""
    digits = []
    while k:
        d = (2 - k % 4) if k & 1 else 0
        digits.append(d)
        k = (k - d) >> 1
    return digits[::-1]


_SUBGROUP_NAF = naf(SUBGROUP_K)


def g1_on_curve(p: G1Point) -> bool:
    """y^2 = x^3 + 3 (infinity is on the curve)."""
    if p is None:
        return True
    x, y = p
    return (y * y - x * x * x - B1) % Q == 0


def g2_on_curve(p: G2Point) -> bool:
    """y^2 = x^3 + 3/(9 + u) on the twist (infinity is on it)."""
    if p is None:
        return True
    x, y = p
    return f2_sub(f2_sqr(y), f2_mul(f2_sqr(x), x)) == B2


def psi(p: tuple[Fq2, Fq2]) -> tuple[Fq2, Fq2]:
    """The q-power endomorphism of the twist, affine."""
    return (f2_mul(f2_conj(p[0]), PSI_X), f2_mul(f2_conj(p[1]), PSI_Y))


# -- G2: Jacobian double and mixed add over Fq2 (a = 0) -------------------------------------------------------


def _g2_dbl(X: Fq2, Y: Fq2, Z: Fq2) -> tuple[Fq2, Fq2, Fq2]:
    """2 (X, Y, Z), dbl-2009-l, the Fq2 products written out on ints (u^2 = -1)."""
    (x0, x1), (y0, y1), (z0, z1) = X, Y, Z
    # A = X^2, B = Y^2, C = B^2
    a0, a1 = (x0 + x1) * (x0 - x1) % Q, 2 * x0 * x1 % Q
    b0, b1 = (y0 + y1) * (y0 - y1) % Q, 2 * y0 * y1 % Q
    c0, c1 = (b0 + b1) * (b0 - b1) % Q, 2 * b0 * b1 % Q
    # D = 2 ((X + B)^2 - A - C), E = 3 A
    s0, s1 = x0 + b0, x1 + b1
    d0, d1 = 2 * ((s0 + s1) * (s0 - s1) - a0 - c0) % Q, 2 * (2 * s0 * s1 - a1 - c1) % Q
    e0, e1 = 3 * a0, 3 * a1
    # X3 = E^2 - 2 D, Y3 = E (D - X3) - 8 C, Z3 = 2 Y Z
    X3 = ((e0 + e1) * (e0 - e1) - 2 * d0) % Q, (2 * e0 * e1 - 2 * d1) % Q
    t0, t1 = d0 - X3[0], d1 - X3[1]
    Y3 = (e0 * t0 - e1 * t1 - 8 * c0) % Q, (e0 * t1 + e1 * t0 - 8 * c1) % Q
    return X3, Y3, (2 * (y0 * z0 - y1 * z1) % Q, 2 * (y0 * z1 + y1 * z0) % Q)


def _g2_madd(X: Fq2, Y: Fq2, Z: Fq2, x: Fq2, y: Fq2) -> tuple[Fq2, Fq2, Fq2] | None:
    """(X, Y, Z) + affine (x, y), madd-2007-bl written out on ints; None for infinity."""
    (X0, X1), (Y0, Y1), (z0, z1) = X, Y, Z
    # ZZ = Z^2, H = x ZZ - X, r = y Z ZZ - Y
    zz0, zz1 = (z0 + z1) * (z0 - z1) % Q, 2 * z0 * z1 % Q
    h0, h1 = (x[0] * zz0 - x[1] * zz1 - X0) % Q, (x[0] * zz1 + x[1] * zz0 - X1) % Q
    w0, w1 = (z0 * zz0 - z1 * zz1) % Q, (z0 * zz1 + z1 * zz0) % Q
    r0, r1 = (y[0] * w0 - y[1] * w1 - Y0) % Q, (y[0] * w1 + y[1] * w0 - Y1) % Q
    if h0 == h1 == 0:
        return _g2_dbl(X, Y, Z) if r0 == r1 == 0 else None
    r0, r1 = 2 * r0, 2 * r1
    # HH = H^2, I = 4 HH, J = H I, V = X I
    hh0, hh1 = (h0 + h1) * (h0 - h1) % Q, 2 * h0 * h1 % Q
    i0, i1 = 4 * hh0, 4 * hh1
    j0, j1 = (h0 * i0 - h1 * i1) % Q, (h0 * i1 + h1 * i0) % Q
    v0, v1 = (X0 * i0 - X1 * i1) % Q, (X0 * i1 + X1 * i0) % Q
    # X3 = r^2 - J - 2 V, Y3 = r (V - X3) - 2 Y J, Z3 = (Z + H)^2 - ZZ - HH
    X3 = ((r0 + r1) * (r0 - r1) - j0 - 2 * v0) % Q, (2 * r0 * r1 - j1 - 2 * v1) % Q
    t0, t1 = v0 - X3[0], v1 - X3[1]
    Y3 = (r0 * t0 - r1 * t1 - 2 * (Y0 * j0 - Y1 * j1)) % Q, (r0 * t1 + r1 * t0 - 2 * (Y0 * j1 + Y1 * j0)) % Q
    s0, s1 = z0 + h0, z1 + h1
    return X3, Y3, (((s0 + s1) * (s0 - s1) - zz0 - hh0) % Q, (2 * s0 * s1 - zz1 - hh1) % Q)


def g2_in_subgroup(p: G2Point) -> bool:
    """On the twist and in G2: psi(P) == [6u^2] P (Scott 2021), as :func:`zapiki.kernels.g2.aff_in_g2`."""
    if p is None:
        return True
    if not g2_on_curve(p):
        return False
    x, y = p
    ny = f2_neg(y)
    acc: tuple[Fq2, Fq2, Fq2] | None = (x, y, (1, 0))
    for d in _SUBGROUP_NAF[1:]:
        if acc is None:  # only for points of small order, off G2
            acc = (x, y if d > 0 else ny, (1, 0)) if d else None
            continue
        acc = _g2_dbl(*acc)
        if acc[2] == (0, 0):  # a point of order 2
            acc = None
            continue
        if d:
            acc = _g2_madd(*acc, x, y if d > 0 else ny)
    if acc is None:
        return False
    X, Y, Z = acc
    px, py = psi(p)
    ZZ = f2_sqr(Z)
    return X == f2_mul(px, ZZ) and Y == f2_mul(py, f2_mul(ZZ, Z))


# -- G1: Jacobian over Fq ---------------------------------------------------------------------------------------


def _g1_dbl(X: int, Y: int, Z: int) -> tuple[int, int, int]:
    # dbl-2009-l
    A, B = X * X % Q, Y * Y % Q
    C = B * B % Q
    D = 2 * ((X + B) * (X + B) - A - C) % Q
    E = 3 * A % Q
    X3 = (E * E - 2 * D) % Q
    return X3, (E * (D - X3) - 8 * C) % Q, 2 * Y * Z % Q


def _g1_madd(X: int, Y: int, Z: int, x: int, y: int) -> tuple[int, int, int]:
    """(X, Y, Z) + (x, y), madd-2007-bl; Z = 0 is infinity, on either side of the sum."""
    if Z == 0:
        return x, y, 1
    ZZ = Z * Z % Q
    H = (x * ZZ - X) % Q
    r = (y * Z * ZZ - Y) % Q
    if H == 0:
        return _g1_dbl(X, Y, Z) if r == 0 else (1, 1, 0)
    r = 2 * r
    HH = H * H % Q
    I4 = 4 * HH
    J, V = H * I4 % Q, X * I4 % Q
    X3 = (r * r - J - 2 * V) % Q
    return X3, (r * (V - X3) - 2 * Y * J) % Q, ((Z + H) * (Z + H) - ZZ - HH) % Q


def g1_lincomb(points: Sequence[G1Point], scalars: Sequence[int]) -> G1Point:
    """sum_i k_i P_i (0 <= k_i < r), affine; the doublings are shared by all terms (Straus-Shamir)."""
    terms = [(p, k) for p, k in zip(points, scalars, strict=True) if p is not None and k]
    X, Y, Z = 1, 1, 0
    for bit in range(max((k.bit_length() for _, k in terms), default=0) - 1, -1, -1):
        if Z:
            X, Y, Z = _g1_dbl(X, Y, Z)
        for (x, y), k in terms:
            if k >> bit & 1:
                X, Y, Z = _g1_madd(X, Y, Z, x, y)
    return g1_from_jacobian(X, Y, Z)


def g1_from_jacobian(X: int, Y: int, Z: int) -> G1Point:
    """The affine point (X/Z^2, Y/Z^3); None for Z = 0 (infinity)."""
    if Z == 0:
        return None
    zi = pow(Z, -1, Q)
    zi2 = zi * zi % Q
    return X * zi2 % Q, Y * zi2 * zi % Q


def g2_from_jacobian(X: Fq2, Y: Fq2, Z: Fq2) -> G2Point:
    """The affine point (X/Z^2, Y/Z^3) on the twist; None for Z = 0 (infinity)."""
    if Z == (0, 0):
        return None
    zi = f2_inv(Z)
    zi2 = f2_sqr(zi)
    return f2_mul(X, zi2), f2_mul(Y, f2_mul(zi2, zi))


def g2_lincomb(points: Sequence[G2Point], scalars: Sequence[int]) -> G2Point:
    """sum_i k_i P_i (0 <= k_i < r) on the twist, affine; the doublings shared by all terms as in :func:`g1_lincomb`."""
    terms = [(p, k) for p, k in zip(points, scalars, strict=True) if p is not None and k]
    acc: tuple[Fq2, Fq2, Fq2] | None = None
    for bit in range(max((k.bit_length() for _, k in terms), default=0) - 1, -1, -1):
        if acc is not None:
            acc = _g2_dbl(*acc)
            if acc[2] == (0, 0):
                acc = None
        for (x, y), k in terms:
            if k >> bit & 1:
                acc = (x, y, (1, 0)) if acc is None else _g2_madd(*acc, x, y)
    return None if acc is None else g2_from_jacobian(*acc)
