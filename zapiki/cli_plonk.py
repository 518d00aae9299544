"""``zapiki plonk ...``: PLONK as snarkjs's commands do it (snarkjs 0.7.6's files, byte for byte where they are
deterministic). Exit codes as for ``zapiki groth16``: 0 success (``verify``: valid), 1 ``verify``: invalid, 2 any
error, one line ``error: ...`` on stderr.

>>> from click.testing import CliRunner
>>> CliRunner().invoke(plonk, ["--help"]).output.splitlines()[0]
'Usage: plonk [OPTIONS] COMMAND [ARGS]...'
"""

from __future__ import annotations

from pathlib import Path

import click

from zapiki.cli_groth16 import _errors, _input_json, _path_in, _path_out, _read, _write, verdict, verify_files

__all__ = ["plonk"]


@click.group()
def plonk() -> None:
    """PLONK proofs (universal setup: one powers of tau for every circuit)."""


@plonk.command()
@click.argument("r1cs_file", type=_path_in)
@click.argument("ptau_file", type=_path_in)
@click.argument("zkey_file", type=_path_out)
@click.option("--vkey", "vkey_file", type=_path_out, default=None,
              help="Also write the verification key (as `snarkjs zkey export verificationkey`).")  # fmt: skip
@_errors
def setup(r1cs_file: Path, ptau_file: Path, zkey_file: Path, vkey_file: Path | None) -> None:
    """circuit.r1cs pot.ptau circuit.zkey: the PLONK key `snarkjs plonk setup` makes (no ceremony of its own: the
    key is as trustworthy as the powers of tau)."""
    from zapiki.formats import dumps
    from zapiki.systems.plonk.setup import plonk_setup

    zkey, vkey = plonk_setup(_read(r1cs_file, "r1cs"), ptau_file)
    _write(zkey_file, zkey)
    if vkey_file is not None:
        _write(vkey_file, dumps(vkey))
    click.echo(f"wrote {zkey_file}" + (f" and {vkey_file}" if vkey_file else ""))


@plonk.command()
@click.argument("zkey_file", type=_path_in)
@click.argument("witness_file", type=_path_in)
@click.argument("proof_file", type=_path_out)
@click.argument("public_file", type=_path_out)
@_errors
def prove(zkey_file: Path, witness_file: Path, proof_file: Path, public_file: Path) -> None:
    """circuit.zkey witness.wtns proof.json public.json."""
    from zapiki.formats import read_wtns

    _prove(zkey_file, read_wtns(_read(witness_file, "witness")).values, proof_file, public_file)


@plonk.command()
@click.argument("input_file", type=_path_in)
@click.argument("wasm_file", type=_path_in)
@click.argument("zkey_file", type=_path_in)
@click.argument("proof_file", type=_path_out)
@click.argument("public_file", type=_path_out)
@_errors
def fullprove(input_file: Path, wasm_file: Path, zkey_file: Path, proof_file: Path, public_file: Path) -> None:
    """input.json circuit.wasm circuit.zkey proof.json public.json: the witness, then the proof."""
    from zapiki.systems.groth16.system import witness_calculator

    witness = witness_calculator(_read(wasm_file, "wasm")).calculate(_input_json(input_file))
    _prove(zkey_file, witness, proof_file, public_file)


def _prove(zkey_file: Path, witness: object, proof_file: Path, public_file: Path) -> None:
    from zapiki.formats import dumps
    from zapiki.systems.plonk.prover import load_plonk_key, prove

    proof, public = prove(load_plonk_key(zkey_file), witness)
    _write(proof_file, dumps(proof))
    _write(public_file, dumps(public))


@plonk.command()
@click.argument("vkey_file", type=_path_in)
@click.argument("public_file", type=_path_in)
@click.argument("proof_file", type=_path_in)
@_errors
def verify(vkey_file: Path, public_file: Path, proof_file: Path) -> None:
    """Verify: verification_key.json public.json proof.json. Exit 0 valid, 1 invalid, 2 error."""
    from zapiki.systems.plonk.verifier import verify as plonk_verify

    verdict(plonk_verify(*verify_files(vkey_file, public_file, proof_file)))
