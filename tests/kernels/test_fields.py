"""Fr and Fq: vectorised arithmetic and conversions against Python ints; Fq2 against the int reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from zapiki.errors import CurveError, InputError
from zapiki.kernels import fq, fq2, fr
from zapiki.kernels.constants import Q, R, fq2_inv_int, fq2_mul_int

from .conftest import KERNEL_SETTINGS, fq_values, fr_values

FIELDS = [pytest.param(fr, R, fr_values, id="Fr"), pytest.param(fq, Q, fq_values, id="Fq")]
EDGES = {R: [0, 1, 2, R - 1, R - 2, 1 << 200], Q: [0, 1, 2, Q - 1, Q - 2, 1 << 200]}


@pytest.mark.parametrize(("mod", "p", "values"), FIELDS)
def test_binary_ops_match_python_ints(mod, p, values):
    @KERNEL_SETTINGS
    @given(st.lists(st.tuples(values, values), min_size=1, max_size=8))
    def check(pairs):
        xs = [a for a, _ in pairs] + EDGES[p]
        ys = [b for _, b in pairs] + EDGES[p][::-1]
        a, b = mod.from_ints(xs), mod.from_ints(ys)
        assert mod.to_ints(mod.add(a, b)) == [(x + y) % p for x, y in zip(xs, ys, strict=True)]
        assert mod.to_ints(mod.sub(a, b)) == [(x - y) % p for x, y in zip(xs, ys, strict=True)]
        assert mod.to_ints(mod.mul(a, b)) == [x * y % p for x, y in zip(xs, ys, strict=True)]
        assert mod.to_ints(mod.square(a)) == [x * x % p for x in xs]
        assert mod.to_ints(mod.neg(a)) == [-x % p for x in xs]

    check()


@pytest.mark.parametrize(("mod", "p", "values"), FIELDS)
def test_inverse_and_pow(mod, p, values):
    @KERNEL_SETTINGS
    @given(st.lists(values, min_size=1, max_size=8), st.integers(0, 2**300))
    def check(xs, e):
        xs = xs + EDGES[p]
        a = mod.from_ints(xs)
        assert mod.to_ints(mod.inverse(a)) == [pow(x, -1, p) if x else 0 for x in xs]
        assert mod.to_ints(mod.batch_inverse(a)) == [pow(x, -1, p) if x else 0 for x in xs]
        assert mod.to_ints(mod.pow(a, e)) == [pow(x, e, p) for x in xs]

    check()


@pytest.mark.parametrize(("mod", "p"), [(fr, R), (fq, Q)])
def test_broadcasting_and_shapes(mod, p):
    a = mod.from_ints(range(6)).reshape(2, 3, 4)
    two = mod.from_ints([2])[0]
    doubled = mod.mul(a, two)
    assert doubled.shape == (2, 3, 4)
    assert mod.to_ints(doubled) == [2 * i for i in range(6)]
    assert mod.to_ints(mod.pow(mod.from_ints([3]), -1)) == [pow(3, -1, p)]


@pytest.mark.parametrize(("mod", "p", "values"), FIELDS)
def test_bytes_round_trip_plain_and_montgomery(mod, p, values):
    @KERNEL_SETTINGS
    @given(st.lists(values, max_size=6))
    def check(xs):
        plain = b"".join(x.to_bytes(32, "little") for x in xs)
        mont = b"".join((x * 2**256 % p).to_bytes(32, "little") for x in xs)
        a = mod.from_bytes(plain)
        assert mod.to_ints(a) == xs
        assert mod.to_ints(mod.from_bytes(mont, montgomery=True)) == xs
        assert mod.to_bytes(a) == plain
        assert mod.to_bytes(a, montgomery=True) == mont
        assert np.array_equal(
            mod.from_montgomery(mod.to_montgomery(mod.from_bytes(plain, montgomery=True))),
            mod.from_bytes(plain, montgomery=True),
        )

    check()


@pytest.mark.parametrize(("mod", "p"), [(fr, R), (fq, Q)])
def test_unreduced_bytes_are_rejected(mod, p):
    for bad in (p, p + 1, 2**256 - 1):
        buf = (5).to_bytes(32, "little") + bad.to_bytes(32, "little")
        with pytest.raises(CurveError, match="#1"):
            mod.from_bytes(buf)
        with pytest.raises(CurveError):
            mod.from_bytes(buf, montgomery=True)
    with pytest.raises(CurveError, match="multiple of 32"):
        mod.from_bytes(b"\x00" * 33)
    assert issubclass(CurveError, InputError)


def test_fq2_mul_and_inverse_match_reference():
    @KERNEL_SETTINGS
    @given(st.lists(st.tuples(fq_values, fq_values, fq_values, fq_values), min_size=1, max_size=6))
    def check(rows):
        a = [(r[0], r[1]) for r in rows] + [(0, 0), (1, 0), (0, 1), (Q - 1, Q - 1)]
        b = [(r[2], r[3]) for r in rows] + [(5, 7), (Q - 1, 0), (0, Q - 1), (1, 1)]
        got = fq2.to_ints(fq2.mul(fq2.from_ints(a), fq2.from_ints(b)))
        assert got == [fq2_mul_int(x, y) for x, y in zip(a, b, strict=True)]
        inv = fq2.to_ints(fq2.inverse(fq2.from_ints(a)))
        assert inv == [fq2_inv_int(x) if x != (0, 0) else (0, 0) for x in a]

    check()
