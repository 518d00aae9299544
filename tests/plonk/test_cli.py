"""`zapiki plonk setup|prove|fullprove|verify` and `zapiki zkey export verificationkey` of a PLONK key, beside
snarkjs 0.7.6 on the multiplier fixture: the same key bytes, the same verification key, proofs each accepts of the
other, and snarkjs's exit codes (0 valid, 1 invalid, 2 error)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from zapiki.cli import main

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "groth16" / "multiplier"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    from zapiki.systems.groth16 import dev_ptau

    out = tmp_path_factory.mktemp("plonk-cli")
    for name in ("circuit.r1cs", "circuit.wasm", "input.json", "witness.wtns"):
        shutil.copy(FIXTURE / name, out / name)
    (out / "pot.ptau").write_bytes(dev_ptau(4))
    return out


def _zapiki(folder: Path, *args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _in(folder: Path, *names: str) -> list[str]:
    return [str(folder / n) for n in names]


@pytest.fixture(scope="module")
def snarkjs_files(folder, snarkjs):
    """snarkjs's key, verification key and a proof of the multiplier (a*b = 33)."""
    for args in (
        ("plonk", "setup", "circuit.r1cs", "pot.ptau", "s.zkey"),
        ("zkey", "export", "verificationkey", "s.zkey", "s_vk.json"),
        ("plonk", "prove", "s.zkey", "witness.wtns", "s_proof.json", "s_public.json"),
    ):
        done = snarkjs(*args, cwd=folder)
        assert done.returncode == 0, done.stdout + done.stderr
    return folder


def test_setup_writes_snarkjs_s_key_and_verification_key(snarkjs_files):
    f = snarkjs_files
    out = _zapiki(f, "plonk", "setup", *_in(f, "circuit.r1cs", "pot.ptau", "z.zkey"), "--vkey", str(f / "z_vk.json"))
    assert out.exit_code == 0, out.output
    assert (f / "z.zkey").read_bytes() == (f / "s.zkey").read_bytes()
    assert json.loads((f / "z_vk.json").read_text()) == json.loads((f / "s_vk.json").read_text())
    exported = _zapiki(f, "zkey", "export", "verificationkey", *_in(f, "s.zkey", "e_vk.json"))
    assert exported.exit_code == 0, exported.output
    assert json.loads((f / "e_vk.json").read_text()) == json.loads((f / "s_vk.json").read_text())


def test_verify_answers_with_snarkjs_s_exit_codes(snarkjs_files):
    f = snarkjs_files
    ok = _zapiki(f, "plonk", "verify", *_in(f, "s_vk.json", "s_public.json", "s_proof.json"))
    assert ok.exit_code == 0 and "OK" in ok.output
    (f / "bad_public.json").write_text(json.dumps(["34"]))
    bad = _zapiki(f, "plonk", "verify", *_in(f, "s_vk.json", "bad_public.json", "s_proof.json"))
    assert bad.exit_code == 1 and "INVALID" in bad.output
    missing = _zapiki(f, "plonk", "verify", *_in(f, "s_vk.json", "nope.json", "s_proof.json"))
    assert missing.exit_code == 2 and "error: cannot read public signals" in missing.output


def test_setup_with_a_too_small_ptau_names_the_power_needed(folder, tmp_path):
    from zapiki.systems.groth16 import dev_ptau

    (tmp_path / "tiny.ptau").write_bytes(dev_ptau(1))
    out = _zapiki(folder, "plonk", "setup", str(folder / "circuit.r1cs"), str(tmp_path / "tiny.ptau"), "x.zkey")
    assert out.exit_code == 2 and "power >=" in out.output


def test_prove_and_fullprove_make_proofs_snarkjs_accepts(snarkjs_files, snarkjs):
    f = snarkjs_files
    proved = _zapiki(f, "plonk", "prove", *_in(f, "s.zkey", "witness.wtns", "z_proof.json", "z_public.json"))
    assert proved.exit_code == 0, proved.output
    full = _zapiki(
        f, "plonk", "fullprove", *_in(f, "input.json", "circuit.wasm", "s.zkey", "f_proof.json", "f_public.json")
    )
    assert full.exit_code == 0, full.output
    for proof, public in (("z_proof.json", "z_public.json"), ("f_proof.json", "f_public.json")):
        assert json.loads((f / public).read_text()) == ["33"]
        done = snarkjs("plonk", "verify", "s_vk.json", public, proof, cwd=f)
        assert done.returncode == 0 and "OK" in done.stdout, done.stdout + done.stderr
        mine = _zapiki(f, "plonk", "verify", *_in(f, "s_vk.json", public, proof))
        assert mine.exit_code == 0
