"""The PLONK prover on the numba engine, answering as ``snarkjs plonk prove`` (0.7.6) does.

The algorithm is the PLONK paper's (eprint 2019/953, section 8) in snarkjs's form, with its transcript
(:mod:`.transcript`), its blinding (11 scalars b1..b11) and its proof layout; n is the key's domain size.

* witness: wire 0 is set to 0 (snarkjs does: the constant wire is never used by a PLONK gate), then the key's
  additions extend it (``w[nVars_r1cs + i] = ca * w[a] + cb * w[b]``, in order);
* round 1: the wire values A, B, C on the n-domain; inverse NTTs give their coefficients, forward NTTs on the
  4n-domain their evaluations; the blinded polynomials ``a + (b2 + b1 X) Z_H`` (b, c likewise) are committed
  by three MSMs of n + 2 points (they run in a thread pool while the 4n-domain NTTs proceed);
* round 2: beta, gamma; the permutation grand product z on the n-domain (numerators and denominators in one
  parallel kernel, one batch inversion, one running product), its coefficients and 4n-domain evaluations,
  blinded with ``(b9 + b8 X + b7 X^2) Z_H``, committed (n + 3 points);
* round 3: alpha; the quotient on the 4n-domain, in one parallel kernel: every blinded factor is
  ``x + Z_H y`` with x the unblinded evaluation, and each product is split as ``P0 + Z_H P1``; P0 (degree
  < 4n) is interpolated and divided by ``Z_H = X^n - 1`` exactly (a non-zero remainder means the witness does
  not satisfy the circuit), P1 (degree <= 3n + 5) is interpolated and added. The result t is split into
  T1, T2, T3 with b10, b11 as snarkjs does and committed (n + 1, n + 1, n + 6 points);
* round 4: xi; a, b, c, s1, s2 at xi and z at xi omega (Horner);
* round 5: v; the linearisation polynomial r, the openings ``Wxi = (r + v a + v^2 b + ... - const)/(X - xi)``
  and ``Wxiw = (z - z(xi omega))/(X - xi omega)`` (synthetic division), committed (n + 5, n + 2 points).

Field elements are Montgomery limb arrays (:mod:`zapiki.kernels`); the kernels below release the GIL. The
polynomials are exactly snarkjs's for the same blinding scalars, so with ``blinding=`` fixed the proof is
byte-for-byte the one snarkjs (or the reference prover) gives.

>>> b = random_blinding()
>>> len(b) == N_BLINDING
True
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit, prange

from zapiki.errors import WitnessError
from zapiki.formats.moduli import BN254_R
from zapiki.formats.plonk_zkey import PlonkZKey
from zapiki.formats.snarkjs_json import g1_json as _g1_json
from zapiki.kernels import fr, g1, msm, ntt
from zapiki.kernels.field import v_lt_modulus
from zapiki.kernels.fr import P as FR_P
from zapiki.kernels.fr import fr_add, fr_mul, fr_sub
from zapiki.kernels.limbs import load, store

from .keys import load_plonk_key
from .transcript import Transcript

__all__ = ["N_BLINDING", "load_plonk_key", "prove", "random_blinding"]

#: snarkjs's blinding scalars b1..b11.
N_BLINDING = 11
_POINTS = ("A", "B", "C", "Z", "T1", "T2", "T3", "Wxi", "Wxiw")
_EVALS = ("eval_a", "eval_b", "eval_c", "eval_s1", "eval_s2", "eval_zw")
_ZERO = (np.uint64(0),) * 4


# --- kernels -----------------------------------------------------------------------------------------------------


@njit(cache=True)
def _ld3(arr: np.ndarray, k: int, i: int) -> tuple:
    return (arr[k, i, 0], arr[k, i, 1], arr[k, i, 2], arr[k, i, 3])


@njit(cache=True)
def _times(c0: tuple, rest: tuple, x: tuple, y: tuple, zh: tuple) -> tuple:
    """(c0 + zh rest)(x + zh y) = c0 x + zh (c0 y + rest (x + zh y)), as (c0 x, the zh part)."""
    return fr_mul(c0, x), fr_add(fr_mul(c0, y), fr_mul(rest, fr_add(x, fr_mul(zh, y))))


@njit(cache=True, nogil=True)
def _additions_into(
    full: np.ndarray, base: int, sa: np.ndarray, sb: np.ndarray, ca: np.ndarray, cb: np.ndarray
) -> None:
    """full[base + i] = ca[i] full[sa[i]] + cb[i] full[sb[i]], in order (an addition may use earlier ones)."""
    for i in range(sa.shape[0]):
        x = fr_mul(load(ca, i), load(full, sa[i]))
        y = fr_mul(load(cb, i), load(full, sb[i]))
        store(full, base + i, fr_add(x, y))


@njit(cache=True, nogil=True, parallel=True)
def _z_factors_into(
    abc: np.ndarray, polys: np.ndarray, xs: np.ndarray, cs: np.ndarray, num: np.ndarray, den: np.ndarray
) -> None:
    """Per row i of the n-domain (x = omega^i): num = (a + beta x + gamma)(b + k1 beta x + gamma)(c + k2 beta x +
    gamma), den = (a + beta s1 + gamma)(b + beta s2 + gamma)(c + beta s3 + gamma)."""
    n = abc.shape[1]
    beta, gamma, k1, k2 = load(cs, 0), load(cs, 1), load(cs, 4), load(cs, 5)
    for i in prange(n):
        a, b, c = _ld3(abc, 0, i), _ld3(abc, 1, i), _ld3(abc, 2, i)
        bx = fr_mul(beta, load(xs, 4 * i))
        n1 = fr_add(fr_add(a, bx), gamma)
        n2 = fr_add(fr_add(b, fr_mul(k1, bx)), gamma)
        n3 = fr_add(fr_add(c, fr_mul(k2, bx)), gamma)
        store(num, i, fr_mul(fr_mul(n1, n2), n3))
        d1 = fr_add(fr_add(a, fr_mul(beta, _ld3(polys, 5, n + 4 * i))), gamma)
        d2 = fr_add(fr_add(b, fr_mul(beta, _ld3(polys, 6, n + 4 * i))), gamma)
        d3 = fr_add(fr_add(c, fr_mul(beta, _ld3(polys, 7, n + 4 * i))), gamma)
        store(den, i, fr_mul(fr_mul(d1, d2), d3))


@njit(cache=True, nogil=True)
def _running_product_into(num: np.ndarray, inv_den: np.ndarray, one: tuple, z: np.ndarray) -> tuple:
    """z[0] = 1, z[i + 1] = z[i] num[i] / den[i]; returns the full product (1 when the copy constraints hold)."""
    acc = one
    n = num.shape[0]
    for i in range(n):
        store(z, i, acc)
        acc = fr_mul(acc, fr_mul(load(num, i), load(inv_den, i)))
    return acc


@njit(cache=True, nogil=True, parallel=True)
def _quotient_into(
    wires: np.ndarray,
    polys: np.ndarray,
    lag: np.ndarray,
    pub: np.ndarray,
    xs: np.ndarray,
    cs: np.ndarray,
    t_out: np.ndarray,
    tz_out: np.ndarray,
) -> None:
    """The quotient's numerator on the 4n-domain, split as ``P0 + Z_H P1`` (see the module docstring).

    wires: (4, 4n, 4) unblinded a, b, c, z evaluations; polys: the key's (8, 5n, 4) selectors and permutations
    (4n evaluations from row n); lag: the key's Lagrange polynomials likewise; pub: the public rows of A;
    xs: omega_4n^i; cs: beta, gamma, alpha, alpha^2, k1, k2, b1..b9, Z_H at omega_4n^0..3, one.
    """
    m = wires.shape[1]
    n = m // 4
    beta, gamma, alpha, alpha2 = load(cs, 0), load(cs, 1), load(cs, 2), load(cs, 3)
    k1, k2 = load(cs, 4), load(cs, 5)
    b1, b2, b3, b4, b5 = load(cs, 6), load(cs, 7), load(cs, 8), load(cs, 9), load(cs, 10)
    b6, b7, b8, b9 = load(cs, 11), load(cs, 12), load(cs, 13), load(cs, 14)
    one = load(cs, 19)
    for i in prange(m):
        x = load(xs, i)
        xw = load(xs, (i + 4) & (m - 1))
        zh = load(cs, 15 + (i & 3))
        a, b, c = _ld3(wires, 0, i), _ld3(wires, 1, i), _ld3(wires, 2, i)
        z, zw = _ld3(wires, 3, i), _ld3(wires, 3, (i + 4) & (m - 1))
        ap = fr_add(b2, fr_mul(b1, x))
        bp = fr_add(b4, fr_mul(b3, x))
        cp = fr_add(b6, fr_mul(b5, x))
        zp = fr_add(b9, fr_mul(x, fr_add(b8, fr_mul(b7, x))))
        zwp = fr_add(b9, fr_mul(xw, fr_add(b8, fr_mul(b7, xw))))
        j = n + i
        qm, ql, qr = _ld3(polys, 0, j), _ld3(polys, 1, j), _ld3(polys, 2, j)
        qo, qc = _ld3(polys, 3, j), _ld3(polys, 4, j)
        s1, s2, s3 = _ld3(polys, 5, j), _ld3(polys, 6, j), _ld3(polys, 7, j)
        # gates: qm ab + ql a + qr b + qo c + pi + qc
        ab, abz = _times(a, ap, b, bp, zh)
        e1 = fr_add(fr_add(fr_mul(qm, ab), fr_mul(ql, a)), fr_add(fr_add(fr_mul(qr, b), fr_mul(qo, c)), qc))
        for k in range(pub.shape[0]):
            e1 = fr_sub(e1, fr_mul(_ld3(lag, k, j), load(pub, k)))
        e1z = fr_add(fr_add(fr_mul(qm, abz), fr_mul(ql, ap)), fr_add(fr_mul(qr, bp), fr_mul(qo, cp)))
        # permutation: (a + beta x + gamma)(b + beta k1 x + gamma)(c + beta k2 x + gamma) z
        bx = fr_mul(beta, x)
        f1 = fr_add(fr_add(a, bx), gamma)
        f2 = fr_add(fr_add(b, fr_mul(k1, bx)), gamma)
        f3 = fr_add(fr_add(c, fr_mul(k2, bx)), gamma)
        p, pz = _times(f1, ap, f2, bp, zh)
        p, pz = _times(p, pz, f3, cp, zh)
        p, pz = _times(p, pz, z, zp, zh)
        # - (a + beta s1 + gamma)(b + beta s2 + gamma)(c + beta s3 + gamma) z(x omega)
        g1_ = fr_add(fr_add(a, fr_mul(beta, s1)), gamma)
        g2_ = fr_add(fr_add(b, fr_mul(beta, s2)), gamma)
        g3_ = fr_add(fr_add(c, fr_mul(beta, s3)), gamma)
        q, qz = _times(g1_, ap, g2_, bp, zh)
        q, qz = _times(q, qz, g3_, cp, zh)
        q, qz = _times(q, qz, zw, zwp, zh)
        # alpha^2 (z - 1) L1
        al = fr_mul(alpha2, _ld3(lag, 0, j))
        t = fr_add(fr_add(e1, fr_mul(alpha, fr_sub(p, q))), fr_mul(al, fr_sub(z, one)))
        tz = fr_add(fr_add(e1z, fr_mul(alpha, fr_sub(pz, qz))), fr_mul(al, zp))
        store(t_out, i, t)
        store(tz_out, i, tz)


@njit(cache=True, nogil=True, parallel=True)
def _axpy_into(out: np.ndarray, poly: np.ndarray, s: tuple) -> None:
    """out[j] += s poly[j] for j < len(poly)."""
    for j in prange(poly.shape[0]):
        store(out, j, fr_add(load(out, j), fr_mul(s, load(poly, j))))


@njit(cache=True, nogil=True)
def _horner(coefs: np.ndarray, x: tuple, out: np.ndarray, k: int) -> None:
    """out[k] = sum_j coefs[j] x^j."""
    acc = (np.uint64(0), np.uint64(0), np.uint64(0), np.uint64(0))
    for j in range(coefs.shape[0] - 1, -1, -1):
        acc = fr_add(fr_mul(acc, x), load(coefs, j))
    store(out, k, acc)


@njit(cache=True, nogil=True)
def _div_linear_into(p: np.ndarray, x: tuple, q: np.ndarray) -> tuple:
    """q = p / (X - x) by synthetic division (q has len(p) - 1 rows); returns the remainder p(x)."""
    acc = (np.uint64(0), np.uint64(0), np.uint64(0), np.uint64(0))
    for k in range(p.shape[0] - 1, 0, -1):
        acc = fr_add(load(p, k), fr_mul(acc, x))
        store(q, k - 1, acc)
    return fr_add(load(p, 0), fr_mul(acc, x))


# --- helpers -----------------------------------------------------------------------------------------------------


def _mont(x: int) -> tuple:
    return tuple(np.uint64(v) for v in fr.from_ints([x % BN254_R])[0])


def _int(limbs: Sequence) -> int:
    return fr.to_ints(np.asarray(limbs, dtype=np.uint64).reshape(1, 4))[0]


def _is_zero(arr: np.ndarray) -> bool:
    return not np.asarray(arr).any()


@lru_cache(maxsize=4)
def _domain_powers(log_m: int) -> np.ndarray:
    """omega_(2^log_m)^i, i < 2^log_m (Montgomery, read-only, cached per size)."""
    out = np.empty((1 << log_m, 4), dtype=np.uint64)
    ntt.powers_into(_mont(ntt.root_of_unity(log_m)), _mont(1), out)
    out.setflags(write=False)
    return out


def _plain_limbs(values: Sequence[int]) -> np.ndarray:
    data = b"".join(int(v).to_bytes(32, "little") for v in values)
    return np.frombuffer(data, dtype="<u8").astype(np.uint64).reshape(-1, 4)


def _witness_array(witness: np.ndarray | Sequence[int], n_expected: int) -> np.ndarray:
    """Plain ``(n, 4)`` limbs, checked for length and range."""
    if isinstance(witness, np.ndarray) and witness.dtype != object:
        w = np.ascontiguousarray(witness, dtype=np.uint64)
        if w.ndim != 2 or w.shape[1] != 4:
            raise WitnessError(f"witness must be (n, 4) uint64 limbs or a list of ints, got shape {w.shape}")
    else:
        values = [int(v) for v in witness]
        if any(not 0 <= v < BN254_R for v in values):
            raise WitnessError("witness values must be integers in [0, r)")
        w = _plain_limbs(values) if values else np.zeros((0, 4), np.uint64)
    if w.shape[0] != n_expected:
        raise WitnessError(f"witness has {w.shape[0]} values but the key expects {n_expected} (nVars - nAdditions)")
    if w.shape[0] and not v_lt_modulus(w, FR_P):
        raise WitnessError("witness values must be below the BN254 scalar field modulus r")
    return w


def random_blinding() -> list[int]:
    """snarkjs's 11 blinding scalars b1..b11, uniform in Fr.

    >>> b = random_blinding()
    >>> len(b), all(0 <= x < BN254_R for x in b)
    (11, True)
    """
    return [secrets.randbelow(BN254_R) for _ in range(N_BLINDING)]


def _blind(coefs: np.ndarray, factors: Sequence[int]) -> np.ndarray:
    """``coefs + (f0 + f1 X + ...) (X^n - 1)`` as snarkjs's ``blindCoefficients`` (n = len(coefs))."""
    n, k = coefs.shape[0], len(factors)
    out = np.zeros((n + k, 4), dtype=np.uint64)
    out[:n] = coefs
    f = fr.from_ints(factors)
    out[n:] = fr.add(out[n:], f)
    out[:k] = fr.sub(out[:k], f)
    return out


