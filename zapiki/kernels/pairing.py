"""The optimal ate pairing of BN254 and the multi-pairing product check used by Groth16 verification.

e(P, Q) for P in G1 (affine ``(2, 4)``), Q in G2 (affine ``(2, 2, 4)``) is f^((q^12 - 1)/r) where f is the Miller
function of 6u + 2 at Q evaluated at P, times the two Frobenius lines; values equal py_ecc's ``pairing(Q, P)``
(compare with :func:`zapiki.kernels.fq12.to_pyecc`).

Miller loop: the G2 point T runs in affine coordinates on the twist (one Fq2 inversion per step); a line
through T with slope lambda, evaluated at P and untwisted by (x, y) -> (x w^2, y w^3), is
``yP - lambda xP w + (lambda xT - yT) w^3``. The pairs of a product share the squarings of f and a single
final exponentiation: f -> conj(f)/f (the q^6 - 1 part), then a plain power by (q^6 + 1)/r, exact, so the
result is the reduced pairing itself and not a power of it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from zapiki.errors import CurveError

from . import g1, g2
from .constants import ATE_LOOP_COUNT, Q, R
from .curve import load_fe, store_fe
from .fq import ZERO, fq_neg
from .fq2 import fq2_add, fq2_dbl, fq2_inv, fq2_mul, fq2_mul_fq, fq2_neg, fq2_sqr, fq2_sub
from .fq12 import FQ12_ONE, fq12_conj, fq12_inv, fq12_is_one, fq12_load, fq12_mul, fq12_pow, fq12_sqr, fq12_store
from .g2 import psi

#: Bits of 6u + 2 below the top one, most significant first.
LOOP_BITS = np.array([int(b) for b in bin(ATE_LOOP_COUNT)[3:]], dtype=np.int8)
_FINAL_EXP = (Q**6 + 1) // R
assert (Q**6 + 1) % R == 0
FINAL_EXP_LIMBS = np.array(
    [(_FINAL_EXP >> (64 * i)) & ((1 << 64) - 1) for i in range((_FINAL_EXP.bit_length() + 63) // 64)], dtype=np.uint64
)


@njit(cache=True)
def _line(lam: tuple, xt: tuple, yt: tuple, xp: tuple, yp: tuple) -> tuple:
    """The untwisted line through T with slope lam, evaluated at P, as a (sparse) Fq12 tuple."""
    zero2 = (ZERO, ZERO)
    c1 = fq2_mul_fq(lam, fq_neg(xp))  # coefficient of w
    c3 = fq2_sub(fq2_mul(lam, xt), yt)  # coefficient of w^3 = v w
    return (((yp, ZERO), zero2, zero2), (c1, c3, zero2))


@njit(cache=True)
def _double_step(xt: tuple, yt: tuple, xp: tuple, yp: tuple) -> tuple:
    # tangent at T: lambda = 3 xT^2 / (2 yT)
    x2 = fq2_sqr(xt)
    lam = fq2_mul(fq2_add(fq2_dbl(x2), x2), fq2_inv(fq2_dbl(yt)))
    line = _line(lam, xt, yt, xp, yp)
    x3 = fq2_sub(fq2_sqr(lam), fq2_dbl(xt))
    y3 = fq2_sub(fq2_mul(lam, fq2_sub(xt, x3)), yt)
    return line, x3, y3


@njit(cache=True)
def _add_step(xt: tuple, yt: tuple, xq: tuple, yq: tuple, xp: tuple, yp: tuple) -> tuple:
    # chord through T and Q: lambda = (yQ - yT) / (xQ - xT)
    lam = fq2_mul(fq2_sub(yq, yt), fq2_inv(fq2_sub(xq, xt)))
    line = _line(lam, xt, yt, xp, yp)
    x3 = fq2_sub(fq2_sub(fq2_sqr(lam), xt), xq)
    y3 = fq2_sub(fq2_mul(lam, fq2_sub(xt, x3)), yt)
    return line, x3, y3


@njit(cache=True, nogil=True)
def miller_loop_into(ps: np.ndarray, qs: np.ndarray, bits: np.ndarray, out: np.ndarray) -> None:
    """out = prod_i f_i (Miller functions with the Frobenius lines) over pairs with neither point at infinity."""
    n = ps.shape[0]
    active = np.zeros(n, dtype=np.bool_)
    ts = qs.copy()  # running points T_i, affine
    for i in range(n):
        px = load_fe(ps, i, 0)
        py = load_fe(ps, i, 1)
        qx = load_fe(qs, i, 0)
        qy = load_fe(qs, i, 1)
        p_inf = (px[0] | px[1] | px[2] | px[3] | py[0] | py[1] | py[2] | py[3]) == 0
        q_inf = True
        for c in range(2):
            for m in range(4):
                if qx[c][m] != 0 or qy[c][m] != 0:
                    q_inf = False
        active[i] = not (p_inf or q_inf)
    f = FQ12_ONE
    for b in range(bits.shape[0]):
        f = fq12_sqr(f)
        for i in range(n):
            if not active[i]:
                continue
            xp = load_fe(ps, i, 0)
            yp = load_fe(ps, i, 1)
            line, x3, y3 = _double_step(load_fe(ts, i, 0), load_fe(ts, i, 1), xp, yp)
            f = fq12_mul(f, line)
            if bits[b]:
                line, x3, y3 = _add_step(x3, y3, load_fe(qs, i, 0), load_fe(qs, i, 1), xp, yp)
                f = fq12_mul(f, line)
            store_fe(ts, i, 0, x3)
            store_fe(ts, i, 1, y3)
    for i in range(n):
        if not active[i]:
            continue
        xp = load_fe(ps, i, 0)
        yp = load_fe(ps, i, 1)
        # Q1 = pi(Q), -Q2 = -pi^2(Q), Frobenius on the twist
        q1x, q1y = psi(load_fe(qs, i, 0), load_fe(qs, i, 1))
        q2x, q2y = psi(q1x, q1y)
        line, x3, y3 = _add_step(load_fe(ts, i, 0), load_fe(ts, i, 1), q1x, q1y, xp, yp)
        f = fq12_mul(f, line)
        line, x3, y3 = _add_step(x3, y3, q2x, fq2_neg(q2y), xp, yp)
        f = fq12_mul(f, line)
    fq12_store(out, f)


@njit(cache=True)
def final_exp(f: tuple, e: np.ndarray) -> tuple:
    """f^((q^12 - 1)/r) = (conj(f)/f)^((q^6 + 1)/r); e holds (q^6 + 1)/r."""
    f1 = fq12_mul(fq12_conj(f), fq12_inv(f))
    return fq12_pow(f1, e)


@njit(cache=True, nogil=True)
def final_exp_into(f: np.ndarray, e: np.ndarray) -> bool:
    """f <- f^((q^12 - 1)/r) in place (a (2, 3, 2, 4) array); returns whether the result is 1."""
    r = final_exp(fq12_load(f), e)
    fq12_store(f, r)
    return fq12_is_one(r)


def _inputs(g1_points: np.ndarray, g2_points: np.ndarray, validate: bool) -> tuple[np.ndarray, np.ndarray]:
    ps = np.ascontiguousarray(g1_points, dtype=np.uint64).reshape(-1, 2, 4)
    qs = np.ascontiguousarray(g2_points, dtype=np.uint64).reshape(-1, 2, 2, 4)
    if ps.shape[0] != qs.shape[0]:
        raise CurveError(f"pairing needs as many G1 points as G2 points ({ps.shape[0]} != {qs.shape[0]})")
    if validate:
        g1.validate(ps)
        g2.validate(qs)
    return ps, qs


def pairing_product(g1_points: np.ndarray, g2_points: np.ndarray, validate: bool = True) -> np.ndarray:
    """prod_i e(P_i, Q_i) as an Fq12 array (2, 3, 2, 4); affine inputs (k, 2, 4) and (k, 2, 2, 4).

    With ``validate`` (default) the points are checked first (CurveError when a coordinate is >= q, a point is
    off its curve or a G2 point outside the subgroup).
    """
    ps, qs = _inputs(g1_points, g2_points, validate)
    out = np.empty((2, 3, 2, 4), dtype=np.uint64)
    miller_loop_into(ps, qs, LOOP_BITS, out)
    final_exp_into(out, FINAL_EXP_LIMBS)
    return out


def pairing(p: np.ndarray, q: np.ndarray, validate: bool = True) -> np.ndarray:
    """e(P, Q) for one G1 and one G2 affine point, as an Fq12 array (2, 3, 2, 4)."""
    return pairing_product(p, q, validate)


def pairing_check(g1_points: np.ndarray, g2_points: np.ndarray, validate: bool = True) -> bool:
    """Whether prod_i e(P_i, Q_i) == 1 (one shared Miller loop and final exponentiation).

    Groth16: ``pairing_check([-A, alpha, vk_x, C], [B, beta, gamma, delta])``.
    """
    ps, qs = _inputs(g1_points, g2_points, validate)
    out = np.empty((2, 3, 2, 4), dtype=np.uint64)
    miller_loop_into(ps, qs, LOOP_BITS, out)
    return bool(final_exp_into(out, FINAL_EXP_LIMBS))
