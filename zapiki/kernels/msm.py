"""Multi-scalar multiplication sum_i k_i P_i for G1 and G2 (Pippenger, signed digits, batch-affine buckets).

Inputs: affine points (``(n, 2, 4)`` G1 or ``(n, 2, 2, 4)`` G2, Montgomery, infinity all zeros) and plain
(not Montgomery) scalars as ``(n, 4)`` uint64 little-endian limbs, each below r. Output: one Jacobian point,
shape ``(1, 3, *E)``.

Method, per window of c bits (the windows, and the digits before them, split between threads: :mod:`zapiki.native.msm`
drives these kernels, or the same kernels compiled ahead of time):

1. scalars become signed digits in [-2^(c-1), 2^(c-1)] (a carry moves to the next window), so a window needs
   2^(c-1) buckets and a negative digit adds -P (y negated);
2. points are counting-sorted by bucket (as codes: index and sign), then every bucket is summed by pairwise
   affine additions in rounds, the first read straight from the points, the later ones in place; each round
   shares one field inversion across all its additions (Montgomery's trick), so an addition costs about 6
   multiplications instead of 11 for a mixed Jacobian one;
3. the window sum sum_b b*B_b comes from two running sums (Jacobian).

Scalars 0 are dropped and scalars 1 are summed directly (the same batch-affine reduction) before Pippenger.
The window c minimises an operation-count model (:func:`choose_window`).
"""

from __future__ import annotations

import sys

import numpy as np
from numba import get_num_threads, njit

from zapiki.native import msm as drivers
from zapiki.native.msm import SCALAR_BITS, window_cost, windows

from .curve import (
    f_add,
    f_dbl,
    f_eq,
    f_inv,
    f_is_zero,
    f_mul,
    f_neg,
    f_one,
    f_sqr,
    f_sub,
    jac_add,
    jac_add_aff,
    jac_double,
    jac_infinity,
    load_fe,
    store_fe,
    store_jac,
)
from .limbs import Limbs, prefetch

__all__ = ["SCALAR_BITS", "choose_window", "msm", "reduce_segments", "signed_digits", "window_cost", "windows"]

U64_0 = np.uint64(0)
U64_1 = np.uint64(1)
#: How many points ahead the first bucket round asks for the points it will read (random order; see prefetch).
AHEAD = 16


@njit(cache=True)
def _den(x1: tuple, y1: tuple, inf1: bool, x2: tuple, y2: tuple, inf2: bool, one: tuple) -> tuple:
    """(denominator, case) of the affine addition (x1, y1) + (x2, y2).

    case 0: one side is infinity; 1: chord (den x2 - x1); 2: tangent (den 2 y1); 3: P + (-P) (den 1).
    """
    if inf1 or inf2:
        return one, 0
    if not f_eq(x1, x2):
        return f_sub(x2, x1), 1
    if f_eq(y1, y2) and not f_is_zero(y1):
        return f_dbl(y1), 2
    return one, 3


@njit(cache=True)
def _add(x1: tuple, y1: tuple, inf1: bool, x2: tuple, y2: tuple, inf2: bool, case: int, dinv: tuple) -> tuple:
    """(x3, y3, inf3) = (x1, y1) + (x2, y2), given the case and the inverse of the denominator from :func:`_den`."""
    if case == 0:
        return (x2, y2, inf2) if inf1 else (x1, y1, inf1)
    if case == 3:
        return x1, y1, True
    if case == 1:
        # chord: lambda = (y2 - y1) / (x2 - x1)
        lam = f_mul(f_sub(y2, y1), dinv)
    else:
        # tangent: lambda = 3 x1^2 / (2 y1)
        x1s = f_sqr(x1)
        lam = f_mul(f_add(f_dbl(x1s), x1s), dinv)
    x3 = f_sub(f_sub(f_sqr(lam), x1), x2)
    return x3, f_sub(f_mul(lam, f_sub(x1, x3)), y1), False


@njit(cache=True)
def _pair_den(src: np.ndarray, inf: np.ndarray, i: int, one: tuple) -> tuple:
    """:func:`_den` of the rows src[i] and src[i + 1], reading y only where x1 == x2 (rarely)."""
    j = i + 1
    if inf[i] or inf[j]:
        return one, 0
    x1 = load_fe(src, i, 0)
    x2 = load_fe(src, j, 0)
    if not f_eq(x1, x2):
        return f_sub(x2, x1), 1
    return _den(x1, load_fe(src, i, 1), False, x2, load_fe(src, j, 1), False, one)


