"""The verifier accepts snarkjs's proofs and ours, and rejects everything else: False for an invalid proof,
InputError for malformed JSON."""

from __future__ import annotations

import copy

import pytest

from zapiki.errors import InputError
from zapiki.formats import BN254_Q, BN254_R
from zapiki.systems.groth16 import dev_setup, verify


def test_accepts_snarkjs_proof(circuit):
    assert verify(circuit.json("verification_key.json"), circuit.json("public.json"), circuit.json("proof.json"))


def test_accepts_json_text(multiplier):
    texts = [multiplier.path(n).read_text() for n in ("verification_key.json", "public.json", "proof.json")]
    assert verify(*texts)


def _tamper(proof: dict, how: str) -> dict:
    p = copy.deepcopy(proof)
    if how == "swap_a_c":
        p["pi_a"], p["pi_c"] = p["pi_c"], p["pi_a"]
    elif how == "negate_a":  # still on the curve
        p["pi_a"][1] = str(BN254_Q - int(p["pi_a"][1]))
    elif how == "a_off_curve":
        p["pi_a"][1] = str((int(p["pi_a"][1]) + 1) % BN254_Q)
    elif how == "b_off_curve":
        p["pi_b"][1][0] = str((int(p["pi_b"][1][0]) + 1) % BN254_Q)
    elif how == "c_coordinate_ge_q":
        p["pi_c"][0] = str(int(p["pi_c"][0]) + BN254_Q)
    elif how == "b_swapped_coefficients":  # snarkjs order is [c0, c1]; swapping leaves the twist
        p["pi_b"][0] = p["pi_b"][0][::-1]
    return p


@pytest.mark.parametrize(
    "how", ["swap_a_c", "negate_a", "a_off_curve", "b_off_curve", "c_coordinate_ge_q", "b_swapped_coefficients"]
)
def test_rejects_tampered_proof(circuit, how):
    vk, public = circuit.json("verification_key.json"), circuit.json("public.json")
    assert verify(vk, public, _tamper(circuit.json("proof.json"), how)) is False


def test_rejects_wrong_public_signal(circuit):
    public = circuit.json("public.json")
    public[0] = str((int(public[0]) + 1) % BN254_R)
    assert verify(circuit.json("verification_key.json"), public, circuit.json("proof.json")) is False


def test_rejects_public_signal_plus_r(circuit):
    # snarkjs's own test: the same value + r is a different (invalid) input, not an alias
    public = circuit.json("public.json")
    public[0] = str(int(public[0]) + BN254_R)
    assert verify(circuit.json("verification_key.json"), public, circuit.json("proof.json")) is False


@pytest.mark.parametrize("change", [lambda p: p + ["1"], lambda p: p[:-1]])
def test_rejects_wrong_number_of_public_signals(multiplier, change):
    public = change(multiplier.json("public.json"))
    assert verify(multiplier.json("verification_key.json"), public, multiplier.json("proof.json")) is False


def test_rejects_proof_under_another_key(multiplier):
    _, other_vk = dev_setup(multiplier.path("circuit.r1cs").read_bytes())
    assert verify(other_vk, multiplier.json("public.json"), multiplier.json("proof.json")) is False


@pytest.mark.parametrize(
    ("which", "value", "message"),
    [
        ("proof", {"pi_a": ["1", "2", "1"]}, "missing field 'pi_b'"),
        ("proof", {"pi_a": "x", "pi_b": [], "pi_c": []}, "pi_a: expected a list"),
        ("proof", ["not", "an", "object"], "expected a JSON object"),
        ("proof", "{not json", "invalid JSON"),
        ("public", {"0": "33"}, "public.json: expected a list"),
        ("public", ["0x21"], "not a decimal integer"),
        ("public", [33.5], "expected a decimal string"),
        ("vkey", {"protocol": "plonk"}, "unsupported protocol"),
        ("vkey", {}, "missing field 'protocol'"),
    ],
)
def test_malformed_json_raises_input_error(multiplier, which, value, message):
    args = {
        "vkey": multiplier.json("verification_key.json"),
        "public": multiplier.json("public.json"),
        "proof": multiplier.json("proof.json"),
    }
    args[which] = value
    with pytest.raises(InputError, match=message):
        verify(args["vkey"], args["public"], args["proof"])


def test_vkey_with_a_point_off_the_curve_is_an_input_error(multiplier):
    vk = multiplier.json("verification_key.json")
    vk["IC"][0][1] = str((int(vk["IC"][0][1]) + 1) % BN254_Q)
    with pytest.raises(InputError, match="not on the curve"):
        verify(vk, multiplier.json("public.json"), multiplier.json("proof.json"))


def test_vk_x_by_msm_gives_the_same_answers(circuit, monkeypatch):
    from zapiki.systems.groth16 import verifier

    monkeypatch.setattr(verifier, "_SMALL", 0)  # circuits with many public signals sum vk_x with an MSM
    vk, public, proof = (circuit.json(n) for n in ("verification_key.json", "public.json", "proof.json"))
    assert verify(vk, public, proof)
    public[-1] = str((int(public[-1]) + 1) % BN254_R)
    assert verify(vk, public, proof) is False
