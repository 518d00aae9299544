"""Groth16 proving keys from a powers-of-tau ceremony (``.ptau``), as ``snarkjs groth16 setup`` makes them.

:func:`setup_from_ptau` is ``snarkjs groth16 setup circuit.r1cs pot.ptau circuit.zkey`` (= ``zkey new``): the
file it returns is byte for byte the one snarkjs 0.7.6 writes (same section order, same circuit hash in
section 10), so anyone can rebuild it with snarkjs and compare hashes. With ``L_c``, ``alpha L_c``,
``beta L_c`` the ptau's Lagrange points of the circuit's ``2^k`` domain (sections 12, 14, 15; G2: 13) and
the A rows extended by one row ``nConstraints + s`` per public wire ``s`` (coefficient 1)::

    A_j  = sum_A  a_cj L_c G1          B1_j = sum_B b_cj L_c G1          B2_j = sum_B b_cj L_c G2
    IC_j / C_j = sum_A a_cj beta L_c + sum_B b_cj alpha L_c + sum_C c_cj L_c         (G1)
    H_i  = L^(2n)_(2i+1) G1 (odd points of the 2n-domain basis);   gamma = delta = 1 (generators)

Such a key is NOT safe yet: delta is 1, so anyone can forge proofs. :func:`contribute` (``snarkjs zkey
contribute``) draws a secret d and multiplies delta1, delta2 by d and the C and H points by 1/d; one honest
contribution makes the key sound (given an honest ptau). Its transcript record has snarkjs's layout but not
snarkjs's hash-to-G2, so ``snarkjs zkey verify`` rejects the contributed key (proving and verifying are
unaffected).

snarkjs needs ``power >= k`` (the ptau's power at least the domain's), where ``2^k`` is the smallest power of
two ``> nConstraints + nPublic``: the prepared ptau's extra ``2^(power+1)`` tau G1 basis covers H.

>>> required_power(1920, 2)
11
"""

from __future__ import annotations

import hashlib
import os
import struct
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
from numba import njit, prange

from zapiki.errors import FormatError, InputError
from zapiki.formats import BN254_Q, BN254_R, R1CS, TERM_DTYPE, ZKey, read_r1cs, read_zkey, write_zkey
from zapiki.formats.binfile import load_bytes, write_binfile
from zapiki.formats.ptau import MAX_PTAU_POWER, PowersOfTau
from zapiki.formats.r1cs import read_r1cs_header
from zapiki.kernels import fq, fr, g1, g2
from zapiki.kernels.curve import (
    aff_is_inf,
    f_neg,
    jac_add,
    jac_add_aff,
    jac_double,
    jac_from_aff,
    jac_infinity,
    load_fe,
    store_jac,
)
from zapiki.kernels.ntt import root_of_unity
from zapiki.systems.groth16.setup import SetupResult, _lagrange, _mul_gen, _rand, check_setup_size, vkey_of

__all__ = ["contribute", "dev_ptau", "required_power", "setup_from_ptau"]

