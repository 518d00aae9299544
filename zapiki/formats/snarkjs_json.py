"""snarkjs's JSON files: ``proof.json``, ``public.json`` and ``verification_key.json``.

Points are affine with plain (not Montgomery) integer coordinates: a G1 point is ``(x, y)``, a G2 point is
``((x.c0, x.c1), (y.c0, y.c1))``, and the point at infinity is ``None``. In JSON every number is a decimal
string and points carry a projective ``z`` of ``"1"`` (``["0", "1", "0"]`` for infinity), as snarkjs writes
them. Parsing checks shapes, that numbers are decimal integers, coordinates ``< q`` and public signals
``< r``, and raises :class:`~zapiki.errors.FormatError` (an :class:`~zapiki.errors.InputError`) naming the
offending field. It does not check that points lie on the curve: that is the verifier's job. The parsers of
fields and points (:func:`parse_decimal`, :func:`parse_g1`, :func:`parse_g2`, :func:`require_object`, ...) and
the encoders :func:`g1_json` and :func:`g2_json` serve the PLONK files too.

:func:`dumps` writes ``JSON.stringify(obj, null, 1)``'s exact text, so files written here are byte-identical
to snarkjs's.

>>> proof = parse_proof({"pi_a": ["1", "2", "1"], "pi_b": [["1", "0"], ["2", "0"], ["1", "0"]],
...                      "pi_c": ["1", "2", "1"], "protocol": "groth16", "curve": "bn128"})
>>> proof.a, proof.b
((1, 2), ((1, 0), (2, 0)))
>>> proof_to_json(proof)["pi_b"][2]
['1', '0']
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zapiki.errors import FormatError
from zapiki.formats.moduli import BN254_Q, BN254_R  # not .field: this module needs no numpy

__all__ = [
    "G1",
    "G2",
    "Groth16Proof",
    "VerificationKey",
    "check_tags",
    "dumps",
    "g1_json",
    "g2_json",
    "load_json",
    "parse_decimal",
    "parse_fq12",
    "parse_g1",
    "parse_g2",
    "parse_proof",
    "parse_public",
    "parse_verify_inputs",
    "parse_vkey",
    "proof_to_json",
    "public_to_json",
    "require_field",
    "require_list",
    "require_object",
    "vkey_to_json",
]

G1 = tuple[int, int] | None
G2 = tuple[tuple[int, int], tuple[int, int]] | None
_DECIMAL = re.compile(r"[0-9]{1,100}")


@dataclass(frozen=True)
class Groth16Proof:
    """A Groth16 proof: ``a`` and ``c`` in G1, ``b`` in G2, affine plain coordinates."""

    a: G1
    b: G2
    c: G1


@dataclass(frozen=True)
class VerificationKey:
    """A Groth16 verification key; ``alphabeta_12`` is ``e(alpha1, beta2)`` as 2 x 3 x 2 integers, if given."""

    n_public: int
    alpha1: G1
    beta2: G2
    gamma2: G2
    delta2: G2
    ic: tuple[G1, ...]
    alphabeta_12: tuple[tuple[tuple[int, int], ...], ...] | None = None


def load_json(source: str | bytes | os.PathLike) -> Any:
    """Decode JSON from a path (``PathLike``), or from JSON text given as ``str``/``bytes``."""
    try:
        if isinstance(source, os.PathLike):
            with open(source, "rb") as fh:
                source = fh.read()
        return json.loads(source)
    except OSError as exc:
        raise FormatError(f"cannot read {os.fspath(source)!r}: {exc.strerror or exc}") from exc
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise FormatError(f"invalid JSON: {exc}") from exc


def dumps(obj: Any) -> str:
    """JSON text exactly as snarkjs writes its files (``JSON.stringify(obj, null, 1)``, no final newline)."""
    return json.dumps(obj, indent=1)


# --- decoding helpers --------------------------------------------------------------------------------------


def _decode(obj: Any) -> Any:
    return load_json(obj) if isinstance(obj, str | bytes | bytearray) else obj


def parse_decimal(value: Any, where: str, modulus: int | None = None, bound: str = "") -> int:
    """A JSON number field as an int: a decimal string (or a JSON integer), ``0 <= v < modulus`` (``bound``
    names the modulus in the message, e.g. ``"q"``); with no ``modulus``, any ``v >= 0``, not reduced. Raises
    FormatError naming the field ``where``.

    >>> parse_decimal("12", "proof.json eval_a"), parse_decimal(5, "k1", 7, "r")
    (12, 5)
    >>> parse_decimal("0x12", "proof.json eval_a")
    Traceback (most recent call last):
    ...
    zapiki.errors.FormatError: proof.json eval_a: '0x12' is not a decimal integer
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FormatError(f"{where}: expected a decimal string, got {type(value).__name__}")
    if isinstance(value, str):
        if not _DECIMAL.fullmatch(value):
            raise FormatError(f"{where}: {value[:40]!r} is not a decimal integer")
        value = int(value)
    if modulus is None:
        if value < 0:
            raise FormatError(f"{where}: value is out of range (must be >= 0)")
    elif not 0 <= value < modulus:
        raise FormatError(f"{where}: value is out of range (must be 0 <= v < {bound})")
    return value


