"""Vectorised prime-field arithmetic in Montgomery form, shared by :mod:`fr` and :mod:`fq`.

Arrays of field elements are ``np.uint64`` of shape ``(..., 4)``: little-endian 64-bit limbs of ``a * 2^256
mod p`` (Montgomery form). Binary operations broadcast over the leading axes like numpy. The array kernels
here take the modulus as arguments; :class:`PrimeField` binds one modulus and is what :mod:`fr` / :mod:`fq`
expose. The inverse of 0 is defined as 0 everywhere (so a batch with zeros never fails).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numba import njit

from zapiki.errors import CurveError

from .constants import MONT_R, FieldConstants
from .limbs import U64_0, U64_1, Limbs, geq, is_zero, load, mod_add, mod_neg, mod_sub, mont_mul, store


@njit(cache=True)
def pow_limbs(a: Limbs, e: np.ndarray, one: Limbs, p: Limbs, pinv: int) -> Limbs:
    """a^e for an exponent given as uint64 limbs (little-endian), left-to-right square and multiply."""
    r = one
    for w in range(e.shape[0] - 1, -1, -1):
        word = e[w]
        for bit in range(63, -1, -1):
            r = mont_mul(r, r, p, pinv)
            if (word >> np.uint64(bit)) & U64_1:
                r = mont_mul(r, a, p, pinv)
    return r


@njit(cache=True, nogil=True)
def v_add(a: np.ndarray, b: np.ndarray, out: np.ndarray, p: Limbs) -> None:
    for i in range(a.shape[0]):
        store(out, i, mod_add(load(a, i), load(b, i), p))


@njit(cache=True, nogil=True)
def v_sub(a: np.ndarray, b: np.ndarray, out: np.ndarray, p: Limbs) -> None:
    for i in range(a.shape[0]):
        store(out, i, mod_sub(load(a, i), load(b, i), p))


@njit(cache=True, nogil=True)
def v_neg(a: np.ndarray, out: np.ndarray, p: Limbs) -> None:
    for i in range(a.shape[0]):
        store(out, i, mod_neg(load(a, i), p))


@njit(cache=True, nogil=True)
def v_mul(a: np.ndarray, b: np.ndarray, out: np.ndarray, p: Limbs, pinv: int) -> None:
    for i in range(a.shape[0]):
        store(out, i, mont_mul(load(a, i), load(b, i), p, pinv))


@njit(cache=True, nogil=True)
def v_pow(a: np.ndarray, e: np.ndarray, out: np.ndarray, one: Limbs, p: Limbs, pinv: int) -> None:
    for i in range(a.shape[0]):
        store(out, i, pow_limbs(load(a, i), e, one, p, pinv))


@njit(cache=True, nogil=True)
def v_lt_modulus(a: np.ndarray, p: Limbs) -> bool:
    """True when every row of a is below p."""
    for i in range(a.shape[0]):
        if geq(load(a, i), p):
            return False
    return True


@njit(cache=True, nogil=True)
def batch_inverse_into(
    a: np.ndarray, out: np.ndarray, scratch: np.ndarray, pm2: np.ndarray, one: Limbs, p: Limbs, pinv: int
) -> None:
    """Montgomery's trick: out[i] = 1/a[i] (0 for 0) with one exponentiation; scratch is (n, 4)."""
    n = a.shape[0]
    acc = one
    for i in range(n):
        store(scratch, i, acc)
        x = load(a, i)
        if not is_zero(x):
            acc = mont_mul(acc, x, p, pinv)
    inv = pow_limbs(acc, pm2, one, p, pinv)
    for i in range(n - 1, -1, -1):
        x = load(a, i)
        if is_zero(x):
            store(out, i, x)
        else:
            store(out, i, mont_mul(inv, load(scratch, i), p, pinv))
            inv = mont_mul(inv, x, p, pinv)


def _tuple(limbs: np.ndarray) -> tuple:
    return tuple(np.uint64(v) for v in limbs)


