"""G1 and G2 arithmetic and MSM of the kernels against py_ecc directly (issue #13: oracles that share no code).

Nothing of the project is used to build inputs or read results: points come from py_ecc
(``optimized_bn128``), are written into the kernels' Montgomery limb layout by the small encoder below, and the
kernels' outputs are decoded by it and compared with py_ecc's own results. Both implementations are checked:
the numba kernels the prover and verifier call (:mod:`zapiki.kernels.g1`, :mod:`~zapiki.kernels.g2`,
:func:`zapiki.kernels.msm`) and the readable twin (:mod:`zapiki.kernels.reference`).

MSM bases come from a pool of py_ecc points with known discrete logarithms (a random walk of py_ecc additions),
so the expected sum of any size is one py_ecc multiplication of the generator; small MSMs are also checked
against the plain definition sum_i [k_i] P_i computed with py_ecc.
"""

from __future__ import annotations

import functools
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from py_ecc import optimized_bn128 as bn

from zapiki.kernels import g1, g2, msm, reference

# -- the curve's numbers, written out here (tests/kernels/test_oracles_constants.py checks them against
#    ffjavascript's literals) rather than imported from the code under test -----------------------------------
Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
MONT = 1 << 256  # ffjavascript/snarkjs Montgomery radix for both fields
MONT_INV = pow(MONT, -1, Q)

EDGE_SCALARS = [0, 1, 2, R - 1, R - 2]
scalars = st.one_of(st.sampled_from(EDGE_SCALARS), st.integers(0, R - 1), st.integers(1 << 250, R - 1))
# A Jacobian Z: G1 takes its first part, so that part is never 0 (Z = 0 is the point at infinity).
nonzero_fq2 = st.tuples(st.integers(1, Q - 1), st.integers(0, Q - 1))

