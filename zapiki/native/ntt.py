"""NTTs over Fr on the compiled kernels: the drivers of :mod:`zapiki.kernels.ntt` (same roots of unity, same
results) calling the compiled module, serial (in a proof they overlap the MSMs, which run in other threads).

>>> from zapiki.native.ntt import OMEGA_2_28, root_of_unity
>>> root_of_unity(28) == OMEGA_2_28 and pow(root_of_unity(1), 2, R) == 1 != root_of_unity(1)
True
"""

from __future__ import annotations

from functools import lru_cache
from types import ModuleType

import numpy as np

from zapiki.bn254py.fields import R
from zapiki.errors import InputError

__all__ = ["OMEGA_2_28", "coset_intt", "coset_ntt", "intt", "ntt", "root_of_unity", "twiddles"]

#: Fr's 2-adicity and snarkjs's primitive 2^28-th root of unity, 5^((r - 1) / 2^28).
TWO_ADICITY = 28
OMEGA_2_28 = pow(5, (R - 1) >> TWO_ADICITY, R)
MASK = 2**64 - 1


def root_of_unity(log_n: int) -> int:
    """snarkjs's primitive 2^log_n-th root of unity, a Python int."""
    if not 0 <= log_n <= TWO_ADICITY:
        raise InputError(f"NTT size 2^{log_n} is outside 2^0 .. 2^{TWO_ADICITY}")
    return pow(OMEGA_2_28, 1 << (TWO_ADICITY - log_n), R)


def _mont(x: int) -> tuple:
    v = (x << 256) % R
    return tuple(np.uint64((v >> (64 * i)) & MASK) for i in range(4))


@lru_cache(maxsize=8)
def twiddles(native: ModuleType, log_n: int) -> np.ndarray:
    """omega_(log_n)^j for j < 2^(log_n - 1), Montgomery (n/2, 4), made by ``native``; cached per size."""
    half = max(1, (1 << log_n) // 2)
    out = np.empty((half, 4), dtype=np.uint64)
    native.powers_into(_mont(root_of_unity(log_n)), _mont(1), out)
    return out


def _prepare(a: np.ndarray) -> tuple[np.ndarray, int]:
    arr = np.array(a, dtype=np.uint64, copy=True, order="C")
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise InputError(f"NTT input must be (n, 4) uint64 Fr limbs, got shape {arr.shape}")
    n = arr.shape[0]
    if n == 0 or n & (n - 1):
        raise InputError(f"NTT size must be a power of two, got {n}")
    log_n = n.bit_length() - 1
    if log_n > TWO_ADICITY:
        raise InputError(f"NTT size 2^{log_n} exceeds 2^{TWO_ADICITY}")
    return arr, log_n


def _shift_powers(native: ModuleType, n: int, shift: int) -> np.ndarray:
    out = np.empty((n, 4), dtype=np.uint64)
    native.powers_into(_mont(shift), _mont(1), out)
    return out


def ntt(native: ModuleType, a: np.ndarray) -> np.ndarray:
    """Forward NTT (coefficients -> evaluations at omega^i), new array."""
    arr, log_n = _prepare(a)
    if log_n:
        native.ntt_in_place(arr, twiddles(native, log_n), log_n)
    return arr


def intt(native: ModuleType, a: np.ndarray) -> np.ndarray:
    """Inverse NTT (evaluations at omega^i -> coefficients), new array."""
    arr, log_n = _prepare(a)
    if log_n:
        native.ntt_in_place(arr, twiddles(native, log_n), log_n)
        native.reverse_tail(arr)
        native.scale_into(arr, _mont(pow(arr.shape[0], -1, R)))
    return arr


def coset_ntt(native: ModuleType, a: np.ndarray, shift: int | None = None) -> np.ndarray:
    """Evaluations at shift * omega^i (default shift: omega_(k+1), snarkjs's odd coset), new array."""
    arr, log_n = _prepare(a)
    shift = root_of_unity(log_n + 1) if shift is None else shift % R
    native.mul_rows_into(arr, _shift_powers(native, arr.shape[0], shift))
    if log_n:
        native.ntt_in_place(arr, twiddles(native, log_n), log_n)
    return arr


def coset_intt(native: ModuleType, a: np.ndarray, shift: int | None = None) -> np.ndarray:
    """Inverse of :func:`coset_ntt` with the same shift."""
    arr, log_n = _prepare(a)
    shift = root_of_unity(log_n + 1) if shift is None else shift % R
    out = intt(native, arr)
    native.mul_rows_into(out, _shift_powers(native, out.shape[0], pow(shift, -1, R)))
    return out
