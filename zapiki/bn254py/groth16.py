"""Groth16 verification on Python ints, answering exactly as :func:`zapiki.systems.groth16.verify_parsed`.

``e(-pi_a, pi_b) e(alpha1, beta2) e(vk_x, gamma2) e(pi_c, delta2) == 1`` with ``vk_x = IC_0 + sum x_i IC_i``,
over values parsed by :func:`zapiki.formats.parse_verify_inputs` (the one reader of snarkjs JSON; it needs no
numpy). ``False`` for an invalid proof: a wrong public signal, a signal ``>= r``, the wrong number of signals, a
proof coordinate ``>= q``, a proof point off its curve or (pi_b) outside G2. :class:`~zapiki.errors.CurveError`
for a verification key point off its curve or outside G2, with the same messages as the numba path
(``tests/groth16/test_pyverify.py`` holds them together).

>>> import json
>>> from pathlib import Path
>>> from zapiki.formats.snarkjs_json import parse_verify_inputs
>>> fx = Path("tests/fixtures/groth16/multiplier")
>>> vk, public, proof = (json.loads((fx / n).read_text()) for n in ("verification_key.json", "public.json",
...                                                                  "proof.json"))
>>> verify_parsed(*parse_verify_inputs(vk, public, proof)), verify_parsed(*parse_verify_inputs(vk, ["34"], proof))
(True, False)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zapiki.errors import CurveError

from .curve import G1Point, G2Point, g1_lincomb, g1_on_curve, g2_in_subgroup, g2_on_curve
from .fields import Q, R
from .pairing import pairing_check

__all__ = ["verify_parsed", "verify_with_checked_key"]


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
    """Verify parsed values: a verification key and a proof with the fields of :mod:`zapiki.formats`'
    ``VerificationKey`` and ``Groth16Proof`` (affine int coordinates, None for infinity), and the public signals
    as ints."""
    _check_vkey(vk)
    return verify_with_checked_key(vk, public, proof)


def verify_with_checked_key(vk: Any, public: Sequence[int], proof: Any) -> bool:  # noqa: ANN401
    """:func:`verify_parsed` for a verification key whose points were checked already (a proving key's own,
    checked when it was read): the proof and the public signals are checked, the key is not."""
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