# Kernels compile on first use (no deadline); py_ecc is slow, so few examples, the edge values always among them.
# Derandomized: the same examples on every run (a CI run must not fail by chance; new seeds are explored by hand).
ORACLE = settings(deadline=None, database=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


class Curve:
    """One of the two groups in py_ecc terms, with the kernels' array layout."""

    def __init__(self, name: str, kernel: object, twin_gen: tuple, gen: tuple, degree: int) -> None:
        self.name, self.kernel, self.twin_gen, self.gen, self.degree = name, kernel, twin_gen, gen, degree
        self.elem = (4,) if degree == 1 else (2, 4)
        self.zero = bn.FQ.zero() if degree == 1 else bn.FQ2.zero()
        self.one = bn.FQ.one() if degree == 1 else bn.FQ2.one()

    def __repr__(self) -> str:
        return self.name

    # field elements <-> coordinate ints
    def coords(self, v: object) -> list[int]:
        return [int(v)] if self.degree == 1 else [int(c) for c in v.coeffs]

    def field(self, ints: list[int]) -> object:
        return bn.FQ(ints[0]) if self.degree == 1 else bn.FQ2(list(ints))

    def affine(self, pt: tuple) -> tuple | None:
        """A py_ecc point as affine coordinate tuples (None for infinity), comparable with ==."""
        if bn.is_inf(pt):
            return None
        x, y = bn.normalize(pt)
        return (tuple(self.coords(x)), tuple(self.coords(y)))

    def twin(self, pt: tuple) -> tuple | None:
        """A py_ecc point in the reference twin's convention (G1: (x, y) ints, G2: ((c0, c1), (c0, c1)))."""
        a = self.affine(pt)
        if a is None or self.degree == 2:
            return a
        return (a[0][0], a[1][0])

    def from_twin(self, p: tuple | None) -> tuple | None:
        if p is None or self.degree == 2:
            return p
        return ((p[0],), (p[1],))

    # py_ecc points <-> kernel arrays (Montgomery limbs)
    def encode_affine(self, pts: list[tuple]) -> np.ndarray:
        flat: list[int] = []
        for pt in pts:
            a = self.affine(pt)
            flat.extend([0] * (2 * self.degree) if a is None else [*a[0], *a[1]])
        return _limbs([v * MONT % Q for v in flat]).reshape((-1, 2, *self.elem))

    def encode_jacobian(self, pts: list[tuple], zs: list[tuple[int, int]]) -> np.ndarray:
        """Jacobian (X, Y, Z) = (x z^2, y z^3, z) with the given z (an Fq2 pair; G1 uses its first part)."""
        flat: list[int] = []
        for pt, z_ints in zip(pts, zs, strict=True):
            z = self.field(list(z_ints[: self.degree]))
            if bn.is_inf(pt):
                coords = [self.one, self.one, self.zero]  # any X, Y with Z = 0
            else:
                x, y = bn.normalize(pt)
                coords = [x * z * z, y * z * z * z, z]
            for c in coords:
                flat.extend(self.coords(c))
        return _limbs([v * MONT % Q for v in flat]).reshape((-1, 3, *self.elem))

    def decode_affine(self, arr: np.ndarray) -> list[tuple | None]:
        vals = _ints(arr)
        w = 2 * self.degree
        out = []
        for i in range(len(vals) // w):
            row = vals[i * w : (i + 1) * w]
            out.append(None if not any(row) else (tuple(row[: self.degree]), tuple(row[self.degree :])))
        return out

    def decode_jacobian(self, arr: np.ndarray) -> list[tuple | None]:
        """Affine points of Jacobian rows, normalised with py_ecc's field arithmetic (not the kernels')."""
        vals = _ints(arr)
        w = 3 * self.degree
        out = []
        for i in range(len(vals) // w):
            row = vals[i * w : (i + 1) * w]
            X, Y, Z = (self.field(row[j * self.degree : (j + 1) * self.degree]) for j in range(3))
            if Z == self.zero:
                out.append(None)
                continue
            zi = self.one / Z
            out.append((tuple(self.coords(X * zi * zi)), tuple(self.coords(Y * zi * zi * zi))))
        return out

    def multiply(self, k: int) -> tuple:
        return bn.multiply(self.gen, k % R)


def _limbs(values: list[int]) -> np.ndarray:
    data = b"".join(v.to_bytes(32, "little") for v in values)
    return np.frombuffer(data, dtype="<u8").astype(np.uint64).reshape(-1, 4)


def _ints(arr: np.ndarray) -> list[int]:
    """Montgomery limbs (any shape ending in 4) to plain ints mod q."""
    raw = np.ascontiguousarray(arr, dtype="<u8").reshape(-1, 4).tobytes()
    return [int.from_bytes(raw[32 * i : 32 * i + 32], "little") * MONT_INV % Q for i in range(len(raw) // 32)]


def _plain_scalars(ks: list[int]) -> np.ndarray:
    return _limbs([k % R for k in ks])


G1C = Curve("G1", g1, reference.G1, bn.G1, 1)
G2C = Curve("G2", g2, reference.G2, bn.G2, 2)
CURVES = [pytest.param(G1C, id="G1"), pytest.param(G2C, id="G2")]
INF = None


# -- the pool of bases with known discrete logarithms ------------------------------------------------------


@functools.cache
def pool(c: Curve) -> tuple[list[int], list[tuple], np.ndarray]:
    """(logs, py_ecc points, affine kernel array) of a seeded random walk P_{i+1} = P_i + S_j; every 8th point
    is the negation of the one before it (so an MSM meets P + (-P)), and the last row is infinity (log 0)."""
    size = 520 if c.degree == 1 else 264
    rnd = random.Random(13 * c.degree)
    step_logs = [rnd.randrange(1, R) for _ in range(5)]
    steps = [c.multiply(k) for k in step_logs]
    log, pt = step_logs[0], steps[0]
    logs, pts = [], []
    for i in range(size - 1):
        if i % 8 == 7:
            logs.append(R - logs[-1])
            pts.append(bn.neg(pts[-1]))
            continue
        j = rnd.randrange(len(steps))
        log, pt = (log + step_logs[j]) % R, bn.add(pt, steps[j])
        logs.append(log)
        pts.append(pt)
    logs.append(0)
    pts.append(bn.Z1 if c.degree == 1 else bn.Z2)
    for i in (0, 7, size // 2, size - 2):  # the walk's bookkeeping, checked against py_ecc itself
        assert bn.eq(c.multiply(logs[i]), pts[i]) or (logs[i] == 0 and bn.is_inf(pts[i]))
    return logs, pts, c.encode_affine(pts)


# -- group operations ------------------------------------------------------------------------------------------

# How the second operand relates to the first: independent, equal (P + P), opposite (P + (-P)), or infinity.
RELATIONS = ["random", "same", "opposite", "infinity", "first_infinity"]


def operand_pairs(max_size: int) -> st.SearchStrategy[list[tuple[int, int, str, tuple, tuple]]]:
    """Rows (a, b, relation, z of P, z of Q): P = [a] G, Q from the relation, the z give Jacobian inputs."""
    row = st.tuples(scalars, scalars, st.sampled_from(RELATIONS), nonzero_fq2, nonzero_fq2)
    return st.lists(row, min_size=1, max_size=max_size)


def _operands(c: Curve, rows: list) -> tuple[list[tuple], list[tuple]]:
    ps, qs = [], []
    for a, b, rel, _, _ in rows:
        p = c.multiply(a)
        if rel == "random":
            q = c.multiply(b)
        elif rel == "same":
            q = p
        elif rel == "opposite":
            q = bn.neg(p)
        else:
            q = bn.multiply(p, 0)  # py_ecc's point at infinity
        if rel == "first_infinity":
            p, q = q, p
        ps.append(p)
        qs.append(q)
    return ps, qs


@pytest.mark.parametrize("c", CURVES)
def test_add_double_neg_eq_match_py_ecc(c):
    """Jacobian add (any Z), mixed add, double, negation, equality and batch normalisation, as py_ecc does them."""

    @settings(ORACLE, max_examples=12 if c.degree == 1 else 8)
    @given(operand_pairs(4))
    def check(rows):
        ps, qs = _operands(c, rows)
        zp = [r[3] for r in rows]
        zq = [r[4] for r in rows]
        jp, jq, aq = c.encode_jacobian(ps, zp), c.encode_jacobian(qs, zq), c.encode_affine(qs)
        grp = c.kernel
        want_add = [c.affine(bn.add(p, q)) for p, q in zip(ps, qs, strict=True)]
        assert c.decode_jacobian(grp.add(jp, jq)) == want_add
        assert c.decode_jacobian(grp.add_mixed(jp, aq)) == want_add
        assert c.decode_jacobian(grp.double(jp)) == [c.affine(bn.double(p)) for p in ps]
        assert c.decode_jacobian(grp.neg(jp)) == [c.affine(bn.neg(p)) for p in ps]
        assert c.decode_affine(grp.neg_affine(c.encode_affine(ps))) == [c.affine(bn.neg(p)) for p in ps]
        assert c.decode_affine(grp.to_affine(jp)) == [c.affine(p) for p in ps]
        assert c.decode_jacobian(grp.to_jacobian(c.encode_affine(ps))) == [c.affine(p) for p in ps]
        want_eq = [
            (bn.is_inf(p) and bn.is_inf(q)) or (not bn.is_inf(p) and not bn.is_inf(q) and bn.eq(p, q))
            for p, q in zip(ps, qs, strict=True)
        ]
        assert grp.eq(jp, jq).tolist() == want_eq
        assert grp.on_curve(c.encode_affine(ps + qs)).all() and grp.in_subgroup(c.encode_affine(ps + qs)).all()

    check()


@pytest.mark.parametrize("c", CURVES)
def test_reference_twin_add_neg_match_py_ecc(c):
    @settings(ORACLE, max_examples=10 if c.degree == 1 else 6)
    @given(operand_pairs(3))
    def check(rows):
        ps, qs = _operands(c, rows)
        for p, q in zip(ps, qs, strict=True):
            assert c.from_twin(reference.add(c.twin(p), c.twin(q))) == c.affine(bn.add(p, q))
            assert c.from_twin(reference.add(c.twin(p), c.twin(p))) == c.affine(bn.double(p))
            assert c.from_twin(reference.neg(c.twin(p))) == c.affine(bn.neg(p))
            assert reference.on_curve(c.twin(p))

    check()


@pytest.mark.parametrize("c", CURVES)
def test_scalar_mul_matches_py_ecc(c):
    """[k] P for edge and random k, on the generator and on other points given with any Z."""

    @settings(ORACLE, max_examples=10 if c.degree == 1 else 6)
    @given(st.lists(st.tuples(scalars, scalars, nonzero_fq2), min_size=1, max_size=3))
    def check(rows):
        ps = [c.multiply(b) for _, b, _ in rows]
        ks = [k for k, _, _ in rows]
        got = c.kernel.scalar_mul(c.encode_jacobian(ps, [z for _, _, z in rows]), _plain_scalars(ks))
        want = [c.affine(bn.multiply(p, k)) for p, k in zip(ps, ks, strict=True)]
        assert c.decode_jacobian(got) == want
        assert c.decode_jacobian(c.kernel.scalar_mul(c.encode_jacobian(ps, [(1, 0)] * len(ps)), ks)) == want
        assert [c.from_twin(reference.multiply(c.twin(p), k)) for p, k in zip(ps, ks, strict=True)] == want

    check()
    # the group order: [r] G = O, [r + 1] G = G (scalar_mul takes the limbs as given, without reducing mod r)
    g = c.encode_jacobian([c.gen], [(5, 7)])
    assert c.decode_jacobian(c.kernel.scalar_mul(g, _limbs([R]))) == [INF]
    assert c.decode_jacobian(c.kernel.scalar_mul(g, _limbs([R + 1]))) == [c.affine(c.gen)]
    assert reference.multiply(c.twin_gen, R) is None


# -- MSM -------------------------------------------------------------------------------------------------------

SIZES = [1, 2, 3, 17, 64]
LARGE = {1: 512, 2: 256}  # one larger size per group (more windows and rounds of batch-affine additions)
WINDOWS = [None, None, 2, 3, 5, 9]  # None: the window the prover gets (choose_window)


def _check_msm(c: Curve, idx: list[int], ks: list[int], window: int | None, naive: bool, twin: bool) -> None:
    logs, pts, arr = pool(c)
    bases = arr[idx]
    got = c.decode_jacobian(msm(bases, _plain_scalars(ks), window))
    want = c.affine(c.multiply(sum(logs[i] * k for i, k in zip(idx, ks, strict=True))))
    assert got == [want], (idx, ks, window)
    if naive:  # the definition, in py_ecc: sum_i [k_i] P_i
        acc = bn.Z1 if c.degree == 1 else bn.Z2
        for i, k in zip(idx, ks, strict=True):
            acc = bn.add(acc, bn.multiply(pts[i], k))
        assert c.affine(acc) == want
    if twin:
        assert c.from_twin(reference.msm([c.twin(pts[i]) for i in idx], ks)) == want


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("c", CURVES)
def test_msm_matches_py_ecc(c, size):
    """Edge scalars, repeated bases (P + P in a bucket), opposite bases and infinity among the bases."""
    logs, _, _ = pool(c)
    last = len(logs) - 1  # infinity
    # a small index range makes repeats (and the pool's P, -P pairs at 7 mod 8) likely
    index = st.one_of(st.integers(0, min(last - 1, max(8, size))), st.just(last))

    @settings(ORACLE, max_examples={1: 15, 2: 15, 3: 15, 17: 10, 64: 6}[size] // c.degree)
    @given(
        st.lists(st.tuples(index, scalars), min_size=size, max_size=size),
        st.sampled_from(WINDOWS),
        st.booleans(),
    )
    def check(rows, window, same_scalar):
        idx = [i for i, _ in rows]
        ks = [rows[0][1]] * size if same_scalar else [k for _, k in rows]  # one scalar: equal digits, one bucket
        small = size <= (17 if c.degree == 1 else 3)
        _check_msm(c, idx, ks, window, naive=small, twin=size <= 3)

    check()


@pytest.mark.parametrize("c", CURVES)
def test_msm_large_matches_py_ecc(c):
    logs, _, _ = pool(c)
    n = LARGE[c.degree]

    @settings(ORACLE, max_examples=3)
    @given(st.integers(0, 2**64), st.sampled_from([None, None, 4, 11]))
    def check(seed, window):
        rnd = random.Random(seed)
        idx = [rnd.randrange(len(logs)) for _ in range(n)]  # repeats, P/-P pairs and infinity included
        idx[: len(EDGE_SCALARS)] = [0] * len(EDGE_SCALARS)
        ks = [rnd.choice(EDGE_SCALARS) if rnd.random() < 0.3 else rnd.randrange(R) for _ in range(n)]
        ks[: len(EDGE_SCALARS)] = EDGE_SCALARS
        _check_msm(c, idx, ks, window, naive=False, twin=False)

    check()


@pytest.mark.parametrize("c", CURVES)
def test_msm_edge_cases_match_py_ecc(c):
    logs, _, arr = pool(c)
    last = len(logs) - 1
    cases = [
        ([0] * 8, [1] * 8),  # eight equal points, all scalars 1: the ones path doubles
        ([0, 0], [R - 1, 1]),  # [r-1] P + P = O
        ([6, 7], [5, 5]),  # P + (-P) with the same scalar: cancellation inside one bucket
        ([last, last, 3], [R - 1, 2, 0]),  # only infinity and zero scalars: O
        ([3, 3, 3, 3], [R - 1, R - 1, R - 2, 2]),
        ([1, 2, 1, 2, last], [R - 1, R - 1, 1, 1, 1]),
    ]
    for idx, ks in cases:
        for window in (None, 2, 7):
            _check_msm(c, idx, ks, window, naive=True, twin=True)
    empty = msm(arr[:0], np.zeros((0, 4), np.uint64))
    assert c.decode_jacobian(empty) == [INF]
