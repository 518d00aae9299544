"""snarkjs-like command groups: ``zapiki groth16 ...``, ``zapiki wtns ...``, ``zapiki zkey ...``.

Exit codes: 0 success (``verify``: the proof is valid), 1 ``verify``: the proof is invalid, 2 any error (a
missing or malformed file, an unsatisfied witness, bad input): one line ``error: ...`` on stderr, no traceback.
Files are written exactly as snarkjs writes them. Attached to the main group in :mod:`zapiki.cli`.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from zapiki.errors import ZapikiError

__all__ = ["groth16", "wtns", "zkey"]

DEV_SETUP_WARNING = (
    "WARNING: development setup by a single party, NOT a trusted-setup ceremony. Whoever ran it could forge "
    "proofs; use it for development and tests only."
)

_path_in = click.Path(dir_okay=False, path_type=Path)
_path_out = click.Path(dir_okay=False, writable=True, path_type=Path)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn every failure into ``error: ...`` on stderr and exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
        try:
            return fn(*args, **kwargs)
        except ZapikiError as exc:
            _fail(str(exc))
        except OSError as exc:
            name = f" {exc.filename}" if exc.filename else ""
            _fail(f"cannot access{name}: {exc.strerror or exc}")
        except MemoryError:
            _fail("out of memory")
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # never a traceback for the user
            _fail(f"internal error ({type(exc).__name__}): {exc}")

    return wrapper


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        from zapiki.errors import FormatError

        raise FormatError(f"cannot read {what} {str(path)!r}: {exc.strerror or exc}") from exc


def _read_json(path: Path, what: str) -> Any:  # noqa: ANN401
    from zapiki.formats.snarkjs_json import load_json  # not `zapiki.formats`' other readers: no numpy here

    data = _read(path, what)
    try:
        return load_json(data)
    except ZapikiError as exc:
        raise type(exc)(f"{what} {str(path)!r}: {exc}") from exc


def _write(path: Path, data: bytes | str) -> None:
    raw = data.encode() if isinstance(data, str) else data
    path.write_bytes(raw)


def _input_json(path: Path) -> Any:  # noqa: ANN401
    from zapiki.errors import InputError

    data = _read_json(path, "input")
    if not isinstance(data, dict):
        raise InputError(f"input {str(path)!r}: expected a JSON object of input signals, got {type(data).__name__}")
    return data


def _write_proof(proof: Any, proof_path: Path, public_path: Path) -> None:  # noqa: ANN401
    from zapiki.formats import dumps

    _write(proof_path, dumps(proof.proof_json()))
    _write(public_path, dumps(proof.public_json()))


def _load_r1cs(path: Path | None) -> Any:  # noqa: ANN401
    if path is None:
        return None
    from zapiki.formats import read_r1cs

    return read_r1cs(_read(path, "r1cs"))


# --- groth16 -----------------------------------------------------------------------------------------------


@click.group()
def groth16() -> None:
    """Groth16 on BN254, compatible with snarkjs: prove, fullprove, verify, setup."""


@groth16.command()
@click.argument("zkey_file", type=_path_in)
@click.argument("witness_file", type=_path_in)
@click.argument("proof_file", type=_path_out)
@click.argument("public_file", type=_path_out)
@click.option(
    "--r1cs", "r1cs_file", type=_path_in, default=None, help="Check every constraint (names the first failing one)."
)
@click.option("--timings", is_flag=True, help="Print seconds per stage on stderr.")
@_errors
def prove(zkey_file: Path, witness_file: Path, proof_file: Path, public_file: Path, r1cs_file: Path | None,
          timings: bool) -> None:  # fmt: skip
    """Prove: circuit.zkey witness.wtns -> proof.json public.json."""
    from zapiki.formats import read_wtns
    from zapiki.systems.groth16 import load_proving_key
    from zapiki.systems.groth16 import prove as do_prove

    t0 = time.perf_counter()
    pk = load_proving_key(zkey_file)  # a path: the file's bytes are dropped as soon as they are parsed
    t_parse = time.perf_counter() - t0
    w = read_wtns(_read(witness_file, "witness"))
    out = do_prove(pk, w.values, r1cs=_load_r1cs(r1cs_file))
    _write_proof(out, proof_file, public_file)
    if timings:
        stages = {"parse": t_parse, **out.timings, "wall": time.perf_counter() - t0}
        click.echo(json.dumps({k: round(v, 4) for k, v in stages.items()}), err=True)


@groth16.command()
@click.argument("input_file", type=_path_in)
@click.argument("wasm_file", type=_path_in)
@click.argument("zkey_file", type=_path_in)
@click.argument("proof_file", type=_path_out)
@click.argument("public_file", type=_path_out)
@click.option(
    "--r1cs", "r1cs_file", type=_path_in, default=None, help="Check every constraint (names the first failing one)."
)
@_errors
def fullprove(input_file: Path, wasm_file: Path, zkey_file: Path, proof_file: Path, public_file: Path,
              r1cs_file: Path | None) -> None:  # fmt: skip
    """Witness and proof: input.json circuit.wasm circuit.zkey -> proof.json public.json."""
    from zapiki.systems.groth16 import load_proving_key, witness_calculator
    from zapiki.systems.groth16 import prove as do_prove

    inputs = _input_json(input_file)
    witness = witness_calculator(_read(wasm_file, "wasm")).calculate(inputs)
    out = do_prove(load_proving_key(zkey_file), witness, r1cs=_load_r1cs(r1cs_file))
    _write_proof(out, proof_file, public_file)


@groth16.command()
@click.argument("vkey_file", type=_path_in)
@click.argument("public_file", type=_path_in)
@click.argument("proof_file", type=_path_in)
@_errors
def verify(vkey_file: Path, public_file: Path, proof_file: Path) -> None:
    """Verify: verification_key.json public.json proof.json. Exit 0 valid, 1 invalid, 2 error."""
    # Python ints, not the numba kernels: loading those would cost this short process most of a second. Same
    # answers and messages (tests/groth16/test_pyverify.py); the service verifies with the kernels.
    from zapiki.bn254py import verify_parsed
    from zapiki.formats.snarkjs_json import parse_verify_inputs

    parsed = parse_verify_inputs(*verify_files(vkey_file, public_file, proof_file))
    verdict(parsed is not None and verify_parsed(*parsed))


def verify_files(vkey_file: Path, public_file: Path, proof_file: Path) -> tuple[Any, Any, Any]:
    """The JSON of `verify`'s three files (verification key, public signals, proof), each error naming its file."""
    return (
        _read_json(vkey_file, "verification key"),
        _read_json(public_file, "public signals"),
        _read_json(proof_file, "proof"),
    )


