"""Baby Jubjub, the twisted Edwards curve ``a x^2 + y^2 = 1 + d x^2 y^2`` (a = 168700, d = 168696) over the
BN254 scalar field r, exactly as circomlibjs's ``babyjub``: the same generator and ``Base8``, the same
``subOrder``, and the same 32-byte point packing.

Points are affine ``(x, y)`` tuples; the neutral element is ``(0, 1)``. Inside, extended coordinates
``(X, Y, Z, T)`` (x = X/Z, y = Y/Z, T = XY/Z) avoid an inversion per step; a is a square and d is not, so the
addition law is complete (no exceptional cases). Multiples of ``BASE8`` use a table built on first use.

>>> in_curve(BASE8), mul(GENERATOR, 8) == BASE8, mul(BASE8, SUBORDER) == IDENTITY
(True, True, True)
>>> unpack_point(pack_point(BASE8)) == BASE8
True
"""

from __future__ import annotations

import threading

from zapiki.errors import CurveError, InputError

from .poseidon import R

__all__ = [
    "A",
    "BASE8",
    "D",
    "GENERATOR",
    "IDENTITY",
    "ORDER",
    "R",
    "SUBORDER",
    "Point",
    "add",
    "base8_mul",
    "in_curve",
    "in_subgroup",
    "mul",
    "neg",
    "pack_point",
    "unpack_point",
]

Point = tuple[int, int]

A = 168700
D = 168696
IDENTITY: Point = (0, 1)
#: circomlibjs's ``Generator`` (of the whole group, order 8 * SUBORDER) and ``Base8`` = 8 * Generator.
GENERATOR: Point = (
    995203441582195749578291179787384436505546430278305826713579947235728471134,
    5472060717959818805561601436314318772137091100104008585924551046643952123905,
)
BASE8: Point = (
    5299619240641551281634865583518297030282874472190772894086521144482721001553,
    16950150798460657717958625567821834550301663161624707787222815936182638968203,
)
#: The curve's order (8 times a prime) and that prime, circomlibjs's ``subOrder``: the order of BASE8.
ORDER = 21888242871839275222246405745257275088614511777268538073601725287587578984328
SUBORDER = ORDER >> 3
_HALF = (R - 1) // 2

_Ext = tuple[int, int, int, int]


def _legendre(v: int) -> int:
    return pow(v, _HALF, R)


def in_curve(point: Point) -> bool:
    """Whether `point` is a pair of field elements (0 <= coordinate < r) on the curve (any subgroup).

    >>> in_curve(IDENTITY), in_curve((1, 1))
    (True, False)
    """
    if not (isinstance(point, tuple | list) and len(point) == 2):
        return False
    x, y = point
    if not (isinstance(x, int) and isinstance(y, int) and 0 <= x < R and 0 <= y < R):
        return False
    x2, y2 = x * x % R, y * y % R
    return (A * x2 + y2 - 1 - D * x2 * y2) % R == 0


def _ext(point: Point) -> _Ext:
    x, y = point
    return (x, y, 1, x * y % R)


def _affine(p: _Ext) -> Point:
    x, y, z, _ = p
    zi = pow(z, -1, R)
    return (x * zi % R, y * zi % R)


def _add(p: _Ext, q: _Ext) -> _Ext:
    # add-2008-hwcd (Hisil, Wong, Carter, Dawson): complete for a square, d non-square.
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = x1 * x2 % R
    b = y1 * y2 % R
    c = D * t1 * t2 % R
    d = z1 * z2 % R
    e = ((x1 + y1) * (x2 + y2) - a - b) % R
    f = d - c
    g = d + c
    h = b - A * a
    return (e * f % R, g * h % R, f * g % R, e * h % R)


def _double(p: _Ext) -> _Ext:
    # dbl-2008-hwcd
    x1, y1, z1, _ = p
    a = x1 * x1 % R
    b = y1 * y1 % R
    c = 2 * z1 * z1 % R
    d = A * a % R
    e = ((x1 + y1) * (x1 + y1) - a - b) % R
    g = d + b
    f = g - c
    h = d - b
    return (e * f % R, g * h % R, f * g % R, e * h % R)


def add(p: Point, q: Point) -> Point:
    """The sum of two curve points.

    >>> add(BASE8, neg(BASE8)) == IDENTITY
    True
    """
    return _affine(_add(_ext(p), _ext(q)))


def neg(p: Point) -> Point:
    """The inverse of a curve point: ``(-x, y)``.

    >>> neg(IDENTITY)
    (0, 1)
    """
    return ((-p[0]) % R, p[1])


