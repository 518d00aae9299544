"""snarkjs JSON files: proof.json, public.json, verification_key.json."""

import copy
import json
from pathlib import Path

import pytest

from zapiki.errors import FormatError, InputError
from zapiki.formats.field import BN254_Q, BN254_R
from zapiki.formats.snarkjs_json import (
    Groth16Proof,
    dumps,
    load_json,
    parse_proof,
    parse_public,
    parse_vkey,
    proof_to_json,
    public_to_json,
    vkey_to_json,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "groth16"
CIRCUITS = ["multiplier", "poseidon_chain_8"]


@pytest.mark.parametrize("name", CIRCUITS)
@pytest.mark.parametrize(
    ("filename", "parse", "encode"),
    [
        ("proof.json", parse_proof, proof_to_json),
        ("public.json", parse_public, public_to_json),
        ("verification_key.json", parse_vkey, vkey_to_json),
    ],
)
def test_parse_then_write_is_byte_identical_to_snarkjs(name, filename, parse, encode):
    path = FIXTURES / name / filename
    text = path.read_text()
    assert dumps(encode(parse(text))) == text
    assert parse(load_json(path)) == parse(text)


def test_parsed_values_are_plain_integers():
    proof = parse_proof((FIXTURES / "multiplier" / "proof.json").read_text())
    assert proof.a[0] == 3925151834264081399527330991169662316761282604652397175353602388064479217141
    assert proof.b[1][1] == 6416656819049161312851038790815849681321207982424496069254287485290029535619
    assert parse_public((FIXTURES / "poseidon_chain_8" / "public.json").read_text())[1] == 2
    vk = parse_vkey((FIXTURES / "poseidon_chain_8" / "verification_key.json").read_text())
    assert vk.n_public == 2 and len(vk.ic) == 3 and len(vk.alphabeta_12) == 2


def test_points_at_infinity_use_snarkjs_encoding():
    proof = Groth16Proof(a=None, b=None, c=(1, 2))
    encoded = proof_to_json(proof)
    assert encoded["pi_a"] == ["0", "1", "0"] and encoded["pi_b"] == [["0", "0"], ["1", "0"], ["0", "0"]]
    assert parse_proof(encoded) == proof


@pytest.fixture
def proof():
    return json.loads((FIXTURES / "multiplier" / "proof.json").read_text())


@pytest.fixture
def vkey():
    return json.loads((FIXTURES / "multiplier" / "verification_key.json").read_text())


def edited(obj, path, value):
    obj = copy.deepcopy(obj)
    target = obj
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return obj


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("pi_a", 0), str(BN254_Q), r"pi_a\[0\]: value is out of range \(must be 0 <= v < q\)"),
        (("pi_a", 0), "-1", r"pi_a\[0\]: '-1' is not a decimal integer"),
        (("pi_a", 0), "0x10", "is not a decimal integer"),
        (("pi_a", 0), " 1", "is not a decimal integer"),
        (("pi_a", 0), "9" * 5000, "is not a decimal integer"),
        (("pi_a", 0), 1.5, "expected a decimal string, got float"),
        (("pi_a", 0), True, "got bool"),
        (("pi_a", 2), "2", "expected affine coordinates"),
        (("pi_a", 2), "0", "must be the point at infinity"),
        (("pi_a",), ["1", "2"], r"pi_a: expected 3 items, got 2"),
        (("pi_b", 0), ["1"], r"pi_b\[0\]: expected 2 items, got 1"),
        (("pi_b", 2), ["1", "1"], "expected affine coordinates"),
        (("pi_c",), "1,2,1", "expected a list, got str"),
        (("pi_c",), KeyError, "missing field 'pi_c'"),
        (("protocol",), "plonk", "unsupported protocol 'plonk'"),
        (("curve",), "bls12381", "unsupported curve 'bls12381'"),
    ],
)
def test_malformed_proofs_are_rejected_naming_the_field(proof, path, value, message):
    with pytest.raises(FormatError, match=message):
        parse_proof(edited(proof, path, value))


def test_proof_tags_are_optional_but_input_must_be_an_object(proof):
    del proof["protocol"], proof["curve"]
    parse_proof(proof)
    with pytest.raises(FormatError, match="expected a JSON object, got list"):
        parse_proof([])
    with pytest.raises(FormatError, match="invalid JSON"):
        parse_proof("{not json")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([str(BN254_R)], r"public.json\[0\]: value is out of range \(must be 0 <= v < r\)"),
        (["33", str(BN254_R + 33)], r"public.json\[1\]: value is out of range"),
        (["1e3"], "is not a decimal integer"),
        ({"0": "33"}, "expected a list"),
        ([None], "got NoneType"),
    ],
)
def test_malformed_public_signals_are_input_errors(value, message):
    with pytest.raises(InputError, match=message):
        parse_public(value)


def test_public_signal_count_can_be_enforced():
    assert parse_public(["1", "2"], n_public=2) == [1, 2]
    with pytest.raises(FormatError, match="expected 1 items, got 2"):
        parse_public(["1", "2"], n_public=1)
    with pytest.raises(ValueError, match="out of range"):
        public_to_json([BN254_R])


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("protocol",), "plonk", "unsupported protocol"),
        (("protocol",), KeyError, "missing field 'protocol'"),
        (("curve",), "bls12381", "unsupported curve"),
        (("nPublic",), 2, "IC: expected 3 items, got 2"),
        (("nPublic",), -1, "nPublic must be a non-negative integer"),
        (("nPublic",), "1", "nPublic must be a non-negative integer"),
        (("vk_alpha_1", 1), str(BN254_Q + 1), r"vk_alpha_1\[1\]: value is out of range"),
        (("vk_delta_2", 1, 0), "x", r"vk_delta_2\[1\]\[0\]: 'x' is not a decimal integer"),
        (("vk_alphabeta_12", 1), [], r"vk_alphabeta_12\[1\]: expected 3 items, got 0"),
        (("IC", 1), ["1", "2", "3"], r"IC\[1\]: expected affine coordinates"),
        (("vk_gamma_2",), KeyError, "missing field 'vk_gamma_2'"),
    ],
)
def test_malformed_verification_keys_are_rejected_naming_the_field(vkey, path, value, message):
    with pytest.raises(FormatError, match=message):
        parse_vkey(edited(vkey, path, value))


def test_verification_key_without_alphabeta_round_trips(vkey):
    del vkey["vk_alphabeta_12"]
    assert vkey_to_json(parse_vkey(vkey)) == vkey


def test_load_json_of_missing_file(tmp_path):
    with pytest.raises(FormatError, match="cannot read"):
        load_json(tmp_path / "proof.json")