def require_list(value: Any, where: str, length: int | None = None) -> list:
    """``value`` if it is a JSON list (of ``length`` items, when given); else FormatError naming ``where``."""
    if not isinstance(value, list):
        raise FormatError(f"{where}: expected a list, got {type(value).__name__}")
    if length is not None and len(value) != length:
        raise FormatError(f"{where}: expected {length} items, got {len(value)}")
    return value


def _fq(value: Any, where: str) -> int:
    return parse_decimal(value, where, BN254_Q, "q")


def parse_g1(value: Any, where: str, check_range: bool = True) -> G1:
    """A G1 point as snarkjs writes it: ``[x, y, "1"]``, or ``["0", "1", "0"]`` for infinity (None); coordinates
    ``< q`` (with ``check_range=False`` any ``>= 0``, not reduced: the caller decides what ``>= q`` means). Not
    checked against the curve. Raises FormatError naming the field ``where``.

    >>> parse_g1(["1", "2", "1"], "pi_a"), parse_g1(["0", "1", "0"], "pi_a")
    ((1, 2), None)
    """
    modulus = BN254_Q if check_range else None
    x, y, z = require_list(value, where, 3)
    x, y, z = (parse_decimal(c, f"{where}[{i}]", modulus, "q") for i, c in enumerate((x, y, z)))
    if z == 0:
        if (x, y) != (0, 1):
            raise FormatError(f"{where}: a point with z = 0 must be the point at infinity ['0', '1', '0']")
        return None
    if z != 1:
        raise FormatError(f"{where}: expected affine coordinates (z = '1'), got z = {z}")
    return x, y


def _fq2(value: Any, where: str) -> tuple[int, int]:
    c0, c1 = require_list(value, where, 2)
    return _fq(c0, f"{where}[0]"), _fq(c1, f"{where}[1]")


def parse_g2(value: Any, where: str) -> G2:
    """A G2 point as snarkjs writes it: ``[[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]``, or ``[["0", "0"], ["1",
    "0"], ["0", "0"]]`` for infinity (None); coordinates ``< q``. Not checked against the curve. Raises
    FormatError naming the field ``where``."""
    x, y, z = require_list(value, where, 3)
    x, y, z = _fq2(x, f"{where}[0]"), _fq2(y, f"{where}[1]"), _fq2(z, f"{where}[2]")
    if z == (0, 0):
        if (x, y) != ((0, 0), (1, 0)):
            raise FormatError(f"{where}: a point with z = 0 must be the point at infinity")
        return None
    if z != (1, 0):
        raise FormatError(f"{where}: expected affine coordinates (z = ['1', '0']), got z = {z}")
    return x, y


def require_object(value: Any, what: str) -> Mapping:
    """``value`` if it is a JSON object; else FormatError naming the file ``what``."""
    if not isinstance(value, Mapping):
        raise FormatError(f"{what}: expected a JSON object, got {type(value).__name__}")
    return value