def _check_scalar(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise InputError(f"a scalar must be a non-negative integer, got {k!r}")


def mul(point: Point, k: int) -> Point:
    """``k * point`` for any integer k >= 0 (not reduced: as circomlibjs's ``mulPointEscalar``).

    >>> mul(BASE8, 0), mul(BASE8, 1) == BASE8, mul(BASE8, 2) == add(BASE8, BASE8)
    ((0, 1), True, True)
    """
    _check_scalar(k)
    if k == 0:
        return IDENTITY
    # 4-bit fixed window: 15 multiples, then per nibble 4 doublings and at most one addition.
    base = _ext(point)
    table = [(0, 1, 1, 0), base]
    for _ in range(14):
        table.append(_add(table[-1], base))
    acc: _Ext = (0, 1, 1, 0)
    for shift in range((k.bit_length() + 3) // 4 * 4 - 4, -1, -4):
        acc = _double(_double(_double(_double(acc))))
        nibble = (k >> shift) & 15
        if nibble:
            acc = _add(acc, table[nibble])
    return _affine(acc)


_BASE8_TABLE: list[list[_Ext]] = []
_TABLE_LOCK = threading.Lock()
_WINDOWS = 64  # 4-bit windows: covers scalars below 2^256


def _base8_table() -> list[list[_Ext]]:
    if not _BASE8_TABLE:
        with _TABLE_LOCK:
            if not _BASE8_TABLE:
                rows = []
                step = _ext(BASE8)
                for _ in range(_WINDOWS):
                    row = [(0, 1, 1, 0), step]
                    for _ in range(14):
                        row.append(_add(row[-1], step))
                    rows.append(row)
                    step = _double(_double(_double(_double(step))))
                _BASE8_TABLE.extend(rows)
    return _BASE8_TABLE


def base8_mul(k: int) -> Point:
    """``k * BASE8`` (k >= 0; reduced mod SUBORDER first, which does not change the point), with a table of
    multiples built on first use: about 60 additions instead of about 300 steps.

    >>> base8_mul(SUBORDER + 5) == mul(BASE8, 5)
    True
    """
    _check_scalar(k)
    k %= SUBORDER
    table = _base8_table()
    acc: _Ext = (0, 1, 1, 0)
    i = 0
    while k:
        nibble = k & 15
        if nibble:
            acc = _add(acc, table[i][nibble])
        k >>= 4
        i += 1
    return _affine(acc)


def in_subgroup(point: Point) -> bool:
    """Whether `point` is on the curve and in the prime-order subgroup of BASE8 (as circomlibjs's
    ``inSubgroup``).

    >>> in_subgroup(BASE8), in_subgroup(GENERATOR)
    (True, False)
    """
    return in_curve(point) and mul(point, SUBORDER) == IDENTITY


def pack_point(point: Point) -> bytes:
    """32 bytes as circomlibjs's ``packPoint``: y little-endian, the top bit set when x > (r - 1) / 2.

    >>> pack_point(IDENTITY).hex()
    '0100000000000000000000000000000000000000000000000000000000000000'
    """
    if not in_curve(point):
        raise CurveError("cannot pack a point that is not on Baby Jubjub")
    x, y = point
    packed = bytearray(y.to_bytes(32, "little"))
    if x > _HALF:
        packed[31] |= 0x80
    return bytes(packed)


def unpack_point(data: bytes) -> Point:
    """The point of a 32-byte packing, as circomlibjs's ``unpackPoint``; CurveError where that returns null
    (x^2 is not a non-zero square: no such point, or y = +-1, which circomlibjs does not unpack either). One
    difference, on purpose: y must be canonical (< r), where circomlibjs reduces it.

    >>> unpack_point(bytes.fromhex("01" + "00" * 31))
    Traceback (most recent call last):
    ...
    zapiki.errors.CurveError: not a packed Baby Jubjub point (x^2 is not a non-zero square)
    """
    if not isinstance(data, bytes | bytearray) or len(data) != 32:
        raise CurveError("a packed Baby Jubjub point is 32 bytes")
    raw = bytearray(data)
    sign = bool(raw[31] & 0x80)
    raw[31] &= 0x7F
    y = int.from_bytes(raw, "little")
    if y >= R:
        raise CurveError("not a packed Baby Jubjub point (y >= r)")
    y2 = y * y % R
    x2 = (1 - y2) * pow(A - D * y2, -1, R) % R  # a - d y^2 != 0: a/d is not a square
    if _legendre(x2) != 1:
        raise CurveError("not a packed Baby Jubjub point (x^2 is not a non-zero square)")
    x = _sqrt(x2)
    if x > _HALF:
        x = R - x
    if sign:
        x = R - x
    return (x, y)


# Tonelli-Shanks for r - 1 = 2^S * Q (S = 28).
_S = ((R - 1) & -(R - 1)).bit_length() - 1
_Q = (R - 1) >> _S
_NQR = next(z for z in range(2, 100) if _legendre(z) == R - 1)


def _sqrt(v: int) -> int:
    m, c, t, root = _S, pow(_NQR, _Q, R), pow(v, _Q, R), pow(v, (_Q + 1) // 2, R)
    while t != 1:
        i, t2 = 0, t
        while t2 != 1:
            t2 = t2 * t2 % R
            i += 1
        b = pow(c, 1 << (m - i - 1), R)
        m, c = i, b * b % R
        t, root = t * c % R, root * b % R
    return root


assert _legendre(A) == 1 and _legendre(D) == R - 1  # complete addition law
assert in_curve(GENERATOR) and in_curve(BASE8)
assert _affine(_double(_double(_double(_ext(GENERATOR))))) == BASE8
assert pow(2, SUBORDER - 1, SUBORDER) == 1 and ORDER == 8 * SUBORDER
