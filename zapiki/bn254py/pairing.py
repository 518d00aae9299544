"""The optimal ate pairing of BN254 on Python ints: the twin of :mod:`zapiki.kernels.pairing`.

Miller loop (:func:`miller_loop`): several pairs share the squarings of f; the loop count 6u + 2 is walked in
non-adjacent form (21 additions instead of 36); the running G2 points stay affine, and the one inversion each
step needs is shared by all pairs (Montgomery's trick: a modular inverse costs ~30 multiplications on Python
ints). Each line is divided by y_P, an Fq factor that the final exponentiation removes, so its product with f
is the sparse ``f * (1 + (b + c v) w)``.

Final exponentiation: the easy part f^((q^6 - 1)(q^2 + 1)), then the hard part as Fuentes-Castaneda et al.
(2011) decompose a multiple of it, m (q^4 - q^2 + 1)/r = l0 + l1 q + l2 q^2 + l3 q^3 with m = 2u(6u^2 + 3u + 1),
from f^u, f^(u^2), f^(u^3) with cyclotomic squarings and three Frobenius maps. m is prime to r, so
:func:`pairing_check` tests the m-th power for 1; :func:`pairing` raises it to 1/m mod r to give the reduced
pairing itself, equal to py_ecc's and to the numba kernel's.

>>> from .curve import G1_GEN, G2_GEN
>>> e = pairing(G1_GEN, G2_GEN)
>>> e != ONE12 and f12_mul(e, pairing((G1_GEN[0], Q - G1_GEN[1]), G2_GEN)) == ONE12
True
>>> pairing_check([(G1_GEN, G2_GEN), ((G1_GEN[0], Q - G1_GEN[1]), G2_GEN)])
True
"""

from __future__ import annotations

from collections.abc import Sequence
from math import gcd

from .curve import G1Point, G2Point, naf, psi
from .fields import (
    ONE12,
    Fq2,
    Fq12,
    Q,
    R,
    U,
    f2_batch_inv,
    f2_neg,
    f12_conj,
    f12_cyclotomic_sqr,
    f12_frobenius,
    f12_inv,
    f12_mul,
    f12_mul_line,
    f12_sqr,
    fq_batch_inv,
)

__all__ = ["final_exponentiation", "miller_loop", "pairing", "pairing_check"]

#: 6u + 2 in non-adjacent form, most significant digit first.
ATE_NAF = naf(6 * U + 2)
#: u in non-adjacent form (exponentiation by u in the cyclotomic subgroup, where an inverse is a conjugate).
U_NAF = naf(U)
#: Fuentes-Castaneda et al.: sum l_i q^i = m (q^4 - q^2 + 1) / r.
M = 2 * U * (6 * U * U + 3 * U + 1)
_L1 = 12 * U**3 + 6 * U**2 + 4 * U
assert (12 * U**3 + 12 * U**2 + 6 * U + 1) + _L1 * Q + (_L1 + 2 * U) * Q**2 + (_L1 - 1) * Q**3 == M * (
    (Q**4 - Q**2 + 1) // R
)
assert gcd(M, R) == 1
M_INV = pow(M, -1, R)

Pair = tuple[tuple[int, int], tuple[Fq2, Fq2]]


def miller_loop(pairs: Sequence[Pair]) -> Fq12:
    """prod_i f_{6u+2,Q_i}(P_i) times the two Frobenius lines, for affine P_i in G1 and Q_i in G2 (neither at
    infinity, Q_i in G2: the caller checks), each line scaled by 1/y_P."""
    if not pairs:
        return ONE12
    inv_y = fq_batch_inv([p[1] for p, _ in pairs])
    # line through T with slope lam at P, over y_P: 1 + (lam * (-x_P/y_P)) w + ((lam x_T - y_T) / y_P) w^3
    px = [-p[0] * iy % Q for (p, _), iy in zip(pairs, inv_y, strict=True)]
    qs = [q for _, q in pairs]
    ts = list(qs)
    f = ONE12

    def add_step(f: Fq12, adds: list[tuple[Fq2, Fq2]]) -> Fq12:
        # chord through T and A: lam = (y_A - y_T) / (x_A - x_T); T <- T + A
        invs = f2_batch_inv(
            [((xa[0] - xt[0]) % Q, (xa[1] - xt[1]) % Q) for (xa, _), (xt, _) in zip(adds, ts, strict=True)]
        )
        for i, ((xa, ya), (xt, yt), inv) in enumerate(zip(adds, ts, invs, strict=True)):
            f, ts[i] = _line(f, ((ya[0] - yt[0]) % Q, (ya[1] - yt[1]) % Q), inv, xt, yt, xa, px[i], inv_y[i])
        return f

    for digit in ATE_NAF[1:]:
        f = f12_sqr(f)
        # tangent at T: lam = 3 x_T^2 / (2 y_T); T <- 2T
        invs = f2_batch_inv([(2 * yt[0] % Q, 2 * yt[1] % Q) for _, yt in ts])
        for i, ((xt, yt), inv) in enumerate(zip(ts, invs, strict=True)):
            x0, x1 = xt
            num = (3 * (x0 + x1) * (x0 - x1) % Q, 6 * x0 * x1 % Q)
            f, ts[i] = _line(f, num, inv, xt, yt, xt, px[i], inv_y[i])
        if digit:
            f = add_step(f, qs if digit > 0 else [(x, f2_neg(y)) for x, y in qs])
    # the Frobenius lines: T + pi(Q), then + (-pi^2(Q))
    q1 = [psi(q) for q in qs]
    f = add_step(f, q1)
    return add_step(f, [(x, f2_neg(y)) for x, y in (psi(q) for q in q1)])


