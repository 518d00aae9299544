"""Groth16 verification on Python ints, answering exactly as :func:`zapiki.systems.groth16.verify`.

``e(-pi_a, pi_b) e(alpha1, beta2) e(vk_x, gamma2) e(pi_c, delta2) == 1`` with ``vk_x = IC_0 + sum x_i IC_i``.
``False`` for an invalid proof: a wrong public signal, a signal ``>= r``, the wrong number of signals, a proof
coordinate ``>= q``, a proof point off its curve or (pi_b) outside G2. :class:`~zapiki.errors.FormatError`
for malformed JSON and :class:`~zapiki.errors.CurveError` for a verification key point off its curve or
outside G2, with the same messages as the numba path (``tests/groth16/test_pyverify.py`` holds them together).

The snarkjs JSON readers here are numpy-free twins of :mod:`zapiki.formats.snarkjs_json`'s (that package
imports numpy): same checks, same messages.

>>> verify({"protocol": "plonk"}, [], {})
Traceback (most recent call last):
...
zapiki.errors.FormatError: verification_key.json: unsupported protocol 'plonk' (expected 'groth16')
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from zapiki.errors import CurveError, FormatError

from .curve import G1Point, G2Point, g1_lincomb, g1_on_curve, g2_in_subgroup, g2_on_curve
from .fields import Q, R
from .pairing import pairing_check

__all__ = ["Proof", "VerificationKey", "load_json", "parse_proof", "parse_public", "parse_vkey", "verify",
           "verify_parsed"]  # fmt: skip

_DECIMAL = re.compile(r"[0-9]{1,100}")


class Proof(NamedTuple):
    """A parsed ``proof.json`` (the fields of :class:`zapiki.formats.Groth16Proof`)."""

    a: G1Point
    b: G2Point
    c: G1Point


class VerificationKey(NamedTuple):
    """A parsed ``verification_key.json`` (the fields :class:`zapiki.formats.VerificationKey` has)."""

    n_public: int
    alpha1: G1Point
    beta2: G2Point
    gamma2: G2Point
    delta2: G2Point
    ic: tuple[G1Point, ...]


# -- snarkjs JSON ---------------------------------------------------------------------------------------------


def load_json(source: str | bytes | os.PathLike) -> Any:  # noqa: ANN401
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


def _decode(obj: Any) -> Any:  # noqa: ANN401
    return load_json(obj) if isinstance(obj, str | bytes | bytearray) else obj


def _number(value: Any, where: str, modulus: int, what: str) -> int:  # noqa: ANN401
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FormatError(f"{where}: expected a decimal string, got {type(value).__name__}")
    if isinstance(value, str):
        if not _DECIMAL.fullmatch(value):
            raise FormatError(f"{where}: {value[:40]!r} is not a decimal integer")
        value = int(value)
    if not 0 <= value < modulus:
        raise FormatError(f"{where}: value is out of range (must be 0 <= v < {what})")
    return value


def _list(value: Any, where: str, length: int | None = None) -> list:  # noqa: ANN401
    if not isinstance(value, list):
        raise FormatError(f"{where}: expected a list, got {type(value).__name__}")
    if length is not None and len(value) != length:
        raise FormatError(f"{where}: expected {length} items, got {len(value)}")
    return value


def _fq2(value: Any, where: str) -> tuple[int, int]:  # noqa: ANN401
    c0, c1 = _list(value, where, 2)
    return _number(c0, f"{where}[0]", Q, "q"), _number(c1, f"{where}[1]", Q, "q")


def _g1(value: Any, where: str) -> G1Point:  # noqa: ANN401
    x, y, z = (_number(c, f"{where}[{i}]", Q, "q") for i, c in enumerate(_list(value, where, 3)))
    if z == 0:
        if (x, y) != (0, 1):
            raise FormatError(f"{where}: a point with z = 0 must be the point at infinity ['0', '1', '0']")
        return None
    if z != 1:
        raise FormatError(f"{where}: expected affine coordinates (z = '1'), got z = {z}")
    return x, y


def _g2(value: Any, where: str) -> G2Point:  # noqa: ANN401
    x, y, z = (_fq2(c, f"{where}[{i}]") for i, c in enumerate(_list(value, where, 3)))
    if z == (0, 0):
        if (x, y) != ((0, 0), (1, 0)):
            raise FormatError(f"{where}: a point with z = 0 must be the point at infinity")
        return None
    if z != (1, 0):
        raise FormatError(f"{where}: expected affine coordinates (z = ['1', '0']), got z = {z}")
    return x, y


def _mapping(value: Any, what: str) -> Mapping:  # noqa: ANN401
    if not isinstance(value, Mapping):
        raise FormatError(f"{what}: expected a JSON object, got {type(value).__name__}")
    return value


def _field(obj: Mapping, key: str, what: str) -> Any:  # noqa: ANN401
    if key not in obj:
        raise FormatError(f"{what}: missing field {key!r}")
    return obj[key]


def _check_tags(obj: Mapping, what: str, required: bool) -> None:
    for key, allowed in (("protocol", ("groth16",)), ("curve", ("bn128", "bn254"))):
        if key not in obj and not required:
            continue
        value = _field(obj, key, what)
        if value not in allowed:
            raise FormatError(f"{what}: unsupported {key} {value!r} (expected {allowed[0]!r})")


def parse_proof(obj: Mapping | str | bytes) -> Proof:
    """Validate a decoded ``proof.json`` (or its text), as :func:`zapiki.formats.parse_proof`."""
    proof = _mapping(_decode(obj), "proof.json")
    _check_tags(proof, "proof.json", required=False)
    a = _g1(_field(proof, "pi_a", "proof.json"), "proof.json pi_a")
    b = _g2(_field(proof, "pi_b", "proof.json"), "proof.json pi_b")
    c = _g1(_field(proof, "pi_c", "proof.json"), "proof.json pi_c")
    return Proof(a, b, c)


def parse_public(obj: Sequence | str | bytes) -> list[int]:
    """Validate a decoded ``public.json``: a list of decimal strings, each ``< r``."""
    values = _list(_decode(obj), "public.json")
    return [_number(v, f"public.json[{i}]", R, "r") for i, v in enumerate(values)]


def parse_vkey(obj: Mapping | str | bytes) -> VerificationKey:
    """Validate a decoded ``verification_key.json``, as :func:`zapiki.formats.parse_vkey`."""
    what = "verification_key.json"
    vk = _mapping(_decode(obj), what)
    _check_tags(vk, what, required=True)
    n_public = _field(vk, "nPublic", what)
    if isinstance(n_public, bool) or not isinstance(n_public, int) or not 0 <= n_public < 1 << 32:
        raise FormatError(f"{what}: nPublic must be a non-negative integer, got {n_public!r}")
    ic_json = _list(_field(vk, "IC", what), f"{what} IC", n_public + 1)
    if "vk_alphabeta_12" in vk:  # checked, not used: e(alpha1, beta2) is computed
        where = f"{what} vk_alphabeta_12"
        for i, row in enumerate(_list(vk["vk_alphabeta_12"], where, 2)):
            for j, c in enumerate(_list(row, f"{where}[{i}]", 3)):
                _fq2(c, f"{where}[{i}][{j}]")
    return VerificationKey(
        n_public=n_public,
        alpha1=_g1(_field(vk, "vk_alpha_1", what), f"{what} vk_alpha_1"),
        beta2=_g2(_field(vk, "vk_beta_2", what), f"{what} vk_beta_2"),
        gamma2=_g2(_field(vk, "vk_gamma_2", what), f"{what} vk_gamma_2"),
        delta2=_g2(_field(vk, "vk_delta_2", what), f"{what} vk_delta_2"),
        ic=tuple(_g1(p, f"{what} IC[{i}]") for i, p in enumerate(ic_json)),
    )


# -- verification ---------------------------------------------------------------------------------------------


def _leaves(value: Any, out: list[int]) -> None:  # noqa: ANN401
    """Collect the well-formed integers of a nested list (malformed leaves are left to the strict parsers)."""
    if isinstance(value, list):
        for v in value:
            _leaves(v, out)
    elif isinstance(value, int) and not isinstance(value, bool):
        out.append(value)
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 100:
        out.append(int(value))


def _out_of_range(value: Any, modulus: int) -> bool:  # noqa: ANN401
    vals: list[int] = []
    _leaves(value, vals)
    return any(v >= modulus for v in vals)


def verify(vkey: Mapping | str | bytes, public: Sequence | str | bytes, proof: Mapping | str | bytes) -> bool:
    """Verify snarkjs JSON (decoded objects or their text): ``verification_key.json``, ``public.json``,
    ``proof.json``. False for an invalid proof; InputError for malformed input (see the module docstring)."""
    vk = parse_vkey(_decode(vkey))
    public = _decode(public)
    proof = _decode(proof)
    if isinstance(public, list) and _out_of_range(public, R):
        return False
    if isinstance(proof, Mapping) and any(_out_of_range(proof.get(k), Q) for k in ("pi_a", "pi_b", "pi_c")):
        return False
    signals = parse_public(public)
    parsed = parse_proof(proof)
    return verify_parsed(vk, signals, parsed)


def _as_g1(p: G1Point) -> G1Point:
    """The kernels encode infinity as (0, 0): a point given as (0, 0) is infinity there, so here too."""
    return None if p is None or p == (0, 0) else p


def _as_g2(p: G2Point) -> G2Point:
    return None if p is None or p == ((0, 0), (0, 0)) else p


def _check_vkey(vk: Any) -> None:  # noqa: ANN401
    """CurveError naming the first bad point, as ``g1.validate([alpha1, *IC])`` and ``g2.validate([beta2,
    gamma2, delta2])`` word it: every point on its curve first, then the G2 points in the subgroup."""
    for i, p in enumerate([vk.alpha1, *vk.ic]):
        if not g1_on_curve(_as_g1(p)):
            raise CurveError(f"G1 point #{i} is not on the curve")
    g2s = [_as_g2(p) for p in (vk.beta2, vk.gamma2, vk.delta2)]
    for i, p in enumerate(g2s):
        if not g2_on_curve(p):
            raise CurveError(f"G2 point #{i} is not on the curve")
    for i, p in enumerate(g2s):
        if not g2_in_subgroup(p):
            raise CurveError(f"G2 point #{i} is not in the prime-order subgroup")


def verify_parsed(vk: Any, public: Sequence[int], proof: Any) -> bool:  # noqa: ANN401
    """Verify parsed values: a :class:`VerificationKey` and a :class:`Proof` (or :mod:`zapiki.formats`'
    classes, which have the same fields) and the public signals as ints."""
    _check_vkey(vk)
    if len(public) != len(vk.ic) - 1 or any(not 0 <= int(x) < R for x in public):
        return False
    a, b, c = _as_g1(proof.a), _as_g2(proof.b), _as_g1(proof.c)
    if any(not 0 <= v < Q for p in (a, c) if p is not None for v in p):
        return False
    if b is not None and any(not 0 <= v < Q for xy in b for v in xy):
        return False
    if not (g1_on_curve(a) and g1_on_curve(c) and g2_in_subgroup(b)):
        return False
    # vk_x = IC_0 + sum x_i IC_i
    vk_x = g1_lincomb([_as_g1(p) for p in vk.ic], [1, *(int(x) for x in public)])
    neg_a = None if a is None else (a[0], -a[1] % Q)
    alpha1 = _as_g1(vk.alpha1)
    beta2, gamma2, delta2 = (_as_g2(p) for p in (vk.beta2, vk.gamma2, vk.delta2))
    return pairing_check([(neg_a, b), (alpha1, beta2), (vk_x, gamma2), (c, delta2)])
