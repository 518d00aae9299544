"""Groth16 verification: ``e(pi_a, pi_b) = e(alpha1, beta2) * e(vk_x, gamma2) * e(pi_c, delta2)``.

Checked as one multi-pairing ``e(-pi_a, pi_b) e(alpha1, beta2) e(vk_x, gamma2) e(pi_c, delta2) == 1`` with
``vk_x = IC_0 + sum x_i IC_i``. An invalid proof gives ``False``: a wrong public signal, a signal ``>= r``,
the wrong number of signals, a coordinate ``>= q``, a proof point off its curve or (pi_b) outside G2.
Malformed JSON (wrong shapes, non-numbers) and a malformed verification key raise
:class:`~zapiki.errors.InputError` (:class:`~zapiki.errors.FormatError` / :class:`~zapiki.errors.CurveError`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from zapiki.formats import BN254_Q, BN254_R, Groth16Proof, VerificationKey, parse_verify_inputs

from .keys import ProvingKey

__all__ = ["verify", "verify_parsed", "verify_with_key"]

#: Up to this many public signals vk_x is summed from scalar multiplications rather than an MSM.
_SMALL = 32


def _plain_limbs(values: Sequence[int]) -> np.ndarray:
    data = b"".join(int(v).to_bytes(32, "little") for v in values)
    return np.frombuffer(data, dtype="<u8").astype(np.uint64).reshape(-1, 4)


def verify(vkey: Mapping | str | bytes, public: Sequence | str | bytes, proof: Mapping | str | bytes) -> bool:
    """Verify snarkjs JSON (decoded objects or their text): ``verification_key.json``, ``public.json``,
    ``proof.json``. False for an invalid proof; InputError for malformed input (see the module docstring)."""
    parsed = parse_verify_inputs(vkey, public, proof)
    return parsed is not None and verify_parsed(*parsed)


def _vkey_arrays(vk: VerificationKey) -> tuple[np.ndarray, ...]:
    from zapiki.kernels import g1, g2

    alpha1 = g1.from_ints([vk.alpha1])
    ic = g1.from_ints(list(vk.ic))
    g2s = g2.from_ints([vk.beta2, vk.gamma2, vk.delta2])
    g1.validate(np.concatenate([alpha1, ic]))
    g2.validate(g2s)
    return alpha1, ic, g2s


def verify_parsed(vk: VerificationKey, public: Sequence[int], proof: Groth16Proof) -> bool:
    """Verify parsed values (public signals as ints)."""
    alpha1, ic, g2s = _vkey_arrays(vk)
    return _check(alpha1, ic, g2s[0:1], g2s[1:2], g2s[2:3], public, proof)


def verify_with_key(pk: ProvingKey, proof: Groth16Proof, public: Sequence[int]) -> bool:
    """Verify against a proving key's own points (the prover's self-check): on Python ints (about 15 ms, and
    no pairing kernel to load) unless vk_x needs an MSM (more than a few public signals)."""
    if len(public) <= _SMALL:
        from zapiki.bn254py.groth16 import verify_with_checked_key

        return verify_with_checked_key(pk.vkey, public, proof)
    zk = pk.zkey
    b2 = np.stack([zk.beta2, zk.gamma2, zk.delta2])
    return _check(zk.alpha1[None], zk.ic, b2[0:1], b2[1:2], b2[2:3], public, proof)


def _check(
    alpha1: np.ndarray, ic: np.ndarray, beta2: np.ndarray, gamma2: np.ndarray, delta2: np.ndarray,
    public: Sequence[int], proof: Groth16Proof,
) -> bool:  # fmt: skip
    from zapiki.kernels import g1, g2, msm, pairing_check  # numba's kernels: the self-check on ints needs none

    if len(public) != ic.shape[0] - 1 or any(not 0 <= int(x) < BN254_R for x in public):
        return False
    if any(not 0 <= c < BN254_Q for p in (proof.a, proof.c) if p is not None for c in p):
        return False
    if proof.b is not None and any(not 0 <= c < BN254_Q for xy in proof.b for c in xy):
        return False
    ac = g1.from_ints([proof.a, proof.c])
    b = g2.from_ints([proof.b])
    if not g1.on_curve(ac).all() or not g2.in_subgroup(b).all():
        return False
    # vk_x = IC_0 + sum x_i IC_i
    vk_x = g1.to_jacobian(ic[0:1])
    if len(public) > _SMALL:
        vk_x = g1.add(vk_x, msm(ic[1:], _plain_limbs(public)))
    elif len(public):  # a few scalar multiplications: no need to load the MSM kernels in a fresh process
        for term in g1.scalar_mul(g1.to_jacobian(ic[1:]), _plain_limbs(public)):
            vk_x = g1.add(vk_x, term[None])
    g1s = np.concatenate([g1.neg_affine(ac[0:1]), alpha1.reshape(1, 2, 4), g1.to_affine(vk_x), ac[1:2]])
    g2s = np.concatenate([b, beta2, gamma2, delta2])
    return pairing_check(g1s, g2s, validate=False)
