"""PLONK proving keys from a powers of tau, as ``snarkjs plonk setup`` 0.7.6 makes them (byte for byte).

The R1CS becomes PLONK gates ``qm a b + ql a + qr b + qo c + qc = 0`` over wires ``(a, b, c)``:

1. one gate per public signal ``s = 1 .. nPublic``: ``(s, 0, 0)`` with ``ql = 1``;
2. per constraint ``A * B = C``, in file order: if A or B is empty, a sum gate for C; if A (or B) is only a
   constant ``k``, a sum gate for ``k B - C`` (``k A - C``); else a multiplication gate, each of A, B, C
   reduced to one wire plus a constant. A linear combination has its wires in ascending index order; while it
   has more wires than its gate takes (1 for a product, 3 for a sum), its first two wires ``x, y`` (coefficients
   ``cx, cy``) become a new wire ``v = cx x + cy y`` (an *addition*, and a gate ``-cx x - cy y + v = 0``)
   appended at the end. Zero coefficients are kept, as snarkjs keeps them.

The domain is the smallest power of two ``>= gates`` and at least 8; ``k1 = 2``, ``k2 = 3``; the permutation
links every use of a wire to its previous use (row by row, A then B then C; the first to the last), with the
identity ``omega^i``, ``k1 omega^i``, ``k2 omega^i`` for the A, B and C columns; unused rows take wire 0.

>>> from pathlib import Path
>>> from zapiki.systems.groth16.ptau_setup import dev_ptau
>>> zkey_bytes, vkey = plonk_setup(Path("tests/fixtures/groth16/multiplier/circuit.r1cs"), dev_ptau(3))
>>> vkey["protocol"], vkey["power"], vkey["nPublic"], vkey["k1"], vkey["k2"]
('plonk', 3, 1, '2', '3')
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass

import numpy as np

from zapiki.errors import FormatError, InputError
from zapiki.formats import BN254_R, R1CS, read_r1cs
from zapiki.formats.binfile import load_bytes
from zapiki.formats.field import limbs_to_ints
from zapiki.formats.plonk_zkey import (
    ADDITION_DTYPE,
    PlonkZKey,
    plonk_root_of_unity,
    plonk_zkey_to_vkey,
    write_plonk_zkey,
)
from zapiki.formats.ptau import PowersOfTau
from zapiki.kernels import fr, g1, msm, ntt

__all__ = ["PlonkCircuit", "build_plonk_zkey", "plonk_circuit", "plonk_setup", "required_plonk_power"]

_R = BN254_R


@dataclass(frozen=True)
class PlonkCircuit:
    """An R1CS turned into PLONK gates, snarkjs's way (see the module docstring). Values are plain ints mod r.

    ``gates``: ``(a, b, c, qm, ql, qr, qo, qc)`` per gate; ``additions``: ``(x, y, cx, cy)``, addition ``i``
    defining wire ``n_r1cs_vars + i``; ``n_vars``: wires including the additions'.
    """

    n_public: int
    n_vars: int
    gates: list[tuple[int, int, int, int, int, int, int, int]]
    additions: list[tuple[int, int, int, int]]

    @property
    def power(self) -> int:
        """``log2`` of the domain: the smallest power of two ``>= len(gates)``, at least 3."""
        return max(3, (max(len(self.gates), 1) - 1).bit_length())


def _lc_type(lc: dict[int, int]) -> str:
    """snarkjs's linear combination type: "n" (has wires), "k" (only the constant) or "0" (empty)."""
    if any(s != 0 for s in lc):
        return "n"
    return "k" if 0 in lc else "0"


