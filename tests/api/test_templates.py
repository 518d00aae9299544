"""Proof templates over HTTP: the catalogue, proving each template's statement as a job whose proof snarkjs
accepts, public signals by name, verification against the service's own template keys, schema errors (422
before any job) and false statements (the job fails at once as an input error naming the condition)."""

import time
from pathlib import Path

import pytest

from zapiki import templates
from zapiki.babyjub.credential import Credential
from zapiki.babyjub.eddsa import IssuerKey
from zapiki.template_keys import DEVELOPMENT

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "groth16"
IDS = ["age_at_least", "range", "set_membership", "hash_preimage", "signed_attribute"]


def _wait(client, proof_id, timeout=600.0):
    deadline = time.monotonic() + timeout
    while True:
        proof = client.get(f"/api/v1/proofs/{proof_id}").json()
        if proof["status"] in ("completed", "failed", "cancelled") or time.monotonic() > deadline:
            return proof
        time.sleep(0.2)


def _job(client, proof_id):
    jobs = client.get("/api/v1/jobs", params={"limit": 100}).json()["jobs"]
    return next(j for j in jobs if j["proof_id"] == proof_id)


def test_the_catalogue_lists_every_template_with_its_keys_labelled(api_no_cluster):
    alice = api_no_cluster.alice
    listed = alice.get("/api/v1/templates").json()["templates"]
    assert [t["id"] for t in listed] == [t.id for t in templates.all_templates()]
    assert {t["id"] for t in listed} == set(IDS)
    for t in listed:
        assert t["keys"]["setup"] == DEVELOPMENT and t["keys"]["development"] is True
        assert t["public_signals"] and t["constraints"] > 0
    identity = alice.get("/api/v1/templates", params={"category": "identity"}).json()["templates"]
    assert [t["id"] for t in identity] == ["age_at_least", "signed_attribute"]
    bad = alice.get("/api/v1/templates", params={"category": "astrology"})
    assert bad.status_code == 422 and "category must be one of" in bad.json()["error"]["message"]
    cats = alice.get("/api/v1/templates/categories").json()["categories"]
    assert {c["id"]: c["templates"] for c in cats} == {"identity": 2, "finance": 1, "membership": 1, "cryptography": 1}


def test_one_template_has_its_schema_example_docs_and_public_signals(api_no_cluster):
    got = api_no_cluster.alice.get("/api/v1/templates/age_at_least").json()
    assert got["input_schema"]["required"] == ["credential", "min_age"]
    assert got["example"]["min_age"] == 18 and got["example"]["credential"]["attribute"] == "birth_date"
    assert got["docs"].startswith("# Age at least")
    assert [s["name"] for s in got["public_signals"]] == ["issuer_ax", "issuer_ay", "min_age", "today"]
    missing = api_no_cluster.alice.get("/api/v1/templates/astrology")
    assert missing.status_code == 404 and "age_at_least" in missing.json()["error"]["message"]


@pytest.mark.timeout(900)
@pytest.mark.parametrize("template_id", IDS)
def test_each_template_proves_its_example_and_snarkjs_accepts_the_proof(api, snarkjs_verifies, template_id):
    alice = api.alice
    example = alice.get(f"/api/v1/templates/{template_id}").json()["example"]
    made = alice.post(f"/api/v1/templates/{template_id}/generate", json={"inputs": example})
    assert made.status_code == 202, made.text
    assert made.json()["status"] == "pending" and {"proof_id", "job_id"} <= set(made.json())
    proof = _wait(alice, made.json()["proof_id"])
    assert proof["status"] == "completed", proof
    assert proof["template"] == {"id": template_id, "setup": DEVELOPMENT, "development_keys": True}
    names = [name for name, _ in templates.get(template_id).public_signals]
    assert list(proof["named_signals"]) == names
    assert [str(v) for v in proof["named_signals"].values()] == proof["public_inputs"]
    snarkjs_verifies(proof["verification_key"], proof["public_inputs"], proof["proof_data"])
    # the proof answer, posted as it is, verifies against the service's key for the template
    assert alice.post("/api/v1/verify", json=proof).json() == {"valid": True}
    # the keys were made once and are shared: the template now shows them ready
    assert alice.get(f"/api/v1/templates/{template_id}").json()["keys"]["ready"] is True


