"""The Groth16 prover, snarkjs's algorithm on the numba kernels.

    pi_a = alpha1 + sum w_i A_i + r delta1
    pi_b = beta2 + sum w_i B2_i + s delta2                          (G2)
    B1   = beta1 + sum w_i B1_i + s delta1
    pi_c = sum_{i > nPublic} w_i C_i + sum_j h_j H_j + s pi_a + r B1 - r s delta1

with r, s uniformly random in Fr and h from :mod:`.witness_map`. The five MSMs run in a thread pool (the
kernels release the GIL), overlapping the NTTs and, on machines with many cores, each other
(:func:`msm_concurrency`); scalars 0 and 1 are cheap inside the MSM kernel.

The witness is checked before proving: its length, range and constant-one wire against the key, and, when the
circuit's ``.r1cs`` is given, every constraint (the first failing one is named). A ``.zkey`` alone does not
hold the C matrix, so without the r1cs the finished proof is verified against the key instead (a few
milliseconds) and an unsatisfied witness is reported without the constraint's index.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from zapiki import native
from zapiki.bn254py.curve import G1Point, G2Point, g1_from_jacobian, g1_lincomb, g2_from_jacobian, g2_lincomb
from zapiki.errors import WitnessError
from zapiki.formats import BN254_Q, BN254_R, R1CS, Groth16Proof, check_witness, proof_to_json
from zapiki.formats.field import from_montgomery, limbs_to_ints
from zapiki.native import msm as native_msm

from .keys import ProvingKey
from .witness_map import coset_evaluations, evaluate_ab, first_unsatisfied, h_scalars

__all__ = ["Proof", "check_constraints", "msm", "msm_concurrency", "prove"]


@dataclass
class Proof:
    """A proof with its public signals; ``timings`` holds seconds per stage."""

    proof: Groth16Proof
    public: list[int]
    timings: dict[str, float] = field(default_factory=dict)

    def proof_json(self) -> dict:
        """``proof.json`` as snarkjs writes it."""
        return proof_to_json(self.proof)

    def public_json(self) -> list[str]:
        """``public.json``: decimal strings."""
        return [str(v) for v in self.public]


def check_constraints(r1cs: R1CS, pk: ProvingKey | None, witness: np.ndarray) -> None:
    """Raise :class:`WitnessError` naming the first constraint of ``r1cs`` the witness does not satisfy."""
    if pk is not None and (r1cs.n_wires != pk.n_vars or r1cs.n_public != pk.n_public):
        raise WitnessError(
            f"the r1cs ({r1cs.n_wires} wires, {r1cs.n_public} public) does not belong to the proving key "
            f"({pk.n_vars} variables, {pk.n_public} public)"
        )
    if witness.shape[0] != r1cs.n_wires:
        raise WitnessError(f"witness has {witness.shape[0]} values but the r1cs has {r1cs.n_wires} wires")
    bad = first_unsatisfied(r1cs, witness)
    if bad is not None:
        raise WitnessError(
            f"the witness does not satisfy constraint {bad} (of {r1cs.n_constraints}, counting from 0): "
            "<A,w> * <B,w> != <C,w>"
        )


def _g1_affine(jac: np.ndarray) -> G1Point:
    """A Jacobian G1 point ``(1, 3, 4)`` of the kernels (Montgomery) as plain affine ints, None for infinity."""
    return g1_from_jacobian(*(from_montgomery(v, BN254_Q) for v in limbs_to_ints(jac.reshape(3, 4))))


def _g2_affine(jac: np.ndarray) -> G2Point:
    """A Jacobian G2 point ``(1, 3, 2, 4)`` of the kernels as plain affine ints, None for infinity."""
    c = [from_montgomery(v, BN254_Q) for v in limbs_to_ints(jac.reshape(6, 4))]
    return g2_from_jacobian((c[0], c[1]), (c[2], c[3]), (c[4], c[5]))


def prove(
    pk: ProvingKey,
    witness: np.ndarray,
    *,
    r1cs: R1CS | None = None,
    self_check: bool = True,
    pool: ThreadPoolExecutor | None = None,
    checkpoint: Callable[[], None] | None = None,
    rs: tuple[int, int] | None = None,
) -> Proof:
    """Prove with the parsed key ``pk`` and a plain ``(n_vars, 4)`` limb witness.

    ``r1cs``: check every constraint first (names the first failing one). ``self_check``: verify the proof
    against the key before returning it (catches an unsatisfied witness when no r1cs is given).
    ``pool``: where the MSMs run (default: :func:`msm_concurrency` threads; the NTTs overlap them in this
    thread). ``checkpoint`` is called between stages (the job platform's deadline check). ``rs`` fixes the blinding
    scalars (tests only). Raises :class:`WitnessError` for a witness that does not fit or does not satisfy.
    """
    tick = checkpoint or (lambda: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    w = np.require(witness, dtype=np.uint64, requirements=["C", "W"])  # the compiled kernels take writable arrays
    check_witness(pk.zkey, w)
    if r1cs is not None:
        check_constraints(r1cs, pk, w)
    timings["check"] = time.perf_counter() - t0
    tick()

    own_pool = pool is None
    pool = pool or ThreadPoolExecutor(max_workers=msm_concurrency(), thread_name_prefix="groth16")
    try:
        zk = pk.zkey
        n_pub = pk.n_public
        # the four witness MSMs do not depend on h: start them first
        t = time.perf_counter()
        futs = {
            "msm_a": pool.submit(_timed, msm, zk.a, w),
            "msm_b1": pool.submit(_timed, msm, zk.b1, w),
            "msm_b2": pool.submit(_timed, msm, zk.b2, w),
            "msm_c": pool.submit(_timed, msm, zk.c, w[n_pub + 1 :]),
        }
        a, b, c = evaluate_ab(pk, w)
        timings["witness_map"] = time.perf_counter() - t
        tick()
        t = time.perf_counter()
        a, b, c = coset_evaluations(a, b, c)
        timings["ntt"] = time.perf_counter() - t
        t = time.perf_counter()
        h = h_scalars(a, b, c)
        del a, b, c
        futs["msm_h"] = pool.submit(_timed, msm, zk.h, h)
        timings["h"] = time.perf_counter() - t
        tick()
        sums = {}
        for name, fut in futs.items():
            sums[name], timings[name] = fut.result()
        timings["msm_wall"] = time.perf_counter() - t0 - timings["check"] - timings["witness_map"] - timings["ntt"]
    finally:
        if own_pool:
            pool.shutdown(wait=False)
    tick()

    t = time.perf_counter()
    # the constant-size end on Python ints (zapiki.bn254py): a few milliseconds, and no curve kernel to load
    r, s = rs if rs is not None else (_random_scalar(), _random_scalar())
    a_sum, b1_sum, c_sum, h_sum = (_g1_affine(sums[k]) for k in ("msm_a", "msm_b1", "msm_c", "msm_h"))
    vk, delta1 = pk.vkey, pk.delta1
    pi_a = g1_lincomb([a_sum, vk.alpha1, delta1], [1, 1, r])
    pi_b = g2_lincomb([_g2_affine(sums["msm_b2"]), vk.beta2, vk.delta2], [1, 1, s])
    b1 = g1_lincomb([b1_sum, pk.beta1, delta1], [1, 1, s])
    pi_c = g1_lincomb([c_sum, h_sum, pi_a, b1, delta1], [1, 1, s, r, -r * s % BN254_R])
    proof = Proof(Groth16Proof(pi_a, pi_b, pi_c), limbs_to_ints(w[1 : n_pub + 1]), timings)
    timings["assemble"] = time.perf_counter() - t

    if self_check:
        from .verifier import verify_with_key

        t = time.perf_counter()
        ok = verify_with_key(pk, proof.proof, proof.public)
        timings["self_check"] = time.perf_counter() - t
        if not ok:
            raise WitnessError(
                "the witness does not satisfy the circuit's constraints (the proof it gives does not verify); "
                "give the circuit's .r1cs to name the first failing constraint"
            )
    timings["total"] = time.perf_counter() - t0
    return proof


def msm_concurrency() -> int:
    """How many MSMs run at once: each MSM already spreads its windows over numba's threads, so on a few cores
    running them one after another is as fast and keeps ~20 MB of bucket buffers per MSM off the peak; many
    cores are filled better by overlapping them. ``ZAPIKI_MSM_CONCURRENCY`` overrides."""
    env = os.environ.get("ZAPIKI_MSM_CONCURRENCY", "")
    if env.isdigit() and int(env) > 0:
        return min(5, int(env))
    cpus = os.cpu_count() or 1
    return 1 if cpus <= 4 else min(5, cpus // 4)


def msm(points: np.ndarray, scalars: np.ndarray) -> np.ndarray:
    """The MSM on the compiled kernels where built (:mod:`zapiki.native`: no numba in this process), else on
    numba's; the same result either way."""
    compiled = native.module()
    if compiled is not None:
        return native_msm.msm(points, scalars, compiled, native.threads())
    from zapiki.kernels import msm as jit_msm

    return jit_msm(points, scalars)


def _timed(fn: Callable, *args: object) -> tuple[object, float]:
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def _random_scalar() -> int:
    """Uniform in [1, r)."""
    return 1 + secrets.randbelow(BN254_R - 1)
