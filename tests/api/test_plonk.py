"""PLONK in the service, over HTTP: a circuit registered with a PLONK key made by snarkjs, or set up by the service
from its powers of tau (`plonk.ptau`), proved as a job whose proof `snarkjs plonk verify` accepts; the verify
endpoint; what happens without a powers of tau; a Groth16 key offered as a PLONK one."""

import time
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "groth16" / "multiplier"


@pytest.fixture(scope="module")
def ptau(tmp_path_factory):
    from zapiki.systems.groth16 import dev_ptau

    path = tmp_path_factory.mktemp("plonk-ptau") / "pot4.ptau"
    path.write_bytes(dev_ptau(4))
    return path


@pytest.fixture(scope="module")
def snarkjs_key(ptau, snarkjs, tmp_path_factory):
    folder = tmp_path_factory.mktemp("plonk-key")
    done = snarkjs("plonk", "setup", FIXTURE / "circuit.r1cs", ptau, folder / "circuit.zkey")
    assert done.returncode == 0, done.stdout + done.stderr
    return (folder / "circuit.zkey").read_bytes()


def _upload(client, name, **files):
    body = {k: (f"circuit.{k}", v) for k, v in files.items()}
    return client.post("/api/v1/circuits", data={"name": name, "proof_system": "plonk"}, files=body, timeout=600)


def _wait(client, path, done, timeout=600.0):
    deadline = time.monotonic() + timeout
    while True:
        got = client.get(path).json()
        if done(got) or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def _snarkjs_accepts(snarkjs, tmp_path, proof):
    import json

    for name, value in (("vk", proof["verification_key"]), ("public", proof["public_inputs"]),
                        ("proof", proof["proof_data"])):  # fmt: skip
        (tmp_path / f"{name}.json").write_text(json.dumps(value))
    done = snarkjs("plonk", "verify", "vk.json", "public.json", "proof.json", cwd=tmp_path)
    assert done.returncode == 0 and "OK" in done.stdout, done.stdout + done.stderr


def _prove(client, circuit_id):
    made = client.post(
        "/api/v1/proofs", json={"proof_system": "plonk", "circuit_id": circuit_id, "data": {"a": 3, "b": 11}}
    )
    assert made.status_code == 202, made.text
    return _wait(client, f"/api/v1/proofs/{made.json()['proof_id']}", lambda p: p["status"] in ("completed", "failed"))


@pytest.mark.timeout(900)
def test_a_circuit_with_a_snarkjs_plonk_key_proves_and_snarkjs_accepts(api, snarkjs, snarkjs_key, tmp_path):
    wasm = (FIXTURE / "circuit.wasm").read_bytes()
    up = _upload(api.alice, "multiplier-plonk", wasm=wasm, zkey=snarkjs_key)
    assert up.status_code == 201, up.text
    circuit = up.json()
    assert circuit["proof_system"] == "plonk" and circuit["verification_key"]["protocol"] == "plonk"
    proof = _prove(api.alice, circuit["id"])
    assert proof["status"] == "completed", proof
    assert proof["proof_system"] == "plonk" and proof["public_inputs"] == ["33"]
    _snarkjs_accepts(snarkjs, tmp_path, proof)
    assert api.alice.post("/api/v1/verify", json=proof).json() == {"valid": True}
    tampered = {**proof, "public_inputs": ["34"]}
    assert api.alice.post("/api/v1/verify", json=tampered).json()["valid"] is False


@pytest.mark.timeout(900)
def test_an_r1cs_is_set_up_from_the_services_powers_of_tau(db_url, make_service, serve, ptau, snarkjs, tmp_path):
    from .conftest import _api

    service = make_service(db_url, plonk_ptau=str(ptau))
    api = _api(service, serve(service))
    wasm, r1cs = (FIXTURE / "circuit.wasm").read_bytes(), (FIXTURE / "circuit.r1cs").read_bytes()
    up = _upload(api.alice, "multiplier-setup", wasm=wasm, r1cs=r1cs)
    assert up.status_code == 202, up.text
    assert up.json()["info"]["setup"] == "universal: powers of tau pot4.ptau (no ceremony of the circuit's own)"
    circuit = _wait(api.alice, f"/api/v1/circuits/{up.json()['id']}", lambda c: c["status"] != "setting_up")
    assert circuit["status"] == "ready", circuit
    proof = _prove(api.alice, circuit["id"])
    assert proof["status"] == "completed", proof
    _snarkjs_accepts(snarkjs, tmp_path, proof)


def test_without_a_powers_of_tau_an_r1cs_alone_is_refused(api_no_cluster):
    wasm, r1cs = (FIXTURE / "circuit.wasm").read_bytes(), (FIXTURE / "circuit.r1cs").read_bytes()
    up = _upload(api_no_cluster.alice, "no-ptau", wasm=wasm, r1cs=r1cs)
    assert up.status_code == 422 and "no powers of tau for PLONK setups (plonk.ptau" in up.json()["error"]["message"]


def test_a_groth16_key_is_not_a_plonk_key(api_no_cluster):
    wasm, zkey = (FIXTURE / "circuit.wasm").read_bytes(), (FIXTURE / "circuit.zkey").read_bytes()
    up = _upload(api_no_cluster.alice, "wrong-key", wasm=wasm, zkey=zkey)
    assert up.status_code == 422 and "is not plonk" in up.json()["error"]["message"]


@pytest.fixture(scope="module")
def ptau12(tmp_path_factory):
    """A development powers of tau of 2^12: enough for hash_preimage's PLONK rows."""
    from zapiki.systems.groth16 import dev_ptau

    path = tmp_path_factory.mktemp("plonk-ptau12") / "pot12.ptau"
    path.write_bytes(dev_ptau(12))
    return path