def verdict(valid: bool) -> None:
    """What `verify` prints, and its exit status: 0 valid, 1 invalid (as snarkjs)."""
    if valid:
        click.echo("OK: the proof is valid")
        return
    click.echo("INVALID: the proof does not verify for these public signals and verification key")
    sys.exit(1)


@groth16.command()
@click.argument("r1cs_file", type=_path_in)
@click.argument("zkey_file", type=_path_out)
@click.option(
    "--vkey",
    "vkey_file",
    type=_path_out,
    default=None,
    help="Where to write the verification key (default: verification_key.json beside the zkey).",
)
@click.option(
    "--ptau",
    "ptau_file",
    type=_path_in,
    default=None,
    help="A powers-of-tau file (prepared for phase 2): the key snarkjs's `groth16 setup` makes from it, "
    "with a random phase-2 contribution made here.",
)
@click.option("--no-contribute", is_flag=True,
              help="With --ptau: write snarkjs's `groth16 setup` file as it is (delta = 1: anyone can forge proofs "
                   "until a contribution is made, e.g. `snarkjs zkey contribute`).")  # fmt: skip
@_errors
def setup(
    r1cs_file: Path, zkey_file: Path, vkey_file: Path | None, ptau_file: Path | None, no_contribute: bool
) -> None:
    """circuit.r1cs -> circuit.zkey + verification_key.json: from a powers of tau (--ptau), or a DEVELOPMENT setup
    (single party, NOT a ceremony)."""
    from zapiki.formats import dumps

    if ptau_file is not None:
        from zapiki.systems.groth16.ptau_setup import contribute, setup_from_ptau

        res = setup_from_ptau(_read(r1cs_file, "r1cs"), ptau_file)
        if no_contribute:
            click.echo("warning: no phase-2 contribution: delta = 1, anyone can forge proofs with this key", err=True)
        else:
            res = contribute(res.zkey, name="zapiki groth16 setup")
        what = f"from {ptau_file.name}" + (", NO contribution" if no_contribute else " + a phase-2 contribution")
    else:
        from zapiki.systems.groth16.setup import run_dev_setup

        if no_contribute:
            raise click.UsageError("--no-contribute goes with --ptau")
        click.echo(DEV_SETUP_WARNING, err=True)
        res = run_dev_setup(_read(r1cs_file, "r1cs"))
        what = "development key, NOT from a ceremony"
    vkey_file = vkey_file or zkey_file.with_name("verification_key.json")
    _write(zkey_file, res.zkey_bytes)
    _write(vkey_file, dumps(res.vkey))
    click.echo(f"wrote {zkey_file} and {vkey_file} ({what})")


