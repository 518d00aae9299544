"""Multi-scalar multiplication sum_i k_i P_i for G1 and G2 (Pippenger, signed digits, batch-affine buckets).

Inputs: affine points (``(n, 2, 4)`` G1 or ``(n, 2, 2, 4)`` G2, Montgomery, infinity all zeros) and plain
(not Montgomery) scalars as ``(n, 4)`` uint64 little-endian limbs, each below r. Output: one Jacobian point,
shape ``(1, 3, *E)``.

Method, per window of c bits (windows run in parallel, numba prange):

1. scalars become signed digits in [-2^(c-1), 2^(c-1)] (a carry moves to the next window), so a window needs
   2^(c-1) buckets and a negative digit adds -P (y negated);
2. points are counting-sorted by bucket, then every bucket is summed by pairwise affine additions in rounds;
   each round shares one field inversion across all its additions (Montgomery's trick), so an addition costs
   about 6 multiplications instead of 11 for a mixed Jacobian one;
3. the window sum sum_b b*B_b comes from two running sums (Jacobian).

Scalars 0 are dropped and scalars 1 are summed directly (the same batch-affine reduction) before Pippenger.
The window c minimises an operation-count model (:func:`choose_window`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import get_num_threads, njit, prange

from zapiki.errors import InputError

from .constants import FQ, R
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
from .field import v_lt_modulus
from .fr import P as FR_P
from .limbs import Limbs

U64_0 = np.uint64(0)
U64_1 = np.uint64(1)
SCALAR_BITS = 254


@njit(cache=True)
def _pair_den(src: np.ndarray, inf: np.ndarray, i: int, one: tuple) -> tuple:
    """(denominator, case) of the affine addition src[i] + src[i + 1].

    case 0: one side is infinity; 1: chord (den x2 - x1); 2: tangent (den 2 y1); 3: P + (-P) (den 1).
    """
    j = i + 1
    if inf[i] or inf[j]:
        return one, 0
    x1 = load_fe(src, i, 0)
    x2 = load_fe(src, j, 0)
    if not f_eq(x1, x2):
        return f_sub(x2, x1), 1
    y1 = load_fe(src, i, 1)
    if f_eq(y1, load_fe(src, j, 1)) and not f_is_zero(y1):
        return f_dbl(y1), 2
    return one, 3


@njit(cache=True)
def reduce_segments(
    pts: np.ndarray, inf: np.ndarray, seg_start: np.ndarray, seg_len: np.ndarray, prefix: np.ndarray
) -> tuple:
    """Sum each segment pts[seg_start[s] : seg_start[s] + seg_len[s]] into its first row (affine).

    ``inf`` flags points at infinity. Rounds add neighbours pairwise, all additions of a round sharing one
    inversion: a forward pass accumulates the denominators' prefix products (``prefix``, shaped like
    ``pts[:, :1]`` with len(pts) // 2 + 1 rows), a backward pass peels off each inverse and adds, writing into
    a second buffer. Returns the buffers ``(points, inf)`` holding the sums (seg_len becomes 1, or 0 if empty).
    """
    nseg = seg_start.shape[0]
    src, src_inf = pts, inf
    dst = np.empty_like(pts)
    dst_inf = np.empty_like(inf)
    if pts.shape[0] == 0:
        return src, src_inf
    one = f_one(load_fe(pts, 0, 0))
    while True:
        k = 0
        acc = one
        for s in range(nseg):
            st = seg_start[s]
            for t in range(seg_len[s] // 2):
                d, _ = _pair_den(src, src_inf, st + 2 * t, one)
                store_fe(prefix, k, 0, acc)
                acc = f_mul(acc, d)
                k += 1
        if k == 0:
            return src, src_inf
        inv = f_inv(acc)
        for s in range(nseg - 1, -1, -1):
            st = seg_start[s]
            L = seg_len[s]
            if L % 2 == 1:
                last = st + L - 1
                o = st + L // 2
                dst_inf[o] = src_inf[last]
                store_fe(dst, o, 0, load_fe(src, last, 0))
                store_fe(dst, o, 1, load_fe(src, last, 1))
            for t in range(L // 2 - 1, -1, -1):
                i = st + 2 * t
                j = i + 1
                o = st + t
                k -= 1
                d, case = _pair_den(src, src_inf, i, one)
                dinv = f_mul(inv, load_fe(prefix, k, 0))
                inv = f_mul(inv, d)
                if case == 0:
                    src_o = j if src_inf[i] else i
                    dst_inf[o] = src_inf[src_o]
                    store_fe(dst, o, 0, load_fe(src, src_o, 0))
                    store_fe(dst, o, 1, load_fe(src, src_o, 1))
                    continue
                if case == 3:
                    dst_inf[o] = True
                    continue
                x1 = load_fe(src, i, 0)
                y1 = load_fe(src, i, 1)
                x2 = load_fe(src, j, 0)
                if case == 1:
                    # chord: lambda = (y2 - y1) / (x2 - x1)
                    lam = f_mul(f_sub(load_fe(src, j, 1), y1), dinv)
                else:
                    # tangent: lambda = 3 x1^2 / (2 y1)
                    x1s = f_sqr(x1)
                    lam = f_mul(f_add(f_dbl(x1s), x1s), dinv)
                x3 = f_sub(f_sub(f_sqr(lam), x1), x2)
                dst_inf[o] = False
                store_fe(dst, o, 0, x3)
                store_fe(dst, o, 1, f_sub(f_mul(lam, f_sub(x1, x3)), y1))
            seg_len[s] = (L + 1) // 2
        src, dst = dst, src
        src_inf, dst_inf = dst_inf, src_inf


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
        if raw > half:
            out[row, w] = raw - (1 << c)
            carry = 1
        else:
            out[row, w] = raw
            carry = 0


@njit(cache=True)
def _window_sum(points: np.ndarray, idx: np.ndarray, digits: np.ndarray, w: int, c: int) -> tuple:
    """sum_i digit_i(w) * P_idx[i] for one window, as a Jacobian point."""
    m = idx.shape[0]
    nb = 1 << (c - 1)
    counts = np.zeros(nb + 1, dtype=np.int64)
    for i in range(m):
        d = digits[i, w]
        if d != 0:
            counts[abs(d)] += 1
    seg_start = np.empty(nb, dtype=np.int64)
    seg_len = np.empty(nb, dtype=np.int64)
    total = 0
    for b in range(nb):
        seg_start[b] = total
        seg_len[b] = counts[b + 1]
        total += counts[b + 1]
    fill = seg_start.copy()
    pts = np.empty((total,) + points.shape[1:], dtype=np.uint64)
    inf = np.zeros(total, dtype=np.bool_)
    for i in range(m):
        d = digits[i, w]
        if d == 0:
            continue
        b = abs(d) - 1
        pos = fill[b]
        fill[b] += 1
        p = idx[i]
        x = load_fe(points, p, 0)
        y = load_fe(points, p, 1)
        store_fe(pts, pos, 0, x)
        store_fe(pts, pos, 1, f_neg(y) if d < 0 else y)
    prefix = np.empty((total // 2 + 1, 1) + points.shape[2:], dtype=np.uint64)
    pts, inf = reduce_segments(pts, inf, seg_start, seg_len, prefix)
    # sum_b b * B_b = sum_b (B_nb + ... + B_b), two running sums from the top bucket down
    x0 = load_fe(points, 0, 0)
    running = jac_infinity(x0)
    acc = jac_infinity(x0)
    for b in range(nb - 1, -1, -1):
        if seg_len[b] > 0 and not inf[seg_start[b]]:
            s = seg_start[b]
            running = jac_add_aff(running, load_fe(pts, s, 0), load_fe(pts, s, 1))
        acc = jac_add(acc, running)
    return acc


@njit(cache=True, nogil=True, parallel=True)
def _all_digits(scalars: np.ndarray, idx: np.ndarray, c: int, digits: np.ndarray) -> None:
    nwin = digits.shape[1]
    for t in prange(idx.shape[0]):
        row = np.int64(t)  # prange indices may be typed uint64: one signature for the callee
        i = idx[row]
        signed_digits((scalars[i, 0], scalars[i, 1], scalars[i, 2], scalars[i, 3]), c, nwin, digits, row)


@njit(cache=True, nogil=True, parallel=True)
def _all_windows(points: np.ndarray, idx: np.ndarray, digits: np.ndarray, c: int, wins: np.ndarray) -> None:
    for w in prange(wins.shape[0]):
        win = np.int64(w)  # prange indices may be typed uint64: one signature for the callee
        store_jac(wins, win, _window_sum(points, idx, digits, win, c))


@njit(cache=True, nogil=True)
def msm_kernel(points: np.ndarray, scalars: np.ndarray, c: int, out: np.ndarray) -> None:
    """out[0] = sum_i scalars[i] * points[i] (Jacobian); see the module docstring."""
    n = points.shape[0]
    x0 = load_fe(points, 0, 0)
    # classify: drop scalar 0 and infinity, collect scalar 1, keep the rest for Pippenger
    n_one = 0
    n_gen = 0
    kind = np.zeros(n, dtype=np.int8)
    for i in range(n):
        if f_is_zero(load_fe(points, i, 0)) and f_is_zero(load_fe(points, i, 1)):
            continue
        k0, k1, k2, k3 = scalars[i, 0], scalars[i, 1], scalars[i, 2], scalars[i, 3]
        if (k1 | k2 | k3) == U64_0 and k0 <= U64_1:
            if k0 == U64_1:
                kind[i] = 1
                n_one += 1
            continue
        kind[i] = 2
        n_gen += 1
    ones = np.empty((n_one,) + points.shape[1:], dtype=np.uint64)
    idx = np.empty(n_gen, dtype=np.int64)
    a = 0
    g = 0
    for i in range(n):
        if kind[i] == 1:
            store_fe(ones, a, 0, load_fe(points, i, 0))
            store_fe(ones, a, 1, load_fe(points, i, 1))
            a += 1
        elif kind[i] == 2:
            idx[g] = i
            g += 1
    result = jac_infinity(x0)
    if n_gen > 0:
        nwin = SCALAR_BITS // c + 1
        digits = np.empty((n_gen, nwin), dtype=np.int32)
        _all_digits(scalars, idx, c, digits)
        wins = np.empty((nwin, 3) + points.shape[2:], dtype=np.uint64)
        _all_windows(points, idx, digits, c, wins)
        # Horner over windows: result = sum_w 2^(c w) W_w
        for w in range(nwin - 1, -1, -1):
            for _ in range(c):
                result = jac_double(result)
            result = jac_add(result, (load_fe(wins, w, 0), load_fe(wins, w, 1), load_fe(wins, w, 2)))
    if n_one > 0:
        inf = np.zeros(n_one, dtype=np.bool_)
        seg_start = np.zeros(1, dtype=np.int64)
        seg_len = np.full(1, n_one, dtype=np.int64)
        prefix = np.empty((n_one // 2 + 1, 1) + points.shape[2:], dtype=np.uint64)
        ones, inf = reduce_segments(ones, inf, seg_start, seg_len, prefix)
        if not inf[0]:
            result = jac_add_aff(result, load_fe(ones, 0, 0), load_fe(ones, 0, 1))
    store_jac(out, 0, result)


def window_cost(n: int, c: int) -> float:
    """Field multiplications one window of c bits costs for n points: about 6 per point for the batch-affine
    bucket additions (Montgomery's trick shares each round's inversion), 28 per bucket for the two running
    sums (Jacobian), and about 400 per reduction round for its one inversion.

    >>> window_cost(1 << 16, 13) == 6 * 65536 + 28 * 4096 + 400 * 5
    True
    """
    buckets = 1 << (c - 1)
    rounds = max(1.0, math.log2(max(2.0, n / buckets))) + 1
    return 6 * n + 28 * buckets + 400 * rounds


def windows(c: int) -> int:
    """How many c-bit signed-digit windows a scalar below r needs."""
    return SCALAR_BITS // c + 1


def choose_window(n: int, threads: int | None = None) -> int:
    """Window size c minimising an operation count (in field multiplications) for n non-trivial scalars."""
    if n <= 1:
        return 2
    threads = threads or get_num_threads()
    best, best_cost = 2, math.inf
    for c in range(2, 21):
        cost = math.ceil(windows(c) / threads) * window_cost(n, c)
        if cost < best_cost:
            best, best_cost = c, cost
    return best


def msm(points: np.ndarray, scalars: np.ndarray, window: int | None = None, check: bool = True) -> np.ndarray:
    """sum_i scalars[i] * points[i] for affine G1 (n, 2, 4) or G2 (n, 2, 2, 4) points.

    ``scalars`` are plain little-endian limbs (n, 4) uint64 below r (InputError otherwise, unless
    ``check=False``). Returns a Jacobian point of shape (1, 3, 4) or (1, 3, 2, 4); results equal the naive sum.
    """
    pts = np.ascontiguousarray(points, dtype=np.uint64)
    if pts.ndim not in (3, 4) or pts.shape[1] != 2 or pts.shape[-1] != 4:
        raise ValueError(f"points must be affine (n, 2, 4) or (n, 2, 2, 4), got {pts.shape}")
    ks = np.ascontiguousarray(scalars, dtype=np.uint64).reshape(-1, 4)
    if ks.shape[0] != pts.shape[0]:
        raise ValueError(f"{pts.shape[0]} points but {ks.shape[0]} scalars")
    if check and ks.shape[0] and not _scalars_ok(ks):
        raise InputError(f"MSM scalars must be below r = {R}")
    out = np.zeros((1, 3) + pts.shape[2:], dtype=np.uint64)
    if pts.shape[0] == 0:
        out[0, 0].reshape(-1, 4)[0] = FQ.one  # infinity: (1, 1, 0)
        out[0, 1].reshape(-1, 4)[0] = FQ.one
        return out
    c = window or choose_window(pts.shape[0])
    if not 1 <= c <= 24:
        raise ValueError(f"MSM window must be between 1 and 24 bits, got {c}")
    msm_kernel(pts, ks, c, out)
    return out


def _scalars_ok(ks: np.ndarray) -> bool:
    return bool(v_lt_modulus(ks, FR_P))
