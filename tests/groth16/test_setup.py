"""Development setup (single party, not a ceremony): its keys work with snarkjs and with us, both ways."""

from __future__ import annotations

import json

import pytest

from zapiki.formats import dumps, read_r1cs, read_wtns, read_zkey
from zapiki.systems.groth16 import circuit_info, dev_setup, export_vkey, load_proving_key, prove, verify


@pytest.fixture(scope="session")
def dev_key(circuit, tmp_path_factory):
    zkey_bytes, vkey = dev_setup(circuit.path("circuit.r1cs").read_bytes())
    d = tmp_path_factory.mktemp(f"dev-{circuit.name}")
    (d / "circuit.zkey").write_bytes(zkey_bytes)
    (d / "verification_key.json").write_text(dumps(vkey))
    return d, zkey_bytes, vkey


def test_key_shape_follows_snarkjs(circuit, dev_key):
    _, zkey_bytes, vkey = dev_key
    ours, theirs = read_zkey(zkey_bytes), read_zkey(circuit.path("circuit.zkey"))
    assert (ours.n_vars, ours.n_public, ours.domain_size) == (theirs.n_vars, theirs.n_public, theirs.domain_size)
    assert len(ours.coeffs) == len(theirs.coeffs)
    assert list(vkey) == list(circuit.json("verification_key.json"))


def test_we_prove_with_our_key_and_both_verify(circuit, dev_key, snarkjs, tmp_path):
    d, zkey_bytes, vkey = dev_key
    out = prove(load_proving_key(zkey_bytes), read_wtns(circuit.path("witness.wtns")).values)
    assert verify(vkey, out.public_json(), out.proof_json())
    (tmp_path / "proof.json").write_text(dumps(out.proof_json()))
    (tmp_path / "public.json").write_text(dumps(out.public_json()))
    res = snarkjs("groth16", "verify", d / "verification_key.json", tmp_path / "public.json", tmp_path / "proof.json")
    assert res.returncode == 0 and "OK" in res.stdout, res.stdout + res.stderr


def test_snarkjs_proves_with_our_key_and_both_verify(circuit, dev_key, snarkjs, tmp_path):
    d, _, vkey = dev_key
    res = snarkjs("groth16", "prove", d / "circuit.zkey", circuit.path("witness.wtns"), tmp_path / "proof.json",
                  tmp_path / "public.json")  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    proof = json.loads((tmp_path / "proof.json").read_text())
    public = json.loads((tmp_path / "public.json").read_text())
    assert verify(vkey, public, proof)
    res = snarkjs("groth16", "verify", d / "verification_key.json", tmp_path / "public.json", tmp_path / "proof.json")
    assert res.returncode == 0 and "OK" in res.stdout, res.stdout + res.stderr


def test_snarkjs_exports_the_same_verification_key(dev_key, snarkjs, tmp_path):
    d, _, _ = dev_key
    res = snarkjs("zkey", "export", "verificationkey", d / "circuit.zkey", tmp_path / "vk.json")
    assert res.returncode == 0, res.stdout + res.stderr
    assert (tmp_path / "vk.json").read_bytes() == (d / "verification_key.json").read_bytes()


def test_export_vkey_of_snarkjs_key_equals_its_file(circuit):
    # vk_alphabeta_12 included: snarkjs writes e(alpha, beta)^(2u(6u^2+3u+1)), see zapiki.systems.groth16.setup
    assert dumps(export_vkey(circuit.path("circuit.zkey"))) == circuit.path("verification_key.json").read_text()


def test_two_setups_differ(multiplier):
    (z1, v1), (z2, v2) = (dev_setup(multiplier.path("circuit.r1cs")) for _ in range(2))
    assert z1 != z2 and v1["vk_delta_2"] != v2["vk_delta_2"]


def test_circuit_info(circuit):
    r1cs = read_r1cs(circuit.path("circuit.r1cs"))
    info = circuit_info(
        r1cs=circuit.path("circuit.r1cs"), zkey=circuit.path("circuit.zkey"), wasm=circuit.path("circuit.wasm")
    )
    assert info["n_constraints"] == r1cs.n_constraints and info["n_public"] == r1cs.n_public
    assert info["n_vars"] == info["witness_size"] == r1cs.n_wires
    assert info["domain_size"] >= r1cs.n_constraints + r1cs.n_public + 1


def test_circuit_info_refuses_files_of_different_circuits(multiplier):
    from zapiki.errors import FormatError

    other = multiplier.dir.parent / "poseidon_chain_8" / "circuit.zkey"
    with pytest.raises(FormatError, match="does not belong to this circuit"):
        circuit_info(r1cs=multiplier.path("circuit.r1cs"), zkey=other)
