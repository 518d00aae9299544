"""The prover: its proofs verify here and in snarkjs, and a witness that does not satisfy the circuit is refused.

Witness calculation itself equals snarkjs's: see tests/witness/test_snarkjs_vectors.py (same fixture circuits).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from zapiki.errors import WitnessError
from zapiki.formats import dumps, read_r1cs, read_wtns
from zapiki.systems.groth16 import load_proving_key, prove, verify


@pytest.fixture(scope="session")
def our_proof(circuit):
    pk = load_proving_key(circuit.path("circuit.zkey"))
    return prove(pk, read_wtns(circuit.path("witness.wtns")).values, r1cs=read_r1cs(circuit.path("circuit.r1cs")))


def test_public_signals_are_the_witness_public_wires(circuit, our_proof):
    assert our_proof.public_json() == circuit.json("public.json")


def test_our_proof_verifies_with_our_verifier(circuit, our_proof):
    assert verify(circuit.json("verification_key.json"), our_proof.public_json(), our_proof.proof_json())


def test_snarkjs_accepts_our_proof(circuit, our_proof, snarkjs, tmp_path):
    (tmp_path / "proof.json").write_text(dumps(our_proof.proof_json()))
    (tmp_path / "public.json").write_text(dumps(our_proof.public_json()))
    res = snarkjs("groth16", "verify", circuit.path("verification_key.json"), tmp_path / "public.json",
                  tmp_path / "proof.json")  # fmt: skip
    assert res.returncode == 0 and "OK" in res.stdout, res.stdout + res.stderr


def test_proofs_are_randomised(multiplier):
    pk = load_proving_key(multiplier.path("circuit.zkey"))
    w = read_wtns(multiplier.path("witness.wtns")).values
    p1, p2 = prove(pk, w), prove(pk, w)
    assert p1.proof_json() != p2.proof_json()
    vk = multiplier.json("verification_key.json")
    assert verify(vk, p1.public_json(), p1.proof_json()) and verify(vk, p2.public_json(), p2.proof_json())


def test_proof_json_shape_matches_snarkjs(multiplier, our_proof):
    ours, theirs = our_proof.proof_json(), multiplier.json("proof.json")
    assert list(ours) == list(theirs)
    assert [len(x) for x in ours["pi_b"]] == [2, 2, 2] and ours["pi_a"][2] == "1" and ours["pi_b"][2] == ["1", "0"]


def _broken_witness(circuit):
    w = read_wtns(circuit.path("witness.wtns")).values.copy()
    w[-1, 0] ^= 1  # the last wire is internal or private: some constraint uses it
    return w


def test_unsatisfied_witness_names_the_first_failing_constraint(circuit):
    pk = load_proving_key(circuit.path("circuit.zkey"))
    r1cs = read_r1cs(circuit.path("circuit.r1cs"))
    w = _broken_witness(circuit)
    from zapiki.systems.groth16.witness_map import first_unsatisfied

    bad = first_unsatisfied(r1cs, w)
    assert bad is not None
    with pytest.raises(WitnessError, match=rf"does not satisfy constraint {bad} \(of {r1cs.n_constraints}"):
        prove(pk, w, r1cs=r1cs)


def test_first_unsatisfied_is_the_first(multiplier):
    r1cs = read_r1cs(multiplier.path("circuit.r1cs"))
    w = read_wtns(multiplier.path("witness.wtns")).values
    assert first_unsatisfied_of(r1cs, w) is None
    w2 = w.copy()
    w2[1, 0] = 34  # out = a * b is constraint 0
    assert first_unsatisfied_of(r1cs, w2) == 0


def first_unsatisfied_of(r1cs, w):
    from zapiki.systems.groth16.witness_map import first_unsatisfied

    return first_unsatisfied(r1cs, w)


def test_unsatisfied_witness_without_r1cs_is_caught_by_the_self_check(multiplier):
    pk = load_proving_key(multiplier.path("circuit.zkey"))
    with pytest.raises(WitnessError, match="does not satisfy the circuit's constraints"):
        prove(pk, _broken_witness(multiplier))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda w: w[:-1], "expects nVars=4"),
        (lambda w: np.vstack([np.zeros((1, 4), np.uint64), w[1:]]), "constant-one wire"),
        (lambda w: np.vstack([w[:3], np.full((1, 4), 2**64 - 1, np.uint64)]), "value 3 is >= r"),
    ],
)
def test_witness_that_does_not_fit_the_key(multiplier, mutate, message):
    pk = load_proving_key(multiplier.path("circuit.zkey"))
    with pytest.raises(WitnessError, match=message):
        prove(pk, mutate(read_wtns(multiplier.path("witness.wtns")).values))


def test_r1cs_of_another_circuit_is_refused(multiplier):
    other = read_r1cs(multiplier.dir.parent / "poseidon_chain_8" / "circuit.r1cs")
    pk = load_proving_key(multiplier.path("circuit.zkey"))
    with pytest.raises(WitnessError, match="does not belong to the proving key"):
        prove(pk, read_wtns(multiplier.path("witness.wtns")).values, r1cs=other)


def test_proving_key_is_parsed_once_per_content(multiplier):
    data = multiplier.path("circuit.zkey").read_bytes()
    assert load_proving_key(data) is load_proving_key(multiplier.path("circuit.zkey"))


def test_fixed_blinding_gives_a_deterministic_proof(multiplier):
    pk = load_proving_key(multiplier.path("circuit.zkey"))
    w = read_wtns(multiplier.path("witness.wtns")).values
    p1, p2 = prove(pk, w, rs=(5, 7)), prove(pk, w, rs=(5, 7))
    assert json.dumps(p1.proof_json()) == json.dumps(p2.proof_json())


def test_a_parsed_key_holds_its_coefficients_once_regrouped_by_row(circuit):
    from zapiki.formats.zkey import read_zkey_header

    pk = load_proving_key(circuit.path("circuit.zkey"))
    # the file's coefficient table is not kept beside its regrouped copy (not even as the base of an empty view)
    assert pk.zkey.coeffs.size == 0 and pk.zkey.coeffs.base is None
    n_coefs = read_zkey_header(circuit.path("circuit.zkey")).n_coefs
    assert sum(s.shape[0] for s in pk.signal) == sum(v.shape[0] for v in pk.value) == n_coefs