def _commit(pool: ThreadPoolExecutor, ptau: np.ndarray, coefs: np.ndarray) -> Future:
    scalars = fr.from_montgomery(coefs)
    return pool.submit(msm, ptau[: coefs.shape[0]], scalars, None, False)


def _affine(fut: Future) -> tuple[int, int] | None:
    return g1.to_ints(g1.to_affine(fut.result()))[0]


# --- the prover --------------------------------------------------------------------------------------------------


def prove(
    zkey: PlonkZKey | str | Path,
    witness: np.ndarray | Sequence[int],
    *,
    blinding: Sequence[int] | None = None,
    pool: ThreadPoolExecutor | None = None,
    checkpoint: Callable[[], None] | None = None,
    timings: dict[str, float] | None = None,
    trace: dict[str, Any] | None = None,
) -> tuple[dict, list[str]]:
    """A PLONK proof of ``witness`` for ``zkey``: ``(proof.json, public.json)`` exactly as snarkjs writes them.

    ``zkey``: a :class:`PlonkZKey` (or a path, through :func:`load_plonk_key`). ``witness``: the witness
    calculator's plain ``(nVars - nAdditions, 4)`` uint64 limbs, or a list of ints. ``blinding``: snarkjs's
    b1..b11 (default random; fix them to compare with another prover). ``pool``: where the MSMs run.
    ``checkpoint`` is called between rounds (a deadline check); ``timings`` receives seconds per stage,
    ``trace`` the challenges (beta, gamma, alpha, xi, v) as ints. Raises :class:`WitnessError` for a witness
    of the wrong length, out of range, or that does not satisfy the circuit.

    >>> prove(PlonkZKey.empty(n_public=1), [1])
    Traceback (most recent call last):
    ...
    zapiki.errors.WitnessError: witness has 1 values but the key expects 2 (nVars - nAdditions)
    """
    from zapiki.systems.groth16.prover import msm_concurrency

    key = load_plonk_key(zkey) if isinstance(zkey, str | Path) else zkey
    tick = checkpoint or (lambda: None)
    tm: dict[str, float] = timings if timings is not None else {}
    tr: dict[str, Any] = trace if trace is not None else {}
    t0 = time.perf_counter()
    stage = [t0]

    def done(name: str) -> None:
        now = time.perf_counter()
        tm[name] = tm.get(name, 0.0) + now - stage[0]
        stage[0] = now
        tick()

    bl = [int(x) % BN254_R for x in (blinding if blinding is not None else random_blinding())]
    if len(bl) != N_BLINDING:
        raise ValueError(f"blinding must hold {N_BLINDING} scalars (b1..b11), got {len(bl)}")
    n, log_n, n_pub = key.domain_size, key.power, key.n_public
    m = 4 * n
    n_add = key.n_additions
    n_wit = key.n_vars - n_add
    w_plain = _witness_array(witness, n_wit)
    public = [str(v) for v in fr.to_ints(fr.to_montgomery(w_plain[1 : n_pub + 1]))] if n_pub else []

    # witness: Montgomery, wire 0 = 0, then the additions
    full = np.zeros((key.n_vars, 4), dtype=np.uint64)
    if n_wit:
        full[:n_wit] = fr.to_montgomery(w_plain)
        full[0] = 0
    adds = key.additions
    _additions_into(
        full,
        n_wit,
        np.ascontiguousarray(adds["a"], dtype=np.int64),
        np.ascontiguousarray(adds["b"], dtype=np.int64),
        np.ascontiguousarray(adds["ca"], dtype=np.uint64),
        np.ascontiguousarray(adds["cb"], dtype=np.uint64),
    )
    abc = np.zeros((3, n, 4), dtype=np.uint64)
    abc[:, : key.n_constraints] = full[key.wire_maps.astype(np.int64)]
    del full
    polys, lag, ptau = key.polys, key.lagrange, key.ptau
    xs = _domain_powers(log_n + 2)
    done("witness")

    own_pool = pool is None
    pool = pool or ThreadPoolExecutor(max_workers=msm_concurrency(), thread_name_prefix="plonk")
    try:
        # round 1: a, b, c
        coefs = [ntt.intt(abc[k]) for k in range(3)]
        blinded = [_blind(coefs[k], [bl[2 * k + 1], bl[2 * k]]) for k in range(3)]
        futs = [_commit(pool, ptau, p) for p in blinded]
        done("round1_intt")
        wires = np.zeros((4, m, 4), dtype=np.uint64)
        for k in range(3):
            wires[k, :n] = coefs[k]
            wires[k] = ntt.ntt(wires[k])
        done("round1_ntt4n")
        commit_abc = [_affine(f) for f in futs]
        done("round1_msm_wait")

        # round 2: beta, gamma, z
        tx = Transcript()
        for i in range(8):
            tx.add_point(g1.to_ints(key.commitments[i : i + 1])[0])
        for v in fr.to_ints(abc[0, :n_pub]) if n_pub else []:
            tx.add_scalar(v)
        for p in commit_abc:
            tx.add_point(p)
        beta = tx.challenge()
        tx.reset()
        tx.add_scalar(beta)
        gamma = tx.challenge()
        cs = np.zeros((20, 4), dtype=np.uint64)
        zh4 = [(pow(ntt.root_of_unity(2), i, BN254_R) - 1) % BN254_R for i in range(4)]
        cs[:] = fr.from_ints([beta, gamma, 0, 0, key.k1, key.k2, *bl[:9], *zh4, 1])
        num = np.empty((n, 4), dtype=np.uint64)
        den = np.empty((n, 4), dtype=np.uint64)
        _z_factors_into(abc, polys, xs, cs, num, den)
        z_eval = np.empty((n, 4), dtype=np.uint64)
        total = _running_product_into(num, fr.batch_inverse(den), _mont(1), z_eval)
        del num, den
        if tuple(total) != _mont(1):
            raise WitnessError("the witness does not satisfy the circuit's copy constraints (the permutation check)")
        z_coefs = ntt.intt(z_eval)
        z_blind = _blind(z_coefs, [bl[8], bl[7], bl[6]])
        fut_z = _commit(pool, ptau, z_blind)
        done("round2_z")
        wires[3, :n] = z_coefs
        wires[3] = ntt.ntt(wires[3])
        done("round2_ntt4n")
        commit_z = _affine(fut_z)
        done("round2_msm_wait")

        # round 3: alpha, t
        tx.reset()
        tx.add_scalar(beta)
        tx.add_scalar(gamma)
        tx.add_point(commit_z)
        alpha = tx.challenge()
        cs[2:4] = fr.from_ints([alpha, alpha * alpha % BN254_R])
        t_ev = np.empty((m, 4), dtype=np.uint64)
        tz_ev = np.empty((m, 4), dtype=np.uint64)
        pub_rows = np.ascontiguousarray(abc[0, :n_pub])
        _quotient_into(wires, polys, lag, pub_rows, xs, cs, t_ev, tz_ev)
        del wires
        done("round3_quotient")
        p0 = ntt.intt(t_ev)
        del t_ev
        t = np.zeros((m, 4), dtype=np.uint64)  # p0 / (X^n - 1), top block first: q[i - n] = p0[i] + q[i]
        for blk in (2, 1, 0):
            t[blk * n : (blk + 1) * n] = fr.add(p0[(blk + 1) * n : (blk + 2) * n], t[(blk + 1) * n : (blk + 2) * n])
        if not _is_zero(fr.add(p0[:n], t[:n])):
            raise WitnessError("the witness does not satisfy the circuit's constraints (the quotient is not exact)")
        del p0
        t = fr.add(t, ntt.intt(tz_ev))
        del tz_ev
        if not _is_zero(t[3 * n + 6 :]):
            raise RuntimeError("PLONK prover: the quotient polynomial has degree >= 3n + 6")
        t1 = np.zeros((n + 1, 4), dtype=np.uint64)
        t2 = np.zeros((n + 1, 4), dtype=np.uint64)
        t3 = np.ascontiguousarray(t[2 * n : 3 * n + 6])
        t1[:n], t2[:n] = t[:n], t[n : 2 * n]
        b10, b11 = fr.from_ints([bl[9], bl[10]])
        t1[n] = b10
        t2[0] = fr.sub(t2[0:1], b10[None])[0]
        t2[n] = b11
        t3[0] = fr.sub(t3[0:1], b11[None])[0]
        del t
        futs_t = [_commit(pool, ptau, p) for p in (t1, t2, t3)]
        done("round3_t")
        commit_t = [_affine(f) for f in futs_t]
        done("round3_msm_wait")

        # round 4: xi, evaluations
        tx.reset()
        tx.add_scalar(alpha)
        for p in commit_t:
            tx.add_point(p)
        xi = tx.challenge()
        xiw = xi * ntt.root_of_unity(log_n) % BN254_R
        evals = np.empty((6, 4), dtype=np.uint64)
        xi_m, xiw_m = _mont(xi), _mont(xiw)
        s1c, s2c = polys[5, :n], polys[6, :n]
        for k, (poly, at) in enumerate(zip((*blinded, s1c, s2c, z_blind), (xi_m,) * 5 + (xiw_m,), strict=True)):
            _horner(poly, at, evals, k)
        ev = fr.to_ints(evals)
        done("round4_evals")

        # round 5: v, r, Wxi, Wxiw
        tx.reset()
        tx.add_scalar(xi)
        for e in ev:
            tx.add_scalar(e)
        v1 = tx.challenge()
        v = [v1]
        for _ in range(4):
            v.append(v[-1] * v1 % BN254_R)
        r_poly = _linearisation(key, ev, beta, gamma, alpha, xi, z_blind, t1, t2, t3, public)
        wxi = r_poly
        for poly, vk in zip((*blinded, s1c, s2c), v, strict=True):
            _axpy_into(wxi, poly, _mont(vk))
        const = sum(vk * e for vk, e in zip(v, ev[:5], strict=False)) % BN254_R
        wxi[0] = fr.sub(wxi[0:1], fr.from_ints([const]))[0]
        q_xi = np.empty((wxi.shape[0] - 1, 4), dtype=np.uint64)
        rem1 = _div_linear_into(wxi, xi_m, q_xi)
        zz = z_blind.copy()
        zz[0] = fr.sub(zz[0:1], fr.from_ints([ev[5]]))[0]
        q_xiw = np.empty((zz.shape[0] - 1, 4), dtype=np.uint64)
        rem2 = _div_linear_into(zz, xiw_m, q_xiw)
        if any(rem1) or any(rem2):
            raise RuntimeError("PLONK prover: an opening polynomial is not divisible (internal error)")
        futs_w = [_commit(pool, ptau, p) for p in (q_xi, q_xiw)]
        done("round5_openings")
        commit_w = [_affine(f) for f in futs_w]
        done("round5_msm_wait")
    finally:
        if own_pool:
            pool.shutdown(wait=False)

    points = [*commit_abc, commit_z, *commit_t, *commit_w]
    proof: dict[str, Any] = {name: _g1_json(p) for name, p in zip(_POINTS, points, strict=True)}
    proof.update({name: str(e) for name, e in zip(_EVALS, ev, strict=True)})
    proof["protocol"] = "plonk"
    proof["curve"] = "bn128"
    tr.update(beta=beta, gamma=gamma, alpha=alpha, xi=xi, v=v)
    tm["total"] = time.perf_counter() - t0
    return proof, public


