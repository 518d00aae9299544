"""Fq2, Fq6 and Fq12 of BN254 on Python ints: the pure-Python twin of :mod:`zapiki.kernels.fq2` / ``fq12``.

Fq2 = Fq[u]/(u^2 + 1) is a pair ``(c0, c1)``. Fq12 = Fq6[w]/(w^2 - v), Fq6 = Fq2[v]/(v^3 - xi), xi = 9 + u,
the tower of the numba kernels and of snarkjs; an Fq12 element is a flat 12-tuple of ints, the kernels'
``(2, 3, 2)`` array flattened: ``(g0, g1, g2, h0, h1, h2)`` (each an Fq2 pair) for ``g + h w`` with
``g = g0 + g1 v + g2 v^2``. Slot ``(i, j)`` holds the coefficient of ``v^j w^i = w^(2j + i)``.

Speed on Python ints comes from lazy reduction: the Fq6 products below return unreduced integers (a Python
int does not overflow) and each Fq12 result is reduced mod q once per coefficient.

>>> a = tuple(range(1, 13))
>>> f12_mul(a, f12_inv(a)) == ONE12
True
>>> f12_mul(a, a) == f12_sqr(a)
True
"""

from __future__ import annotations

__all__ = [
    "GAMMA",
    "ONE12",
    "Q",
    "R",
    "U",
    "Fq2",
    "Fq12",
    "f2_add",
    "f2_batch_inv",
    "f2_conj",
    "f2_inv",
    "f2_mul",
    "f2_neg",
    "f2_pow",
    "f2_scale",
    "f2_sqr",
    "f2_sub",
    "f12_conj",
    "f12_cyclotomic_sqr",
    "f12_frobenius",
    "f12_inv",
    "f12_mul",
    "f12_mul_line",
    "f12_sqr",
    "fq_batch_inv",
    "to_pyecc",
]

#: Base field modulus q.
Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583
#: Scalar field modulus r (the order of G1, G2 and GT).
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
#: The BN parameter u: q = 36u^4 + 36u^3 + 24u^2 + 6u + 1, r = 36u^4 + 36u^3 + 18u^2 + 6u + 1.
U = 4965661367192848881
assert Q == 36 * U**4 + 36 * U**3 + 24 * U**2 + 6 * U + 1
assert R == 36 * U**4 + 36 * U**3 + 18 * U**2 + 6 * U + 1

Fq2 = tuple[int, int]
Fq12 = tuple[int, ...]

ONE12: Fq12 = (1,) + (0,) * 11


# -- Fq (batch inversion: one modular inverse costs ~30 multiplications on Python ints) -----------------------


def fq_batch_inv(values: list[int]) -> list[int]:
    """Inverses of non-zero Fq elements with a single ``pow(x, -1, q)`` (Montgomery's trick)."""
    prefix = [1] * (len(values) + 1)
    for i, v in enumerate(values):
        prefix[i + 1] = prefix[i] * v % Q
    inv = pow(prefix[-1], -1, Q)
    out = [0] * len(values)
    for i in range(len(values) - 1, -1, -1):
        out[i] = inv * prefix[i] % Q
        inv = inv * values[i] % Q
    return out


# -- Fq2 ----------------------------------------------------------------------------------------------------------


def f2_add(a: Fq2, b: Fq2) -> Fq2:
    return ((a[0] + b[0]) % Q, (a[1] + b[1]) % Q)


def f2_sub(a: Fq2, b: Fq2) -> Fq2:
    return ((a[0] - b[0]) % Q, (a[1] - b[1]) % Q)


def f2_neg(a: Fq2) -> Fq2:
    return (-a[0] % Q, -a[1] % Q)


def f2_conj(a: Fq2) -> Fq2:
    """The Frobenius of Fq2: c0 - c1 u."""
    return (a[0], -a[1] % Q)


def f2_mul(a: Fq2, b: Fq2) -> Fq2:
    # (a0 + a1 u)(b0 + b1 u) with u^2 = -1
    a0, a1 = a
    b0, b1 = b
    return ((a0 * b0 - a1 * b1) % Q, (a0 * b1 + a1 * b0) % Q)


def f2_sqr(a: Fq2) -> Fq2:
    a0, a1 = a
    return ((a0 + a1) * (a0 - a1) % Q, 2 * a0 * a1 % Q)


