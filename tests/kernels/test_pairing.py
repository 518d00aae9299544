"""Optimal ate pairing: equal to py_ecc, bilinear, and the product check used by Groth16 verification."""

from __future__ import annotations

import numpy as np
import pytest

from zapiki.errors import CurveError
from zapiki.kernels import fq12, g1, g2, pairing, reference
from zapiki.kernels.constants import R

G1, G2 = reference.G1, reference.G2


def _p(k):
    return g1.from_ints([reference.multiply(G1, k)])


def _q(k):
    return g2.from_ints([reference.multiply(G2, k)])


def test_pairing_equals_py_ecc():
    assert fq12.to_pyecc(pairing.pairing(_p(5), _q(7))) == reference.pairing(
        reference.multiply(G1, 5), reference.multiply(G2, 7)
    )


# e(G1, G2) as computed by py_ecc 8.0 (optimized_bn128.pairing(G2, G1)), basis w^0 .. w^11
E_G1_G2 = [
    18443897754565973717256850119554731228214108935025491924036055734000366132575,
    10734401203193558706037776473742910696504851986739882094082017010340198538454,
    5985796159921227033560968606339653189163760772067273492369082490994528765680,
    4093294155816392700623820137842432921872230622290337094591654151434545306688,
    642121370160833232766181493494955044074321385528883791668868426879070103434,
    4527449849947601357037044178952942489926487071653896435602814872334098625391,
    3758435817766288188804561253838670030762970764366672594784247447067868088068,
    18059168546148152671857026372711724379319778306792011146784665080987064164612,
    14656606573936501743457633041048024656612227301473084805627390748872617280984,
    17918828665069491344039743589118342552553375221610735811112289083834142789347,
    19455424343576886430889849773367397946457449073528455097210946839000147698372,
    7484542354754424633621663080190936924481536615300815203692506276894207018007,
]


def test_pairing_of_generators_is_a_known_value():
    assert fq12.to_pyecc(pairing.pairing(g1.generator(), g2.generator())) == E_G1_G2


def test_bilinearity():
    e = pairing.pairing(g1.generator(), g2.generator())
    e_ab = pairing.pairing(_p(6), _q(35))
    assert np.array_equal(pairing.pairing(_p(210), g2.generator()), e_ab)
    assert np.array_equal(pairing.pairing(g1.generator(), _q(210)), e_ab)
    assert np.array_equal(fq12.pow(e, 210), e_ab)
    assert fq12.to_pyecc(fq12.pow(e, R)) == [1] + [0] * 11  # order r
    sq, inv = fq12.square_and_inverse(e)
    assert np.array_equal(fq12.mul(sq, inv), e)


def test_infinity_pairs_to_one():
    one = fq12.to_pyecc(pairing.pairing(g1.infinity(jacobian=False), g2.generator()))
    assert one == [1] + [0] * 11
    assert fq12.to_pyecc(pairing.pairing(g1.generator(), g2.infinity(jacobian=False))) == one


def test_product_check_like_groth16():
    a, b, c, d = 11, 13, 17, 19
    # e(-aG, bH) e(cG, dH) e(xG, H) e(yG, 2H) == 1 with c d + x + 2 y = a b
    x, y = 5, (a * b - c * d - 5) * pow(2, -1, R) % R
    ps = np.concatenate([g1.neg_affine(_p(a)), _p(c), _p(x), _p(y)])
    qs = np.concatenate([_q(b), _q(d), _q(1), _q(2)])
    assert pairing.pairing_check(ps, qs)
    qs_bad = np.concatenate([_q(b), _q(d), _q(1), _q(3)])
    assert not pairing.pairing_check(ps, qs_bad)
    assert pairing.pairing_check(ps[:0], qs[:0])  # empty product


def test_invalid_points_are_rejected():
    off = g1.from_ints([(1, 3)])
    with pytest.raises(CurveError, match="not on the curve"):
        pairing.pairing_check(off, g2.generator())
    with pytest.raises(CurveError, match="as many"):
        pairing.pairing_check(np.concatenate([_p(1), _p(2)]), g2.generator())
    from .test_groups import _twist_point_outside_g2

    bad_q = g2.from_ints([_twist_point_outside_g2()])
    with pytest.raises(CurveError, match="subgroup"):
        pairing.pairing_check(g1.generator(), bad_q)


def test_fq12_tower_arithmetic_matches_py_ecc():
    from hypothesis import given
    from hypothesis import strategies as st
    from py_ecc import optimized_bn128 as bn

    from zapiki.kernels.constants import Q

    from .conftest import KERNEL_SETTINGS

    coeffs = st.lists(st.integers(0, Q - 1), min_size=12, max_size=12)

    @KERNEL_SETTINGS
    @given(coeffs, coeffs)
    def check(xs, ys):
        a, b = fq12.from_ints(xs), fq12.from_ints(ys)
        pa, pb = bn.FQ12(fq12.to_pyecc(a)), bn.FQ12(fq12.to_pyecc(b))
        assert fq12.to_pyecc(fq12.mul(a, b)) == [int(c) for c in (pa * pb).coeffs]
        sq, inv = fq12.square_and_inverse(a)
        assert fq12.to_pyecc(sq) == [int(c) for c in (pa * pa).coeffs]
        if any(xs):
            assert fq12.to_pyecc(fq12.mul(a, inv)) == [1] + [0] * 11
        assert fq12.to_pyecc(fq12.pow(a, 5)) == [int(c) for c in (pa**5).coeffs]

    check()