def plonk_circuit(r1cs: R1CS) -> PlonkCircuit:
    """The PLONK gates and additions of ``r1cs``, in snarkjs's order.

    >>> from pathlib import Path
    >>> c = plonk_circuit(read_r1cs(Path("tests/fixtures/groth16/multiplier/circuit.r1cs")))
    >>> len(c.gates), c.additions, c.power
    (2, [], 3)
    """
    n_pub = r1cs.n_public
    gates: list[tuple[int, int, int, int, int, int, int, int]] = [(s, 0, 0, 0, 1, 0, 0, 0) for s in range(1, n_pub + 1)]
    additions: list[tuple[int, int, int, int]] = []
    n_vars = r1cs.n_wires

    def reduce(lc: dict[int, int], max_c: int) -> tuple[int, list[int], list[int]]:
        nonlocal n_vars
        k = lc.get(0, 0)
        cs = deque((s, lc[s]) for s in sorted(lc) if s != 0)
        while len(cs) > max_c:
            (sl, cl), (sr, cr) = cs.popleft(), cs.popleft()
            so = n_vars
            n_vars += 1
            gates.append((sl, sr, so, 0, -cl % _R, -cr % _R, 1, 0))
            additions.append((sl, sr, cl, cr))
            cs.append((so, 1))
        sig = [s for s, _ in cs] + [0] * (max_c - len(cs))
        coef = [c for _, c in cs] + [0] * (max_c - len(cs))
        return k, sig, coef

    def add_sum(lc: dict[int, int]) -> None:
        k, s, c = reduce(lc, 3)
        gates.append((s[0], s[1], s[2], 0, c[0], c[1], c[2], k))

    def join(lc1: dict[int, int], k: int, lc2: dict[int, int]) -> dict[int, int]:
        res = {s: k * v % _R for s, v in lc1.items()}
        for s, v in lc2.items():
            res[s] = (res.get(s, 0) - v) % _R
        return res

    terms = r1cs.terms
    values = limbs_to_ints(np.ascontiguousarray(terms["value"], dtype=np.uint64)) if len(terms) else []
    lcs: list[list[dict[int, int]]] = [[{}, {}, {}] for _ in range(r1cs.n_constraints)]
    for m, row, sig, v in zip(terms["matrix"].tolist(), terms["row"].tolist(), terms["signal"].tolist(), values,
                              strict=True):  # fmt: skip
        lcs[row][m][sig] = v  # a repeated wire: the last one counts, as in snarkjs's reader
    for lc_a, lc_b, lc_c in lcs:
        ta, tb = _lc_type(lc_a), _lc_type(lc_b)
        if ta == "0" or tb == "0":
            add_sum(lc_c)
        elif ta == "k":
            add_sum(join(lc_b, lc_a[0], lc_c))
        elif tb == "k":
            add_sum(join(lc_a, lc_b[0], lc_c))
        else:
            ka, sa, ca = reduce(lc_a, 1)
            kb, sb, cb = reduce(lc_b, 1)
            kc, sc, cc = reduce(lc_c, 1)
            gates.append((sa[0], sb[0], sc[0], ca[0] * cb[0] % _R, ca[0] * kb % _R, ka * cb[0] % _R, -cc[0] % _R,
                          (ka * kb - kc) % _R))  # fmt: skip
    return PlonkCircuit(n_public=n_pub, n_vars=n_vars, gates=gates, additions=additions)


def required_plonk_power(r1cs: R1CS) -> int:
    """The smallest ptau power ``snarkjs plonk setup`` accepts for ``r1cs`` (the log of its PLONK domain).

    >>> from pathlib import Path
    >>> required_plonk_power(read_r1cs(Path("tests/fixtures/groth16/multiplier/circuit.r1cs")))
    3
    """
    return plonk_circuit(r1cs).power


def _poly(evals: np.ndarray) -> np.ndarray:
    """n Montgomery evaluations -> n coefficients then 4n evaluations on the 4n-domain, ``(5n, 4)``."""
    n = evals.shape[0]
    coefs = ntt.intt(evals)
    ext = np.zeros((4 * n, 4), np.uint64)
    ext[:n] = coefs
    return np.concatenate([coefs, ntt.ntt(ext)])


def _commit(lag: np.ndarray, evals: np.ndarray) -> np.ndarray:
    """sum_i evals[i] L_i(tau) G1, affine ``(2, 4)`` (infinity all zeros)."""
    return g1.to_affine(msm(lag, fr.from_montgomery(evals)))[0]


def _sigma(circ: PlonkCircuit, n: int, k1: int, k2: int) -> np.ndarray:
    """The three permutation polynomials' evaluations, Montgomery ``(3, n, 4)``."""
    wires = np.zeros((3, n), np.int64)
    if circ.gates:
        wires[:, : len(circ.gates)] = np.array([g[:3] for g in circ.gates], np.int64).T
    # snarkjs's walk: row by row, A then B then C; position p = column * n + row
    walk = (np.arange(3)[None, :] * n + np.arange(n)[:, None]).reshape(-1)
    sig = wires.reshape(-1)[walk]
    order = np.argsort(sig, kind="stable")
    s_sorted = sig[order]
    first = np.ones(len(order), bool)
    first[1:] = s_sorted[1:] != s_sorted[:-1]
    starts = np.flatnonzero(first)
    group_last = np.repeat(np.append(starts[1:], len(order)) - 1, np.diff(np.append(starts, len(order))))
    prev = np.empty(len(order), np.int64)
    prev[1:] = order[:-1]
    prev[first] = order[group_last[first]]
    perm = np.empty(3 * n, np.int64)  # sigma at position p is the identity value at position perm[p]
    perm[walk[order]] = walk[prev]
    w = plonk_root_of_unity(n.bit_length() - 1)
    powers = [1] * n
    for i in range(1, n):
        powers[i] = powers[i - 1] * w % _R
    omega = fr.from_ints(powers)
    ident = np.concatenate([omega, fr.mul(omega, fr.from_ints([k1] * n)), fr.mul(omega, fr.from_ints([k2] * n))])
    return ident[perm].reshape(3, n, 4)