@pytest.mark.timeout(900)
def test_age_proof_names_its_signals_and_fails_for_a_minor_without_retrying(api):
    alice = api.alice
    issuer = IssuerKey.generate()
    adult = Credential.issue(issuer, "birth_date", 20000101).to_json()
    made = alice.post(
        "/api/v1/proofs",
        json={"template": "age_at_least", "data": {"credential": adult, "min_age": 21, "today": "2026-12-05"}},
    )
    assert made.status_code == 202, made.text
    proof = _wait(alice, made.json()["proof_id"])
    assert proof["status"] == "completed", proof
    ax, ay = issuer.public_key
    assert proof["named_signals"] == {"issuer_ax": str(ax), "issuer_ay": str(ay), "min_age": 21, "today": 20261205}

    minor = Credential.issue(issuer, "birth_date", 20100101).to_json()
    made = alice.post(
        "/api/v1/templates/age_at_least/generate",
        json={"inputs": {"credential": minor, "min_age": 18, "today": 20261205}, "options": {"max_retries": 3}},
    )
    assert made.status_code == 202
    proof = _wait(alice, made.json()["proof_id"])
    assert proof["status"] == "failed"
    assert proof["error_message"].startswith("false statement: the holder is younger than 18 on 2026-12-05")
    job = _job(alice, proof["id"])
    assert job["retry_count"] == 0 and job["runs"] == 1


@pytest.mark.timeout(900)
@pytest.mark.parametrize(
    ("template_id", "inputs", "message"),
    [
        ("range", {"value": 17, "salt": 5, "min": 18, "max": 120}, "the value is below the minimum 18"),
        ("range", {"value": 121, "salt": 5, "min": 18, "max": 120}, "the value is above the maximum 120"),
        ("hash_preimage", {"preimage": 7, "hash": 8}, "Poseidon(preimage) is not the given hash"),
        ("set_membership", {"value": 4, "set": [1, 2, 3]}, "the value (with this secret) is not in the set"),
    ],
)
def test_a_false_statement_fails_the_job_at_once_naming_the_condition(api, template_id, inputs, message):
    made = api.alice.post(f"/api/v1/templates/{template_id}/generate", json={"inputs": inputs})
    assert made.status_code == 202, made.text
    proof = _wait(api.alice, made.json()["proof_id"])
    assert proof["status"] == "failed" and proof["error_message"] == f"false statement: {message}"
    assert _job(api.alice, proof["id"])["retry_count"] == 0


@pytest.mark.timeout(900)
def test_a_forged_or_foreign_credential_is_a_false_statement(api):
    alice = api.alice
    cred = Credential.issue(IssuerKey.generate(), "income", 90_000).to_json()
    forged = {**cred, "value": 900_000}  # the holder raised the value the issuer signed
    body = {"inputs": {"credential": forged, "comparison": ">=", "threshold": 100_000}}
    proof = _wait(alice, alice.post("/api/v1/templates/signed_attribute/generate", json=body).json()["proof_id"])
    assert proof["error_message"] == "false statement: the issuer's signature on the credential does not verify"
    body = {"inputs": {"credential": cred, "comparison": "<=", "threshold": 50_000}}
    proof = _wait(alice, alice.post("/api/v1/templates/signed_attribute/generate", json=body).json()["proof_id"])
    assert proof["error_message"] == "false statement: the credential's income is not <= 50000"


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"salt": 1, "min": 0, "max": 9}, "inputs.value is required"),
        ({"value": "ten", "salt": 1, "min": 0, "max": 9}, "inputs.value must be an integer from 0 to 2^64 - 1"),
        ({"value": 2**64, "salt": 1, "min": 0, "max": 9}, "inputs.value must be an integer from 0 to 2^64 - 1"),
        ({"value": 1, "salt": 1, "min": 0, "max": 9, "colour": "red"}, "inputs: Additional properties"),
    ],
)
def test_inputs_that_do_not_fit_the_schema_are_refused_before_any_job(api_no_cluster, inputs, message):
    got = api_no_cluster.alice.post("/api/v1/templates/range/generate", json={"inputs": inputs})
    assert got.status_code == 422, got.text
    assert got.json()["error"]["message"].startswith(message)
    assert api_no_cluster.alice.get("/api/v1/jobs").json()["jobs"] == []


def test_a_template_proof_uses_the_templates_own_circuit(api_no_cluster):
    got = api_no_cluster.alice.post(
        "/api/v1/proofs",
        json={"template": "hash_preimage", "circuit_id": "someone-elses", "data": {"preimage": 1}},
    )
    assert got.status_code == 422 and "uses the template's own circuit" in got.json()["error"]["message"]
    unknown = api_no_cluster.alice.post("/api/v1/proofs", json={"template": "astrology", "data": {}})
    assert unknown.status_code == 404


