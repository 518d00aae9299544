"""Groth16 on BN254, compatible with circom 2 and snarkjs 0.7: prover, verifier, development setup.

Stages, one module each: :mod:`.keys` (the parsed proving key and its per-process cache), :mod:`.witness_map`
(A/B/C evaluations, odd-coset NTTs, h), :mod:`.prover`, :mod:`.verifier`, :mod:`.setup` (single-party
development setup, NOT a ceremony) and :mod:`.system` (the job platform's ``groth16`` system).

Helpers for the platform: :func:`dev_setup`, :func:`export_vkey`, :func:`circuit_info`, and
:func:`check_circuit_limits` with :class:`CircuitLimits` (:mod:`.limits`: the largest circuit a caller may
register; ``dev_setup`` and ``circuit_info`` take ``limits=`` and check the files' headers before any work).

The stages are imported when first used (``from zapiki.systems.groth16 import prove`` imports the prover), so
``zapiki groth16 verify`` loads neither the prover, the setup nor the witness runtime (wasmtime).

Example (run from the repository root; the first run compiles the numba kernels):

>>> from pathlib import Path
>>> from zapiki.formats import read_wtns
>>> from zapiki.systems.groth16 import circuit_info, dev_setup, export_vkey, load_proving_key, prove, verify
>>> fx = Path("tests/fixtures/groth16/multiplier")
>>> info = circuit_info(r1cs=(fx / "circuit.r1cs").read_bytes(), zkey=(fx / "circuit.zkey").read_bytes())
>>> info["n_constraints"], info["n_public"], info["domain_size"]
(1, 1, 4)
>>> zkey_bytes, vkey = dev_setup((fx / "circuit.r1cs").read_bytes())   # development only, not a ceremony
>>> out = prove(load_proving_key(zkey_bytes), read_wtns(fx / "witness.wtns").values)
>>> out.public_json()
['33']
>>> verify(vkey, out.public_json(), out.proof_json())
True
>>> verify(vkey, ["34"], out.proof_json())
False
>>> export_vkey(zkey_bytes) == vkey
True
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from zapiki.formats import read_r1cs, read_zkey
from zapiki.formats.binfile import load_bytes
from zapiki.formats.r1cs import R1CS, R1CSHeader, read_r1cs_header
from zapiki.formats.zkey import read_zkey_header
from zapiki.lazy import lazy_exports

from .limits import CircuitLimits, check_circuit_limits

if TYPE_CHECKING:
    from .keys import ProvingKey, clear_cache, load_proving_key
    from .prover import Proof, check_constraints, prove
    from .ptau_setup import contribute, dev_ptau, required_power, setup_from_ptau
    from .setup import run_dev_setup, snarkjs_alphabeta, vkey_of  # noqa: F401 - importable, not in __all__
    from .system import Groth16System, configure_caches, witness_calculator
    from .verifier import verify, verify_parsed

#: Public names whose stage module is imported on first use (PEP 562), so each command loads only its stages
#: (and a Dask worker, which proves in its child processes, loads no kernels at all).
_LAZY = {
    "ProvingKey": "keys", "clear_cache": "keys", "load_proving_key": "keys",
    "verify": "verifier", "verify_parsed": "verifier",
    "Proof": "prover", "check_constraints": "prover", "prove": "prover",
    "run_dev_setup": "setup", "snarkjs_alphabeta": "setup", "vkey_of": "setup",
    "setup_from_ptau": "ptau_setup", "contribute": "ptau_setup", "required_power": "ptau_setup",
    "dev_ptau": "ptau_setup",
    "Groth16System": "system", "configure_caches": "system", "witness_calculator": "system",
}  # fmt: skip


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


def _stage(name: str) -> Any:  # noqa: ANN401
    """A lazily imported name as module code sees it (a value set on the module, e.g. by a test, wins)."""
    return globals()[name] if name in globals() else __getattr__(name)


__all__ = [
    "CircuitLimits",
    "Groth16System",
    "Proof",
    "ProvingKey",
    "check_circuit_limits",
    "check_constraints",
    "contribute",
    "dev_ptau",
    "required_power",
    "setup_from_ptau",
    "circuit_info",
    "clear_cache",
    "dev_setup",
    "export_vkey",
    "load_proving_key",
    "prove",
    "snarkjs_alphabeta",
    "verify",
    "verify_parsed",
    "witness_calculator",
    "configure_caches",
]

Source = bytes | bytearray | memoryview | str | os.PathLike


def dev_setup(r1cs: Source, *, limits: CircuitLimits | None = None) -> tuple[bytes, dict]:
    """``(zkey_bytes, verification_key_dict)`` from ``.r1cs`` bytes or a path.

    Single-party DEVELOPMENT setup, NOT a ceremony: the toxic waste comes from ``os.urandom`` and is discarded,
    but the process that ran it could have kept it and forged proofs.

    ``limits``: the r1cs HEADER is checked against them (:func:`check_circuit_limits`, an
    :class:`~zapiki.errors.InputError` naming the limit) before the constraints are parsed or anything is
    allocated.

    >>> from pathlib import Path
    >>> r1cs = Path("tests/fixtures/groth16/poseidon_chain_8/circuit.r1cs")
    >>> dev_setup(r1cs, limits=CircuitLimits(max_constraints=1000, max_wires=10_000, max_public=16))
    Traceback (most recent call last):
    ...
    zapiki.errors.InputError: circuit too large: 1920 constraints (n_constraints) exceed the limit max_constraints=1000
    """
    data = load_bytes(r1cs)
    if limits is not None:
        check_circuit_limits(_r1cs_info(read_r1cs_header(data)), limits)
    res = _stage("run_dev_setup")(data)
    return res.zkey_bytes, res.vkey


def export_vkey(zkey: Source) -> dict:
    """``verification_key.json`` of a ``.zkey`` (bytes or path), as ``snarkjs zkey export verificationkey``."""
    return _stage("vkey_of")(read_zkey(zkey))


def circuit_info(
    r1cs: Source | None = None,
    zkey: Source | None = None,
    wasm: Source | None = None,
    *,
    limits: CircuitLimits | None = None,
) -> dict[str, Any]:
    """Sizes of a circuit from any of its files (``.r1cs``, ``.zkey``, ``.wasm``; bytes or paths).

    Keys present depending on the files given: ``n_constraints``, ``n_wires``, ``n_public``, ``n_pub_out``,
    ``n_pub_in``, ``n_prv_in``, ``n_labels`` (r1cs); ``n_vars``, ``n_public``, ``domain_size`` (zkey);
    ``witness_size``, ``input_size`` (wasm). A ``FormatError`` is raised when the files disagree.

    ``limits``: each file's header is checked against them before the file is parsed (and the whole result
    at the end): an :class:`~zapiki.errors.InputError` naming the limit for a circuit that is too big.
    """
    if limits is not None:  # headers only: cheap, and nothing is sized by a count before it passes
        if r1cs is not None:
            r1cs = load_bytes(r1cs)
            check_circuit_limits(_r1cs_info(read_r1cs_header(r1cs)), limits)
        if zkey is not None:
            zkey = load_bytes(zkey)
            zh = read_zkey_header(zkey)
            check_circuit_limits({"n_vars": zh.n_vars, "n_public": zh.n_public, "domain_size": zh.domain_size}, limits)
    info: dict[str, Any] = {}
    if r1cs is not None:
        info.update(_r1cs_info(read_r1cs(r1cs)))
    if zkey is not None:
        zk = read_zkey(zkey)
        _agree(info, "n_public", zk.n_public, "zkey")
        _agree(info, "n_wires", zk.n_vars, "zkey")
        info.update(n_vars=zk.n_vars, n_public=zk.n_public, domain_size=zk.domain_size, zkey_sha256=zk.sha256)
    if wasm is not None:
        source = wasm if isinstance(wasm, bytes | bytearray | memoryview) else os.fspath(wasm)
        calc = _stage("witness_calculator")(source)
        _agree(info, "n_wires", calc.witness_size, "wasm")
        _agree(info, "n_vars", calc.witness_size, "wasm")
        info.update(witness_size=calc.witness_size, input_size=calc.input_size)
    if limits is not None:
        check_circuit_limits(info, limits)
    return info


def _r1cs_info(rc: R1CS | R1CSHeader) -> dict[str, Any]:
    return {
        "n_constraints": rc.n_constraints, "n_wires": rc.n_wires, "n_public": rc.n_public,
        "n_pub_out": rc.n_pub_out, "n_pub_in": rc.n_pub_in, "n_prv_in": rc.n_prv_in, "n_labels": rc.n_labels,
    }  # fmt: skip


def check_wasm_fits(info: dict[str, Any], wasm_info: dict[str, Any]) -> dict[str, Any]:
    """`info` (from `circuit_info` of the r1cs and/or zkey) with the sizes of a wasm probed elsewhere
    (`zapiki.witness.sandbox.probe`); a FormatError when the wasm is not of this circuit or not for BN254."""
    from zapiki.errors import FormatError
    from zapiki.formats.field import BN254_R

    if int(wasm_info["prime"]) != BN254_R or wasm_info["n32"] != 8:
        raise FormatError("circuit wasm: compiled for another prime than BN254's scalar field r")
    _agree(info, "n_wires", wasm_info["witness_size"], "wasm")
    _agree(info, "n_vars", wasm_info["witness_size"], "wasm")
    return {**info, "witness_size": wasm_info["witness_size"], "input_size": wasm_info["input_size"]}


def _agree(info: dict[str, Any], key: str, value: int, what: str) -> None:
    from zapiki.errors import FormatError

    if key in info and info[key] != value:
        raise FormatError(f"the {what} does not belong to this circuit: {key} is {value}, expected {info[key]}")
