"""Readable pure-Python twins of the kernels, on Python ints (slow; for tests and for reading).

Field elements are ints (Fr, Fq) or pairs ``(c0, c1)`` (Fq2 = Fq[u]/(u^2 + 1)); points are affine ``(x, y)``
or ``None`` for infinity. The pairing twin delegates to py_ecc (a test dependency), converting the points.
"""

from __future__ import annotations

from collections.abc import Sequence

from .constants import B1, B2, G1_GEN, G2_GEN, Q, R, fq2_inv_int, fq2_mul_int
from .ntt import root_of_unity

# -- Fq2 as pairs, with ints treated as Fq elements ------------------------------------------------------------


def _add(a: object, b: object) -> object:
    if isinstance(a, int):
        return (a + b) % Q
    return ((a[0] + b[0]) % Q, (a[1] + b[1]) % Q)


def _sub(a: object, b: object) -> object:
    if isinstance(a, int):
        return (a - b) % Q
    return ((a[0] - b[0]) % Q, (a[1] - b[1]) % Q)


def _mul(a: object, b: object) -> object:
    if isinstance(a, int):
        return a * b % Q
    return fq2_mul_int(a, b)


def _inv(a: object) -> object:
    if isinstance(a, int):
        return pow(a, -1, Q)
    return fq2_inv_int(a)


def _scale(a: object, k: int) -> object:
    return a * k % Q if isinstance(a, int) else (a[0] * k % Q, a[1] * k % Q)


def _b_for(x: object) -> object:
    return B1 if isinstance(x, int) else B2


# -- curve arithmetic, affine ------------------------------------------------------------------------------------


def on_curve(p: tuple | None) -> bool:
    """y^2 == x^3 + b (b = 3 on G1, 3/(9+u) on the twist); infinity is on the curve."""
    if p is None:
        return True
    x, y = p
    return _sub(_mul(y, y), _mul(_mul(x, x), x)) == _b_for(x)


def neg(p: tuple | None) -> tuple | None:
    """-P."""
    if p is None:
        return None
    x, y = p
    return (x, _sub(_scale(y, 0), y))


def add(p: tuple | None, q: tuple | None) -> tuple | None:
    """P + Q with the chord-and-tangent rule."""
    if p is None:
        return q
    if q is None:
        return p
    (x1, y1), (x2, y2) = p, q
    if x1 == x2:
        if y1 != y2 or y1 == _scale(y1, 0):
            return None
        # tangent: lambda = 3 x^2 / 2 y
        lam = _mul(_scale(_mul(x1, x1), 3), _inv(_scale(y1, 2)))
    else:
        # chord: lambda = (y2 - y1) / (x2 - x1)
        lam = _mul(_sub(y2, y1), _inv(_sub(x2, x1)))
    x3 = _sub(_sub(_mul(lam, lam), x1), x2)
    return (x3, _sub(_mul(lam, _sub(x1, x3)), y1))


def multiply(p: tuple | None, k: int) -> tuple | None:
    """[k]P by double and add (k >= 0)."""
    acc = None
    while k:
        if k & 1:
            acc = add(acc, p)
        p = add(p, p)
        k >>= 1
    return acc


def msm(points: Sequence[tuple | None], scalars: Sequence[int]) -> tuple | None:
    """Naive sum_i k_i P_i."""
    acc = None
    for p, k in zip(points, scalars, strict=True):
        acc = add(acc, multiply(p, k % R))
    return acc


G1 = G1_GEN
G2 = G2_GEN


# -- NTT -----------------------------------------------------------------------------------------------------------


def ntt(values: Sequence[int], shift: int = 1) -> list[int]:
    """Evaluations sum_j a_j (shift * omega^i)^j by the recursive radix-2 FFT (n a power of two)."""
    n = len(values)
    log_n = n.bit_length() - 1
    a = [v * pow(shift, j, R) % R for j, v in enumerate(values)]
    return _fft(a, root_of_unity(log_n))


def _fft(a: list[int], w: int) -> list[int]:
    n = len(a)
    if n == 1:
        return list(a)
    even = _fft(a[0::2], w * w % R)
    odd = _fft(a[1::2], w * w % R)
    out = [0] * n
    t = 1
    for i in range(n // 2):
        o = odd[i] * t % R
        out[i] = (even[i] + o) % R
        out[i + n // 2] = (even[i] - o) % R
        t = t * w % R
    return out


def intt(values: Sequence[int], shift: int = 1) -> list[int]:
    """Inverse of :func:`ntt` with the same shift."""
    n = len(values)
    log_n = n.bit_length() - 1
    coeffs = _fft(list(values), pow(root_of_unity(log_n), -1, R))
    n_inv = pow(n, -1, R)
    s_inv = pow(shift, -1, R)
    return [c * n_inv * pow(s_inv, j, R) % R for j, c in enumerate(coeffs)]


# -- pairing (py_ecc) ------------------------------------------------------------------------------------------


def pairing(p: tuple | None, q: tuple | None) -> list[int]:
    """e(P, Q) with P in G1, Q in G2, as py_ecc's 12 Fq coefficients (basis w^0 .. w^11, w^6 = 9 + u)."""
    from py_ecc import optimized_bn128 as bn

    if p is None or q is None:
        return [1] + [0] * 11
    pp = (bn.FQ(p[0]), bn.FQ(p[1]), bn.FQ(1))
    qq = (bn.FQ2(list(q[0])), bn.FQ2(list(q[1])), bn.FQ2([1, 0]))
    return [int(c) for c in bn.pairing(qq, pp).coeffs]
