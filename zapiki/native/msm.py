"""MSM on the compiled kernels: the same Pippenger as :mod:`zapiki.kernels.msm`, driven from Python.

Points with scalar 0 or at infinity are dropped and scalars 1 summed directly (numpy picks them out); the signed
digits and then the windows are split into one contiguous range per thread, each range one call into the
compiled module (which releases the GIL); the windows are joined by Horner's rule. The window size comes from
the operation-count model below, which the numba MSM uses too.

>>> windows(12), choose_window(1 << 16, 2)
(22, 12)
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType

import numpy as np

from zapiki.bn254py.fields import Q, R
from zapiki.errors import InputError

__all__ = ["SCALAR_BITS", "choose_window", "msm", "scalars_below_r", "window_cost", "windows"]

SCALAR_BITS = 254
#: r, the order of G1 and G2, as little-endian 64-bit limbs.
R_LIMBS = tuple((R >> (64 * i)) & (2**64 - 1) for i in range(4))
#: 1 in Montgomery form (2^256 mod q), the Jacobian infinity's X and Y.
Q_ONE_MONT = tuple(((1 << 256) % Q >> (64 * i)) & (2**64 - 1) for i in range(4))


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


def choose_window(n: int, threads: int) -> int:
    """Window size c minimising an operation count (in field multiplications) for n non-trivial scalars whose
    windows are shared by ``threads`` threads."""
    if n <= 1:
        return 2
    best, best_cost = 2, math.inf
    for c in range(2, 21):
        cost = math.ceil(windows(c) / max(1, threads)) * window_cost(n, c)
        if cost < best_cost:
            best, best_cost = c, cost
    return best


def scalars_below_r(ks: np.ndarray) -> bool:
    """Whether every row of the ``(n, 4)`` little-endian limbs is below r (numpy, limb by limb from the top)."""
    below = np.zeros(ks.shape[0], dtype=bool)
    equal = np.ones(ks.shape[0], dtype=bool)
    for limb in range(3, -1, -1):
        r = np.uint64(R_LIMBS[limb])
        below |= equal & (ks[:, limb] < r)
        equal &= ks[:, limb] == r
    return bool(below.all())


def _ranges(n: int, parts: int) -> list[tuple[int, int]]:
    step = -(-n // parts)
    return [(lo, min(n, lo + step)) for lo in range(0, n, step)] if n else []


def _writable(a: np.ndarray, dtype: type) -> np.ndarray:
    """C-contiguous and writable, as the compiled functions' signatures require (a copy only where needed)."""
    return np.require(a, dtype=dtype, requirements=["C", "W"])


def msm(
    points: np.ndarray, scalars: np.ndarray, native: ModuleType, threads: int, window: int | None = None,
    check: bool = True,
) -> np.ndarray:  # fmt: skip
    """:func:`zapiki.kernels.msm` on the compiled module ``native`` over ``threads`` threads: the same arguments
    and result (a Jacobian point ``(1, 3, 4)`` or ``(1, 3, 2, 4)``)."""
    pts = _writable(points, np.uint64)
    if pts.ndim not in (3, 4) or pts.shape[1] != 2 or pts.shape[-1] != 4:
        raise ValueError(f"points must be affine (n, 2, 4) or (n, 2, 2, 4), got {pts.shape}")
    ks = _writable(np.asarray(scalars, dtype=np.uint64).reshape(-1, 4), np.uint64)
    n = pts.shape[0]
    if ks.shape[0] != n:
        raise ValueError(f"{n} points but {ks.shape[0]} scalars")
    if check and n and not scalars_below_r(ks):
        raise InputError(f"MSM scalars must be below r = {R}")
    g2 = pts.ndim == 4
    out = np.zeros((1, 3) + pts.shape[2:], dtype=np.uint64)
    if n == 0:
        out[0, 0].reshape(-1, 4)[0] = Q_ONE_MONT  # infinity: (1, 1, 0)
        out[0, 1].reshape(-1, 4)[0] = Q_ONE_MONT
        return out
    live = pts.reshape(n, -1).any(axis=1) & ks.any(axis=1)
    one = (ks[:, 0] == 1) & ~ks[:, 1:].any(axis=1)
    idx = np.flatnonzero(live & ~one).astype(np.int64)
    extra = np.zeros_like(out)
    (native.affine_sum_into_g2 if g2 else native.affine_sum_into_g1)(np.ascontiguousarray(pts[live & one]), extra)
    m = idx.shape[0]
    c = window or choose_window(m, threads)
    if not 1 <= c <= 24:
        raise ValueError(f"MSM window must be between 1 and 24 bits, got {c}")
    nwin = windows(c) if m else 0
    wins = np.empty((nwin, 3) + pts.shape[2:], dtype=np.uint64)
    if m:
        digits = np.empty((m, nwin), dtype=np.int32)
        window_fn = native.windows_into_g2 if g2 else native.windows_into_g1
        if threads <= 1:
            native.digits_into(ks, idx, c, digits, 0, m)
            window_fn(pts, idx, digits, c, wins, 0, nwin)
        else:
            with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="msm") as pool:
                rows = [pool.submit(native.digits_into, ks, idx, c, digits, lo, hi) for lo, hi in _ranges(m, threads)]
                for f in rows:
                    f.result()
                wins_ = [pool.submit(window_fn, pts, idx, digits, c, wins, lo, hi) for lo, hi in _ranges(nwin, threads)]
                for f in wins_:
                    f.result()
    (native.horner_into_g2 if g2 else native.horner_into_g1)(wins, c, extra, out)
    return out
