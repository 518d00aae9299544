"""G1 and G2 point arithmetic against the pure-Python reference (itself checked against py_ecc)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from py_ecc import optimized_bn128 as bn

from zapiki.errors import CurveError
from zapiki.kernels import g1, g2, reference
from zapiki.kernels.constants import Q, R

from .conftest import KERNEL_SETTINGS, from_pyecc, scalars

GROUPS = [pytest.param(g1, reference.G1, id="G1"), pytest.param(g2, reference.G2, id="G2")]


def _affine_points(group, gen, ks):
    """Reference points [k]G as ints and as our affine array."""
    pts = [reference.multiply(gen, k) for k in ks]
    return pts, group.from_ints(pts)


def test_reference_matches_py_ecc():
    assert reference.multiply(reference.G1, 12345) == from_pyecc(bn.multiply(bn.G1, 12345))
    assert reference.multiply(reference.G2, 12345) == from_pyecc(bn.multiply(bn.G2, 12345))
    assert reference.G1 == from_pyecc(bn.G1) and reference.G2 == from_pyecc(bn.G2)


@pytest.mark.parametrize(("group", "gen"), GROUPS)
def test_add_double_neg_match_reference(group, gen):
    @KERNEL_SETTINGS
    @given(st.lists(st.tuples(st.integers(0, 2**40), st.integers(0, 2**40)), min_size=1, max_size=4))
    def check(pairs):
        ka = [a for a, _ in pairs] + [0, 0, 7, 7, 7]
        kb = [b for _, b in pairs] + [0, 5, 0, 7, R - 7]  # infinity, P + P, P + (-P)
        pa, a = _affine_points(group, gen, ka)
        pb, b = _affine_points(group, gen, kb)
        ja, jb = group.to_jacobian(a), group.to_jacobian(b)
        want = [reference.add(x, y) for x, y in zip(pa, pb, strict=True)]
        assert group.to_ints(group.to_affine(group.add(ja, jb))) == want
        assert group.to_ints(group.to_affine(group.add_mixed(ja, b))) == want
        assert group.to_ints(group.to_affine(group.double(ja))) == [reference.add(x, x) for x in pa]
        assert group.to_ints(group.to_affine(group.neg(ja))) == [reference.neg(x) for x in pa]
        assert group.to_ints(group.neg_affine(a)) == [reference.neg(x) for x in pa]
        assert group.eq(group.add(ja, group.neg(ja)), group.infinity(len(ka))).all()
        assert group.eq(group.add(ja, jb), group.add(jb, ja)).all()

    check()


@pytest.mark.parametrize(("group", "gen"), GROUPS)
def test_scalar_mul_matches_reference(group, gen):
    @KERNEL_SETTINGS
    @given(st.lists(scalars, min_size=1, max_size=3))
    def check(ks):
        base = group.to_jacobian(group.generator())
        got = group.to_ints(group.to_affine(group.scalar_mul(np.repeat(base, len(ks), 0), ks)))
        assert got == [reference.multiply(gen, k) for k in ks]

    check()
    base = group.to_jacobian(group.generator())
    assert group.to_ints(group.to_affine(group.scalar_mul(base, [R]))) == [None]  # order r


@pytest.mark.parametrize(("group", "gen"), GROUPS)
def test_bytes_round_trip_and_infinity(group, gen):
    pts = [reference.multiply(gen, k) for k in (1, 2, 99)] + [None]
    arr = group.from_ints(pts)
    buf = group.to_bytes(arr)
    assert len(buf) == len(pts) * (64 if group is g1 else 128)
    assert buf.endswith(b"\x00" * (64 if group is g1 else 128))
    assert group.to_ints(group.from_bytes(buf)) == pts
    assert group.to_ints(group.from_bytes(group.to_bytes(arr, montgomery=False), montgomery=False)) == pts
    assert group.to_ints(group.to_affine(group.to_jacobian(arr))) == pts
    assert group.on_curve(arr).all() and group.in_subgroup(arr).all()


def test_g1_malformed_input_raises_curve_error():
    good = g1.to_bytes(g1.generator(), montgomery=False)
    off_curve = (1).to_bytes(32, "little") + (3).to_bytes(32, "little")
    with pytest.raises(CurveError, match="not on the curve"):
        g1.from_bytes(good + off_curve, montgomery=False)
    too_big = Q.to_bytes(32, "little") + (2).to_bytes(32, "little")
    with pytest.raises(CurveError, match="not reduced"):
        g1.from_bytes(too_big, montgomery=False)
    with pytest.raises(CurveError, match="multiple of 64"):
        g1.from_bytes(good[:63])


def _twist_point_outside_g2():
    """A point on the twist that is not in G2: x = 1, 2, ... until x^3 + b' is a square in Fq2."""
    from zapiki.kernels.constants import B2, fq2_mul_int

    def fq2_pow(a, e):
        r = (1, 0)
        while e:
            if e & 1:
                r = fq2_mul_int(r, a)
            a = fq2_mul_int(a, a)
            e >>= 1
        return r

    for x0 in range(1, 100):
        x = (x0, 0)
        rhs = fq2_mul_int(fq2_mul_int(x, x), x)
        rhs = ((rhs[0] + B2[0]) % Q, (rhs[1] + B2[1]) % Q)
        # square root in Fq2 for q = 3 mod 4 (Adj and Rodriguez-Henriquez, algorithm 9)
        a1 = fq2_pow(rhs, (Q - 3) // 4)
        alpha = fq2_mul_int(fq2_mul_int(a1, a1), rhs)
        a0 = fq2_mul_int(fq2_pow(alpha, Q), alpha)
        if a0 == (Q - 1, 0):
            continue
        x0_ = fq2_mul_int(a1, rhs)
        if alpha == (Q - 1, 0):
            y = fq2_mul_int((0, 1), x0_)
        else:
            y = fq2_mul_int(fq2_pow(((1 + alpha[0]) % Q, alpha[1]), (Q - 1) // 2), x0_)
        assert fq2_mul_int(y, y) == rhs
        return (x, y)
    raise AssertionError("no twist point found")


def test_g2_subgroup_check_rejects_twist_points_outside_g2():
    p = _twist_point_outside_g2()
    assert reference.on_curve(p)
    assert reference.multiply(p, R) is not None  # really outside the order-r subgroup
    arr = g2.from_ints([p, reference.G2])
    assert g2.on_curve(arr).tolist() == [True, True]
    assert g2.in_subgroup(arr).tolist() == [False, True]
    with pytest.raises(CurveError, match="subgroup"):
        g2.from_bytes(g2.to_bytes(arr))
    assert g2.from_bytes(g2.to_bytes(arr), check_subgroup=False).shape == (2, 2, 2, 4)
    off = g2.from_ints([((1, 0), (1, 0))])
    with pytest.raises(CurveError, match="not on the curve"):
        g2.validate(off)
    buf = bytearray(g2.to_bytes(g2.generator(), montgomery=False))
    buf[32:64] = Q.to_bytes(32, "little")  # x.c1 = q
    with pytest.raises(CurveError, match="not reduced"):
        g2.from_bytes(bytes(buf), montgomery=False)
