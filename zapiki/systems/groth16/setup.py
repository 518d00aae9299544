"""A development trusted setup from an ``.r1cs``: single party, NOT a ceremony.

The toxic waste (tau, alpha, beta, gamma, delta) comes from ``os.urandom`` and is dropped when the function
returns, but one process saw it: whoever ran the setup could forge proofs. Use it for development and tests;
production keys come from a multi-party ceremony (``snarkjs powersoftau`` + ``snarkjs zkey contribute``).

The key has snarkjs's layout, so ``snarkjs groth16 prove`` accepts it. With ``L_i`` the Lagrange basis of the
n-domain at tau (snarkjs's roots of unity) and ``u_j, v_j, w_j`` the A, B, C columns of wire j evaluated at tau
(A gains one extra row per public wire s, row ``nConstraints + s``, coefficient 1):

    A_j = u_j G1,  B1_j = v_j G1,  B2_j = v_j G2
    IC_j = (beta u_j + alpha v_j + w_j) / gamma G1   (j <= nPublic)
    C_j  = (beta u_j + alpha v_j + w_j) / delta G1   (j > nPublic)
    H_i  = L^(2n)_(2i+1)(tau) / delta G1             (odd Lagrange basis of the 2n-domain)

``vk_alphabeta_12`` is written as snarkjs writes it: ffjavascript's final exponentiation yields
``e(alpha1, beta2)^(2u(6u^2 + 3u + 1))``, not the reduced pairing itself (see :func:`snarkjs_alphabeta`).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numba import njit

from zapiki.errors import InputError
from zapiki.formats import BN254_R, R1CS, TERM_DTYPE, ZKey, read_r1cs, write_zkey, zkey_to_vkey
from zapiki.formats.binfile import load_bytes
from zapiki.formats.r1cs import read_r1cs_header
from zapiki.kernels import fq, fq12, fr, g1, g2, pairing
from zapiki.kernels.fr import fr_add, fr_mul
from zapiki.kernels.ntt import MAX_LOG_N, root_of_unity

__all__ = [
    "BN_U",
    "MAX_SETUP_WIRES",
    "SetupResult",
    "check_setup_size",
    "dev_setup_r1cs",
    "run_dev_setup",
    "snarkjs_alphabeta",
    "vkey_of",
]

#: The BN254 curve parameter u.
BN_U = 4965661367192848881
#: snarkjs's vk_alphabeta_12 is the reduced pairing to this power (its hard part of the final exponentiation).
ALPHABETA_POWER = 2 * BN_U * (6 * BN_U * BN_U + 3 * BN_U + 1) % BN254_R
#: The most wires a setup takes on, as many as the largest domain has points: a backstop against an r1cs
#: header that declares 2^32 wires (without a wire-to-label map, nothing in the file bounds nWires). The
#: platform's per-tier :class:`~zapiki.systems.groth16.limits.CircuitLimits` are far lower.
MAX_SETUP_WIRES = 1 << (MAX_LOG_N - 1)


@dataclass(frozen=True)
class SetupResult:
    """What a development setup produces."""

    zkey: ZKey
    zkey_bytes: bytes
    vkey: dict


def snarkjs_alphabeta(alpha1: tuple[int, int], beta2: tuple[tuple[int, int], tuple[int, int]]) -> list:
    """``vk_alphabeta_12`` as snarkjs computes it, 2 x 3 x 2 ints (the ``alphabeta`` hook of zkey_to_vkey)."""
    e = pairing.pairing(g1.from_ints([alpha1]), g2.from_ints([beta2]))
    vals = fq.to_ints(fq12.pow(e, ALPHABETA_POWER).reshape(-1, 4))
    # the (2, 3, 2) tower layout flattened: index 6 i + 2 j + c
    return [[[vals[6 * i + 2 * j], vals[6 * i + 2 * j + 1]] for j in range(3)] for i in range(2)]


def vkey_of(zkey: ZKey) -> dict:
    """``verification_key.json`` of a key, identical to ``snarkjs zkey export verificationkey``."""
    return zkey_to_vkey(zkey, alphabeta=snarkjs_alphabeta)


def _rand() -> int:
    while True:
        v = int.from_bytes(os.urandom(40), "little") % BN254_R
        if v > 1:
            return v


@njit(cache=True, nogil=True)
def _scatter(sig: np.ndarray, row: np.ndarray, val: np.ndarray, lag: np.ndarray, out: np.ndarray) -> None:
    """out[sig[t]] += val[t] * lag[row[t]] (Montgomery)."""
    for t in range(sig.shape[0]):
        s = sig[t]
        r = row[t]
        p = fr_mul((val[t, 0], val[t, 1], val[t, 2], val[t, 3]), (lag[r, 0], lag[r, 1], lag[r, 2], lag[r, 3]))
        out[s, 0], out[s, 1], out[s, 2], out[s, 3] = fr_add((out[s, 0], out[s, 1], out[s, 2], out[s, 3]), p)


def _lagrange(tau: int, log_n: int, odd_of_double: bool) -> np.ndarray:
    """L_i(tau) on the 2^log_n domain, or (odd_of_double) L^(2n)_(2i+1)(tau) on the 2n-domain; Montgomery."""
    n = 1 << log_n
    size = 2 * n if odd_of_double else n
    omega = root_of_unity(size.bit_length() - 1)
    pts = [pow(omega, 2 * i + 1 if odd_of_double else i, BN254_R) for i in range(n)]
    x = fr.from_ints(pts)
    inv = fr.inverse(fr.sub(fr.from_ints([tau]), x))
    zt = (pow(tau, size, BN254_R) - 1) * pow(size, -1, BN254_R) % BN254_R
    if zt == 0:
        raise InputError("setup: tau fell on the domain; run it again")
    return fr.mul(fr.mul(x, inv), fr.from_ints([zt]))


def _mul_gen(group: object, scalars_mont: np.ndarray, pool: ThreadPoolExecutor) -> np.ndarray:
    """[k_i] G for Montgomery scalars, affine, in chunks across the pool (the kernel releases the GIL)."""
    ks = fr.from_montgomery(scalars_mont).reshape(-1, 4)
    n = ks.shape[0]
    if n == 0:
        return group.infinity(0, jacobian=False)
    gen = group.to_jacobian(group.generator())
    step = max(256, -(-n // (4 * (os.cpu_count() or 1))))

    def part(a: int, b: int) -> np.ndarray:
        return group.to_affine(group.scalar_mul(np.repeat(gen, b - a, 0), ks[a:b]))

    parts = [pool.submit(part, a, min(n, a + step)) for a in range(0, n, step)]
    return np.concatenate([p.result() for p in parts])


def check_setup_size(n_constraints: int, n_public: int, n_wires: int) -> int:
    """``log2`` of the setup's domain for these counts; :class:`InputError` when the domain or the wire count is
    above what a setup supports (2^(MAX_LOG_N - 1) each). Checked before anything is sized by the counts.

    >>> check_setup_size(64_800, 2, 64_803)
    16
    """
    log_n = max(1, (n_constraints + n_public).bit_length())  # smallest 2^k >= n_constraints + n_public + 1
    if log_n >= MAX_LOG_N:
        raise InputError(
            f"setup: {n_constraints} constraints and {n_public} public signals need a domain of 2^{log_n}, "
            f"above the supported 2^{MAX_LOG_N - 1}"
        )
    if n_wires > MAX_SETUP_WIRES:
        raise InputError(f"setup: {n_wires} wires (nWires), above the supported {MAX_SETUP_WIRES}")
    return log_n


def dev_setup_r1cs(r1cs: R1CS) -> SetupResult:
    """Single-party development setup for a parsed r1cs (see the module docstring: NOT a ceremony)."""
    if r1cs.prime != BN254_R:
        raise InputError("setup: the r1cs is not over BN254's scalar field")
    n_pub, n_vars, n_c = r1cs.n_public, r1cs.n_wires, r1cs.n_constraints
    log_n = check_setup_size(n_c, n_pub, n_vars)  # before anything is allocated
    n = 1 << log_n
    tau, alpha, beta, gamma, delta = (_rand() for _ in range(5))

    terms = r1cs.terms
    extra = np.zeros(n_pub + 1, dtype=TERM_DTYPE)
    extra["matrix"] = 0
    extra["row"] = n_c + np.arange(n_pub + 1)
    extra["signal"] = np.arange(n_pub + 1)
    extra["value"][:, 0] = 1
    all_terms = np.concatenate([terms, extra])
    lag = _lagrange(tau, log_n, odd_of_double=False)
    uvw = np.zeros((3, n_vars, 4), dtype=np.uint64)
    for m in range(3):
        sel = all_terms[all_terms["matrix"] == m]
        vals = fr.to_montgomery(np.ascontiguousarray(sel["value"], dtype=np.uint64).reshape(-1, 4))
        _scatter(np.ascontiguousarray(sel["signal"], dtype=np.int64), np.ascontiguousarray(sel["row"], dtype=np.int64),
                 vals, lag, uvw[m])  # fmt: skip
    u, v, w = uvw
    k = fr.from_ints([alpha, beta, pow(gamma, -1, BN254_R), pow(delta, -1, BN254_R)])
    # beta u + alpha v + w
    lin = fr.add(fr.add(fr.mul(u, k[1]), fr.mul(v, k[0])), w)
    ic_s = fr.mul(lin[: n_pub + 1], k[2])
    c_s = fr.mul(lin[n_pub + 1 :], k[3])
    h_s = fr.mul(_lagrange(tau, log_n, odd_of_double=True), k[3])

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        heads = fr.from_ints([alpha, beta, delta])
        g1_heads = _mul_gen(g1, heads, pool)
        g2_heads = _mul_gen(g2, fr.from_ints([beta, gamma, delta]), pool)
        a_pts = _mul_gen(g1, u, pool)
        b1_pts = _mul_gen(g1, v, pool)
        b2_pts = _mul_gen(g2, v, pool)
        c_pts = _mul_gen(g1, c_s, pool)
        ic_pts = _mul_gen(g1, ic_s, pool)
        h_pts = _mul_gen(g1, h_s, pool)

    # coefficients: A and B terms, values double Montgomery (v R^2)
    ab = all_terms[all_terms["matrix"] < 2].copy()
    ab["value"] = fr.to_montgomery(fr.to_montgomery(np.ascontiguousarray(ab["value"], dtype=np.uint64)))
    zkey = ZKey(
        n_vars=n_vars, n_public=n_pub, domain_size=n,
        alpha1=g1_heads[0], beta1=g1_heads[1], beta2=g2_heads[0], gamma2=g2_heads[1], delta1=g1_heads[2],
        delta2=g2_heads[2], ic=ic_pts, coeffs=ab, a=a_pts, b1=b1_pts, b2=b2_pts, c=c_pts, h=h_pts,
    )  # fmt: skip
    del tau, alpha, beta, gamma, delta, k, lag, uvw, u, v, w, lin
    data = write_zkey(zkey)
    return SetupResult(zkey=zkey, zkey_bytes=data, vkey=vkey_of(zkey))


def run_dev_setup(r1cs: bytes | str | os.PathLike) -> SetupResult:
    """Single-party development setup from ``.r1cs`` bytes or a path: NOT a ceremony (see the module docstring).

    The header's counts are checked (:func:`check_setup_size`) before the constraints are parsed."""
    data = load_bytes(r1cs)
    header = read_r1cs_header(data)
    check_setup_size(header.n_constraints, header.n_public, header.n_wires)
    return dev_setup_r1cs(read_r1cs(data))
