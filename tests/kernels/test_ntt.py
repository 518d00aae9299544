"""NTT over Fr: snarkjs's roots of unity, against the recursive reference and a direct DFT."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zapiki.errors import InputError
from zapiki.kernels import fr, ntt, reference
from zapiki.kernels.constants import OMEGA_2_28, R

from .conftest import KERNEL_SETTINGS, fr_values


def test_roots_of_unity_follow_snarkjs():
    assert ntt.root_of_unity(28) == OMEGA_2_28
    for k in range(28):
        assert ntt.root_of_unity(k) == pow(ntt.root_of_unity(k + 1), 2, R)
    assert ntt.root_of_unity(1) == R - 1
    with pytest.raises(InputError):
        ntt.root_of_unity(29)


def test_small_transform_is_the_dft():
    xs = [3, 1, 4, 1, 5, 9, 2, 6]
    w = ntt.root_of_unity(3)
    assert fr.to_ints(ntt.ntt(fr.from_ints(xs))) == [
        sum(x * pow(w, i * j, R) for j, x in enumerate(xs)) % R for i in range(8)
    ]


@pytest.mark.parametrize("log_n", [0, 1, 2, 4, 7, 11])
def test_forward_inverse_and_coset_match_reference(log_n):
    @settings(KERNEL_SETTINGS, max_examples=4 if log_n >= 11 else 15)
    @given(st.integers(0, 2**64), st.lists(fr_values, max_size=4), st.sampled_from([None, 7, R - 1]))
    def check(seed, edges, shift):
        rnd = random.Random(seed)
        xs = [rnd.randrange(R) for _ in range(1 << log_n)]
        xs[: len(edges)] = edges[: len(xs)]
        a = fr.from_ints(xs)
        assert fr.to_ints(ntt.ntt(a)) == reference.ntt(xs)
        assert fr.to_ints(ntt.intt(a)) == reference.intt(xs)
        s = ntt.root_of_unity(log_n + 1) if shift is None else shift
        assert fr.to_ints(ntt.coset_ntt(a, shift)) == reference.ntt(xs, s)
        assert fr.to_ints(ntt.coset_intt(a, shift)) == reference.intt(xs, s)
        assert fr.to_ints(ntt.intt(ntt.ntt(a))) == xs
        assert np.array_equal(a, fr.from_ints(xs))  # inputs are not modified

    check()


def test_bad_sizes_are_rejected():
    with pytest.raises(InputError, match="power of two"):
        ntt.ntt(fr.from_ints([1, 2, 3]))
    with pytest.raises(InputError, match="power of two"):
        ntt.ntt(np.zeros((0, 4), np.uint64))
    with pytest.raises(InputError, match="shape"):
        ntt.ntt(np.zeros((4, 3), np.uint64))