@pytest.mark.timeout(900)
def test_a_template_is_proved_with_plonk_from_the_services_powers_of_tau(
    db_url, make_service, serve, ptau12, snarkjs, tmp_path
):
    from .conftest import _api

    service = make_service(db_url, plonk_ptau=str(ptau12))
    api = _api(service, serve(service))
    made = api.alice.post(
        "/api/v1/templates/hash_preimage/generate", json={"inputs": {"preimage": 77}, "proof_system": "plonk"}
    )
    assert made.status_code == 202, made.text
    proof = _wait(api.alice, f"/api/v1/proofs/{made.json()['proof_id']}", lambda p: p["status"] != "pending")
    proof = _wait(api.alice, f"/api/v1/proofs/{proof['id']}", lambda p: p["status"] in ("completed", "failed"))
    assert proof["status"] == "completed", proof
    assert proof["proof_system"] == "plonk" and list(proof["named_signals"]) == ["hash"]
    assert proof["template"]["setup"] == "universal: powers of tau pot12.ptau (no ceremony of the circuit's own)"
    _snarkjs_accepts(snarkjs, tmp_path, proof)
    assert api.alice.post("/api/v1/verify", json=proof).json() == {"valid": True}
    # the same statement as a Groth16 template proof is another key set: the PLONK one does not pass for it
    assert api.alice.post("/api/v1/verify", json={**proof, "proof_system": "groth16"}).json()["valid"] is False
    # a false statement fails the PLONK job as it does the Groth16 one
    bad = api.alice.post(
        "/api/v1/templates/hash_preimage/generate",
        json={"inputs": {"preimage": 77, "hash": 1}, "proof_system": "plonk"},
    )
    failed = _wait(
        api.alice, f"/api/v1/proofs/{bad.json()['proof_id']}", lambda p: p["status"] in ("completed", "failed")
    )
    assert failed["error_message"] == "false statement: Poseidon(preimage) is not the given hash"


def test_without_a_powers_of_tau_plonk_template_proofs_are_refused(api_no_cluster):
    got = api_no_cluster.alice.post(
        "/api/v1/templates/hash_preimage/generate", json={"inputs": {"preimage": 1}, "proof_system": "plonk"}
    )
    assert got.status_code == 422 and "plonk.ptau or templates.ptau" in got.json()["error"]["message"]


def test_a_plonk_key_whose_header_lies_is_refused_before_any_work(api_no_cluster, snarkjs_key):
    import struct

    from zapiki.formats.binfile import parse_binfile, write_binfile

    bf = parse_binfile(snarkjs_key, b"zkey", "zkey", max_version=1)
    sections = []
    for stype, (sec, *_) in bf.sections.items():
        body = bytearray(bf.data[sec.offset : sec.offset + sec.size])
        if stype == 2:  # the header: domainSize, after n8q, q, n8r, r, nVars, nPublic
            body[80:84] = struct.pack("<I", 1 << 30)
        sections.append((stype, bytes(body)))
    lying = write_binfile(b"zkey", 1, sections)
    up = _upload(api_no_cluster.alice, "lying", wasm=(FIXTURE / "circuit.wasm").read_bytes(), zkey=lying)
    # refused on the header, naming the section its sizes disagree with (no 2^30-row allocation)
    assert up.status_code == 422 and "section" in up.json()["error"]["message"], up.text


@pytest.mark.timeout(900)
def test_a_powers_of_tau_whose_header_lies_fails_the_setup_by_name(db_url, make_service, serve, tmp_path):
    from .conftest import _api

    lying = tmp_path / "lying.ptau"
    from zapiki.systems.groth16 import dev_ptau

    good = bytearray(dev_ptau(4))
    lying.write_bytes(bytes(good[: len(good) // 2]))  # truncated: sections run past the end of the file
    service = make_service(db_url, plonk_ptau=str(lying))
    api = _api(service, serve(service))
    wasm, r1cs = (FIXTURE / "circuit.wasm").read_bytes(), (FIXTURE / "circuit.r1cs").read_bytes()
    up = _upload(api.alice, "from-a-bad-ptau", wasm=wasm, r1cs=r1cs)
    assert up.status_code == 202, up.text
    circuit = _wait(api.alice, f"/api/v1/circuits/{up.json()['id']}", lambda c: c["status"] != "setting_up")
    assert circuit["status"] == "failed" and "ptau" in circuit["error_message"], circuit


@pytest.mark.timeout(900)
def test_a_plonk_job_runs_at_its_priority_and_fails_for_good_past_its_timeout(api, snarkjs_key):
    """Jobs as for Groth16: the queue the key chose, and a job past its deadline fails as a timeout (the prover
    checks it between stages), not retried by default."""
    up = _upload(api.alice, "multiplier-timeout", wasm=(FIXTURE / "circuit.wasm").read_bytes(), zkey=snarkjs_key)
    body = {
        "proof_system": "plonk",
        "circuit_id": up.json()["id"],
        "data": {"a": 3, "b": 11},
        "options": {"priority": "high", "timeout_s": 1e-6, "max_retries": 3},
    }
    made = api.alice.post("/api/v1/proofs", json=body)
    assert made.status_code == 202, made.text
    job = _wait(api.alice, f"/api/v1/jobs/{made.json()['job_id']}", lambda j: j["status"] in ("completed", "failed"))
    assert job["queue"] == "high" and job["proof_system"] == "plonk"
    assert job["status"] == "failed" and job["error_message"] == "timeout", job
    assert job["retry_count"] == 0 and job["runs"] == 1