class PrimeField:
    """Vectorised arithmetic modulo one prime, on Montgomery-form uint64 arrays of shape (..., 4).

    >>> from zapiki.kernels.fr import FR_FIELD as F
    >>> a = F.from_ints([3, 5])
    >>> F.to_ints(F.mul(a, F.inverse(a)))
    [1, 1]
    """

    def __init__(self, consts: FieldConstants, name: str) -> None:
        self.name = name
        self.p = consts.p
        self.consts = consts
        self._p = _tuple(consts.limbs)
        self._pinv = consts.inv
        self._one = _tuple(consts.one)
        self._r2 = consts.r2.reshape(1, 4)
        self._unit = np.array([[1, 0, 0, 0]], dtype=np.uint64)
        self._pm2 = consts.pm2

    # -- helpers --------------------------------------------------------------------------------------------
    @staticmethod
    def _flat(*arrays: np.ndarray) -> tuple[tuple[int, ...], list[np.ndarray]]:
        arrays = [np.asarray(x, dtype=np.uint64) for x in arrays]
        shaped = np.broadcast_arrays(*arrays) if len(arrays) > 1 else arrays
        shape = shaped[0].shape
        if shape[-1:] != (4,):
            raise ValueError(f"field arrays must have a last axis of 4 limbs, got shape {shape}")
        return shape, [np.ascontiguousarray(x).reshape(-1, 4) for x in shaped]

    # -- arithmetic -----------------------------------------------------------------------------------------
    def add(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """a + b."""
        shape, (x, y) = self._flat(a, b)
        out = np.empty_like(x)
        v_add(x, y, out, self._p)
        return out.reshape(shape)

    def sub(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """a - b."""
        shape, (x, y) = self._flat(a, b)
        out = np.empty_like(x)
        v_sub(x, y, out, self._p)
        return out.reshape(shape)

    def neg(self, a: np.ndarray) -> np.ndarray:
        """-a."""
        shape, (x,) = self._flat(a)
        out = np.empty_like(x)
        v_neg(x, out, self._p)
        return out.reshape(shape)

    def mul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """a * b (Montgomery product of Montgomery forms)."""
        shape, (x, y) = self._flat(a, b)
        out = np.empty_like(x)
        v_mul(x, y, out, self._p, self._pinv)
        return out.reshape(shape)

    def square(self, a: np.ndarray) -> np.ndarray:
        """a^2."""
        return self.mul(a, a)

    def pow(self, a: np.ndarray, e: int) -> np.ndarray:
        """a^e for a Python int e (negative e inverts first; 0^e = 0 for e < 0)."""
        if e < 0:
            a, e = self.inverse(a), -e
        shape, (x,) = self._flat(a)
        out = np.empty_like(x)
        limbs = np.array(
            [(e >> (64 * i)) & ((1 << 64) - 1) for i in range(max(1, (e.bit_length() + 63) // 64))], dtype=np.uint64
        )
        v_pow(x, limbs, out, self._one, self._p, self._pinv)
        return out.reshape(shape)

    def inverse(self, a: np.ndarray) -> np.ndarray:
        """1/a elementwise, by batch inversion (Montgomery's trick); the inverse of 0 is 0."""
        shape, (x,) = self._flat(a)
        out = np.empty_like(x)
        batch_inverse_into(x, out, np.empty_like(x), self._pm2, self._one, self._p, self._pinv)
        return out.reshape(shape)

    batch_inverse = inverse

    # -- conversions ----------------------------------------------------------------------------------------
    def to_montgomery(self, plain: np.ndarray) -> np.ndarray:
        """Plain limbs (values < p) to Montgomery form."""
        return self.mul(plain, self._r2)

    def from_montgomery(self, mont: np.ndarray) -> np.ndarray:
        """Montgomery form to plain limbs."""
        return self.mul(mont, self._unit)

    def check(self, limbs: np.ndarray, what: str = "value") -> np.ndarray:
        """Raise CurveError unless every element is below p; returns the (n, 4) contiguous view."""
        shape, (x,) = self._flat(limbs)
        if x.shape[0] and not v_lt_modulus(x, self._p):
            bad = int(np.argmax([self._geq_int(row) for row in x]))
            raise CurveError(f"{what} #{bad} is not reduced modulo the {self.name} modulus (>= {self.p})")
        return x.reshape(shape)

    def _geq_int(self, row: np.ndarray) -> bool:
        return sum(int(v) << (64 * i) for i, v in enumerate(row)) >= self.p

    def from_ints(self, values: Iterable[int]) -> np.ndarray:
        """Python ints (reduced mod p; negatives allowed) to a Montgomery array of shape (n, 4)."""
        data = b"".join((int(v) % self.p * MONT_R % self.p).to_bytes(32, "little") for v in values)
        return np.frombuffer(data, dtype="<u8").astype(np.uint64).reshape(-1, 4)

    def to_ints(self, mont: np.ndarray) -> list[int]:
        """A Montgomery array (..., 4) to a flat list of Python ints."""
        plain = np.ascontiguousarray(self.from_montgomery(mont), dtype="<u8").reshape(-1, 4)
        raw = plain.tobytes()
        return [int.from_bytes(raw[32 * i : 32 * i + 32], "little") for i in range(plain.shape[0])]

    def from_bytes(self, buf: bytes, montgomery: bool = False, what: str = "value") -> np.ndarray:
        """32-byte little-endian elements (plain, or Montgomery as snarkjs stores them) to a Montgomery array.

        Raises CurveError when the length is not a multiple of 32 or an element is >= p.
        """
        if len(buf) % 32:
            raise CurveError(f"{what}: byte length {len(buf)} is not a multiple of 32")
        limbs = np.frombuffer(buf, dtype="<u8").astype(np.uint64).reshape(-1, 4)
        self.check(limbs, what)
        return limbs.copy() if montgomery else self.to_montgomery(limbs)

    def to_bytes(self, mont: np.ndarray, montgomery: bool = False) -> bytes:
        """Inverse of :meth:`from_bytes`."""
        arr = np.asarray(mont, dtype=np.uint64) if montgomery else self.from_montgomery(mont)
        return np.ascontiguousarray(arr, dtype="<u8").tobytes()

    def zeros(self, n: int) -> np.ndarray:
        """n zeros."""
        return np.zeros((n, 4), dtype=np.uint64)

    def ones(self, n: int) -> np.ndarray:
        """n ones (Montgomery form)."""
        return np.tile(self.consts.one, (n, 1))

    def warmup(self) -> None:
        """Compile (or load from cache) every array kernel for this field."""
        a = self.from_ints([2, 3])
        self.add(a, a), self.sub(a, a), self.neg(a), self.mul(a, a), self.pow(a, 5), self.inverse(a)
        self.check(a)


__all__ = ["PrimeField", "U64_0", "pow_limbs", "batch_inverse_into"]