def require_field(obj: Mapping, key: str, what: str) -> Any:
    """``obj[key]``; FormatError ``{what}: missing field 'key'`` when it is not there."""
    if key not in obj:
        raise FormatError(f"{what}: missing field {key!r}")
    return obj[key]


def check_tags(obj: Mapping, what: str, required: bool, protocol: str = "groth16") -> None:
    """``obj``'s ``protocol`` must be ``protocol`` and its ``curve`` ``bn128`` (or ``bn254``); when not
    ``required``, a missing tag is accepted. Raises FormatError naming the file ``what``."""
    for key, allowed in (("protocol", (protocol,)), ("curve", ("bn128", "bn254"))):
        if key not in obj and not required:
            continue
        value = require_field(obj, key, what)
        if value not in allowed:
            raise FormatError(f"{what}: unsupported {key} {value!r} (expected {allowed[0]!r})")


# --- encoding helpers --------------------------------------------------------------------------------------


def g1_json(p: G1) -> list[str]:
    """A G1 point (None: infinity) as snarkjs writes it: ``[x, y, "1"]``, ``["0", "1", "0"]`` for infinity."""
    return ["0", "1", "0"] if p is None else [str(p[0]), str(p[1]), "1"]


def g2_json(p: G2) -> list[list[str]]:
    """A G2 point (None: infinity) as snarkjs writes it: ``[[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]``."""
    if p is None:
        return [["0", "0"], ["1", "0"], ["0", "0"]]
    (x0, x1), (y0, y1) = p
    return [[str(x0), str(x1)], [str(y0), str(y1)], ["1", "0"]]


# --- proof.json ----------------------------------------------------------------------------------------------


def parse_proof(obj: Mapping | str | bytes) -> Groth16Proof:
    """Validate a decoded ``proof.json`` (or its text). ``protocol``/``curve``, when present, must be Groth16/BN254."""
    proof = require_object(_decode(obj), "proof.json")
    check_tags(proof, "proof.json", required=False)
    a = parse_g1(require_field(proof, "pi_a", "proof.json"), "proof.json pi_a")
    b = parse_g2(require_field(proof, "pi_b", "proof.json"), "proof.json pi_b")
    c = parse_g1(require_field(proof, "pi_c", "proof.json"), "proof.json pi_c")
    return Groth16Proof(a, b, c)


def proof_to_json(proof: Groth16Proof) -> dict:
    """The snarkjs ``proof.json`` object (write it with :func:`dumps`)."""
    return {
        "pi_a": g1_json(proof.a),
        "pi_b": g2_json(proof.b),
        "pi_c": g1_json(proof.c),
        "protocol": "groth16",
        "curve": "bn128",
    }


# --- public.json ---------------------------------------------------------------------------------------------


def parse_public(obj: Sequence | str | bytes, n_public: int | None = None) -> list[int]:
    """Validate a decoded ``public.json``: a list of decimal strings, each ``< r``; optionally exactly ``n_public``."""
    values = require_list(_decode(obj), "public.json", n_public)
    return [parse_decimal(v, f"public.json[{i}]", BN254_R, "r") for i, v in enumerate(values)]


def public_to_json(values: Sequence[int]) -> list[str]:
    """The snarkjs ``public.json`` list; values must be in ``[0, r)``."""
    for i, v in enumerate(values):
        if not 0 <= int(v) < BN254_R:
            raise ValueError(f"public signal {i} is out of range [0, r)")
    return [str(int(v)) for v in values]


# --- verification_key.json -----------------------------------------------------------------------------------


def parse_fq12(value: Any, where: str = "vk_alphabeta_12") -> tuple[tuple[tuple[int, int], ...], ...]:
    """Validate an Fq12 element in snarkjs's nesting (2 x 3 x 2 decimal integers ``< q``)."""
    rows = require_list(value, where, 2)
    return tuple(
        tuple(_fq2(c, f"{where}[{i}][{j}]") for j, c in enumerate(require_list(row, f"{where}[{i}]", 3)))
        for i, row in enumerate(rows)
    )


