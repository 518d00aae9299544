"""Baby Jubjub as circomlibjs's babyjub: constants, group law, and the 32-byte point packing."""

from __future__ import annotations

import random

import pytest

from zapiki.babyjub.curve import (
    BASE8,
    GENERATOR,
    IDENTITY,
    ORDER,
    SUBORDER,
    A,
    D,
    R,
    add,
    base8_mul,
    in_curve,
    in_subgroup,
    mul,
    neg,
    pack_point,
    unpack_point,
)
from zapiki.errors import CurveError, InputError

RNG = random.Random(7)
# Points of the prime-order subgroup, points of the whole curve (cofactor 8), and the small-order ones.
SUBGROUP_POINTS = [BASE8, base8_mul(2), base8_mul(SUBORDER - 1)]
SUBGROUP_POINTS += [base8_mul(RNG.randrange(SUBORDER)) for _ in range(12)]
CURVE_POINTS = [GENERATOR] + [mul(GENERATOR, RNG.randrange(ORDER)) for _ in range(8)]
SMALL_ORDER = [mul(GENERATOR, SUBORDER * k) for k in range(1, 8)]  # order 2, 4 or 8 (y = -1 among them)
POINTS = SUBGROUP_POINTS + CURVE_POINTS + SMALL_ORDER


def test_the_curve_constants_are_circomlibjs():
    assert (A, D) == (168700, 168696)
    assert ORDER == 21888242871839275222246405745257275088614511777268538073601725287587578984328
    assert SUBORDER == ORDER // 8 == 2736030358979909402780800718157159386076813972158567259200215660948447373041
    assert in_curve(BASE8) and mul(GENERATOR, 8) == BASE8
    assert mul(BASE8, SUBORDER) == IDENTITY and BASE8 != IDENTITY


def test_group_law():
    p, q, s = SUBGROUP_POINTS[3:6]
    assert add(p, q) == add(q, p)
    assert add(add(p, q), s) == add(p, add(q, s))
    assert add(p, IDENTITY) == p and add(p, neg(p)) == IDENTITY
    assert add(p, p) == mul(p, 2)
    a, b = RNG.randrange(SUBORDER), RNG.randrange(SUBORDER)
    assert mul(mul(BASE8, a), b) == base8_mul(a * b % SUBORDER) == mul(BASE8, a * b)
    assert all(in_curve(pt) for pt in POINTS)


def test_subgroup_membership():
    assert all(in_subgroup(pt) for pt in SUBGROUP_POINTS)
    assert not any(in_subgroup(pt) for pt in CURVE_POINTS + SMALL_ORDER[:-1] if mul(pt, SUBORDER) != IDENTITY)
    assert not in_subgroup((1, 2))


@pytest.mark.parametrize("point", [(1, 1), (0, 0), (R, 1), (-1, 1), (1.5, 1), (1,), "ab", None])
def test_in_curve_says_no_to_non_points(point):
    assert not in_curve(point)


def test_scalars_are_non_negative_integers():
    for bad in (-1, 1.0, True):
        with pytest.raises(InputError):
            mul(BASE8, bad)
        with pytest.raises(InputError):
            base8_mul(bad)


def test_pack_unpack_round_trip():
    for pt in POINTS:
        if pt[0] == 0:  # y = +-1: circomlibjs's unpackPoint refuses them (x^2 = 0 fails its square test)
            with pytest.raises(CurveError):
                unpack_point(pack_point(pt))
            continue
        assert unpack_point(pack_point(pt)) == pt
        assert unpack_point(pack_point(neg(pt))) == neg(pt)


@pytest.fixture(scope="module")
def reference(circomlibjs):
    packed = [pack_point(pt).hex() for pt in POINTS]
    non_canonical = bytearray((BASE8[1] + R).to_bytes(32, "little"))  # y + r: circomlibjs reduces it
    non_canonical[31] |= 0x80 if BASE8[0] > (R - 1) // 2 else 0
    # Random bytes with y < 2^253 < r (either sign bit): about half are points.
    junk = [(RNG.randbytes(31) + bytes([RNG.randrange(256) & 0x9F])).hex() for _ in range(20)]
    return circomlibjs(
        {
            "pack": [[str(x), str(y)] for x, y in POINTS],
            "unpack": packed + junk + [non_canonical.hex()],
        }
    ) | {"packed": packed, "junk": junk, "non_canonical": non_canonical}


def test_pack_point_is_circomlibjs_pack_point(reference):
    assert reference["pack"] == reference["packed"]


def test_unpack_point_is_circomlibjs_unpack_point(reference):
    def ours(data: str) -> list[str] | None:
        try:
            x, y = unpack_point(bytes.fromhex(data))
        except CurveError:
            return None
        return [str(x), str(y)]

    inputs = reference["packed"] + reference["junk"]
    assert [ours(d) for d in inputs] == reference["unpack"][: len(inputs)]
    from_junk = reference["unpack"][len(reference["packed"]) : len(inputs)]
    assert None in from_junk and any(from_junk)
    assert None in reference["unpack"][: len(reference["packed"])]  # y = +-1 refused by both


def test_a_non_canonical_y_is_refused_where_circomlibjs_reduces_it(reference):
    # The one deliberate difference: circomlibjs unpacks y + r as y; we accept only the encoding packPoint makes.
    assert reference["unpack"][-1] == [str(BASE8[0]), str(BASE8[1])]
    with pytest.raises(CurveError, match="y >= r"):
        unpack_point(bytes(reference["non_canonical"]))


@pytest.mark.parametrize("data", [b"", bytes(31), bytes(33), "00" * 32])
def test_a_packed_point_is_32_bytes(data):
    with pytest.raises(CurveError, match="32 bytes"):
        unpack_point(data)


def test_off_curve_points_do_not_pack():
    with pytest.raises(CurveError):
        pack_point((1, 1))