_R_LIMBS = tuple(np.uint64((BN254_R >> (64 * i)) & ((1 << 64) - 1)) for i in range(4))
_HALF_LIMBS = tuple(np.uint64(((BN254_R - 1) // 2 >> (64 * i)) & ((1 << 64) - 1)) for i in range(4))
_U1 = np.uint64(1)
_U0 = np.uint64(0)
#: snarkjs writes a new key's sections in this order (and a contributed key's in 1..10 order).
_SNARKJS_NEW_ORDER = (1, 2, 4, 3, 9, 8, 5, 6, 7, 10)


def required_power(n_constraints: int, n_public: int) -> int:
    """The smallest ptau power ``snarkjs groth16 setup`` accepts for these counts: ``log2`` of the domain.

    >>> required_power(1, 1), required_power(2, 2)
    (2, 3)
    """
    return check_setup_size(n_constraints, n_public, 0)


# -- linear combinations of points, one per wire -----------------------------------------------------------------
@njit(cache=True)
def _mul_small(x: tuple, y: tuple, k0: np.uint64, k1: np.uint64, k2: np.uint64, k3: np.uint64) -> tuple:
    """[k](x, y) by double-and-add from k's top set bit (cheap for small k)."""
    ks = (k0, k1, k2, k3)
    acc = jac_infinity(x)
    started = False
    for w in range(3, -1, -1):
        word = ks[w]
        for bit in range(63, -1, -1):
            if started:
                acc = jac_double(acc)
            if (word >> np.uint64(bit)) & _U1:
                if started:
                    acc = jac_add_aff(acc, x, y)
                else:
                    acc = jac_from_aff(x, y)
                    started = True
    return acc


@njit(cache=True)
def _signed(k: tuple) -> tuple:
    """(|k'|, negative) with k' = k or k - r, whichever is smaller in size (r - 1 becomes 1, negated)."""
    gt = False
    for i in range(3, -1, -1):
        if k[i] != _HALF_LIMBS[i]:
            gt = k[i] > _HALF_LIMBS[i]
            break
    if not gt:
        return k, False
    out = [_U0, _U0, _U0, _U0]
    borrow = _U0
    for i in range(4):
        a = _R_LIMBS[i]
        d = a - k[i]
        b1 = _U1 if a < k[i] else _U0
        d2 = d - borrow
        b2 = _U1 if d < borrow else _U0
        out[i] = d2
        borrow = b1 | b2
    return (out[0], out[1], out[2], out[3]), True


@njit(cache=True, nogil=True, parallel=True)
def _combine(points: np.ndarray, start: np.ndarray, pidx: np.ndarray, scal: np.ndarray, out: np.ndarray) -> None:
    """out[w] = sum_{t in start[w]..start[w+1]} scal[t] * points[pidx[t]] (Jacobian out, affine points)."""
    for w in prange(out.shape[0]):
        wi = np.int64(w)
        acc = jac_infinity(load_fe(points, 0, 0))
        for t in range(start[wi], start[wi + 1]):
            p = pidx[t]
            x = load_fe(points, p, 0)
            y = load_fe(points, p, 1)
            if aff_is_inf(x, y):
                continue
            k, neg = _signed((scal[t, 0], scal[t, 1], scal[t, 2], scal[t, 3]))
            if neg:
                y = f_neg(y)
            acc = jac_add(acc, _mul_small(x, y, k[0], k[1], k[2], k[3]))
        store_jac(out, wi, acc)


def _lincomb(group: object, points: np.ndarray, wire: np.ndarray, pidx: np.ndarray, values: np.ndarray,
             n_out: int) -> np.ndarray:  # fmt: skip
    """Affine ``out[j] = sum_{t: wire[t] == j} values[t] * points[pidx[t]]`` for ``j < n_out`` (plain scalars)."""
    order = np.argsort(wire, kind="stable")
    start = np.zeros(n_out + 1, dtype=np.int64)
    np.cumsum(np.bincount(wire, minlength=n_out)[:n_out], out=start[1:])
    jac = np.empty((n_out, 3, *points.shape[2:]), dtype=np.uint64)
    if n_out:
        _combine(np.ascontiguousarray(points), start, np.ascontiguousarray(pidx[order], dtype=np.int64),
                 np.ascontiguousarray(values[order], dtype=np.uint64), jac)  # fmt: skip
    return group.to_affine(jac)


# -- snarkjs's circuit hash (section 10) --------------------------------------------------------------------------
def _uncompressed(points: np.ndarray) -> bytes:
    """ffjavascript's ``toRprUncompressed``: per point x then y, each coordinate plain big-endian (an Fq2 as
    c1 then c0); infinity all zeros."""
    pts = np.ascontiguousarray(points, dtype=np.uint64)
    plain = fq.FQ_FIELD.from_montgomery(pts.reshape(-1, 4)).reshape(pts.shape)
    flipped = plain[..., ::-1] if pts.ndim == 3 else plain[..., ::-1, ::-1]
    return np.ascontiguousarray(flipped).astype(">u8").tobytes()


def _circuit_hash(z: ZKey, h_diffs: np.ndarray) -> bytes:
    """Blake2b-512 of the new key as ``snarkjs zkey new`` computes it (its "circuit hash")."""
    hasher = hashlib.blake2b(digest_size=64)
    for pt in (z.alpha1, z.beta1, z.beta2, z.gamma2, z.delta1, z.delta2):
        hasher.update(_uncompressed(pt[None]))
    for pts in (z.ic, h_diffs, z.c, z.a, z.b1, z.b2):
        hasher.update(struct.pack(">I", pts.shape[0]))
        hasher.update(_uncompressed(pts))
    return hasher.digest()


def _zkey_new_bytes(z: ZKey) -> bytes:
    """The key serialised in ``snarkjs zkey new``'s section order (write_zkey writes 1..10)."""
    bf_sections = {}
    data = write_zkey(z)
    pos = 12
    while pos < len(data):
        stype, size = struct.unpack_from("<IQ", data, pos)
        bf_sections[stype] = data[pos + 12 : pos + 12 + size]
        pos += 12 + size
    return write_binfile(b"zkey", 1, [(s, bf_sections[s]) for s in _SNARKJS_NEW_ORDER])


# -- setup ---------------------------------------------------------------------------------------------------------
def _open_ptau(ptau: PowersOfTau | str | os.PathLike | bytes) -> tuple[PowersOfTau, bool]:
    if isinstance(ptau, PowersOfTau):
        return ptau, False
    return PowersOfTau.open(ptau), True


def setup_from_ptau(r1cs: R1CS | bytes | str | os.PathLike, ptau: PowersOfTau | str | os.PathLike | bytes,
                    ) -> SetupResult:  # fmt: skip
    """``snarkjs groth16 setup``: the phase-2 starting key of ``r1cs`` from a prepared ptau (see the module
    docstring; delta = 1, so call :func:`contribute` before using it).

    ``zkey_bytes`` equals snarkjs's file byte for byte. Raises :class:`InputError` when the ptau's power is
    below the circuit's domain (naming the power needed) or the r1cs is not over BN254, and
    :class:`FormatError` for a malformed ptau or one not prepared for phase 2.

    >>> from pathlib import Path
    >>> res = setup_from_ptau(Path("tests/fixtures/groth16/multiplier/circuit.r1cs"), dev_ptau(2))
    >>> res.zkey.domain_size, res.vkey["vk_delta_2"] == res.vkey["vk_gamma_2"]
    (4, True)
    """
    if not isinstance(r1cs, R1CS):
        data = load_bytes(r1cs)
        header = read_r1cs_header(data)
        check_setup_size(header.n_constraints, header.n_public, header.n_wires)
        r1cs = read_r1cs(data)
    if r1cs.prime != BN254_R:
        raise InputError("setup: the r1cs is not over BN254's scalar field")
    n_pub, n_vars, n_c = r1cs.n_public, r1cs.n_wires, r1cs.n_constraints
    k = check_setup_size(n_c, n_pub, n_vars)
    pot, owned = _open_ptau(ptau)
    try:
        if pot.power < k:
            raise InputError(
                f"setup: the circuit ({n_c} constraints + {n_pub} public signals) needs a domain of 2^{k}, so a "
                f"powers of tau of power >= {k}; this ptau has power {pot.power}"
            )
        if not pot.prepared:
            pot.lagrange_g1(k)  # the FormatError that says to run `prepare phase2`
        n = 1 << k
        lag, lag2 = pot.lagrange_g1(k), pot.lagrange_g2(k)
        alpha_lag, beta_lag = pot.alpha_lagrange_g1(k), pot.beta_lagrange_g1(k)
        h_pts = pot.lagrange_g1(k + 1)[1::2].copy()
        tau = pot.tau_g1(2 * n - 1)
        alpha1, beta1, beta2 = pot.alpha_g1[0], pot.beta_g1[0], pot.beta_g2[0]
    finally:
        if owned:
            pot.close()
    for group, pts, what in ((g1, lag, "tau G1 Lagrange"), (g2, lag2, "tau G2 Lagrange"),
                             (g1, alpha_lag, "alpha Lagrange"), (g1, beta_lag, "beta Lagrange"),
                             (g1, h_pts, "H Lagrange"), (g1, tau, "tauG1")):  # fmt: skip
        bad = np.flatnonzero(~group.on_curve(pts))
        if bad.size:
            raise FormatError(f"ptau: {what} point {int(bad[0])} (basis 2^{k}) is not on the curve")

    terms = r1cs.terms
    extra = np.zeros(n_pub + 1, dtype=TERM_DTYPE)
    extra["row"] = n_c + np.arange(n_pub + 1)
    extra["signal"] = np.arange(n_pub + 1)
    extra["value"][:, 0] = 1
    all_terms = np.concatenate([terms, extra])
    m, row, sig = (all_terms[f].astype(np.int64) for f in ("matrix", "row", "signal"))
    val = np.ascontiguousarray(all_terms["value"], dtype=np.uint64)
    a_sel, b_sel = m == 0, m == 1

    # IC and C together: A terms on beta L, B terms on alpha L, C terms on L (points [L; alpha L; beta L])
    abc_points = np.concatenate([lag, alpha_lag, beta_lag])
    abc_idx = row + np.where(a_sel, 2 * n, np.where(b_sel, n, 0))
    with ThreadPoolExecutor(max_workers=2) as pool:
        f_b2 = pool.submit(_lincomb, g2, lag2, sig[b_sel], row[b_sel], val[b_sel], n_vars)
        ic_c = _lincomb(g1, abc_points, sig, abc_idx, val, n_vars)
        a_pts = _lincomb(g1, lag, sig[a_sel], row[a_sel], val[a_sel], n_vars)
        b1_pts = _lincomb(g1, lag, sig[b_sel], row[b_sel], val[b_sel], n_vars)
        b2_pts = f_b2.result()

    ab = all_terms[m < 2].copy()
    ab["value"] = fr.to_montgomery(fr.to_montgomery(np.ascontiguousarray(ab["value"], dtype=np.uint64)))
    gen1, gen2 = g1.generator()[0], g2.generator()[0]
    zkey = ZKey(
        n_vars=n_vars, n_public=n_pub, domain_size=n,
        alpha1=alpha1, beta1=beta1, beta2=beta2, gamma2=gen2, delta1=gen1, delta2=gen2,
        ic=ic_c[: n_pub + 1], coeffs=ab, a=a_pts, b1=b1_pts, b2=b2_pts, c=ic_c[n_pub + 1 :], h=h_pts,
    )  # fmt: skip
    # snarkjs hashes (tau^(i+n) - tau^i) G1, i < n - 1, in place of the H points
    h_diffs = g1.to_affine(g1.add(g1.to_jacobian(tau[n : 2 * n - 1]), g1.neg(g1.to_jacobian(tau[: n - 1]))))
    zkey = replace(zkey, contributions=_circuit_hash(zkey, h_diffs) + struct.pack("<I", 0))
    return SetupResult(zkey=zkey, zkey_bytes=_zkey_new_bytes(zkey), vkey=vkey_of(zkey))


# -- phase-2 contribution ------------------------------------------------------------------------------------------
def _parse_mpc(section: bytes) -> tuple[bytes, list[bytes]]:
    """(circuit hash, the contribution records verbatim) of a zkey's section 10."""
    if len(section) < 68:
        raise FormatError(f"zkey section 10 (contributions): {len(section)} bytes, needs at least 68")
    cs_hash = section[:64]
    (count,) = struct.unpack_from("<I", section, 64)
    pos, records = 68, []
    fixed = 3 * 64 + 128 + 64 + 4
    for i in range(count):
        if pos + fixed + 4 > len(section):
            raise FormatError(f"zkey section 10 (contributions): record {i} is truncated")
        (plen,) = struct.unpack_from("<I", section, pos + fixed)
        end = pos + fixed + 4 + plen
        if end > len(section):
            raise FormatError(f"zkey section 10 (contributions): parameters of record {i} are truncated")
        records.append(section[pos:end])
        pos = end
    if pos != len(section):
        raise FormatError(f"zkey section 10 (contributions): {len(section) - pos} trailing bytes")
    return cs_hash, records


def _pubkey_hash_input(record: bytes) -> bytes:
    """snarkjs's hashPubKey input of a record: deltaAfter, g1_s, g1_sx, g2_spx uncompressed, then transcript."""
    pts1 = np.frombuffer(record[: 3 * 64], dtype="<u8").astype(np.uint64).reshape(3, 2, 4)
    pt2 = np.frombuffer(record[192:320], dtype="<u8").astype(np.uint64).reshape(1, 2, 2, 4)
    return _uncompressed(pts1) + _uncompressed(pt2) + record[320:384]


def _random_scalar(entropy: bytes | None) -> int:
    seed = hashlib.blake2b(os.urandom(64) + (entropy or b""), digest_size=64).digest()
    v = int.from_bytes(seed, "little") % BN254_R
    return v if v > 1 else _rand()


def contribute(zkey: ZKey | bytes | str | os.PathLike, entropy: bytes | None = None, name: str | None = None,
               ) -> SetupResult:  # fmt: skip
    """A random phase-2 contribution (``snarkjs zkey contribute``): a secret d from ``os.urandom`` (mixed with
    ``entropy`` when given; never from ``entropy`` alone) multiplies delta1, delta2 and divides the C and H
    points; d is dropped on return. A contribution record (name optional, at most 64 bytes) is appended to
    section 10 in snarkjs's layout; see the module docstring for ``snarkjs zkey verify``.

    >>> from pathlib import Path
    >>> new = setup_from_ptau(Path("tests/fixtures/groth16/multiplier/circuit.r1cs"), dev_ptau(2))
    >>> done = contribute(new.zkey, name="me")
    >>> done.vkey["vk_delta_2"] != new.vkey["vk_delta_2"], done.zkey.contributions[64:68]
    (True, b'\\x01\\x00\\x00\\x00')
    """
    if not isinstance(zkey, ZKey):
        zkey = read_zkey(zkey)
    cs_hash, records = _parse_mpc(zkey.contributions)
    d = _random_scalar(entropy)
    d_inv = pow(d, -1, BN254_R)
    s = _random_scalar(entropy)

    def times(group: object, pts: np.ndarray, k: int) -> np.ndarray:
        if pts.shape[0] == 0:
            return pts.copy()
        return group.to_affine(group.scalar_mul(group.to_jacobian(pts), [k] * pts.shape[0]))

    delta1 = times(g1, zkey.delta1[None], d)
    delta2 = times(g2, zkey.delta2[None], d)
    with ThreadPoolExecutor(max_workers=2) as pool:
        f_c = pool.submit(times, g1, zkey.c, d_inv)
        h = times(g1, zkey.h, d_inv)
        c = f_c.result()

    # proof of knowledge of d, laid out as snarkjs's record (its g2_sp is a ChaCha hash-to-G2; ours is
    # [blake2b(transcript)] G2, so `snarkjs zkey verify` does not accept it)
    g1_s = times(g1, g1.generator(), s)
    g1_sx = times(g1, g1_s, d)
    transcript_hasher = hashlib.blake2b(cs_hash, digest_size=64)
    for rec in records:
        transcript_hasher.update(_pubkey_hash_input(rec))
    transcript_hasher.update(_uncompressed(g1_s) + _uncompressed(g1_sx))
    transcript = transcript_hasher.digest()
    sp = int.from_bytes(hashlib.blake2b(b"zapiki hash to G2" + transcript).digest(), "little") % BN254_R
    g2_spx = times(g2, g2.generator(), sp * d % BN254_R)
    params = b""
    if name:
        raw = name[:64].encode()
        params = bytes([1, len(raw)]) + raw
    record = b"".join([
        g1.to_bytes(delta1, montgomery=True), g1.to_bytes(g1_s, montgomery=True),
        g1.to_bytes(g1_sx, montgomery=True), g2.to_bytes(g2_spx, montgomery=True), transcript,
        struct.pack("<II", 0, len(params)), params,
    ])  # fmt: skip
    contributions = cs_hash + struct.pack("<I", len(records) + 1) + b"".join(records) + record
    del d, d_inv, s
    new = replace(zkey, delta1=delta1[0], delta2=delta2[0], c=c, h=h, contributions=contributions, sha256="")
    return SetupResult(zkey=new, zkey_bytes=write_zkey(new), vkey=vkey_of(new))


# -- a development ptau ----------------------------------------------------------------------------------------
def _snarkjs_lagrange(tau: int, log_m: int, padded: bool = False) -> np.ndarray:
    """L_i(tau) on the 2^log_m domain, Montgomery; ``padded``: as snarkjs's top basis, built without tau^(m-1)
    (minus tau^(m-1) omega^i / m)."""
    basis = _lagrange(tau, log_m, odd_of_double=False)
    if padded:
        m = 1 << log_m
        w = root_of_unity(log_m)
        coef = pow(tau, m - 1, BN254_R) * pow(m, -1, BN254_R) % BN254_R
        basis = fr.sub(basis, fr.from_ints([coef * pow(w, i, BN254_R) % BN254_R for i in range(m)]))
    return basis


def dev_ptau(power: int) -> bytes:
    """A phase-2-prepared ``.ptau`` of ``power`` from one party's random tau, alpha, beta: NOT a ceremony (as
    :func:`~zapiki.systems.groth16.setup.dev_setup_r1cs`, whoever runs it can forge proofs). For development
    and tests; laid out as ``snarkjs powersoftau prepare phase2`` writes it (no contribution records).

    >>> PowersOfTau.open(dev_ptau(2)).lagrange_g1(3).shape
    (8, 2, 4)
    """
    if not 1 <= power <= MAX_PTAU_POWER - 1:
        raise InputError(f"dev_ptau: power {power} is outside 1..{MAX_PTAU_POWER - 1}")
    n = 1 << power
    tau, alpha, beta = _rand(), _rand(), _rand()
    powers = [1]
    for _ in range(2 * n - 2):
        powers.append(powers[-1] * tau % BN254_R)
    pw = fr.from_ints(powers)

    lag1 = np.concatenate([_snarkjs_lagrange(tau, j, padded=(j == power + 1)) for j in range(power + 2)])
    lag_rest = np.concatenate([_snarkjs_lagrange(tau, j) for j in range(power + 1)])
    ab = fr.from_ints([alpha, beta])
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        sections = {
            2: _mul_gen(g1, pw, pool),
            3: _mul_gen(g2, pw[:n], pool),
            4: _mul_gen(g1, fr.mul(pw[:n], ab[0]), pool),
            5: _mul_gen(g1, fr.mul(pw[:n], ab[1]), pool),
            6: _mul_gen(g2, ab[1:2], pool),
            12: _mul_gen(g1, lag1, pool),
            13: _mul_gen(g2, lag_rest, pool),
            14: _mul_gen(g1, fr.mul(lag_rest, ab[0]), pool),
            15: _mul_gen(g1, fr.mul(lag_rest, ab[1]), pool),
        }
    del tau, alpha, beta, powers, pw, ab
    header = struct.pack("<I", 32) + BN254_Q.to_bytes(32, "little") + struct.pack("<II", power, power)
    body = [(1, header)] + [(s, np.ascontiguousarray(sections[s]).tobytes()) for s in (2, 3, 4, 5, 6)]
    body += [(7, struct.pack("<I", 0))] + [(s, np.ascontiguousarray(sections[s]).tobytes()) for s in (12, 13, 14, 15)]
    return write_binfile(b"ptau", 1, body)