def parse_vkey(obj: Mapping | str | bytes) -> VerificationKey:
    """Validate a decoded ``verification_key.json`` (Groth16, bn128). ``vk_alphabeta_12`` is optional."""
    what = "verification_key.json"
    vk = require_object(_decode(obj), what)
    check_tags(vk, what, required=True)
    n_public = require_field(vk, "nPublic", what)
    if isinstance(n_public, bool) or not isinstance(n_public, int) or not 0 <= n_public < 1 << 32:
        raise FormatError(f"{what}: nPublic must be a non-negative integer, got {n_public!r}")
    ic_json = require_list(require_field(vk, "IC", what), f"{what} IC", n_public + 1)
    alphabeta = parse_fq12(vk["vk_alphabeta_12"], f"{what} vk_alphabeta_12") if "vk_alphabeta_12" in vk else None
    return VerificationKey(
        n_public=n_public,
        alpha1=parse_g1(require_field(vk, "vk_alpha_1", what), f"{what} vk_alpha_1"),
        beta2=parse_g2(require_field(vk, "vk_beta_2", what), f"{what} vk_beta_2"),
        gamma2=parse_g2(require_field(vk, "vk_gamma_2", what), f"{what} vk_gamma_2"),
        delta2=parse_g2(require_field(vk, "vk_delta_2", what), f"{what} vk_delta_2"),
        ic=tuple(parse_g1(p, f"{what} IC[{i}]") for i, p in enumerate(ic_json)),
        alphabeta_12=alphabeta,
    )


def vkey_to_json(vk: VerificationKey) -> dict:
    """The snarkjs ``verification_key.json`` object, keys in snarkjs's order (``vk_alphabeta_12`` if known)."""
    out: dict[str, Any] = {
        "protocol": "groth16",
        "curve": "bn128",
        "nPublic": vk.n_public,
        "vk_alpha_1": g1_json(vk.alpha1),
        "vk_beta_2": g2_json(vk.beta2),
        "vk_gamma_2": g2_json(vk.gamma2),
        "vk_delta_2": g2_json(vk.delta2),
    }
    if vk.alphabeta_12 is not None:
        out["vk_alphabeta_12"] = [[[str(c0), str(c1)] for c0, c1 in row] for row in vk.alphabeta_12]
    out["IC"] = [g1_json(p) for p in vk.ic]
    return out


def _leaves(value: Any, out: list[int]) -> None:
    """Collect the well-formed integers of a nested list (malformed leaves are left to the strict parsers)."""
    if isinstance(value, list):
        for v in value:
            _leaves(v, out)
    elif isinstance(value, int) and not isinstance(value, bool):
        out.append(value)
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 100:
        out.append(int(value))


def _out_of_range(value: Any, modulus: int) -> bool:
    vals: list[int] = []
    _leaves(value, vals)
    return any(v >= modulus for v in vals)


def parse_verify_inputs(
    vkey: Mapping | str | bytes, public: Sequence | str | bytes, proof: Mapping | str | bytes
) -> tuple[VerificationKey, list[int], Groth16Proof] | None:
    """``verification_key.json``, ``public.json`` and ``proof.json`` (decoded or as text) parsed for a Groth16
    verification; None when a public signal is ``>= r`` or a proof coordinate ``>= q``: well-formed numbers that
    make an invalid proof, not malformed input. Malformed input raises FormatError. Both verifiers (the numba
    kernels' and the pure-Python one) start here.

    >>> parse_verify_inputs({"protocol": "plonk"}, [], {})
    Traceback (most recent call last):
    ...
    zapiki.errors.FormatError: verification_key.json: unsupported protocol 'plonk' (expected 'groth16')
    """
    vk = parse_vkey(_decode(vkey))
    public = _decode(public)
    proof = _decode(proof)
    if isinstance(public, list) and _out_of_range(public, BN254_R):
        return None
    if isinstance(proof, Mapping) and any(_out_of_range(proof.get(k), BN254_Q) for k in ("pi_a", "pi_b", "pi_c")):
        return None
    return vk, parse_public(public), parse_proof(proof)
