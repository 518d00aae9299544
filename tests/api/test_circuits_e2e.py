"""Circuits over HTTP, end to end: upload the fixture circuit (multipart), prove asynchronously, poll until the
job completes, and check the returned proof with snarkjs. Plus the circuit endpoints' rules."""

import json
import time
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "groth16"


def _upload(client, name, folder, *, public=False, key_file="circuit.zkey", field="zkey"):
    files = {
        "wasm": ("circuit.wasm", (folder / "circuit.wasm").read_bytes()),
        field: (key_file, (folder / key_file).read_bytes()),
    }
    # the verification key needs a pairing: if the kernels were not compiled yet, that takes minutes
    return client.post(
        "/api/v1/circuits", data={"name": name, "is_public": str(public).lower()}, files=files, timeout=600
    )


@pytest.mark.timeout(900)  # on a fresh machine the first proof also compiles the numba kernels (minutes)
def test_upload_prove_poll_and_snarkjs_verifies(api, snarkjs_verifies):
    fx = FIXTURES / "multiplier"
    up = _upload(api.alice, "multiplier", fx)
    assert up.status_code == 201, up.text
    circuit = up.json()
    assert circuit["verification_key"] == json.loads((fx / "verification_key.json").read_text())
    made = api.alice.post(
        "/api/v1/proofs",
        json={
            "proof_system": "groth16",
            "circuit_id": circuit["id"],
            "data": {"a": 3, "b": 11},
            "options": {"priority": "high"},
        },
    )
    assert made.status_code == 202, made.text
    proof_id = made.json()["proof_id"]
    deadline = time.monotonic() + 800
    while True:
        proof = api.alice.get(f"/api/v1/proofs/{proof_id}").json()
        if proof["status"] in ("completed", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert proof["status"] == "completed", proof
    assert proof["public_inputs"] == ["33"]
    ok = api.alice.post(
        "/api/v1/verify",
        json={
            "proof_system": "groth16",
            "proof": proof["proof_data"],
            "public_inputs": proof["public_inputs"],
            "verification_key": proof["verification_key"],
        },
    )
    assert ok.json() == {"valid": True}
    snarkjs_verifies(proof["verification_key"], proof["public_inputs"], proof["proof_data"])


def test_circuits_are_private_unless_public(api):
    fx = FIXTURES / "multiplier"
    private = _upload(api.alice, "mine", fx).json()
    public = _upload(api.alice, "shared", fx, public=True).json()
    assert api.bob.get(f"/api/v1/circuits/{private['id']}").status_code == 404
    assert api.bob.get(f"/api/v1/circuits/{public['id']}").status_code == 200
    listed = {c["id"] for c in api.bob.get("/api/v1/circuits").json()["circuits"]}
    assert public["id"] in listed and private["id"] not in listed
    # bob may prove with the public circuit, not with alice's private one, and may delete neither
    body = {"proof_system": "groth16", "data": {"a": 1, "b": 2}}
    assert api.bob.post("/api/v1/proofs", json={**body, "circuit_id": public["id"]}).status_code == 202
    assert api.bob.post("/api/v1/proofs", json={**body, "circuit_id": private["id"]}).status_code == 404
    assert api.bob.delete(f"/api/v1/circuits/{public['id']}").status_code == 404
    assert api.alice.delete(f"/api/v1/circuits/{private['id']}").status_code == 204
    assert api.alice.get(f"/api/v1/circuits/{private['id']}").status_code == 404


def test_bad_uploads_are_named(api):
    fx = FIXTURES / "multiplier"
    no_key = api.alice.post(
        "/api/v1/circuits", data={"name": "x"}, files={"wasm": ("c.wasm", (fx / "circuit.wasm").read_bytes())}
    )
    assert no_key.status_code == 422
    garbage = api.alice.post(
        "/api/v1/circuits", data={"name": "x"}, files={"wasm": ("c.wasm", b"not wasm"), "zkey": ("c.zkey", b"zkey....")}
    )
    assert garbage.status_code == 422 and garbage.json()["error"]["message"]
    assert api.alice.post("/api/v1/circuits", json={"name": "x"}).status_code == 415
    mixed = api.alice.post(
        "/api/v1/circuits",
        data={"name": "mixed"},
        files={
            "wasm": ("c.wasm", (fx / "circuit.wasm").read_bytes()),
            "zkey": ("c.zkey", (FIXTURES / "poseidon_chain_8" / "circuit.zkey").read_bytes()),
        },
    )
    assert mixed.status_code == 422
    missing = api.alice.post("/api/v1/proofs", json={"proof_system": "groth16", "data": {"a": 1}})
    assert missing.status_code == 422 and "circuit" in missing.json()["error"]["message"]


def test_r1cs_upload_runs_a_development_setup(api):
    fx = FIXTURES / "multiplier"
    up = _upload(api.alice, "dev", fx, key_file="circuit.r1cs", field="r1cs")
    assert up.status_code == 202 and up.json()["status"] == "setting_up"
    deadline = time.monotonic() + 120
    while (c := api.alice.get(f"/api/v1/circuits/{up.json()['id']}").json())["status"] == "setting_up":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert c["status"] == "ready" and c["verification_key"]["protocol"] == "groth16"
