"""File formats of the circom 2 + snarkjs 0.7 toolchain (Groth16 on BN254).

One module per format: :mod:`~zapiki.formats.binfile` (the iden3 binary container), :mod:`~.r1cs`,
:mod:`~.wtns`, :mod:`~.zkey` and :mod:`~.snarkjs_json` (proof, public signals, verification key);
:mod:`~.field` holds the moduli and limb conversions. Every reader raises
:class:`~zapiki.errors.FormatError` (an :class:`~zapiki.errors.InputError`) naming the file, section and
field at fault; nothing is allocated from a header count before it is checked against the bytes present.

Field elements are Python ints, 32-byte little-endian strings, or numpy ``uint64`` arrays of shape
``(..., 4)`` (four little-endian 64-bit limbs, limb 0 least significant). zkey points are
Montgomery-form limbs: G1 ``(n, 2, 4)`` = ``[x, y]``, G2 ``(n, 2, 2, 4)`` = ``[[x.c0, x.c1], [y.c0, y.c1]]``,
infinity all zeros; zkey coefficient values are double Montgomery (``v * 2^512 mod r``); witness values
and r1cs coefficients are plain.

Example (run from the repository root):

>>> from pathlib import Path
>>> from zapiki.formats import dumps, read_r1cs, read_wtns, read_zkey, write_wtns, zkey_to_vkey
>>> fx = Path("tests/fixtures/groth16/multiplier")
>>> zk = read_zkey(fx / "circuit.zkey")
>>> zk.n_vars, zk.n_public, zk.a.shape, zk.b2.shape, zk.coeffs.dtype.names
(4, 1, (4, 2, 4), (4, 2, 2, 4), ('matrix', 'row', 'signal', 'value'))
>>> w = read_wtns(fx / "witness.wtns")
>>> w.to_ints(), write_wtns(w.values) == (fx / "witness.wtns").read_bytes()
([1, 33, 3, 11], True)
>>> read_r1cs(fx / "circuit.r1cs").n_constraints
1
>>> zkey_to_vkey(zk)["IC"][0][2]
'1'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zapiki.lazy import lazy_exports

if TYPE_CHECKING:
    from zapiki.formats.binfile import sha256_hex
    from zapiki.formats.moduli import BN254_Q, BN254_R
    from zapiki.formats.ptau import PowersOfTau
    from zapiki.formats.r1cs import R1CS, TERM_DTYPE, TermColumns, read_r1cs, term_columns
    from zapiki.formats.snarkjs_json import (
        Groth16Proof,
        VerificationKey,
        dumps,
        load_json,
        parse_proof,
        parse_public,
        parse_verify_inputs,
        parse_vkey,
        proof_to_json,
        public_to_json,
        vkey_to_json,
    )
    from zapiki.formats.solidity import solidity_calldata, solidity_verifier
    from zapiki.formats.wtns import Wtns, read_wtns, write_wtns
    from zapiki.formats.zkey import ZKey, check_witness, read_zkey, write_zkey, zkey_to_vkey, zkey_verification_key

# Each public name and the module that holds it: imported on first use (PEP 562), so that reading snarkjs JSON
# (`zapiki groth16 verify`) does not import numpy.
_MODULES = {
    "PowersOfTau": "ptau",
    "solidity_verifier": "solidity",
    "solidity_calldata": "solidity",
    "sha256_hex": "binfile",
    "BN254_Q": "moduli",
    "BN254_R": "moduli",
    **dict.fromkeys(("R1CS", "TERM_DTYPE", "TermColumns", "read_r1cs", "term_columns"), "r1cs"),
    **dict.fromkeys(
        (
            "Groth16Proof",
            "VerificationKey",
            "dumps",
            "load_json",
            "parse_proof",
            "parse_public",
            "parse_verify_inputs",
            "parse_vkey",
            "proof_to_json",
            "public_to_json",
            "vkey_to_json",
        ),
        "snarkjs_json",
    ),
    **dict.fromkeys(("Wtns", "read_wtns", "write_wtns"), "wtns"),
    **dict.fromkeys(
        ("ZKey", "check_witness", "read_zkey", "write_zkey", "zkey_to_vkey", "zkey_verification_key"), "zkey"
    ),
}


__getattr__, __dir__ = lazy_exports(__name__, _MODULES)


__all__ = [
    "BN254_Q",
    "BN254_R",
    "PowersOfTau",
    "TERM_DTYPE",
    "Groth16Proof",
    "R1CS",
    "TermColumns",
    "VerificationKey",
    "Wtns",
    "ZKey",
    "check_witness",
    "dumps",
    "load_json",
    "parse_proof",
    "parse_public",
    "parse_verify_inputs",
    "parse_vkey",
    "proof_to_json",
    "public_to_json",
    "read_r1cs",
    "read_wtns",
    "read_zkey",
    "sha256_hex",
    "solidity_calldata",
    "solidity_verifier",
    "term_columns",
    "vkey_to_json",
    "write_wtns",
    "write_zkey",
    "zkey_to_vkey",
    "zkey_verification_key",
]
