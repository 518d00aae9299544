"""MSM (G1 and G2) equals the naive sum, for every window size and the edge scalars and points."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from zapiki.errors import InputError
from zapiki.kernels import g1, g2, reference
from zapiki.kernels.constants import R
from zapiki.kernels.group import scalars_to_limbs
from zapiki.kernels.msm import choose_window, msm

from .conftest import KERNEL_SETTINGS, scalars

# Base points are small multiples of the generator, so the naive reference sum is a single scalar multiply.
GROUPS = [pytest.param(g1, reference.G1, id="G1"), pytest.param(g2, reference.G2, id="G2")]


def _points(group, gen, ks):
    base = group.to_jacobian(group.generator())
    return group.to_affine(group.scalar_mul(np.repeat(base, len(ks), 0), ks))


def _expected(gen, base_ks, ks):
    return reference.multiply(gen, sum(b * k for b, k in zip(base_ks, ks, strict=True)) % R)


@pytest.mark.parametrize(("group", "gen"), GROUPS)
def test_msm_equals_naive_sum(group, gen):
    @KERNEL_SETTINGS
    @given(
        st.lists(st.tuples(st.integers(0, 50), scalars), min_size=1, max_size=24), st.sampled_from([None, 2, 3, 4, 7])
    )
    def check(rows, window):
        base_ks = [b for b, _ in rows]  # 0 = point at infinity; repeats give P + P and buckets with duplicates
        ks = [k for _, k in rows]
        got = group.to_ints(group.to_affine(msm(_points(group, gen, base_ks), scalars_to_limbs(ks), window)))
        assert got == [_expected(gen, base_ks, ks)]

    check()


@pytest.mark.parametrize(("group", "gen"), GROUPS)
def test_msm_cancellation_ones_and_zeros(group, gen):
    base_ks = [3, R - 3, 5, 5, 7, 9, 11, 0]
    pts = _points(group, gen, base_ks)
    for ks in (
        [1, 1, 1, 1, 1, 1, 1, 1],
        [2, 2, 0, 0, 0, 0, 0, 1],
        [0] * 8,
        [1, 1, 0, 0, 0, 0, 0, 0],
        [R - 1, 1, 6, R - 6, 1, 2, 3, 4],
        [1, 1, 1, R - 1, 1, 1, 1, 1],
    ):
        got = group.to_ints(group.to_affine(msm(pts, scalars_to_limbs(ks))))
        assert got == [_expected(gen, base_ks, ks)], ks
    assert group.to_ints(group.to_affine(msm(pts[:0], np.zeros((0, 4), np.uint64)))) == [None]


def test_g1_msm_medium_size_all_windows():
    rng = np.random.default_rng(7)
    n = 300
    base_ks = [int(x) for x in rng.integers(1, 2**62, n)]
    ks = [int.from_bytes(rng.bytes(32), "little") % R for _ in range(n)]
    ks[:40] = [1] * 20 + [0] * 20
    pts = _points(g1, reference.G1, base_ks)
    want = [_expected(reference.G1, base_ks, ks)]
    for window in (5, 8, 11, choose_window(n)):
        assert g1.to_ints(g1.to_affine(msm(pts, scalars_to_limbs(ks), window))) == want


def test_msm_rejects_bad_input():
    pts = g1.generator()
    with pytest.raises(InputError, match="below r"):
        msm(pts, scalars_to_limbs([0]) + np.array([[0, 0, 0, 2**63]], dtype=np.uint64))
    with pytest.raises(ValueError, match="scalars"):
        msm(pts, np.zeros((2, 4), np.uint64))


def test_choose_window_grows_with_size():
    sizes = [1, 16, 2**12, 2**16, 2**20]
    windows = [choose_window(n, 1) for n in sizes]
    assert windows == sorted(windows) and 2 <= windows[0] and windows[-1] <= 20


def test_concurrent_msms_in_threads_agree():
    from concurrent.futures import ThreadPoolExecutor

    base_ks = list(range(1, 41))
    pts = _points(g1, reference.G1, base_ks)
    jobs = [[(i * 7919 + j * 104729) % R for i in range(40)] for j in range(4)]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda ks: g1.to_ints(g1.to_affine(msm(pts, scalars_to_limbs(ks))))[0], jobs))
    assert got == [_expected(reference.G1, base_ks, ks) for ks in jobs]