# --- wtns --------------------------------------------------------------------------------------------------


@click.group()
def wtns() -> None:
    """Witness files (.wtns)."""


@wtns.command()
@click.argument("wasm_file", type=_path_in)
@click.argument("input_file", type=_path_in)
@click.argument("wtns_file", type=_path_out)
@_errors
def calculate(wasm_file: Path, input_file: Path, wtns_file: Path) -> None:
    """circuit.wasm input.json -> witness.wtns (identical to snarkjs's)."""
    from zapiki.systems.groth16 import witness_calculator

    inputs = _input_json(input_file)
    _write(wtns_file, witness_calculator(_read(wasm_file, "wasm")).calculate_wtns(inputs))


# --- zkey --------------------------------------------------------------------------------------------------


@click.group()
def zkey() -> None:
    """Proving keys (.zkey)."""


@zkey.group()
def export() -> None:
    """Export parts of a proving key."""


@export.command("verificationkey")
@click.argument("zkey_file", type=_path_in)
@click.argument("vkey_file", type=_path_out, required=False)
@_errors
def export_verificationkey(zkey_file: Path, vkey_file: Path | None) -> None:
    """circuit.zkey [verification_key.json] (default: verification_key.json in the current folder)."""
    from zapiki.formats import dumps

    data = _read(zkey_file, "zkey")
    if _protocol(data) == 2:  # a PLONK key
        from zapiki.formats.plonk_zkey import plonk_zkey_to_vkey, read_plonk_zkey

        vkey = plonk_zkey_to_vkey(read_plonk_zkey(data))
    else:
        from zapiki.systems.groth16 import export_vkey

        vkey = export_vkey(data)
    _write(vkey_file or Path("verification_key.json"), dumps(vkey))


def _protocol(data: bytes) -> int | None:
    """The protocol id a zkey's section 1 names (1 groth16, 2 plonk), None when it cannot be told: the reader of
    the key then says what is wrong."""
    from zapiki.formats.binfile import parse_binfile

    try:
        return parse_binfile(data, b"zkey", "zkey", 1).reader(1, "protocol").u32("protocol")
    except Exception:  # a malformed file: left to the full reader's error
        return None


@export.command("solidityverifier")
@click.argument("key_file", type=_path_in)
@click.argument("sol_file", type=_path_out, required=False)
@_errors
def export_solidityverifier(key_file: Path, sol_file: Path | None) -> None:
    """circuit.zkey|verification_key.json [verifier.sol]: a Solidity Groth16Verifier (default: verifier.sol in the
    current folder). Its verifyProof has snarkjs's ABI; see zapiki.formats.solidity."""
    from zapiki.formats.solidity import solidity_verifier

    data = _read(key_file, "key")
    if data[:4] == b"zkey" or key_file.suffix == ".zkey":  # else a verification key's JSON
        from zapiki.systems.groth16 import export_vkey

        vkey = export_vkey(data)
    else:
        vkey = _read_json(key_file, "verification key")
    _write(sol_file or Path("verifier.sol"), solidity_verifier(vkey))


@export.command("soliditycalldata")
@click.argument("public_file", type=_path_in)
@click.argument("proof_file", type=_path_in)
@_errors
def export_soliditycalldata(public_file: Path, proof_file: Path) -> None:
    """public.json proof.json: print verifyProof's arguments, as snarkjs prints them."""
    from zapiki.formats.solidity import solidity_calldata

    public = _read_json(public_file, "public signals")
    proof = _read_json(proof_file, "proof")
    click.echo(solidity_calldata(proof, public))