@pytest.mark.timeout(900)
def test_a_proof_with_a_strangers_key_does_not_pass_as_the_templates(api, tmp_path):
    from zapiki.systems import groth16

    alice = api.alice
    made = alice.post("/api/v1/templates/hash_preimage/generate", json={"inputs": {"preimage": 99}})
    proof = _wait(alice, made.json()["proof_id"])
    assert proof["status"] == "completed"
    # a key made elsewhere for the same circuit: its proofs verify with it, but not as this service's template's
    _, stranger_vkey = groth16.dev_setup(templates.get("hash_preimage").r1cs)
    claim = {**proof, "verification_key": stranger_vkey}
    verdict = alice.post("/api/v1/verify", json=claim).json()
    assert verdict["valid"] is False and "not this service's key" in verdict["reason"]


@pytest.mark.timeout(900)
def test_verifier_sol_for_a_template_and_for_a_circuit(api):
    alice = api.alice
    src = alice.get("/api/v1/templates/range/verifier.sol")
    assert src.status_code == 200 and src.headers["content-type"].startswith("text/plain")
    assert "function verifyProof" in src.text and "pragma solidity" in src.text
    assert "uint256[3] calldata _pubSignals" in src.text  # commitment, min, max
    fx = FIXTURES / "multiplier"
    files = {
        "wasm": ("c.wasm", (fx / "circuit.wasm").read_bytes()),
        "zkey": ("c.zkey", (fx / "circuit.zkey").read_bytes()),
    }
    circuit = alice.post("/api/v1/circuits", data={"name": "multiplier"}, files=files, timeout=600).json()
    mine = alice.get(f"/api/v1/circuits/{circuit['id']}/verifier.sol")
    assert mine.status_code == 200 and "uint256[1] calldata _pubSignals" in mine.text
    assert api.bob.get(f"/api/v1/circuits/{circuit['id']}/verifier.sol").status_code == 404  # alice's, private
    assert alice.get("/api/v1/circuits/nope/verifier.sol").status_code == 404


def test_the_templates_circuits_are_theirs_alone(api_no_cluster):
    alice = api_no_cluster.alice
    assert alice.post("/api/v1/templates/hash_preimage/generate", json={"inputs": {"preimage": 1}}).status_code == 202
    proof = alice.get("/api/v1/proofs").json()["proofs"][0]
    # the template's circuit proves only through the template: not listed, not readable, not usable directly
    assert proof["circuit_id"] not in {c["id"] for c in alice.get("/api/v1/circuits").json()["circuits"]}
    assert alice.get(f"/api/v1/circuits/{proof['circuit_id']}").status_code == 404
    direct = {"proof_system": "groth16", "circuit_id": proof["circuit_id"], "data": {"preimage": 1, "hash": 2}}
    assert alice.post("/api/v1/proofs", json=direct).status_code == 404


@pytest.fixture(scope="module")
def small_ptau(tmp_path_factory):
    """A development powers of tau of 2^9 (enough for hash_preimage and range, not for the signed templates)."""
    from zapiki.systems.groth16 import dev_ptau

    path = tmp_path_factory.mktemp("ptau") / "pot9.ptau"
    path.write_bytes(dev_ptau(9))
    return path


@pytest.mark.timeout(900)
def test_keys_from_the_configured_ptau_are_labelled_and_snarkjs_accepts_their_proofs(
    db_url, make_service, serve, small_ptau, snarkjs_verifies
):
    from .conftest import _api

    service = make_service(db_url, templates_ptau=str(small_ptau))
    api = _api(service, serve(service))
    alice = api.alice
    keys = alice.get("/api/v1/templates/hash_preimage").json()["keys"]
    assert keys["development"] is False and keys["ready"] is False
    assert keys["setup"] == "powers of tau pot9.ptau (2^9) + a phase-2 contribution by this service"
    made = alice.post("/api/v1/templates/hash_preimage/generate", json={"inputs": {"preimage": 5}})
    proof = _wait(alice, made.json()["proof_id"])
    assert proof["status"] == "completed", proof
    assert proof["template"] == {"id": "hash_preimage", "setup": keys["setup"], "development_keys": False}
    snarkjs_verifies(proof["verification_key"], proof["public_inputs"], proof["proof_data"])
    assert alice.post("/api/v1/verify", json=proof).json() == {"valid": True}
    # a template whose circuit needs a larger ptau: refused at once, naming the power it needs
    too_big = alice.post(
        "/api/v1/templates/age_at_least/generate", json={"inputs": templates.get("age_at_least").example}
    )
    assert too_big.status_code == 422
    assert "needs a domain of 2^13, so a powers of tau of power >= 13; this ptau has power 9" in too_big.text
