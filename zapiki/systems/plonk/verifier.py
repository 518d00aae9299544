"""PLONK verification on Python ints, answering as ``snarkjs plonk verify`` (0.7.6) does.

The algorithm is snarkjs's (the PLONK paper, eprint 2019/953, with its Keccak-256 transcript,
:mod:`zapiki.systems.plonk.transcript`): the challenges beta, gamma, alpha, xi, v and u; the Lagrange values
L_i(xi) for i = 1..max(1, nPublic); PI(xi); r0; the commitments D, F and E; and the pairing check
``e(-(Wxi + u Wxiw), X_2) e(xi Wxi + u xi w Wxiw + F - E, G2) == 1``. D, F, E and the second pairing's point are
one multi-scalar multiplication here.

Answers:

* ``True`` for a valid proof;
* ``False`` for a well-formed proof that is invalid: a wrong public signal or evaluation, a public signal or
  evaluation ``>= r``, a proof coordinate ``>= q``, a commitment off the curve, the wrong number of public
  signals;
* :class:`~zapiki.errors.FormatError` naming the field for malformed JSON (a missing field, a number that is
  not a decimal string, a wrong shape, a point with ``z`` other than ``1`` that is not ``["0", "1", "0"]``, a
  verification-key number out of range);
* :class:`~zapiki.errors.CurveError` naming the field for a verification key point off its curve, or ``X_2``
  outside G2.

Where zapiki is stricter than snarkjs: snarkjs reduces an evaluation or coordinate given ``>= r`` (``>= q``)
modulo r (q) and may accept it; zapiki answers False, so that a proof has one encoding (as for Groth16). snarkjs
reads projective ``z`` values; zapiki accepts the affine form snarkjs writes. snarkjs ignores the key's ``w``;
so does zapiki (the root of unity is computed from ``power``).

>>> g1, g2 = ["1", "2", "1"], [[str(c) for c in xy] for xy in G2_GEN] + [["1", "0"]]
>>> vk = {"protocol": "plonk", "curve": "bn128", "nPublic": 1, "power": 3, "k1": "2", "k2": "3", "X_2": g2,
...       **{k: g1 for k in ("Qm", "Ql", "Qr", "Qo", "Qc", "S1", "S2", "S3")}}
>>> proof = {**{k: g1 for k in ("A", "B", "C", "Z", "T1", "T2", "T3", "Wxi", "Wxiw")},
...          **{k: "0" for k in ("eval_a", "eval_b", "eval_c", "eval_s1", "eval_s2", "eval_zw")}}
>>> verify(vk, ["33"], proof), verify(vk, [], proof), verify(vk, ["33"], {**proof, "eval_a": str(R)})
(False, False, False)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zapiki.bn254py.curve import G1_GEN, G2_GEN, G1Point, G2Point, g1_lincomb, g1_on_curve, g2_in_subgroup, g2_on_curve
from zapiki.bn254py.fields import Q, R
from zapiki.bn254py.pairing import pairing_check
from zapiki.errors import CurveError, FormatError
from zapiki.formats.snarkjs_json import (
    check_tags,
    parse_decimal,
    parse_g1,
    parse_g2,
    require_field,
    require_list,
    require_object,
)

from .transcript import Transcript

__all__ = [
    "Challenges",
    "PlonkProof",
    "PlonkVerificationKey",
    "compute_challenges",
    "parse_proof",
    "parse_vkey",
    "root_of_unity",
    "verify",
]

_TWO_ADICITY = 28  # r - 1 = 2^28 t, t odd
_VK_POINTS = ("Qm", "Ql", "Qr", "Qo", "Qc", "S1", "S2", "S3")
_PROOF_POINTS = ("A", "B", "C", "Z", "T1", "T2", "T3", "Wxi", "Wxiw")
_PROOF_EVALS = ("eval_a", "eval_b", "eval_c", "eval_s1", "eval_s2", "eval_zw")


def _smallest_non_residue() -> int:
    n = 2
    while pow(n, (R - 1) // 2, R) != R - 1:
        n += 1
    return n


_ROOTS = [pow(_smallest_non_residue(), (R - 1) >> _TWO_ADICITY, R)]  # ffjavascript's Fr.w[28], then w[27], ...
for _ in range(_TWO_ADICITY):
    _ROOTS.append(_ROOTS[-1] * _ROOTS[-1] % R)
_ROOTS.reverse()


def root_of_unity(power: int) -> int:
    """ffjavascript's ``Fr.w[power]``: the generator of the 2^power-th roots of unity that snarkjs uses
    (``(5^t)^(2^(28 - power))`` with ``r - 1 = 2^28 t``).

    >>> root_of_unity(0), root_of_unity(1) == R - 1, pow(root_of_unity(3), 8, R), pow(root_of_unity(3), 4, R) != 1
    (1, True, 1, True)
    """
    return _ROOTS[power]


@dataclass(frozen=True)
class PlonkVerificationKey:
    """A PLONK ``verification_key.json``: selector and permutation commitments (G1, affine, None = infinity),
    ``k1``/``k2`` (the cosets' shifts), ``x2`` = [tau] G2, the domain's ``power`` (size 2^power)."""

    n_public: int
    power: int
    k1: int
    k2: int
    qm: G1Point
    ql: G1Point
    qr: G1Point
    qo: G1Point
    qc: G1Point
    s1: G1Point
    s2: G1Point
    s3: G1Point
    x2: G2Point


@dataclass(frozen=True)
class PlonkProof:
    """A PLONK ``proof.json`` as numbers: the commitments (G1, affine, None = infinity) and the evaluations.
    Parsing does not reduce: a coordinate may be ``>= q`` and an evaluation ``>= r`` (:func:`verify` answers
    False for those)."""

    a: G1Point
    b: G1Point
    c: G1Point
    z: G1Point
    t1: G1Point
    t2: G1Point
    t3: G1Point
    wxi: G1Point
    wxiw: G1Point
    eval_a: int
    eval_b: int
    eval_c: int
    eval_s1: int
    eval_s2: int
    eval_zw: int


@dataclass(frozen=True)
class Challenges:
    """The Fiat-Shamir challenges of a PLONK proof; ``v`` holds v^1..v^5."""

    beta: int
    gamma: int
    alpha: int
    xi: int
    v: tuple[int, int, int, int, int]
    u: int


# --- parsing --------------------------------------------------------------------------------------------------


def _g1(value: Any, where: str, check_range: bool) -> G1Point:  # noqa: ANN401
    """``[x, y, "1"]`` or ``["0", "1", "0"]``, ``(0, 0)`` read as infinity too (as snarkjs does); with
    ``check_range=False`` x, y are not reduced or range-checked (the caller decides what ``>= q`` means)."""
    p = parse_g1(value, where, check_range)
    return None if p == (0, 0) else p


def _g2(value: Any, where: str) -> G2Point:  # noqa: ANN401
    p = parse_g2(value, where)
    return None if p == ((0, 0), (0, 0)) else p


def _small_int(vk: Mapping, key: str, what: str, top: int) -> int:
    value = require_field(vk, key, what)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
        raise FormatError(f"{what}: {key} must be an integer from 0 to {top}, got {value!r}")
    return value


def parse_vkey(obj: Mapping) -> PlonkVerificationKey:
    """Validate a decoded PLONK ``verification_key.json`` (FormatError or CurveError naming the field).

    >>> parse_vkey({"protocol": "groth16"})
    Traceback (most recent call last):
    ...
    zapiki.errors.FormatError: verification_key.json: unsupported protocol 'groth16' (expected 'plonk')
    """
    what = "verification_key.json"
    vk = require_object(obj, what)
    check_tags(vk, what, required=True, protocol="plonk")
    n_public = _small_int(vk, "nPublic", what, (1 << 32) - 1)
    power = _small_int(vk, "power", what, _TWO_ADICITY)
    k1, k2 = (parse_decimal(require_field(vk, k, what), f"{what} {k}", R, "r") for k in ("k1", "k2"))
    points = {}
    for key in _VK_POINTS:
        where = f"{what} {key}"
        p = _g1(require_field(vk, key, what), where, check_range=True)
        if not g1_on_curve(p):
            raise CurveError(f"{where}: the point is not on the curve")
        points[key.lower()] = p
    x2 = _g2(require_field(vk, "X_2", what), f"{what} X_2")
    if not g2_on_curve(x2):
        raise CurveError(f"{what} X_2: the point is not on the curve")
    if not g2_in_subgroup(x2):
        raise CurveError(f"{what} X_2: the point is not in the prime-order subgroup")
    return PlonkVerificationKey(n_public=n_public, power=power, k1=k1, k2=k2, x2=x2, **points)


def parse_proof(obj: Mapping) -> PlonkProof:
    """Validate the shape of a decoded PLONK ``proof.json`` (FormatError naming the field); numbers are not
    reduced or range-checked, points not checked against the curve: :func:`verify` answers False for those.

    >>> parse_proof({"A": ["1", "2", "1"]})
    Traceback (most recent call last):
    ...
    zapiki.errors.FormatError: proof.json: missing field 'B'
    """
    what = "proof.json"
    proof = require_object(obj, what)
    check_tags(proof, what, required=False, protocol="plonk")
    points = [_g1(require_field(proof, key, what), f"{what} {key}", check_range=False) for key in _PROOF_POINTS]
    evals = [parse_decimal(require_field(proof, key, what), f"{what} {key}") for key in _PROOF_EVALS]
    return PlonkProof(*points, *evals)


def _parse_public(obj: Any) -> list[int]:  # noqa: ANN401
    """``public.json``'s decimal strings, not reduced (:func:`verify` answers False for a value ``>= r``)."""
    return [parse_decimal(v, f"public.json[{i}]") for i, v in enumerate(require_list(obj, "public.json"))]


# --- the verifier ----------------------------------------------------------------------------------------------


def compute_challenges(vk: PlonkVerificationKey, public: Sequence[int], proof: PlonkProof) -> Challenges:
    """beta, gamma, alpha, xi, v and u, in snarkjs's order: each round starts a fresh transcript from the
    previous round's challenges.

    >>> g1 = (1, 2)
    >>> vk = PlonkVerificationKey(0, 3, 2, 3, *[g1] * 8, G2_GEN)
    >>> ch = compute_challenges(vk, [], PlonkProof(*[g1] * 9, *[0] * 6))
    >>> ch.v[1] == ch.v[0] ** 2 % R, 0 < ch.u < R
    (True, True)
    """
    t = Transcript()
    for p in (vk.qm, vk.ql, vk.qr, vk.qo, vk.qc, vk.s1, vk.s2, vk.s3):
        t.add_point(p)
    for s in public:
        t.add_scalar(s)
    for p in (proof.a, proof.b, proof.c):
        t.add_point(p)
    beta = t.challenge()

    t.reset()
    t.add_scalar(beta)
    gamma = t.challenge()

    t.reset()
    t.add_scalar(beta)
    t.add_scalar(gamma)
    t.add_point(proof.z)
    alpha = t.challenge()

    t.reset()
    t.add_scalar(alpha)
    for p in (proof.t1, proof.t2, proof.t3):
        t.add_point(p)
    xi = t.challenge()

    t.reset()
    t.add_scalar(xi)
    for s in (proof.eval_a, proof.eval_b, proof.eval_c, proof.eval_s1, proof.eval_s2, proof.eval_zw):
        t.add_scalar(s)
    v1 = t.challenge()
    v = [v1]
    for _ in range(4):
        v.append(v[-1] * v1 % R)

    t.reset()
    t.add_point(proof.wxi)
    t.add_point(proof.wxiw)
    u = t.challenge()
    return Challenges(beta, gamma, alpha, xi, (v[0], v[1], v[2], v[3], v[4]), u)


def _proof_in_range(proof: PlonkProof) -> bool:
    """Every coordinate < q, every commitment on the curve (G1's cofactor is 1), every evaluation < r."""
    for p in (proof.a, proof.b, proof.c, proof.z, proof.t1, proof.t2, proof.t3, proof.wxi, proof.wxiw):
        if p is not None and (p[0] >= Q or p[1] >= Q or not g1_on_curve(p)):
            return False
    evals = (proof.eval_a, proof.eval_b, proof.eval_c, proof.eval_s1, proof.eval_s2, proof.eval_zw)
    return all(e < R for e in evals)


def _verify_parsed(vk: PlonkVerificationKey, public: Sequence[int], proof: PlonkProof) -> bool:
    if not _proof_in_range(proof) or len(public) != vk.n_public or any(s >= R for s in public):
        return False
    ch = compute_challenges(vk, public, proof)
    beta, gamma, alpha, xi, u = ch.beta, ch.gamma, ch.alpha, ch.xi, ch.u
    v1, v2, v3, v4, v5 = ch.v
    a, b, c = proof.eval_a, proof.eval_b, proof.eval_c
    s1, s2, zw = proof.eval_s1, proof.eval_s2, proof.eval_zw
    w = root_of_unity(vk.power)

    # Lagrange values L_i(xi) = w^(i-1) (xi^n - 1) / (n (xi - w^(i-1))), i = 1..max(1, nPublic)
    xin = pow(xi, 1 << vk.power, R)
    zh = (xin - 1) % R
    n = (1 << vk.power) % R
    nums, dens, wi = [], [], 1
    for _ in range(max(1, vk.n_public)):
        nums.append(wi * zh % R)
        dens.append(n * (xi - wi) % R)
        wi = wi * w % R
    if 0 in dens:  # xi is a root of unity of the domain: probability ~2^-250; snarkjs divides by zero
        return False
    lag = [num * pow(den, -1, R) % R for num, den in zip(nums, dens, strict=True)]
    l1 = lag[0]

    pi = -sum(s * li for s, li in zip(public, lag, strict=False)) % R
    alpha2 = alpha * alpha % R
    e3a = (a + beta * s1 + gamma) % R
    e3b = (b + beta * s2 + gamma) % R
    e3c = (c + gamma) % R
    r0 = (pi - l1 * alpha2 - e3a * e3b * e3c % R * zw % R * alpha) % R

    # D = ab Qm + a Ql + b Qr + c Qo + Qc + d2 Z - d3 S3 - zh (T1 + xin T2 + xin^2 T3)
    betaxi = beta * xi % R
    d2a = (a + betaxi + gamma) * (b + betaxi * vk.k1 + gamma) % R * (c + betaxi * vk.k2 + gamma) % R * alpha % R
    d2 = (d2a + l1 * alpha2 + u) % R
    d3 = e3a * e3b % R * (alpha * beta % R * zw % R) % R
    # E = e G1
    e = (-r0 + v1 * a + v2 * b + v3 * c + v4 * s1 + v5 * s2 + u * zw) % R

    # A1 = Wxi + u Wxiw; B1 = xi Wxi + u xi w Wxiw + F - E with F = D + v1 A + v2 B + v3 C + v4 S1 + v5 S2
    a1 = g1_lincomb([proof.wxi, proof.wxiw], [1, u])
    points = [vk.qm, vk.ql, vk.qr, vk.qo, vk.qc, proof.z, vk.s3, proof.t1, proof.t2, proof.t3]
    scalars = [a * b % R, a, b, c, 1, d2, -d3 % R, -zh % R, -zh * xin % R, -zh * xin % R * xin % R]
    points += [proof.a, proof.b, proof.c, vk.s1, vk.s2, G1_GEN, proof.wxi, proof.wxiw]
    scalars += [v1, v2, v3, v4, v5, -e % R, xi, u * xi % R * w % R]
    b1 = g1_lincomb(points, scalars)
    neg_a1 = None if a1 is None else (a1[0], -a1[1] % Q)
    return pairing_check([(neg_a1, vk.x2), (b1, G2_GEN)])


def verify(vkey: Mapping, public_signals: Sequence, proof: Mapping) -> bool:
    """Verify a PLONK proof given as snarkjs's decoded JSON (``verification_key.json``, ``public.json``,
    ``proof.json``): True, False for an invalid proof, FormatError/CurveError naming the field for malformed
    input (see the module's description).

    >>> verify({"protocol": "plonk", "curve": "bn128"}, [], {})
    Traceback (most recent call last):
    ...
    zapiki.errors.FormatError: verification_key.json: missing field 'nPublic'
    """
    vk = parse_vkey(vkey)
    public = _parse_public(public_signals)
    return _verify_parsed(vk, public, parse_proof(proof))