def f2_scale(a: Fq2, k: int) -> Fq2:
    """a * k for k in Fq."""
    return (a[0] * k % Q, a[1] * k % Q)


def f2_inv(a: Fq2) -> Fq2:
    # 1/(a0 + a1 u) = (a0 - a1 u) / (a0^2 + a1^2)
    t = pow((a[0] * a[0] + a[1] * a[1]) % Q, -1, Q)
    return (a[0] * t % Q, -a[1] * t % Q)


def f2_batch_inv(values: list[Fq2]) -> list[Fq2]:
    """Inverses of non-zero Fq2 elements: conj(a) / N(a), the norms inverted together."""
    norms = fq_batch_inv([(a0 * a0 + a1 * a1) % Q for a0, a1 in values])
    return [(a0 * n % Q, -a1 * n % Q) for (a0, a1), n in zip(values, norms, strict=True)]


def f2_pow(a: Fq2, e: int) -> Fq2:
    """a^e, e >= 0 (for constants)."""
    out = (1, 0)
    while e:
        if e & 1:
            out = f2_mul(out, a)
        a = f2_sqr(a)
        e >>= 1
    return out


# -- Fq6 (unreduced helpers on 6-tuples: (x0, x1, x2) with each Fq2 as two ints) --------------------------------


def _f6_mul(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """a * b in Fq6, Karatsuba over Fq2, NOT reduced mod q."""
    a0, a1, a2, a3, a4, a5 = a
    b0, b1, b2, b3, b4, b5 = b
    # t_k = x_k * y_k
    t0r, t0i = a0 * b0 - a1 * b1, a0 * b1 + a1 * b0
    t1r, t1i = a2 * b2 - a3 * b3, a2 * b3 + a3 * b2
    t2r, t2i = a4 * b4 - a5 * b5, a4 * b5 + a5 * b4
    # s12 = (x1 + x2)(y1 + y2) - t1 - t2, and likewise s01, s02
    xr, xi, yr, yi = a2 + a4, a3 + a5, b2 + b4, b3 + b5
    s12r, s12i = xr * yr - xi * yi - t1r - t2r, xr * yi + xi * yr - t1i - t2i
    xr, xi, yr, yi = a0 + a2, a1 + a3, b0 + b2, b1 + b3
    s01r, s01i = xr * yr - xi * yi - t0r - t1r, xr * yi + xi * yr - t0i - t1i
    xr, xi, yr, yi = a0 + a4, a1 + a5, b0 + b4, b1 + b5
    s02r, s02i = xr * yr - xi * yi - t0r - t2r, xr * yi + xi * yr - t0i - t2i
    # c0 = t0 + xi s12, c1 = s01 + xi t2, c2 = s02 + t1   (xi (r + i u) = (9r - i) + (9i + r) u)
    return (
        t0r + 9 * s12r - s12i, t0i + 9 * s12i + s12r,
        s01r + 9 * t2r - t2i, s01i + 9 * t2i + t2r,
        s02r + t1r, s02i + t1i,
    )  # fmt: skip


def _f6_mul_sparse(a: tuple[int, ...], b0: int, b1: int, c0: int, c1: int) -> tuple[int, ...]:
    """a * (b + c v) in Fq6 (b, c in Fq2), NOT reduced: (x0 b + xi x2 c) + (x0 c + x1 b) v + (x1 c + x2 b) v^2."""
    a0, a1, a2, a3, a4, a5 = a
    # x2 c, then times xi
    mr, mi = a4 * c0 - a5 * c1, a4 * c1 + a5 * c0
    return (
        a0 * b0 - a1 * b1 + 9 * mr - mi, a0 * b1 + a1 * b0 + 9 * mi + mr,
        a0 * c0 - a1 * c1 + a2 * b0 - a3 * b1, a0 * c1 + a1 * c0 + a2 * b1 + a3 * b0,
        a2 * c0 - a3 * c1 + a4 * b0 - a5 * b1, a2 * c1 + a3 * c0 + a4 * b1 + a5 * b0,
    )  # fmt: skip


def _f6_times_v(a: tuple[int, ...]) -> tuple[int, ...]:
    """a * v: (x0, x1, x2) -> (xi x2, x0, x1), NOT reduced."""
    return (9 * a[4] - a[5], 9 * a[5] + a[4], a[0], a[1], a[2], a[3])


def _f6_inv(a: tuple[int, ...]) -> tuple[int, ...]:
    x0, x1, x2 = (a[0], a[1]), (a[2], a[3]), (a[4], a[5])
    xi = (9, 1)
    t0 = f2_sub(f2_sqr(x0), f2_mul(xi, f2_mul(x1, x2)))
    t1 = f2_sub(f2_mul(xi, f2_sqr(x2)), f2_mul(x0, x1))
    t2 = f2_sub(f2_sqr(x1), f2_mul(x0, x2))
    n = f2_inv(f2_add(f2_mul(x0, t0), f2_mul(xi, f2_add(f2_mul(x2, t1), f2_mul(x1, t2)))))
    return (*f2_mul(t0, n), *f2_mul(t1, n), *f2_mul(t2, n))


# -- Fq12 ------------------------------------------------------------------------------------------------------


def f12_mul(a: Fq12, b: Fq12) -> Fq12:
    """(g + h w)(k + l w) = (gk + v hl) + ((g + h)(k + l) - gk - hl) w, Karatsuba over Fq6."""
    g, h, k, l_ = a[:6], a[6:], b[:6], b[6:]
    t0 = _f6_mul(g, k)
    t1 = _f6_mul(h, l_)
    s = _f6_mul(tuple(x + y for x, y in zip(g, h, strict=True)), tuple(x + y for x, y in zip(k, l_, strict=True)))
    vt1 = _f6_times_v(t1)
    return tuple(
        [(x + y) % Q for x, y in zip(t0, vt1, strict=True)]
        + [(x - y - z) % Q for x, y, z in zip(s, t0, t1, strict=True)]
    )


def f12_sqr(a: Fq12) -> Fq12:
    """(g + h w)^2 = ((g + h)(g + v h) - t - v t) + 2 t w with t = g h."""
    g, h = a[:6], a[6:]
    t = _f6_mul(g, h)
    s = _f6_mul(
        tuple(x + y for x, y in zip(g, h, strict=True)), tuple(x + y for x, y in zip(g, _f6_times_v(h), strict=True))
    )
    vt = _f6_times_v(t)
    return tuple([(x - y - z) % Q for x, y, z in zip(s, t, vt, strict=True)] + [2 * x % Q for x in t])


def f12_mul_line(f: Fq12, b: Fq2, c: Fq2) -> Fq12:
    """f * (1 + (b + c v) w): a Miller-loop line scaled to constant term 1 (the sparse product).

    With f = g + h w and L = b + c v: f (1 + L w) = (g + v h L) + (h + g L) w.
    """
    g, h = f[:6], f[6:]
    b0, b1 = b
    c0, c1 = c
    hl = _f6_times_v(_f6_mul_sparse(h, b0, b1, c0, c1))
    gl = _f6_mul_sparse(g, b0, b1, c0, c1)
    return tuple([(x + y) % Q for x, y in zip(g, hl, strict=True)] + [(x + y) % Q for x, y in zip(h, gl, strict=True)])


def f12_cyclotomic_sqr(a: Fq12) -> Fq12:
    """a^2 for a in the cyclotomic subgroup (a^(q^4 - q^2 + 1) = 1: any value after the easy part of the final
    exponentiation), Granger-Scott 2010.

    Seen over Fq4 = Fq2[s]/(s^2 - xi), a is three Fq4 values A = z0 + z1 s, B = z2 + z3 s, C = z4 + z5 s
    (z0 = g0, z4 = g1, z3 = g2, z2 = h0, z1 = h1, z5 = h2), and the square needs only their three squares.
    """
    z0r, z0i, z4r, z4i, z3r, z3i, z2r, z2i, z1r, z1i, z5r, z5i = a
    t0r, t0i, t1r, t1i = _f4_sqr(z0r, z0i, z1r, z1i)  # A^2
    t2r, t2i, t3r, t3i = _f4_sqr(z2r, z2i, z3r, z3i)  # B^2
    t4r, t4i, t5r, t5i = _f4_sqr(z4r, z4i, z5r, z5i)  # C^2
    xr, xi = 9 * t5r - t5i, 9 * t5i + t5r  # xi t5
    return (
        (3 * t0r - 2 * z0r) % Q, (3 * t0i - 2 * z0i) % Q,  # z0 = 3 t0 - 2 z0
        (3 * t2r - 2 * z4r) % Q, (3 * t2i - 2 * z4i) % Q,  # z4 = 3 t2 - 2 z4
        (3 * t4r - 2 * z3r) % Q, (3 * t4i - 2 * z3i) % Q,  # z3 = 3 t4 - 2 z3
        (3 * xr + 2 * z2r) % Q, (3 * xi + 2 * z2i) % Q,  # z2 = 3 xi t5 + 2 z2
        (3 * t1r + 2 * z1r) % Q, (3 * t1i + 2 * z1i) % Q,  # z1 = 3 t1 + 2 z1
        (3 * t3r + 2 * z5r) % Q, (3 * t3i + 2 * z5i) % Q,  # z5 = 3 t3 + 2 z5
    )  # fmt: skip


def _f4_sqr(xr: int, xi: int, yr: int, yi: int) -> tuple[int, int, int, int]:
    """(x + y s)^2 = (x^2 + xi y^2) + 2 x y s over Fq4 = Fq2[s]/(s^2 - xi), NOT reduced."""
    x2r, x2i = (xr + xi) * (xr - xi), 2 * xr * xi
    y2r, y2i = (yr + yi) * (yr - yi), 2 * yr * yi
    return (x2r + 9 * y2r - y2i, x2i + 9 * y2i + y2r, 2 * (xr * yr - xi * yi), 2 * (xr * yi + xi * yr))


def f12_conj(a: Fq12) -> Fq12:
    """g - h w: the q^6-th power (the inverse, in the cyclotomic subgroup)."""
    return a[:6] + tuple(-x % Q for x in a[6:])


def f12_inv(a: Fq12) -> Fq12:
    """1 / (g + h w) = (g - h w) / (g^2 - v h^2)."""
    g, h = a[:6], a[6:]
    d = _f6_inv(tuple((x - y) % Q for x, y in zip(_f6_mul(g, g), _f6_times_v(_f6_mul(h, h)), strict=True)))
    return tuple([x % Q for x in _f6_mul(g, d)] + [-x % Q for x in _f6_mul(h, d)])


#: (i, j) slot order of the flat tuple and the power of w each slot holds.
_W_POWER = [2 * j + i for i in range(2) for j in range(3)]
#: gamma = xi^((q - 1)/6): the q-th power maps w to gamma w (w^6 = xi).
GAMMA: Fq2 = f2_pow((9, 1), (Q - 1) // 6)
_G1 = [f2_pow(GAMMA, e) for e in _W_POWER]
#: Frobenius constants: the q^k-th power maps c w^e to conj^k(c) xi^(e (q^k - 1)/6) w^e, and
#: xi^(e (q^2 - 1)/6) = g conj(g), xi^(e (q^3 - 1)/6) = g^(1 + q + q^2) = g^2 conj(g) for g = xi^(e (q - 1)/6).
_FROB = {1: _G1, 2: [f2_mul(g, f2_conj(g)) for g in _G1], 3: [f2_mul(f2_mul(g, g), f2_conj(g)) for g in _G1]}
assert f2_pow(GAMMA, 6) == f2_pow((9, 1), Q - 1)


def f12_frobenius(a: Fq12, k: int) -> Fq12:
    """a^(q^k) for k in 1, 2, 3."""
    out: list[int] = []
    for slot, (g0, g1) in enumerate(_FROB[k]):
        c0, c1 = a[2 * slot], a[2 * slot + 1]
        if k & 1:
            c1 = -c1
        out += [(c0 * g0 - c1 * g1) % Q, (c0 * g1 + c1 * g0) % Q]
    return tuple(out)


def to_pyecc(a: Fq12) -> list[int]:
    """py_ecc's 12 coefficients (basis w^0 .. w^11 with w^6 = 9 + u, so u = w^6 - 9)."""
    out = [0] * 12
    for slot, e in enumerate(_W_POWER):
        c0, c1 = a[2 * slot], a[2 * slot + 1]
        out[e] = (out[e] + c0 - 9 * c1) % Q
        out[e + 6] = (out[e + 6] + c1) % Q
    return out