@njit(cache=True)
def _gather(points: np.ndarray, code: int) -> tuple:
    """Point ``code - 1`` of ``points`` for a positive code, its negation for a negative one."""
    p = abs(code) - 1
    y = load_fe(points, p, 1)
    return load_fe(points, p, 0), f_neg(y) if code < 0 else y


@njit(cache=True)
def reduce_segments(
    pts: np.ndarray, inf: np.ndarray, seg_start: np.ndarray, seg_len: np.ndarray, prefix: np.ndarray
) -> None:
    """Sum each segment pts[seg_start[s] : seg_start[s] + seg_len[s]] into its first row, in place (affine).

    ``inf`` flags points at infinity. Rounds add neighbours pairwise, all additions of a round sharing one
    inversion (Montgomery's trick): a forward pass keeps the denominators' prefix products in ``prefix`` (shaped
    like ``pts[:, :1]`` with len(pts) // 2 + 1 rows), a backward pass turns them into each denominator's inverse,
    and a last forward pass adds each pair into row ``start + t`` of its segment — a row already read, so no
    second buffer is needed. On return seg_len[s] is 1 (0 for an empty segment).
    """
    nseg = seg_start.shape[0]
    if pts.shape[0] == 0:
        return
    one = f_one(load_fe(pts, 0, 0))
    while True:
        k = 0
        acc = one
        for s in range(nseg):
            st = seg_start[s]
            for t in range(seg_len[s] // 2):
                d, _ = _pair_den(pts, inf, st + 2 * t, one)
                store_fe(prefix, k, 0, acc)
                acc = f_mul(acc, d)
                k += 1
        if k == 0:
            return
        inv = f_inv(acc)
        for s in range(nseg - 1, -1, -1):
            st = seg_start[s]
            for t in range(seg_len[s] // 2 - 1, -1, -1):
                k -= 1
                d, _ = _pair_den(pts, inf, st + 2 * t, one)
                store_fe(prefix, k, 0, f_mul(inv, load_fe(prefix, k, 0)))
                inv = f_mul(inv, d)
        for s in range(nseg):
            st = seg_start[s]
            L = seg_len[s]
            for t in range(L // 2):
                i = st + 2 * t
                j = i + 1
                o = st + t
                dinv = load_fe(prefix, k, 0)
                k += 1
                x1, y1 = load_fe(pts, i, 0), load_fe(pts, i, 1)
                x2, y2 = load_fe(pts, j, 0), load_fe(pts, j, 1)
                _, case = _den(x1, y1, inf[i], x2, y2, inf[j], one)
                x3, y3, inf3 = _add(x1, y1, inf[i], x2, y2, inf[j], case, dinv)
                inf[o] = inf3
                store_fe(pts, o, 0, x3)
                store_fe(pts, o, 1, y3)
            if L % 2 == 1:
                last = st + L - 1
                o = st + L // 2
                inf[o] = inf[last]
                store_fe(pts, o, 0, load_fe(pts, last, 0))
                store_fe(pts, o, 1, load_fe(pts, last, 1))
            seg_len[s] = (L + 1) // 2


@njit(cache=True)
def signed_digits(k: Limbs, c: int, nwin: int, out: np.ndarray, row: int) -> None:
    """Signed base-2^c digits of a plain scalar (< 2^254) into out[row, :nwin]."""
    mask = (U64_1 << np.uint64(c)) - U64_1
    half = 1 << (c - 1)
    carry = 0
    for w in range(nwin):
        off = w * c
        limb = off // 64
        sh = off % 64
        v = U64_0
        if limb < 4:
            v = k[limb] >> np.uint64(sh)
            if sh + c > 64 and limb + 1 < 4:
                v |= k[limb + 1] << np.uint64(64 - sh)
        raw = np.int64(v & mask) + carry
        carry = np.int64(raw > half)  # no branch: a digit's sign is random
        out[row, w] = raw - (carry << c)


@njit(cache=True)
def _first_round(
    points: np.ndarray, code: np.ndarray, seg_start: np.ndarray, seg_len: np.ndarray,
    out: np.ndarray, out_inf: np.ndarray, out_start: np.ndarray, prefix: np.ndarray,
) -> None:  # fmt: skip
    """The first round of :func:`reduce_segments`, read straight from ``points`` (no copy of them in bucket order):
    segment s is the codes code[seg_start[s] : seg_start[s] + seg_len[s]] (see :func:`_gather`; no point is
    infinity), and its (seg_len[s] + 1) // 2 pairwise sums go to out[out_start[s] :] (out_inf flags the sums
    P + (-P))."""
    nseg = seg_start.shape[0]
    one = f_one(load_fe(points, 0, 0))
    k = 0
    acc = one
    total = code.shape[0]
    for s in range(nseg):
        st = seg_start[s]
        for t in range(seg_len[s] // 2):
            if st + 2 * t + AHEAD + 1 < total:
                prefetch(points, abs(code[st + 2 * t + AHEAD]) - 1, 0)
                prefetch(points, abs(code[st + 2 * t + AHEAD + 1]) - 1, 0)
            c1 = code[st + 2 * t]
            c2 = code[st + 2 * t + 1]
            x1 = load_fe(points, abs(c1) - 1, 0)
            x2 = load_fe(points, abs(c2) - 1, 0)
            if f_eq(x1, x2):  # rare: the tangent or P + (-P)
                d, _ = _den(x1, _gather(points, c1)[1], False, x2, _gather(points, c2)[1], False, one)
            else:
                d = f_sub(x2, x1)
            store_fe(prefix, k, 0, acc)
            acc = f_mul(acc, d)
            k += 1
    inv = f_inv(acc)
    for s in range(nseg - 1, -1, -1):
        st = seg_start[s]
        L = seg_len[s]
        o0 = out_start[s]
        if L % 2 == 1:
            x, y = _gather(points, code[st + L - 1])
            out_inf[o0 + L // 2] = False
            store_fe(out, o0 + L // 2, 0, x)
            store_fe(out, o0 + L // 2, 1, y)
        for t in range(L // 2 - 1, -1, -1):
            k -= 1
            if st + 2 * t >= AHEAD:
                for q in range(st + 2 * t - AHEAD, st + 2 * t - AHEAD + 2):
                    prefetch(points, abs(code[q]) - 1, 0)
                    prefetch(points, abs(code[q]) - 1, 1)
            x1, y1 = _gather(points, code[st + 2 * t])
            x2, y2 = _gather(points, code[st + 2 * t + 1])
            d, case = _den(x1, y1, False, x2, y2, False, one)
            dinv = f_mul(inv, load_fe(prefix, k, 0))
            inv = f_mul(inv, d)
            x3, y3, inf3 = _add(x1, y1, False, x2, y2, False, case, dinv)
            out_inf[o0 + t] = inf3
            store_fe(out, o0 + t, 0, x3)
            store_fe(out, o0 + t, 1, y3)


@njit(cache=True)
def _window_sum(points: np.ndarray, idx: np.ndarray, digits: np.ndarray, w: int, c: int) -> tuple:
    """sum_i digit_i(w) * P_idx[i] for one window, as a Jacobian point.

    Memory: the bucket order as one int64 code per point, then half as many points as the window has non-zero
    digits (the first round's sums), and the inversion's prefix products."""
    m = idx.shape[0]
    nb = 1 << (c - 1)
    counts = np.zeros(nb + 1, dtype=np.int64)
    for i in range(m):
        d = digits[i, w]
        if d != 0:
            counts[abs(d)] += 1
    seg_start = np.empty(nb, dtype=np.int64)
    seg_len = np.empty(nb, dtype=np.int64)
    half_start = np.empty(nb, dtype=np.int64)
    total = 0
    half = 0
    for b in range(nb):
        seg_start[b] = total
        seg_len[b] = counts[b + 1]
        half_start[b] = half
        total += counts[b + 1]
        half += (counts[b + 1] + 1) // 2
    fill = seg_start.copy()
    code = np.empty(total, dtype=np.int64)
    for i in range(m):
        d = digits[i, w]
        if d == 0:
            continue
        b = abs(d) - 1
        code[fill[b]] = idx[i] + 1 if d > 0 else -(idx[i] + 1)
        fill[b] += 1
    pts = np.empty((half,) + points.shape[1:], dtype=np.uint64)
    prefix = np.empty((total // 2 + 1, 1) + points.shape[2:], dtype=np.uint64)
    inf = np.empty(half, dtype=np.bool_)
    _first_round(points, code, seg_start, seg_len, pts, inf, half_start, prefix)
    for b in range(nb):
        seg_len[b] = (seg_len[b] + 1) // 2
    reduce_segments(pts, inf, half_start, seg_len, prefix)
    # sum_b b * B_b = sum_b (B_nb + ... + B_b), two running sums from the top bucket down
    x0 = load_fe(points, 0, 0)
    running = jac_infinity(x0)
    acc = jac_infinity(x0)
    for b in range(nb - 1, -1, -1):
        if seg_len[b] > 0 and not inf[half_start[b]]:
            s = half_start[b]
            running = jac_add_aff(running, load_fe(pts, s, 0), load_fe(pts, s, 1))
        acc = jac_add(acc, running)
    return acc


@njit(cache=True, nogil=True)
def digits_into(scalars: np.ndarray, idx: np.ndarray, c: int, digits: np.ndarray, lo: int, hi: int) -> None:
    """Rows lo..hi of the signed digits: digits[t] of scalars[idx[t]] (a range, so that threads can share them)."""
    nwin = digits.shape[1]
    for t in range(lo, hi):
        i = idx[t]
        signed_digits((scalars[i, 0], scalars[i, 1], scalars[i, 2], scalars[i, 3]), c, nwin, digits, t)


@njit(cache=True, nogil=True)
def windows_into(
    points: np.ndarray, idx: np.ndarray, digits: np.ndarray, c: int, wins: np.ndarray, lo: int, hi: int
) -> None:
    """Windows lo..hi: wins[w] = sum_t digits[t, w] * points[idx[t]] (Jacobian)."""
    for w in range(lo, hi):
        store_jac(wins, w, _window_sum(points, idx, digits, w, c))


@njit(cache=True, nogil=True)
def affine_sum_into(pts: np.ndarray, out: np.ndarray) -> None:
    """out[0] = the sum of every row of the affine ``pts`` (none at infinity; overwritten), Jacobian."""
    n = pts.shape[0]
    result = jac_infinity(load_fe(out, 0, 0))
    if n > 0:
        inf = np.zeros(n, dtype=np.bool_)
        seg_start = np.zeros(1, dtype=np.int64)
        seg_len = np.full(1, n, dtype=np.int64)
        prefix = np.empty((n // 2 + 1, 1) + pts.shape[2:], dtype=np.uint64)
        reduce_segments(pts, inf, seg_start, seg_len, prefix)
        if not inf[0]:
            result = jac_add_aff(result, load_fe(pts, 0, 0), load_fe(pts, 0, 1))
    store_jac(out, 0, result)


@njit(cache=True, nogil=True)
def horner_into(wins: np.ndarray, c: int, extra: np.ndarray, out: np.ndarray) -> None:
    """out[0] = sum_w 2^(c w) wins[w] + extra[0] (all Jacobian)."""
    result = jac_infinity(load_fe(extra, 0, 0))
    for w in range(wins.shape[0] - 1, -1, -1):
        for _ in range(c):
            result = jac_double(result)
        result = jac_add(result, (load_fe(wins, w, 0), load_fe(wins, w, 1), load_fe(wins, w, 2)))
    store_jac(out, 0, jac_add(result, (load_fe(extra, 0, 0), load_fe(extra, 0, 1), load_fe(extra, 0, 2))))


def choose_window(n: int, threads: int | None = None) -> int:
    """Window size for n non-trivial scalars (:func:`zapiki.native.msm.choose_window`), by default for numba's
    thread count.

    >>> choose_window(1 << 16, 2), choose_window(1 << 20, 1)
    (12, 15)
    """
    return drivers.choose_window(n, threads or get_num_threads())


# The names the compiled module (zapiki.native) gives these kernels, one per group; here one kernel serves both.
windows_into_g1 = windows_into_g2 = windows_into
affine_sum_into_g1 = affine_sum_into_g2 = affine_sum_into
horner_into_g1 = horner_into_g2 = horner_into
_THIS = sys.modules[__name__]


def msm(points: np.ndarray, scalars: np.ndarray, window: int | None = None, check: bool = True) -> np.ndarray:
    """sum_i scalars[i] * points[i] for affine G1 (n, 2, 4) or G2 (n, 2, 2, 4) points.

    ``scalars`` are plain little-endian limbs (n, 4) uint64 below r (InputError otherwise, unless
    ``check=False``). Returns a Jacobian point of shape (1, 3, 4) or (1, 3, 2, 4); results equal the naive sum.
    The digits and the windows are spread over numba's thread count (:func:`zapiki.native.msm.msm`).
    """
    return drivers.msm(points, scalars, _THIS, get_num_threads(), window=window, check=check)
