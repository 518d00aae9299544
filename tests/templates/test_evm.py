"""Each proof template's proofs on chain: a proof of the template's example by Zapiki's prover (with development
keys made here for its shipped circuit) verifies in the EVM with the template's Solidity verifier and in
``snarkjs groth16 verify``, and the same proof with one of its public signals changed (the claim it would make:
another minimum age, another root, ...) returns false.

The five verifiers are compiled in one solc run and deployed in one py-evm chain (tests/evm.py). The gas of each
``verifyProof`` transaction goes to the test's output and, with ``record_property``, to the JUnit report
(``gas_verifyProof_template_<id>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from evm import Verifier, deploy, verify_proof_args

from zapiki import templates
from zapiki.formats import BN254_R
from zapiki.formats.solidity import solidity_verifier
from zapiki.systems import groth16
from zapiki.systems.groth16.system import witness_calculator

IDS = ["age_at_least", "range", "set_membership", "hash_preimage", "signed_attribute"]

#: the public signal each tampering changes, and its new value: a claim the example does not prove
TAMPERED = {
    "age_at_least": ("min_age", lambda v: 21),  # "at least 21", from a proof of "at least 18"
    "range": ("max", lambda v: 100),  # a narrower range
    "set_membership": ("root", lambda v: (v + 1) % BN254_R),  # another set
    "hash_preimage": ("hash", lambda v: (v + 1) % BN254_R),  # a preimage of another hash
    "signed_attribute": ("threshold", lambda v: 90000),  # "income >= 90000", from a proof of ">= 50000"
}


@dataclass(frozen=True)
class Made:
    """A template's development keys and one proof of its example."""

    vkey: dict
    proof: dict
    public: list[str]
    inputs: dict[str, Any]


def test_every_template_is_covered():
    assert sorted(IDS) == sorted(t.id for t in templates.all_templates()) == sorted(TAMPERED)


@pytest.fixture(scope="module")
def made() -> dict[str, Made]:
    """{template id: its keys and a proof of its example}, made with Zapiki's setup, witness calculator and
    prover."""
    out = {}
    for template_id in IDS:
        t = templates.get(template_id)
        zkey, vkey = groth16.dev_setup(t.r1cs)
        inputs = t.circuit_inputs(t.validate(t.example))
        witness = witness_calculator(t.wasm).calculate(inputs)
        proof = groth16.prove(groth16.load_proving_key(zkey), witness)
        out[template_id] = Made(vkey, proof.proof_json(), proof.public_json(), inputs)
    return out


@pytest.fixture(scope="module")
def verifiers(made) -> dict[str, Verifier]:
    """Each template's Solidity verifier, compiled (all in one solc run) and deployed in one py-evm chain."""
    return deploy({template_id: solidity_verifier(m.vkey) for template_id, m in made.items()})


def _tampered(template_id: str, public: list[str]) -> list[str]:
    name, change = TAMPERED[template_id]
    names = [n for n, _ in templates.get(template_id).public_signals]
    out = list(public)
    i = names.index(name)
    out[i] = str(change(int(out[i])))
    assert out[i] != public[i]
    return out


@pytest.mark.parametrize("template_id", IDS)
def test_the_proof_has_the_templates_public_signals(made, template_id):
    t, m = templates.get(template_id), made[template_id]
    names = [n for n, _ in t.public_signals]
    assert m.vkey["nPublic"] == len(m.public) == len(names)
    assert list(t.named(m.public)) == names
    for name, value in zip(names, m.public, strict=True):
        if name in m.inputs:  # a signal given to the circuit comes out as given (a nullifier is computed)
            assert m.inputs[name] == value, name
    assert groth16.verify(m.vkey, m.public, m.proof)


@pytest.mark.parametrize("template_id", IDS)
def test_the_proof_verifies_in_the_evm_and_a_changed_public_signal_does_not(
    verifiers, made, template_id, record_property
):
    v, m = verifiers[template_id], made[template_id]
    assert v.call(verify_proof_args(m.proof, m.public)), f"the proof of {template_id} was refused"

    tampered = _tampered(template_id, m.public)
    assert v.call(verify_proof_args(m.proof, tampered)) is False  # false, not a revert
    assert not groth16.verify(m.vkey, tampered, m.proof)

    gas = v.transact(verify_proof_args(m.proof, m.public))
    n = len(m.public)
    print(f"{template_id}: verifyProof transaction, {n} public signal(s): {gas} gas; contract {v.code_size} bytes")
    record_property(f"gas_verifyProof_template_{template_id}", gas)
    record_property(f"code_size_template_{template_id}", v.code_size)
    # the intrinsic cost and 4 pairings at least; an ecMul and an ecAdd (~6,150 gas) and calldata per signal
    assert 21_000 + 181_000 + 6_000 * n < gas < 300_000 + 10_000 * n


def test_a_proof_of_one_template_is_refused_by_anothers_verifier(verifiers, made):
    """range and set_membership both have three public signals: the same calldata fits both contracts."""
    m = made["range"]
    assert verifiers["range"].call(verify_proof_args(m.proof, m.public))
    assert verifiers["set_membership"].call(verify_proof_args(m.proof, m.public)) is False


@pytest.mark.parametrize("template_id", IDS)
def test_snarkjs_accepts_the_proof(made, snarkjs_verifies, template_id):
    m = made[template_id]
    snarkjs_verifies(m.vkey, m.public, m.proof)
