"""The pairing kernel against py_ecc directly, and the Groth16 product check on real snarkjs proofs (issue #13).

Both compute the reduced pairing f^((q^12 - 1)/r) and write Fq12 in the same tower, so values are compared
exactly, as py_ecc's 12 coefficients (basis w^0 .. w^11 with w^6 = 9 + u). py_ecc takes about half a second
per pairing here, so it is called only a handful of times.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from py_ecc import optimized_bn128 as bn

from zapiki.kernels import fq12, pairing

Q = bn.field_modulus
R = bn.curve_order
MONT = 1 << 256
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "groth16"
ONE = [1] + [0] * 11

scalars = st.one_of(st.sampled_from([1, 2, R - 1, R - 2]), st.integers(1, R - 1))


def _enc(values: list[int]) -> np.ndarray:
    data = b"".join((v % Q * MONT % Q).to_bytes(32, "little") for v in values)
    return np.frombuffer(data, dtype="<u8").astype(np.uint64).reshape(-1, 4)


def _g1(pts: list[tuple]) -> np.ndarray:
    flat: list[int] = []
    for p in pts:
        flat.extend([0, 0] if bn.is_inf(p) else [int(c) for c in bn.normalize(p)])
    return _enc(flat).reshape(-1, 2, 4)


def _g2(pts: list[tuple]) -> np.ndarray:
    flat: list[int] = []
    for p in pts:
        flat.extend([0] * 4 if bn.is_inf(p) else [int(c) for xy in bn.normalize(p) for c in xy.coeffs])
    return _enc(flat).reshape(-1, 2, 2, 4)


def _pyecc(f: object) -> list[int]:
    return [int(c) for c in f.coeffs]


def _pyecc_product(ps: list[tuple], qs: list[tuple]) -> list[int]:
    """prod_i e(P_i, Q_i) with py_ecc: Miller loops multiplied, one final exponentiation."""
    f = bn.FQ12.one()
    for p, q in zip(ps, qs, strict=True):
        f = f * bn.pairing(q, p, final_exponentiate=False)
    return _pyecc(bn.final_exponentiate(f))


def test_pairing_of_generators_equals_py_ecc():
    got = fq12.to_pyecc(pairing.pairing(_g1([bn.G1]), _g2([bn.G2])))
    assert got == _pyecc(bn.pairing(bn.G2, bn.G1))
    assert got != ONE  # non-degenerate


def test_pairing_of_random_points_equals_py_ecc():
    a, b = 0x1234567890ABCDEF1234567890ABCDEF % R, R - 3
    p, q = bn.multiply(bn.G1, a), bn.multiply(bn.G2, b)
    assert fq12.to_pyecc(pairing.pairing(_g1([p]), _g2([q]))) == _pyecc(bn.pairing(q, p))


def test_bilinearity_and_order():
    e = pairing.pairing(_g1([bn.G1]), _g2([bn.G2]))

    @settings(
        max_examples=6, deadline=None, database=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
    )
    @given(scalars, scalars)
    def check(a, b):
        e_ab = pairing.pairing(_g1([bn.multiply(bn.G1, a)]), _g2([bn.multiply(bn.G2, b)]))
        assert np.array_equal(e_ab, fq12.pow(e, a * b % R))
        assert np.array_equal(e_ab, pairing.pairing(_g1([bn.multiply(bn.G1, a * b % R)]), _g2([bn.G2])))
        assert fq12.to_pyecc(e_ab) != ONE

    check()
    assert fq12.to_pyecc(fq12.pow(e, R)) == ONE
    assert fq12.to_pyecc(pairing.pairing(_g1([bn.Z1]), _g2([bn.G2]))) == ONE
    assert fq12.to_pyecc(pairing.pairing(_g1([bn.G1]), _g2([bn.Z2]))) == ONE


def _groth16_pairs(circuit: str, tamper: bool) -> tuple[list[tuple], list[tuple]]:
    """The four pairs of snarkjs's verification: e(-A, B) e(alpha, beta) e(vk_x, gamma) e(C, delta), in py_ecc."""
    fx = FIXTURES / circuit
    vk = json.loads((fx / "verification_key.json").read_text())
    proof = json.loads((fx / "proof.json").read_text())
    public = [int(x) for x in json.loads((fx / "public.json").read_text())]
    if tamper:
        public[0] = (public[0] + 1) % R

    def p1(v: list) -> tuple:
        return (bn.FQ(int(v[0])), bn.FQ(int(v[1])), bn.FQ(int(v[2])))

    def p2(v: list) -> tuple:
        return tuple(bn.FQ2([int(c) for c in xy]) for xy in v)

    vk_x = p1(vk["IC"][0])
    for x, ic in zip(public, vk["IC"][1:], strict=True):
        vk_x = bn.add(vk_x, bn.multiply(p1(ic), x))
    ps = [bn.neg(p1(proof["pi_a"])), p1(vk["vk_alpha_1"]), vk_x, p1(proof["pi_c"])]
    qs = [p2(proof["pi_b"]), p2(vk["vk_beta_2"]), p2(vk["vk_gamma_2"]), p2(vk["vk_delta_2"])]
    return ps, qs


CASES = [("multiplier", False), ("multiplier", True), ("poseidon_chain_8", False)]


@pytest.mark.parametrize(("circuit", "tamper"), CASES)
def test_groth16_product_check_agrees_with_py_ecc(circuit, tamper):
    ps, qs = _groth16_pairs(circuit, tamper)
    want = _pyecc_product(ps, qs)
    assert (want == ONE) is (not tamper)  # py_ecc's own verdict on the snarkjs proof
    g1s, g2s = _g1(ps), _g2(qs)
    assert fq12.to_pyecc(pairing.pairing_product(g1s, g2s)) == want  # the same Fq12 value, valid or not
    assert pairing.pairing_check(g1s, g2s) is (not tamper)
