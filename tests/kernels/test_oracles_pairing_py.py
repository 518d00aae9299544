"""The pure-Python pairing (:mod:`zapiki.bn254py`) against py_ecc, and its fast steps against slow definitions.

Same values as py_ecc's ``pairing(Q, P)`` (12 coefficients, basis w^0 .. w^11 with w^6 = 9 + u); py_ecc takes
about half a second per pairing here, so hypothesis draws only a few examples.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from py_ecc import optimized_bn128 as bn

from zapiki.bn254py import curve, fields, pairing
from zapiki.bn254py.fields import Q, R
from zapiki.kernels import reference

from .conftest import KERNEL_SETTINGS

scalars = st.one_of(st.sampled_from([1, 2, R - 1]), st.integers(1, R - 1))


def _g1(k: int) -> tuple[int, int]:
    x, y = bn.normalize(bn.multiply(bn.G1, k))
    return int(x), int(y)


def _g2(k: int) -> tuple:
    x, y = bn.normalize(bn.multiply(bn.G2, k))
    return tuple(int(c) for c in x.coeffs), tuple(int(c) for c in y.coeffs)


def _random_fq12(rng: random.Random) -> tuple[int, ...]:
    return tuple(rng.randrange(Q) for _ in range(12))


@settings(KERNEL_SETTINGS, derandomize=True, max_examples=3)
@given(scalars, scalars)
def test_pairing_equals_py_ecc(a, b):
    p, q = _g1(a), _g2(b)
    expected = [int(c) for c in bn.pairing(bn.multiply(bn.G2, b), bn.multiply(bn.G1, a)).coeffs]
    assert fields.to_pyecc(pairing.pairing(p, q)) == expected


@settings(KERNEL_SETTINGS, derandomize=True, max_examples=4)
@given(scalars, scalars)
def test_bilinearity_and_the_product_check(a, b):
    # e([a]G1, [b]G2) e([-ab]G1, G2) == 1, and not with [2]G2 in the second pair (that product is e^(-ab) != 1;
    # a point such as [-ab - 1]G1 would be infinity when ab = -1 mod r)
    pairs = [(_g1(a), _g2(b)), (_g1(-a * b % R), curve.G2_GEN)]
    assert pairing.pairing_check(pairs)
    assert not pairing.pairing_check([pairs[0], (pairs[1][0], _g2(2))])


def test_pairing_check_skips_infinity_and_is_non_degenerate():
    assert pairing.pairing_check([]) and pairing.pairing_check([(None, curve.G2_GEN), (curve.G1_GEN, None)])
    assert not pairing.pairing_check([(curve.G1_GEN, curve.G2_GEN)])


def test_fq12_fast_formulas_equal_the_definitions():
    rng = random.Random(1)
    a, b = _random_fq12(rng), _random_fq12(rng)
    assert fields.f12_mul(a, fields.f12_inv(a)) == fields.ONE12
    assert fields.f12_sqr(a) == fields.f12_mul(a, a)
    # the sparse line product against a full product
    lb, lc = (rng.randrange(Q), rng.randrange(Q)), (rng.randrange(Q), rng.randrange(Q))
    line = (1, 0, 0, 0, 0, 0, *lb, *lc, 0, 0)
    assert fields.f12_mul_line(a, lb, lc) == fields.f12_mul(a, line)
    # Frobenius maps against powers (a^(q^k))
    frob = a
    for k in (1, 2, 3):
        frob = _pow(frob, Q)
        assert fields.f12_frobenius(a, k) == frob
    # cyclotomic squaring on a value of the cyclotomic subgroup
    c = pairing._easy_part(b)
    assert fields.f12_cyclotomic_sqr(c) == fields.f12_mul(c, c)
    assert pairing._exp_u(c) == _pow(c, fields.U)


def test_fast_hard_part_is_the_m_th_power_of_the_reduced_pairing():
    f = pairing.miller_loop([(curve.G1_GEN, curve.G2_GEN)])
    slow = _pow(pairing._easy_part(f), (Q**4 - Q**2 + 1) // R)
    assert pairing._hard_part_times_m(pairing._easy_part(f)) == _pow(slow, pairing.M)
    assert pairing.final_exponentiation(f) == slow


def _pow(a: tuple[int, ...], e: int) -> tuple[int, ...]:
    out = fields.ONE12
    for bit in bin(e)[2:]:
        out = fields.f12_sqr(out)
        if bit == "1":
            out = fields.f12_mul(out, a)
    return out


def test_g2_subgroup_check_against_multiplication_by_r():
    rng = random.Random(2)
    assert curve.g2_in_subgroup(curve.G2_GEN) and curve.g2_in_subgroup(None)
    assert curve.g2_in_subgroup(_g2(rng.randrange(1, R)))
    found = 0
    for x0 in range(1, 40):  # points of the twist: mostly outside G2 (the twist's order is r times a cofactor)
        x = (x0, 7)
        y = _sqrt_or_none(fields.f2_add(fields.f2_mul(fields.f2_sqr(x), x), curve.B2))
        if y is None:
            continue
        p = (x, y)
        assert curve.g2_on_curve(p)
        assert curve.g2_in_subgroup(p) == (reference.multiply(p, R) is None)
        found += 1
    assert found >= 5
    assert not curve.g2_in_subgroup((curve.G2_GEN[0], fields.f2_add(curve.G2_GEN[1], (1, 0))))  # off the twist


def _sqrt_or_none(a: tuple[int, int]) -> tuple[int, int] | None:
    a1 = fields.f2_pow(a, (Q - 3) // 4)
    alpha = fields.f2_mul(a1, fields.f2_mul(a1, a))
    x0 = fields.f2_mul(a1, a)
    y = (
        fields.f2_mul((0, 1), x0)
        if alpha == (Q - 1, 0)
        else fields.f2_mul(fields.f2_pow(fields.f2_add((1, 0), alpha), (Q - 1) // 2), x0)
    )
    return y if fields.f2_sqr(y) == a else None


@settings(KERNEL_SETTINGS, derandomize=True, max_examples=10)
@given(st.lists(st.tuples(st.integers(1, 50), st.one_of(st.sampled_from([0, 1, R - 1]), st.integers(0, R - 1))),
                max_size=4))  # fmt: skip
def test_g1_lincomb_equals_the_reference(terms):
    points = [reference.multiply(reference.G1, k) for k, _ in terms]
    scalars_ = [s for _, s in terms]
    assert curve.g1_lincomb(points, scalars_) == reference.msm(points, scalars_)
    assert curve.g1_lincomb([curve.G1_GEN, curve.G1_GEN], [1, R - 1]) is None