def _k1_k2(power: int) -> tuple[int, int]:
    """snarkjs's k1, k2: 2 and 3 unless a coset collides (never for BN254; checked, as snarkjs does)."""
    n, w = 1 << power, plonk_root_of_unity(power)
    k1, k2 = 2, 3
    # k1 outside <w>, k2 outside <w> and k1 <w>: k^n == 1 / (k2/k1)^n == 1 test the subgroup memberships
    if pow(k1, n, _R) == 1 or pow(k2, n, _R) == 1 or pow(k2 * pow(k1, -1, _R), n, _R) == 1:
        raise InputError(f"plonk setup: k1=2, k2=3 fall in the 2^{power} domain's cosets (w={w})")
    return k1, k2


def build_plonk_zkey(r1cs: R1CS | bytes | str | os.PathLike, ptau: PowersOfTau | bytes | str | os.PathLike,
                     ) -> PlonkZKey:  # fmt: skip
    """The :class:`~zapiki.formats.plonk_zkey.PlonkZKey` ``snarkjs plonk setup`` makes (see :func:`plonk_setup`)."""
    if not isinstance(r1cs, R1CS):
        r1cs = read_r1cs(load_bytes(r1cs))
    if r1cs.prime != BN254_R:
        raise InputError("plonk setup: the r1cs is not over BN254's scalar field")
    circ = plonk_circuit(r1cs)
    power = circ.power
    n = 1 << power
    owned = not isinstance(ptau, PowersOfTau)
    pot = PowersOfTau.open(ptau) if owned else ptau
    try:
        if pot.power < power:
            raise InputError(
                f"plonk setup: the circuit has {len(circ.gates)} PLONK gates, so a domain of 2^{power}: it needs a "
                f"powers of tau of power >= {power}; this ptau has power {pot.power}"
            )
        lag = pot.lagrange_g1(power)  # FormatError naming `prepare phase2` when the ptau lacks it
        tau = pot.tau_g1(n + 6)
        x2 = pot.tau_g2(2)[1]
    finally:
        if owned:
            pot.close()
    for pts, what in ((lag, "tau G1 Lagrange"), (tau, "tauG1")):
        bad = np.flatnonzero(~g1.on_curve(pts))
        if bad.size:
            raise FormatError(f"ptau: {what} point {int(bad[0])} (domain 2^{power}) is not on the curve")
    k1, k2 = _k1_k2(power)

    q = np.zeros((5, n), dtype=object)
    q[:] = 0
    if circ.gates:
        q[:, : len(circ.gates)] = np.array([g[3:] for g in circ.gates], dtype=object).T
    q_evals = [fr.from_ints(q[i].tolist()) for i in range(5)]
    evals = np.concatenate([np.stack(q_evals), _sigma(circ, n, k1, k2)])  # (8, n, 4)
    polys = np.stack([_poly(e) for e in evals])
    commitments = np.stack([_commit(lag, e) for e in evals])

    n_lag = max(r1cs.n_public, 1)
    lagrange = np.empty((n_lag, 5 * n, 4), np.uint64)
    one = fr.from_ints([1])[0]
    for i in range(n_lag):
        e = np.zeros((n, 4), np.uint64)
        e[i] = one
        lagrange[i] = _poly(e)

    additions = np.zeros(len(circ.additions), ADDITION_DTYPE)
    if circ.additions:
        cols = list(zip(*circ.additions, strict=True))
        additions["a"], additions["b"] = cols[0], cols[1]
        additions["ca"] = fr.from_ints(list(cols[2]))
        additions["cb"] = fr.from_ints(list(cols[3]))
    maps = np.array([g[:3] for g in circ.gates], np.uint32).T.reshape(3, len(circ.gates))
    return PlonkZKey(
        n_vars=circ.n_vars, n_public=r1cs.n_public, domain_size=n, n_constraints=len(circ.gates), k1=k1, k2=k2,
        commitments=commitments, x2=x2, additions=additions, wire_maps=maps, polys=polys, lagrange=lagrange,
        ptau=tau,
    )  # fmt: skip


def plonk_setup(r1cs: R1CS | bytes | str | os.PathLike, ptau: PowersOfTau | bytes | str | os.PathLike,
                ) -> tuple[bytes, dict]:  # fmt: skip
    """``snarkjs plonk setup circuit.r1cs pot.ptau circuit.zkey``: returns the ``.zkey`` bytes (equal to snarkjs's)
    and ``verification_key.json`` (equal to ``snarkjs zkey export verificationkey``'s) as a dict.

    Raises :class:`InputError` when the ptau's power is below the circuit's domain (naming the power needed)
    or the r1cs is not over BN254, :class:`FormatError` for a malformed ptau or one not prepared for phase 2.
    PLONK needs no circuit-specific ceremony: the key is as safe as the ptau.
    """
    z = build_plonk_zkey(r1cs, ptau)
    return write_plonk_zkey(z), plonk_zkey_to_vkey(z)
