"""Shared strategies and helpers for the kernel tests (py_ecc and Python ints are the oracles)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from zapiki.kernels.constants import Q, R

# Kernels compile on first use: no per-example deadline; few examples, the edge values are always included.
settings.register_profile(
    "kernels", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
KERNEL_SETTINGS = settings.get_profile("kernels")


def edge_or_random(p: int) -> st.SearchStrategy[int]:
    """0, 1, 2, p - 1, p - 2, a power of two below p, or uniform in [0, p)."""
    return st.one_of(st.sampled_from([0, 1, 2, p - 1, p - 2, 1 << 253, (1 << 64) - 1]), st.integers(0, p - 1))


fr_values = edge_or_random(R)
fq_values = edge_or_random(Q)
scalars = st.one_of(st.sampled_from([0, 1, 2, R - 1, R - 2]), st.integers(0, R - 1))


def pyecc_g1(p: tuple | None) -> tuple | None:
    """Our affine int point -> py_ecc optimized_bn128 Jacobian-like triple (None -> its infinity)."""
    from py_ecc import optimized_bn128 as bn

    if p is None:
        return bn.Z1
    return (bn.FQ(p[0]), bn.FQ(p[1]), bn.FQ(1))


def pyecc_g2(p: tuple | None) -> tuple | None:
    from py_ecc import optimized_bn128 as bn

    if p is None:
        return bn.Z2
    return (bn.FQ2(list(p[0])), bn.FQ2(list(p[1])), bn.FQ2([1, 0]))


def from_pyecc(p: tuple) -> tuple | None:
    """py_ecc point (any of G1/G2) -> our affine int point."""
    from py_ecc import optimized_bn128 as bn

    if bn.is_inf(p):
        return None
    x, y = bn.normalize(p)
    if isinstance(x, bn.FQ):
        return (int(x), int(y))
    return (tuple(int(c) for c in x.coeffs), tuple(int(c) for c in y.coeffs))
