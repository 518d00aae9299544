"""``zapiki groth16 | wtns | zkey``: snarkjs-like commands, exit codes 0 / 1 (invalid proof) / 2 (error)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from zapiki.cli import main
from zapiki.systems.groth16 import verify


@pytest.fixture
def cli():
    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return run


def test_prove_writes_proof_and_public_that_verify(cli, circuit, tmp_path):
    res = cli("groth16", "prove", circuit.path("circuit.zkey"), circuit.path("witness.wtns"),
              tmp_path / "proof.json", tmp_path / "public.json", "--r1cs", circuit.path("circuit.r1cs"))  # fmt: skip
    assert res.exit_code == 0, res.output
    public = json.loads((tmp_path / "public.json").read_text())
    assert public == circuit.json("public.json")
    assert verify(circuit.json("verification_key.json"), public, json.loads((tmp_path / "proof.json").read_text()))


def test_fullprove_and_verify_exit_codes(cli, multiplier, tmp_path):
    res = cli("groth16", "fullprove", multiplier.path("input.json"), multiplier.path("circuit.wasm"),
              multiplier.path("circuit.zkey"), tmp_path / "proof.json", tmp_path / "public.json")  # fmt: skip
    assert res.exit_code == 0, res.output
    vk = multiplier.path("verification_key.json")
    res = cli("groth16", "verify", vk, tmp_path / "public.json", tmp_path / "proof.json")
    assert res.exit_code == 0 and "OK" in res.output
    (tmp_path / "wrong.json").write_text('["34"]')
    res = cli("groth16", "verify", vk, tmp_path / "wrong.json", tmp_path / "proof.json")
    assert res.exit_code == 1 and "INVALID" in res.output
    (tmp_path / "bad.json").write_text('{"pi_a": 1}')
    res = cli("groth16", "verify", vk, tmp_path / "public.json", tmp_path / "bad.json")
    assert res.exit_code == 2 and "error:" in res.output and "pi_a" in res.output


def test_fullprove_reports_bad_input(cli, multiplier, tmp_path):
    (tmp_path / "input.json").write_text('{"a": 3}')
    res = cli("groth16", "fullprove", tmp_path / "input.json", multiplier.path("circuit.wasm"),
              multiplier.path("circuit.zkey"), tmp_path / "proof.json", tmp_path / "public.json")  # fmt: skip
    assert res.exit_code == 2 and "error: missing input signals" in res.output
    assert not (tmp_path / "proof.json").exists()


def test_prove_names_the_failing_constraint(cli, multiplier, tmp_path):
    from zapiki.formats import read_wtns, write_wtns

    w = read_wtns(multiplier.path("witness.wtns")).to_ints()
    w[1] += 1
    (tmp_path / "bad.wtns").write_bytes(write_wtns(w))
    res = cli("groth16", "prove", multiplier.path("circuit.zkey"), tmp_path / "bad.wtns", tmp_path / "p.json",
              tmp_path / "q.json", "--r1cs", multiplier.path("circuit.r1cs"))  # fmt: skip
    assert res.exit_code == 2 and "does not satisfy constraint 0" in res.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("groth16", "prove", "{dir}/circuit.r1cs", "{dir}/witness.wtns", "{tmp}/p.json", "{tmp}/q.json"), "magic"),
        (("groth16", "prove", "{dir}/circuit.zkey", "{tmp}/none.wtns", "{tmp}/p.json", "{tmp}/q.json"), "cannot read"),
        (("groth16", "verify", "{dir}/proof.json", "{dir}/public.json", "{dir}/proof.json"), "missing field"),
        (("groth16", "setup", "{dir}/circuit.zkey", "{tmp}/c.zkey"), "magic"),
        (("wtns", "calculate", "{dir}/circuit.r1cs", "{dir}/input.json", "{tmp}/w.wtns"), "wasm"),
        (("zkey", "export", "verificationkey", "{dir}/witness.wtns", "{tmp}/vk.json"), "magic"),
    ],
)
def test_errors_exit_2_with_a_message(cli, multiplier, tmp_path, args, message):
    res = cli(*(a.format(dir=multiplier.dir, tmp=tmp_path) for a in args))
    assert res.exit_code == 2, res.output
    assert "error:" in res.output and message in res.output and "Traceback" not in res.output


def test_wtns_calculate_equals_snarkjs_file(cli, circuit, tmp_path):
    res = cli("wtns", "calculate", circuit.path("circuit.wasm"), circuit.path("input.json"), tmp_path / "w.wtns")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "w.wtns").read_bytes() == circuit.path("witness.wtns").read_bytes()


def test_zkey_export_verificationkey_equals_snarkjs_file(cli, multiplier, tmp_path):
    res = cli("zkey", "export", "verificationkey", multiplier.path("circuit.zkey"), tmp_path / "vk.json")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "vk.json").read_bytes() == multiplier.path("verification_key.json").read_bytes()


def test_setup_says_it_is_not_a_ceremony_and_writes_both_files(cli, multiplier, tmp_path):
    res = cli("groth16", "setup", multiplier.path("circuit.r1cs"), tmp_path / "circuit.zkey")
    assert res.exit_code == 0, res.output
    assert "NOT a trusted-setup ceremony" in res.output
    assert (tmp_path / "circuit.zkey").exists() and (tmp_path / "verification_key.json").exists()
    res = cli("groth16", "setup", multiplier.path("circuit.r1cs"), tmp_path / "k2.zkey", "--vkey", tmp_path / "v2.json")
    assert res.exit_code == 0 and (tmp_path / "v2.json").exists()
    res = cli("groth16", "fullprove", multiplier.path("input.json"), multiplier.path("circuit.wasm"),
              tmp_path / "circuit.zkey", tmp_path / "p.json", tmp_path / "q.json")  # fmt: skip
    assert res.exit_code == 0, res.output
    res = cli("groth16", "verify", tmp_path / "verification_key.json", tmp_path / "q.json", tmp_path / "p.json")
    assert res.exit_code == 0, res.output


def test_console_script_never_prints_a_traceback(multiplier, tmp_path):
    code = "from zapiki.cli import run; run()"
    args = ["groth16", "verify", str(multiplier.path("verification_key.json")), str(tmp_path / "missing.json"),
            str(multiplier.path("proof.json"))]  # fmt: skip
    res = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert res.stderr.startswith("error: cannot read public signals") and "Traceback" not in res.stderr
    res = subprocess.run([sys.executable, "-c", code, "groth16", "verify"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "Traceback" not in res.stderr
