"""Proving keys from a powers of tau: byte for byte what `snarkjs groth16 setup` writes from the same .ptau, and after
a phase-2 contribution the key proves, and the proofs verify here and in snarkjs.

The .ptau files are development ones (`dev_ptau`, one party's tau, laid out as `snarkjs powersoftau prepare phase2`
writes them): making a power-11 file with snarkjs takes about 30 s, dev_ptau about 10 s. The reader is checked
against a snarkjs-made file in tests/formats/test_ptau.py. poseidon_chain_8 (2^11 domain) with a power-11 file
exercises snarkjs's top tau G1 basis (power + 1) for its H points.
"""

from __future__ import annotations

import struct

import pytest

from zapiki.errors import FormatError, InputError
from zapiki.formats import read_r1cs, read_wtns, read_zkey
from zapiki.formats.binfile import parse_binfile, write_binfile
from zapiki.systems.groth16 import load_proving_key, prove, verify
from zapiki.systems.groth16.ptau_setup import contribute, dev_ptau, required_power, setup_from_ptau

POWERS = {"multiplier": 2, "poseidon_chain_8": 11}
_PTAU: dict[int, bytes] = {}


def ptau_of(power: int) -> bytes:
    if power not in _PTAU:
        _PTAU[power] = dev_ptau(power)
    return _PTAU[power]


@pytest.fixture(scope="session")
def ptau_file(circuit, tmp_path_factory):
    path = tmp_path_factory.mktemp("ptau") / f"{circuit.name}.ptau"
    path.write_bytes(ptau_of(POWERS[circuit.name]))
    return path


@pytest.fixture(scope="session")
def new_key(circuit, ptau_file):
    return setup_from_ptau(circuit.path("circuit.r1cs"), ptau_file)


@pytest.fixture(scope="session")
def contributed(new_key):
    return contribute(new_key.zkey, entropy=b"test", name="zapiki test")


def test_required_power_is_the_domain(circuit):
    r1cs = read_r1cs(circuit.path("circuit.r1cs"))
    assert required_power(r1cs.n_constraints, r1cs.n_public) == POWERS[circuit.name]


def test_key_equals_snarkjs_groth16_setup(circuit, ptau_file, new_key, snarkjs, tmp_path):
    done = snarkjs("groth16", "setup", circuit.path("circuit.r1cs"), ptau_file, tmp_path / "theirs.zkey")
    assert done.returncode == 0, done.stdout + done.stderr
    theirs = (tmp_path / "theirs.zkey").read_bytes()
    if new_key.zkey_bytes != theirs:  # name the first section that differs
        ours_bf = parse_binfile(new_key.zkey_bytes, b"zkey", "zkey", max_version=1)
        theirs_bf = parse_binfile(theirs, b"zkey", "zkey", max_version=1)
        for stype in range(1, 11):
            a, b = ours_bf.sections[stype][0], theirs_bf.sections[stype][0]
            assert ours_bf.data[a.offset : a.offset + a.size] == theirs_bf.data[b.offset : b.offset + b.size], stype
    assert new_key.zkey_bytes == theirs  # sections 1-10 and snarkjs's section order
    assert read_zkey(theirs).n_vars == new_key.zkey.n_vars


def test_contributed_key_proves_and_verifies(circuit, new_key, contributed, snarkjs_verifies):
    assert contributed.vkey["vk_delta_2"] != new_key.vkey["vk_delta_2"]
    assert contributed.vkey["vk_gamma_2"] == new_key.vkey["vk_gamma_2"]
    assert {k: v for k, v in contributed.vkey.items() if k != "vk_delta_2"} == {
        k: v for k, v in new_key.vkey.items() if k != "vk_delta_2"
    }
    pk = load_proving_key(contributed.zkey_bytes)
    proof = prove(pk, read_wtns(circuit.path("witness.wtns")).values)
    assert proof.public_json() == circuit.json("public.json")
    assert verify(contributed.vkey, proof.public_json(), proof.proof_json())
    snarkjs_verifies(contributed.vkey, proof.public_json(), proof.proof_json())
    # the proof does not verify against the uncontributed key's vkey (delta changed)
    assert not verify(new_key.vkey, proof.public_json(), proof.proof_json())


def test_snarkjs_reads_the_contributed_key(multiplier, contributed_multiplier, snarkjs, tmp_path):
    (tmp_path / "k.zkey").write_bytes(contributed_multiplier.zkey_bytes)
    done = snarkjs("zkey", "export", "verificationkey", tmp_path / "k.zkey", tmp_path / "vk.json")
    assert done.returncode == 0, done.stdout + done.stderr
    import json

    assert json.loads((tmp_path / "vk.json").read_text()) == contributed_multiplier.vkey


@pytest.fixture(scope="session")
def contributed_multiplier(multiplier):
    return contribute(setup_from_ptau(multiplier.path("circuit.r1cs"), ptau_of(2)).zkey)


def test_two_contributions_chain(multiplier, contributed_multiplier):
    twice = contribute(contributed_multiplier.zkey_bytes, name="second")
    section = twice.zkey.contributions
    assert struct.unpack_from("<I", section, 64)[0] == 2 and section.endswith(b"second")
    assert section[:64] == contributed_multiplier.zkey.contributions[:64]  # the circuit hash stays
    pk = load_proving_key(twice.zkey_bytes)
    proof = prove(pk, read_wtns(multiplier.path("witness.wtns")).values)
    assert verify(twice.vkey, proof.public_json(), proof.proof_json())


def test_too_small_ptau_names_the_power_needed(multiplier):
    with pytest.raises(InputError, match=r"power >= 2; this ptau has power 1"):
        setup_from_ptau(multiplier.path("circuit.r1cs"), ptau_of(1))


def test_unprepared_ptau_says_to_prepare(multiplier):
    bf = parse_binfile(ptau_of(2), b"ptau", "ptau", max_version=1)
    phase1 = [(t, bytes(bf.data[s[0].offset : s[0].offset + s[0].size])) for t, s in sorted(bf.sections.items())]
    blob = write_binfile(b"ptau", 1, [(t, body) for t, body in phase1 if t < 12])
    with pytest.raises(FormatError, match="snarkjs powersoftau prepare phase2"):
        setup_from_ptau(multiplier.path("circuit.r1cs"), blob)


def test_malformed_contribution_section(contributed_multiplier):
    from dataclasses import replace

    bad = replace(contributed_multiplier.zkey, contributions=contributed_multiplier.zkey.contributions[:-3])
    with pytest.raises(FormatError, match="section 10"):
        contribute(bad)
