"""BN254 moduli and the conversions the file formats need.

Field elements travel between modules in one of three shapes:

* a Python ``int`` (plain value, ``0 <= v < modulus``), for small things (headers, JSON, tests);
* ``bytes``: 32-byte little-endian integers, as every snarkjs file stores them;
* a numpy ``uint64`` array of shape ``(..., 4)``: the same 32 bytes seen as four little-endian 64-bit limbs
  (limb 0 least significant). This is the layout the prover's kernels take; converting bytes to it is a
  zero-copy ``np.frombuffer``.

Whether a value is plain or in Montgomery form (``v * 2^256 mod p``) is a property of where it came from, and
is stated by each reader.

>>> int_to_bytes(1)[:2]
b'\\x01\\x00'
>>> limbs_to_ints(ints_to_limbs([5, BN254_R - 1])) == [5, BN254_R - 1]
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from zapiki.formats.moduli import BN254_Q, BN254_R

__all__ = [
    "BN254_Q",
    "BN254_R",
    "FIELD_BYTES",
    "MONT_R",
    "bytes_to_int",
    "int_to_bytes",
    "ints_to_limbs",
    "limbs_less_than",
    "limbs_to_ints",
    "from_montgomery",
    "to_montgomery",
    "from_double_montgomery",
    "to_double_montgomery",
]

# BN254_R (witness values, coefficients, public signals) and BN254_Q (point coordinates): see .moduli.
# Bytes per field element in every snarkjs file (n8).
FIELD_BYTES = 32
# Montgomery radix R = 2^256.
MONT_R = 1 << 256

# Constants are data, checked at import: both moduli are odd 254-bit primes (Fermat test), r - 1 has 2-adicity 28.
assert BN254_R.bit_length() == 254 and BN254_Q.bit_length() == 254
assert pow(5, BN254_R - 1, BN254_R) == 1 and pow(3, BN254_Q - 1, BN254_Q) == 1
assert (BN254_R - 1) % (1 << 28) == 0 and ((BN254_R - 1) >> 28) % 2 == 1

_LIMB_DTYPE = np.dtype("<u8")


def int_to_bytes(value: int, n8: int = FIELD_BYTES) -> bytes:
    """Encode a non-negative integer as ``n8`` little-endian bytes."""
    return value.to_bytes(n8, "little")


def bytes_to_int(data: bytes | memoryview) -> int:
    """Decode little-endian bytes into an integer."""
    return int.from_bytes(data, "little")


def ints_to_limbs(values: Sequence[int]) -> np.ndarray:
    """Pack integers ``0 <= v < 2^256`` into a ``(n, 4)`` little-endian ``uint64`` limb array."""
    raw = b"".join(int(v).to_bytes(FIELD_BYTES, "little") for v in values)
    return np.frombuffer(raw, dtype=_LIMB_DTYPE).reshape(len(values), 4).copy()


def limbs_to_ints(limbs: np.ndarray) -> list[int]:
    """Unpack a ``(..., 4)`` limb array into a flat list of Python integers (row-major order)."""
    raw = np.ascontiguousarray(limbs, dtype=_LIMB_DTYPE).tobytes()
    return [int.from_bytes(raw[i : i + FIELD_BYTES], "little") for i in range(0, len(raw), FIELD_BYTES)]


def limbs_less_than(limbs: np.ndarray, modulus: int) -> np.ndarray:
    """Elementwise ``value < modulus`` for a ``(..., 4)`` limb array, vectorised (no Python loop per element)."""
    m = [np.uint64((modulus >> (64 * i)) & 0xFFFFFFFFFFFFFFFF) for i in range(4)]
    less = np.zeros(limbs.shape[:-1], dtype=bool)
    equal = np.ones(limbs.shape[:-1], dtype=bool)
    # Lexicographic comparison from the most significant limb down.
    for i in (3, 2, 1, 0):
        limb = limbs[..., i]
        less |= equal & (limb < m[i])
        equal &= limb == m[i]
    return less


def to_montgomery(value: int, modulus: int) -> int:
    """``value * 2^256 mod modulus`` (how snarkjs stores point coordinates)."""
    return value * MONT_R % modulus


def from_montgomery(value: int, modulus: int) -> int:
    """Inverse of :func:`to_montgomery`."""
    return value * pow(MONT_R, -1, modulus) % modulus


def to_double_montgomery(value: int, modulus: int = BN254_R) -> int:
    """``value * 2^512 mod modulus`` (how a Groth16 zkey stores coefficient values)."""
    return value * MONT_R * MONT_R % modulus


def from_double_montgomery(value: int, modulus: int = BN254_R) -> int:
    """Inverse of :func:`to_double_montgomery`."""
    return value * pow(MONT_R * MONT_R, -1, modulus) % modulus


def read_scalar_field(hdr: Any) -> tuple[int, int]:  # noqa: ANN401
    """Read a header's `u32 n8, prime` (r1cs, wtns), check they are BN254's scalar field (naming the problem),
    and return (n8, prime)."""
    from zapiki.errors import FormatError

    n8 = hdr.u32("n8")
    if n8 != FIELD_BYTES:
        raise FormatError(f"{hdr.where}: unsupported field size n8={n8} (expected {FIELD_BYTES})")
    prime = hdr.integer(n8, "prime")
    if prime != BN254_R:
        raise FormatError(f"{hdr.where}: prime {prime} is not BN254's scalar field r")
    return n8, prime
