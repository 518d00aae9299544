"""The readable reference PLONK prover: snarkjs 0.7.6's ``plonk prove`` on plain Python ints.

Slow (pure Python: radix-2 FFTs on ints, multi-scalar multiplications with :func:`~zapiki.bn254py.curve.g1_lincomb`)
and written to be read and to check faster provers against, round by round (see ``trace`` below). The algorithm is
the PLONK paper's (eprint 2019/953, section 8.4) as snarkjs implements it: the same blinding, the same quotient
split, the same Keccak-256 transcript (:mod:`.transcript`), so its proofs pass ``snarkjs plonk verify`` and
:func:`zapiki.systems.plonk.verifier.verify`. Every polynomial below is determined by the witness, the key and the
eleven blinding scalars, so any correct prover given the same scalars (snarkjs's included) makes the same proof.
One difference: snarkjs 0.7.6 cannot prove a circuit without public signals (it reads no Lagrange evaluations and
fails "out of bounds" in round 3); here ``L1`` comes from the key, which always holds ``max(1, nPublic)`` Lagrange
polynomials, and ``snarkjs plonk verify`` accepts the proof.

Polynomial layout (stated once): a polynomial is a ``list[int]`` of its coefficients mod r, lowest degree first.
"Values on the n-domain" are the values at ``w^i`` (``i = 0 .. n-1``, ``w = Fr.w[power]``, ``n`` the key's
domain size); "values on the 4n-domain" at ``w4^i`` (``w4 = Fr.w[power + 2]``), in natural order, as the
``.zkey`` stores its selectors. Everything is a plain (not Montgomery) residue.

The rounds (``b1 .. b11`` are random blinding scalars; ``Zh(X) = X^n - 1`` vanishes on the n-domain):

0. the internal witness: the circuit's witness (``w[0]`` set to 0, as snarkjs does) followed by the key's
   additions ``w[k] = ca w[a] + cb w[b]``;
1. the wire polynomials ``a, b, c`` interpolate the gates' wire values, blinded: ``a(X) + (b2 + b1 X) Zh(X)``
   (``b`` with ``b4, b3``; ``c`` with ``b6, b5``); commitments ``[a], [b], [c]``;
2. challenges ``beta, gamma``; the permutation's grand product ``z`` (``z(w^0) = 1``), blinded with
   ``(b9 + b8 X + b7 X^2) Zh(X)``; commitment ``[z]``;
3. challenge ``alpha``; the quotient ``t = (gates + alpha perm + alpha^2 (z - 1) L1) / Zh`` computed on the
   4n-domain as snarkjs does (the unblinded part divided by ``Zh`` after interpolation, the blinding part already
   divided, see :func:`_round3`), split ``t = T1 + X^n T2 + X^2n T3`` with ``b10, b11``; ``[T1], [T2], [T3]``;
4. challenge ``xi``; the evaluations ``a(xi), b(xi), c(xi), S1(xi), S2(xi), z(xi w)``;
5. challenge ``v``; the linearisation ``r(X)`` and the openings ``Wxi = (r + v a + v^2 b + ... ) / (X - xi)``,
   ``Wxiw = (z - z(xi w)) / (X - xi w)``; ``[Wxi], [Wxiw]``.

``trace``: pass a dict and it is filled with every round's output (plain ints; polynomials as coefficient lists
as above; points as affine ``(x, y)`` tuples or ``None``):

* ``blinding``: ``[b1, ..., b11]``; ``witness``: the internal witness (``nVars`` values, ``w[0] = 0``);
* round 1: ``A_n``, ``B_n``, ``C_n`` (wire values on the n-domain), ``A4``, ``B4``, ``C4`` (the unblinded
  polynomials on the 4n-domain), ``A``, ``B``, ``C`` (blinded coefficients, n + 2 each), ``[A]``, ``[B]``, ``[C]``;
* round 2: ``beta``, ``gamma``, ``Z_n`` (grand product on the n-domain), ``Z4``, ``Z`` (blinded, n + 3), ``[Z]``;
* round 3: ``alpha``, ``T4`` and ``Tz4`` (snarkjs's ``buffers.T`` and ``buffers.Tz``: the unblinded numerator
  and the blinding part already divided by ``Zh``, on the 4n-domain), ``T`` (the quotient, 4n coefficients, zero
  from 3n + 6 on), ``T1``, ``T2`` (n + 1 each), ``T3`` (n + 6), ``[T1]``, ``[T2]``, ``[T3]``;
* round 4: ``xi``, ``xiw``, ``eval_a``, ``eval_b``, ``eval_c``, ``eval_s1``, ``eval_s2``, ``eval_zw``;
* round 5: ``v`` (``[v1, ..., v5]``), ``xin`` (``xi^n``), ``zh`` (``xi^n - 1``), ``L`` (``[L1(xi), ...]``,
  ``max(1, nPublic)`` values), ``pi`` (``PI(xi)``), ``r0``, ``R`` (n + 6 coefficients), ``Wxi`` (n + 6, the
  top one 0) and ``Wxiw`` (n + 3, the top one 0), ``[Wxi]``, ``[Wxiw]``.

A witness that breaks a gate is refused before any work with a :class:`ValueError` naming the first failing
gate (``check=False`` skips that check; the quotient is then not a polynomial and the division by ``Zh`` raises,
as snarkjs's "Polynomial is not divisible" does).

>>> from pathlib import Path
>>> from zapiki.formats.plonk_zkey import plonk_zkey_to_vkey, read_plonk_zkey
>>> from zapiki.systems.groth16.ptau_setup import dev_ptau
>>> from zapiki.systems.plonk.setup import plonk_setup
>>> from zapiki.systems.plonk.verifier import verify
>>> fx = Path("tests/fixtures/groth16/multiplier")
>>> zkey = read_plonk_zkey(plonk_setup(fx / "circuit.r1cs", dev_ptau(3))[0])
>>> proof, public = prove_reference(zkey, read_witness(fx / "witness.wtns"))
>>> public, proof["protocol"], verify(plonk_zkey_to_vkey(zkey), public, proof)
(['33'], 'plonk', True)
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from zapiki.bn254py.curve import G1Point, g1_lincomb
from zapiki.bn254py.fields import R
from zapiki.formats.binfile import Source
from zapiki.formats.field import MONT_R, limbs_to_ints
from zapiki.formats.plonk_zkey import PlonkZKey, plonk_root_of_unity
from zapiki.formats.wtns import read_wtns
from zapiki.formats.zkey import g1_to_ints

from .transcript import Transcript

__all__ = ["N_BLINDING", "prove_reference", "read_witness"]

#: snarkjs draws eleven blinding scalars b1 .. b11.
N_BLINDING = 11
_MONT_INV = pow(MONT_R, -1, R)


def read_witness(source: Source) -> list[int]:
    """A ``.wtns`` file (path or bytes) as the list of its values (plain ints), as :func:`prove_reference` takes.

    >>> from zapiki.formats.wtns import write_wtns
    >>> read_witness(write_wtns([1, 33, 3, 11]))
    [1, 33, 3, 11]
    """
    return read_wtns(source).to_ints()


# --- polynomial helpers (coefficient lists mod r, lowest degree first) ------------------------------------------


def _fft(values: list[int], omega: int) -> list[int]:
    """Evaluate the polynomial ``values`` at ``omega^0 .. omega^(m-1)``; m = len(values), a power of two."""
    m = len(values)
    if m == 1:
        return list(values)
    even = _fft(values[0::2], omega * omega % R)  # p(x) = p_even(x^2) + x p_odd(x^2)
    odd = _fft(values[1::2], omega * omega % R)
    out = [0] * m
    w = 1
    for i in range(m // 2):
        t = w * odd[i] % R
        out[i] = (even[i] + t) % R
        out[i + m // 2] = (even[i] - t) % R
        w = w * omega % R
    return out


def _evaluate_on_domain(coeffs: list[int], size: int) -> list[int]:
    """Values of ``coeffs`` (fewer than ``size``) on the domain of the ``size``-th roots of unity."""
    return _fft(coeffs + [0] * (size - len(coeffs)), plonk_root_of_unity(size.bit_length() - 1))


def _interpolate(values: list[int]) -> list[int]:
    """The polynomial of degree < m taking ``values`` on the m-domain (inverse FFT)."""
    m = len(values)
    coeffs = _fft(values, pow(plonk_root_of_unity(m.bit_length() - 1), -1, R))
    m_inv = pow(m, -1, R)
    return [c * m_inv % R for c in coeffs]


def _evaluate(coeffs: list[int], x: int) -> int:
    """p(x), Horner."""
    acc = 0
    for c in reversed(coeffs):
        acc = (acc * x + c) % R
    return acc


def _add(p: list[int], q: list[int], k: int = 1) -> list[int]:
    """p + k q."""
    out = p + [0] * (len(q) - len(p)) if len(q) > len(p) else list(p)
    for i, c in enumerate(q):
        out[i] = (out[i] + k * c) % R
    return out


def _scale(p: list[int], k: int) -> list[int]:
    """k p."""
    return [k * c % R for c in p]


def _blind(coeffs: list[int], factors: list[int], n: int) -> list[int]:
    """p(X) + (f0 + f1 X + ...) (X^n - 1): the same values on the n-domain (snarkjs's ``blindCoefficients``)."""
    out = coeffs + [0] * (n + len(factors) - len(coeffs))
    for i, f in enumerate(factors):
        out[i] = (out[i] - f) % R
        out[n + i] = (out[n + i] + f) % R
    return out


def _divide_by_zh(coeffs: list[int], n: int) -> list[int]:
    """p(X) / (X^n - 1), same length as p; a ValueError when the remainder is not zero."""
    rem, quot = list(coeffs), [0] * len(coeffs)
    for i in range(len(coeffs) - 1, n - 1, -1):  # long division from the top: c X^i = c X^(i-n) (X^n - 1) + c X^(i-n)
        quot[i - n], rem[i - n], rem[i] = rem[i], (rem[i - n] + rem[i]) % R, 0
    if any(rem):
        raise ValueError(
            "the quotient t(X) is not a polynomial (snarkjs: Polynomial is not divisible): the witness does not "
            "satisfy the circuit's gates"
        )
    return quot


def _divide_by_linear(coeffs: list[int], x0: int) -> list[int]:
    """p(X) / (X - x0), same length as p (top coefficient 0); a ValueError unless p(x0) = 0."""
    quot, acc = [0] * len(coeffs), 0
    for i in range(len(coeffs) - 1, 0, -1):  # synthetic division: q_(i-1) = p_i + x0 q_i
        acc = (coeffs[i] + acc * x0) % R
        quot[i - 1] = acc
    if (coeffs[0] + acc * x0) % R:
        raise ValueError("an opening polynomial is not divisible by (X - point): the proof would not verify")
    return quot


def _split_product(factors: list[tuple[int, int]], zh: int) -> tuple[int, int]:
    """The product of values ``v + u Zh(x)`` given as pairs ``(v, u)``, again as such a pair (round 3):
    ``(v, u)(v', u') = (v v', v u' + u v' + Zh(x) u u')``, never dividing by ``Zh(x)``."""
    v, u = 1, 0
    for fv, fu in factors:
        v, u = v * fv % R, (v * fu + u * fv + zh * u * fu) % R
    return v, u


# --- the prover's state ---------------------------------------------------------------------------------------


@dataclass
class _State:
    """What the rounds share: the key in plain ints, the blinding, the polynomials and challenges so far."""

    zkey: PlonkZKey
    n: int
    omega: int  # w = Fr.w[power]
    b: list[int]  # b[1] .. b[11]; b[0] unused so that indices read as in the paper and snarkjs
    ptau: list[G1Point]
    witness: list[int] = field(default_factory=list)
    public: list[int] = field(default_factory=list)
    polys: dict[str, list[int]] = field(default_factory=dict)  # coefficients: A, B, C, Z, T1, ..., Qm, S1, ...
    evals4: dict[str, list[int]] = field(default_factory=dict)  # values on the 4n-domain
    wires: dict[str, list[int]] = field(default_factory=dict)  # A, B, C values on the n-domain
    ch: dict[str, int] = field(default_factory=dict)  # challenges and evaluations
    commitments: dict[str, G1Point] = field(default_factory=dict)
    lists: dict[str, list[int]] = field(default_factory=dict)  # v = [v1 .. v5], L = [L1(xi), ...]
    transcript: Transcript = field(default_factory=Transcript)

    def commit(self, name: str, coeffs: list[int]) -> None:
        """[p]_1 = sum_i p_i [tau^i]_1."""
        if len(coeffs) > len(self.ptau):
            raise ValueError(f"{name} has {len(coeffs)} coefficients, the key only {len(self.ptau)} powers of tau")
        self.commitments[name] = g1_lincomb(self.ptau[: len(coeffs)], coeffs)


def _plain(limbs: np.ndarray) -> list[int]:
    """Montgomery limbs of the zkey -> plain ints."""
    return [v * _MONT_INV % R for v in limbs_to_ints(limbs)]


def _load(zkey: PlonkZKey, blinding: Sequence[int] | None) -> _State:
    n = zkey.domain_size
    if blinding is None:
        blinding = [secrets.randbelow(R) for _ in range(N_BLINDING)]
    if len(blinding) != N_BLINDING:
        raise ValueError(f"blinding: expected {N_BLINDING} scalars b1 .. b11, got {len(blinding)}")
    st = _State(zkey=zkey, n=n, omega=plonk_root_of_unity(zkey.power), b=[0, *(int(x) % R for x in blinding)],
                ptau=[g1_to_ints(p) for p in zkey.ptau])  # fmt: skip
    for name in ("Qm", "Ql", "Qr", "Qo", "Qc", "S1", "S2", "S3"):
        st.polys[name] = _plain(zkey.coefficients(name))
        st.evals4[name] = _plain(zkey.evaluations(name))
    for j in range(zkey.lagrange.shape[0]):
        st.evals4[f"L{j + 1}"] = _plain(zkey.lagrange[j, n:])
    return st


# --- round 0: the internal witness ---------------------------------------------------------------------------


def _internal_witness(st: _State, witness: Sequence[int]) -> None:
    """w = the circuit's witness with w[0] := 0 (snarkjs: "not used, set to zero"), then w[k] = ca w[a] + cb w[b]."""
    z = st.zkey
    n_circuit = z.n_vars - z.n_additions
    if len(witness) != n_circuit:
        raise ValueError(f"witness has {len(witness)} values, the key expects {n_circuit} (nVars - nAdditions)")
    w = [int(x) for x in witness]
    for i, x in enumerate(w):
        if not 0 <= x < R:
            raise ValueError(f"witness value {i} is not a field element (0 <= v < r)")
    st.public = w[1 : z.n_public + 1]  # public signals: witness[1 .. nPublic], before w[0] is cleared
    w[0] = 0
    for a, b, ca, cb in zip(z.additions["a"], z.additions["b"], _plain(z.additions["ca"]), _plain(z.additions["cb"]),
                            strict=True):  # fmt: skip
        w.append((ca * w[int(a)] + cb * w[int(b)]) % R)
    st.witness = w


def _check_gates(st: _State) -> None:
    """qM a b + qL a + qR b + qO c + qC + PI = 0 on every row (PI_i = -a_i for the public rows)."""
    z, w = st.zkey, st.witness
    q = {k: st.evals4[k][0::4] for k in ("Qm", "Ql", "Qr", "Qo", "Qc")}  # the n-domain is every 4th 4n point
    for i in range(z.n_constraints):
        ia, ib, ic = (int(z.wire_maps[k, i]) for k in range(3))
        a, b, c = w[ia], w[ib], w[ic]
        pi = -a if i < z.n_public else 0
        lhs = (q["Qm"][i] * a * b + q["Ql"][i] * a + q["Qr"][i] * b + q["Qo"][i] * c + q["Qc"][i] + pi) % R
        if lhs:
            raise ValueError(
                f"the witness does not satisfy PLONK gate {i}: qM a b + qL a + qR b + qO c + qC = {lhs} != 0 "
                f"(wires a = signal {ia}, b = signal {ib}, c = signal {ic})"
            )


# --- the five rounds ------------------------------------------------------------------------------------------


def _round1(st: _State) -> None:
    """Wire polynomials a, b, c: interpolate the gates' wire values, blind with (b2 + b1 X) Zh etc., commit."""
    z, n = st.zkey, st.n
    for k, (name, hi, lo) in enumerate((("A", 1, 2), ("B", 3, 4), ("C", 5, 6))):
        values = [st.witness[int(s)] for s in z.wire_maps[k]] + [0] * (n - z.n_constraints)  # padding rows: 0
        st.wires[name] = values
        coeffs = _interpolate(values)
        st.evals4[name] = _evaluate_on_domain(coeffs, 4 * n)  # unblinded: round 3 adds the blinding back
        st.polys[name] = _blind(coeffs, [st.b[lo], st.b[hi]], n)  # a(X) + (b2 + b1 X)(X^n - 1)
        st.commit(name, st.polys[name])


def _round2(st: _State) -> None:
    """beta, gamma; z(w^(i+1)) = z(w^i) prod (wire + beta id + gamma) / (wire + beta sigma + gamma); blind; commit."""
    z, n, t = st.zkey, st.n, st.transcript
    t.reset()
    for name in ("Qm", "Ql", "Qr", "Qo", "Qc", "S1", "S2", "S3"):
        t.add_point(g1_to_ints(z.commitment(name)))
    for i in range(z.n_public):
        t.add_scalar(st.wires["A"][i])  # snarkjs adds the public rows' a values (the public signals)
    for name in ("A", "B", "C"):
        t.add_point(st.commitments[name])
    beta = st.ch["beta"] = t.challenge()
    t.reset()
    t.add_scalar(beta)
    gamma = st.ch["gamma"] = t.challenge()

    a, b, c = st.wires["A"], st.wires["B"], st.wires["C"]
    s1, s2, s3 = (st.evals4[k][0::4] for k in ("S1", "S2", "S3"))
    values, acc, x = [], 1, 1  # x = w^i
    for i in range(n):
        values.append(acc)
        num = (a[i] + beta * x + gamma) * (b[i] + beta * z.k1 * x + gamma) % R * (c[i] + beta * z.k2 * x + gamma)
        den = (a[i] + beta * s1[i] + gamma) * (b[i] + beta * s2[i] + gamma) % R * (c[i] + beta * s3[i] + gamma)
        acc = acc * num % R * pow(den, -1, R) % R
        x = x * st.omega % R
    if acc != 1:  # the product wraps around to z(w^n) = z(1) = 1 exactly when the copy constraints hold
        raise ValueError("copy constraints do not match (the grand product z does not return to 1)")
    st.wires["Z"] = values
    coeffs = _interpolate(values)
    st.evals4["Z"] = _evaluate_on_domain(coeffs, 4 * n)
    st.polys["Z"] = _blind(coeffs, [st.b[9], st.b[8], st.b[7]], n)  # z(X) + (b9 + b8 X + b7 X^2)(X^n - 1)
    st.commit("Z", st.polys["Z"])


def _round3(st: _State) -> None:
    """alpha; t = (gates + alpha perm + alpha^2 (z - 1) L1) / Zh on the 4n-domain; split into T1, T2, T3; commit.

    The blinded polynomials have degree up to n + 2, so their product (degree 4n + 5) does not fit the 4n-domain.
    As snarkjs does, every value is carried as a pair ``(v, u)`` meaning ``v + u Zh(x)``: ``v`` from the unblinded
    polynomials (degree < n), ``u`` the blinding factor (``b2 + b1 x`` for a). Pairs multiply exactly without
    dividing by ``Zh(x)`` (zero on a quarter of the points): ``(v, u)(v', u') = (v v', v u' + u v' + Zh(x) u u')``.
    Then ``t = interpolate(v) / Zh + interpolate(u)``; both interpolations have degree < 4n.
    """
    z, n, t = st.zkey, st.n, st.transcript
    beta, gamma = st.ch["beta"], st.ch["gamma"]
    t.reset()
    t.add_scalar(beta)
    t.add_scalar(gamma)
    t.add_point(st.commitments["Z"])
    alpha = st.ch["alpha"] = t.challenge()
    alpha2 = alpha * alpha % R

    e, b = st.evals4, st.b
    w4 = plonk_root_of_unity(z.power + 2)
    t_vals, tz_vals = [], []
    x = 1  # x = w4^i
    for i in range(4 * n):
        zh = (pow(x, n, R) - 1) % R  # Zh(x): 0, w_4 - 1, -2, -w_4 - 1 in turn
        xw = x * st.omega % R
        a = (e["A"][i], (b[2] + b[1] * x) % R)
        bb = (e["B"][i], (b[4] + b[3] * x) % R)
        c = (e["C"][i], (b[6] + b[5] * x) % R)
        zz = (e["Z"][i], (b[9] + b[8] * x + b[7] * x * x) % R)
        zw = (e["Z"][(i + 4) % (4 * n)], (b[9] + b[8] * xw + b[7] * xw * xw) % R)  # z(x w): 4 steps on the 4n-domain
        qm, ql, qr, qo, qc = (e[k][i] for k in ("Qm", "Ql", "Qr", "Qo", "Qc"))
        s1, s2, s3, l1 = e["S1"][i], e["S2"][i], e["S3"][i], e["L1"][i]
        pi = -sum(e[f"L{j + 1}"][i] * st.wires["A"][j] for j in range(z.n_public)) % R  # PI(x) = -sum L_j(x) a_j

        # e1 = a b qM + a qL + b qR + c qO + PI + qC
        ab = _split_product([a, bb], zh)
        e1 = ((ab[0] * qm + a[0] * ql + bb[0] * qr + c[0] * qo + pi + qc) % R,
              (ab[1] * qm + a[1] * ql + bb[1] * qr + c[1] * qo) % R)  # fmt: skip
        # e2 = alpha (a + beta x + gamma)(b + beta k1 x + gamma)(c + beta k2 x + gamma) z
        bx = beta * x % R
        e2 = _split_product([((a[0] + bx + gamma) % R, a[1]), ((bb[0] + bx * z.k1 + gamma) % R, bb[1]),
                             ((c[0] + bx * z.k2 + gamma) % R, c[1]), zz], zh)  # fmt: skip
        # e3 = alpha (a + beta S1 + gamma)(b + beta S2 + gamma)(c + beta S3 + gamma) z(x w)
        e3 = _split_product([((a[0] + beta * s1 + gamma) % R, a[1]), ((bb[0] + beta * s2 + gamma) % R, bb[1]),
                             ((c[0] + beta * s3 + gamma) % R, c[1]), zw], zh)  # fmt: skip
        # e4 = alpha^2 (z - 1) L1
        e4 = ((zz[0] - 1) * l1 % R * alpha2 % R, zz[1] * l1 % R * alpha2 % R)
        t_vals.append((e1[0] + alpha * (e2[0] - e3[0]) + e4[0]) % R)
        tz_vals.append((e1[1] + alpha * (e2[1] - e3[1]) + e4[1]) % R)
        x = x * w4 % R

    quotient = _add(_divide_by_zh(_interpolate(t_vals), n), _interpolate(tz_vals))
    if any(quotient[3 * n + 6 :]):
        raise ValueError("the quotient t(X) has degree >= 3n + 6 (snarkjs: T Polynomial is not well calculated)")
    st.evals4["T"], st.evals4["Tz"], st.polys["T"] = t_vals, tz_vals, quotient

    # t = T1 + X^n T2 + X^2n T3 with T1 = t_lo + b10 X^n, T2 = t_mid - b10 + b11 X^n, T3 = t_hi - b11
    t1 = quotient[:n] + [b[10]]
    t2 = quotient[n : 2 * n] + [b[11]]
    t2[0] = (t2[0] - b[10]) % R
    t3 = quotient[2 * n : 3 * n + 6]
    t3[0] = (t3[0] - b[11]) % R
    for name, coeffs in (("T1", t1), ("T2", t2), ("T3", t3)):
        st.polys[name] = coeffs
        st.commit(name, coeffs)


def _round4(st: _State) -> None:
    """xi; a(xi), b(xi), c(xi), S1(xi), S2(xi), z(xi w) (the blinded polynomials)."""
    t, p = st.transcript, st.polys
    t.reset()
    t.add_scalar(st.ch["alpha"])
    for name in ("T1", "T2", "T3"):
        t.add_point(st.commitments[name])
    xi = st.ch["xi"] = t.challenge()
    xiw = st.ch["xiw"] = xi * st.omega % R
    for key, name, point in (("eval_a", "A", xi), ("eval_b", "B", xi), ("eval_c", "C", xi), ("eval_s1", "S1", xi),
                             ("eval_s2", "S2", xi), ("eval_zw", "Z", xiw)):  # fmt: skip
        st.ch[key] = _evaluate(p[name], point)


def _round5(st: _State) -> None:
    """v; the linearisation r(X) (r(xi) = 0); Wxi = (r + sum v^k (p_k - p_k(xi))) / (X - xi), Wxiw; commit."""
    z, n, t, p, ch = st.zkey, st.n, st.transcript, st.polys, st.ch
    xi, beta, gamma, alpha = ch["xi"], ch["beta"], ch["gamma"], ch["alpha"]
    ev_a, ev_b, ev_c, ev_s1, ev_s2, ev_zw = (ch[k] for k in ("eval_a", "eval_b", "eval_c", "eval_s1", "eval_s2",
                                                             "eval_zw"))  # fmt: skip
    t.reset()
    for s in (xi, ev_a, ev_b, ev_c, ev_s1, ev_s2, ev_zw):
        t.add_scalar(s)
    v1 = t.challenge()
    v = [v1]
    for _ in range(4):
        v.append(v[-1] * v1 % R)  # v^1 .. v^5

    xin = pow(xi, n, R)
    zh = (xin - 1) % R
    # L_i(xi) = w^(i-1) (xi^n - 1) / (n (xi - w^(i-1))), i = 1 .. max(1, nPublic)
    lag, wi = [], 1
    for _ in range(max(1, z.n_public)):
        lag.append(wi * zh % R * pow(n * (xi - wi) % R, -1, R) % R)
        wi = wi * st.omega % R
    pi = -sum(s * li for s, li in zip(st.public, lag, strict=False)) % R  # PI(xi) = -sum public_i L_i(xi)
    alpha2 = alpha * alpha % R
    betaxi = beta * xi % R
    e2 = (ev_a + betaxi + gamma) * (ev_b + betaxi * z.k1 + gamma) % R * (ev_c + betaxi * z.k2 + gamma) % R * alpha % R
    e3 = (ev_a + beta * ev_s1 + gamma) * (ev_b + beta * ev_s2 + gamma) % R * ev_zw % R * alpha % R
    e4 = lag[0] * alpha2 % R

    # r = ab qM + a qL + b qR + c qO + qC + (e2 + e4) z - e3 beta S3 - Zh(xi)(T1 + xi^n T2 + xi^2n T3) + r0
    r = [0] * (n + 6)
    for coeffs, k in ((p["Qm"], ev_a * ev_b % R), (p["Ql"], ev_a), (p["Qr"], ev_b), (p["Qo"], ev_c), (p["Qc"], 1),
                      (p["Z"], (e2 + e4) % R), (p["S3"], -e3 * beta % R)):  # fmt: skip
        r = _add(r, coeffs, k)
    t_xi = _add(_add(_scale(p["T3"], xin * xin % R), p["T2"], xin), p["T1"])
    r = _add(r, t_xi, -zh % R)
    r0 = (pi - e3 * (ev_c + gamma) - e4) % R
    r[0] = (r[0] + r0) % R

    wxi = list(r)
    for coeffs, k, ev in ((p["A"], v[0], ev_a), (p["B"], v[1], ev_b), (p["C"], v[2], ev_c), (p["S1"], v[3], ev_s1),
                          (p["S2"], v[4], ev_s2)):  # fmt: skip
        wxi = _add(wxi, coeffs, k)
        wxi[0] = (wxi[0] - k * ev) % R
    p["R"] = r
    p["Wxi"] = _divide_by_linear(wxi, xi)
    wxiw = list(p["Z"])
    wxiw[0] = (wxiw[0] - ev_zw) % R
    p["Wxiw"] = _divide_by_linear(wxiw, ch["xiw"])
    st.commit("Wxi", p["Wxi"])
    st.commit("Wxiw", p["Wxiw"])
    ch.update(xin=xin, zh=zh, pi=pi, r0=r0)
    st.lists.update(v=v, L=lag)


# --- the prover -----------------------------------------------------------------------------------------------


def _point_json(p: G1Point) -> list[str]:
    return ["0", "1", "0"] if p is None else [str(p[0]), str(p[1]), "1"]


def _fill_trace(st: _State, trace: dict) -> None:
    trace["blinding"] = st.b[1:]
    trace["witness"] = st.witness
    for name in ("A", "B", "C", "Z"):
        trace[f"{name}_n"] = st.wires[name]
        trace[f"{name}4"] = st.evals4[name]
    trace["T4"], trace["Tz4"] = st.evals4["T"], st.evals4["Tz"]
    for name in ("A", "B", "C", "Z", "T", "T1", "T2", "T3", "R", "Wxi", "Wxiw"):
        trace[name] = st.polys[name]
    for name, point in st.commitments.items():
        trace[f"[{name}]"] = point
    trace.update(st.ch)
    trace.update(st.lists)


def prove_reference(zkey: PlonkZKey, witness: Sequence[int], *, trace: dict | None = None,
                    blinding: Sequence[int] | None = None, check: bool = True) -> tuple[dict, list[str]]:  # fmt: skip
    """A PLONK proof of ``witness`` (the circuit's full witness, as ``.wtns`` holds it) for ``zkey``:
    ``(proof, public_signals)`` as ``snarkjs plonk prove`` writes ``proof.json`` and ``public.json``.

    ``blinding``: the eleven scalars ``b1 .. b11`` (default: fresh random ones, :mod:`secrets`); with the same
    blinding the proof is the same. ``trace``: a dict filled with every round's output (see the module's
    description). ``check``: refuse a witness that breaks a gate, naming it (a :class:`ValueError`).

    >>> from zapiki.formats.plonk_zkey import PlonkZKey
    >>> prove_reference(PlonkZKey.empty(n_public=1), [1])
    Traceback (most recent call last):
    ...
    ValueError: witness has 1 values, the key expects 2 (nVars - nAdditions)
    """
    st = _load(zkey, blinding)
    _internal_witness(st, witness)
    if check:
        _check_gates(st)
    _round1(st)
    _round2(st)
    _round3(st)
    _round4(st)
    _round5(st)
    if trace is not None:
        _fill_trace(st, trace)

    proof: dict = {name: _point_json(st.commitments[name]) for name in ("A", "B", "C", "Z", "T1", "T2", "T3",
                                                                          "Wxi", "Wxiw")}  # fmt: skip
    for key in ("eval_a", "eval_b", "eval_c", "eval_s1", "eval_s2", "eval_zw"):
        proof[key] = str(st.ch[key])
    proof["protocol"] = "plonk"
    proof["curve"] = "bn128"
    return proof, [str(s) for s in st.public]