def _line(f: Fq12, num: Fq2, inv: Fq2, xt: Fq2, yt: Fq2, xa: Fq2, px: int, iy: int) -> tuple[Fq12, tuple[Fq2, Fq2]]:
    """f times the line of slope num * inv through T, and the next T (whose x is lam^2 - x_T - x_A)."""
    n0, n1 = num
    i0, i1 = inv
    lr, li = (n0 * i0 - n1 * i1) % Q, (n0 * i1 + n1 * i0) % Q
    x0, x1 = xt
    y0, y1 = yt
    # c = (lam x_T - y_T) / y_P
    c = ((lr * x0 - li * x1 - y0) * iy % Q, (lr * x1 + li * x0 - y1) * iy % Q)
    f = f12_mul_line(f, (lr * px % Q, li * px % Q), c)
    x3 = ((lr + li) * (lr - li) - x0 - xa[0]) % Q, (2 * lr * li - x1 - xa[1]) % Q
    dx0, dx1 = x0 - x3[0], x1 - x3[1]
    y3 = (lr * dx0 - li * dx1 - y0) % Q, (lr * dx1 + li * dx0 - y1) % Q
    return f, (x3, y3)


def _exp_u(f: Fq12) -> Fq12:
    """f^u for f in the cyclotomic subgroup (NAF digits; f^-1 is conj(f))."""
    inv = f12_conj(f)
    out = f
    for d in U_NAF[1:]:
        out = f12_cyclotomic_sqr(out)
        if d:
            out = f12_mul(out, f if d > 0 else inv)
    return out


def _easy_part(f: Fq12) -> Fq12:
    """f^((q^6 - 1)(q^2 + 1)): lands in the cyclotomic subgroup."""
    f = f12_mul(f12_conj(f), f12_inv(f))
    return f12_mul(f12_frobenius(f, 2), f)


def _hard_part_times_m(f: Fq12) -> Fq12:
    """f^(m (q^4 - q^2 + 1)/r) = f^l0 (f^l1)^q (f^l2)^(q^2) (f^l3)^(q^3) with
    l1 = 12u^3 + 6u^2 + 4u, l2 = l1 + 2u, l3 = l1 - 1, l0 = l2 + 6u^2 + 1."""
    sq = f12_cyclotomic_sqr
    a = _exp_u(f)  # f^u
    b = _exp_u(a)  # f^(u^2)
    c = _exp_u(b)  # f^(u^3)
    a2 = sq(a)
    b6 = sq(f12_mul(sq(b), b))
    c12 = sq(sq(f12_mul(sq(c), c)))
    f_l1 = f12_mul(f12_mul(c12, b6), sq(a2))
    f_l2 = f12_mul(f_l1, a2)
    f_l3 = f12_mul(f_l1, f12_conj(f))
    f_l0 = f12_mul(f12_mul(f_l2, b6), f)
    return f12_mul(f12_mul(f_l0, f12_frobenius(f_l1, 1)), f12_mul(f12_frobenius(f_l2, 2), f12_frobenius(f_l3, 3)))


def _cyclotomic_pow(f: Fq12, e: int) -> Fq12:
    out = ONE12
    for bit in bin(e)[2:]:
        out = f12_cyclotomic_sqr(out)
        if bit == "1":
            out = f12_mul(out, f)
    return out


def final_exponentiation(f: Fq12) -> Fq12:
    """f^((q^12 - 1)/r), the reduced pairing value (the fast chain's m-th power, raised to 1/m mod r)."""
    return _cyclotomic_pow(_hard_part_times_m(_easy_part(f)), M_INV)


def pairing(p: G1Point, q: G2Point) -> Fq12:
    """e(P, Q) for P in G1 and Q in G2 (affine, None = infinity; not checked), as py_ecc's ``pairing(Q, P)``."""
    if p is None or q is None:
        return ONE12
    return final_exponentiation(miller_loop([(p, q)]))


def pairing_check(pairs: Sequence[tuple[G1Point, G2Point]]) -> bool:
    """Whether prod_i e(P_i, Q_i) == 1 (one shared Miller loop and final exponentiation; the points are not
    checked here: G2 points must be in G2). Pairs with a point at infinity contribute 1."""
    live = [(p, q) for p, q in pairs if p is not None and q is not None]
    return _hard_part_times_m(_easy_part(miller_loop(live))) == ONE12