def _linearisation(
    key: PlonkZKey,
    ev: list[int],
    beta: int,
    gamma: int,
    alpha: int,
    xi: int,
    z_blind: np.ndarray,
    t1: np.ndarray,
    t2: np.ndarray,
    t3: np.ndarray,
    public: list[str],
) -> np.ndarray:
    """snarkjs's r(X) (n + 6 coefficients): the gate and permutation terms linear in the committed polynomials,
    minus Z_H(xi) (T1 + xi^n T2 + xi^2n T3), plus r0."""
    r_mod = BN254_R
    n = key.domain_size
    a, b, c, s1, s2, zw = ev
    xin = pow(xi, n, r_mod)
    zh = (xin - 1) % r_mod
    omega = ntt.root_of_unity(key.power)
    lag, wi = [], 1
    for _ in range(max(1, key.n_public)):
        lag.append(wi * zh * pow(n * (xi - wi), -1, r_mod) % r_mod)
        wi = wi * omega % r_mod
    pi = -sum(int(s) * li for s, li in zip(public, lag, strict=False)) % r_mod
    alpha2 = alpha * alpha % r_mod
    betaxi = beta * xi % r_mod
    e2 = (a + betaxi + gamma) * (b + betaxi * key.k1 + gamma) % r_mod * (c + betaxi * key.k2 + gamma) % r_mod
    e2 = e2 * alpha % r_mod
    e3 = (a + beta * s1 + gamma) * (b + beta * s2 + gamma) % r_mod * zw % r_mod * alpha % r_mod
    e4 = lag[0] * alpha2 % r_mod
    r0 = (pi - e3 * (c + gamma) - e4) % r_mod

    out = np.zeros((n + 6, 4), dtype=np.uint64)
    polys = key.polys
    for k, s in ((0, a * b), (1, a), (2, b), (3, c), (4, 1)):  # Qm, Ql, Qr, Qo, Qc
        _axpy_into(out, polys[k, :n], _mont(s))
    _axpy_into(out, z_blind, _mont(e2 + e4))
    _axpy_into(out, polys[7, :n], _mont(-e3 * beta))
    _axpy_into(out, t1, _mont(-zh))
    _axpy_into(out, t2, _mont(-zh * xin))
    _axpy_into(out, t3, _mont(-zh * xin * xin))
    out[0] = fr.add(out[0:1], fr.from_ints([r0]))[0]
    return out
