"""Reader and writer for snarkjs ``.wtns`` witness files (version 2).

Sections: 1 header (u32 n8, prime, u32 nWitness), 2 the values, each n8 bytes, plain little-endian (not
Montgomery). Witness values come back as a ``(n, 4)`` ``uint64`` limb array, limb 0 least significant;
``values[0]`` is the constant one.

>>> import numpy as np
>>> blob = write_wtns(np.array([[1, 0, 0, 0], [33, 0, 0, 0]], dtype=np.uint64))
>>> read_wtns(blob).to_ints()
[1, 33]
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from zapiki.errors import FormatError
from zapiki.formats.binfile import Source, load_bytes, parse_binfile, write_binfile
from zapiki.formats.field import BN254_R, FIELD_BYTES, ints_to_limbs, limbs_less_than, limbs_to_ints, read_scalar_field

__all__ = ["Wtns", "read_wtns", "write_wtns"]

_VERSION = 2


@dataclass(frozen=True, eq=False)  # holds numpy arrays: compare fields explicitly
class Wtns:
    """A witness: the field prime and the values as a writable, aligned ``(n, 4)`` ``uint64`` array."""

    prime: int
    values: np.ndarray

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def to_ints(self) -> list[int]:
        """The witness as Python integers (slow for large witnesses; for tests and small circuits)."""
        return limbs_to_ints(self.values)


def read_wtns(source: Source) -> Wtns:
    """Read a ``.wtns`` file from a path or a bytes-like object.

    Raises :class:`~zapiki.errors.FormatError` for a truncated file, a wrong magic, a version other than 2,
    n8 other than 32, a prime other than BN254's r, a section size that disagrees with nWitness (checked before
    the values are allocated), or a value ``>= r``.
    """
    bf = parse_binfile(load_bytes(source), b"wtns", "wtns", max_version=_VERSION, min_version=_VERSION)
    hdr = bf.reader(1, "header")
    n8, prime = read_scalar_field(hdr)
    n_witness = hdr.u32("nWitness")
    hdr.expect_end()
    body = bf.reader(2, "witness values")
    # nWitness against the bytes present, before the values are allocated
    if body.remaining != n_witness * n8:
        raise FormatError(
            f"{body.where}: size {body.remaining} bytes disagrees with nWitness={n_witness} x n8={n8} "
            f"= {n_witness * n8} bytes"
        )
    values = body.array("<u8", 4 * n_witness, "values").reshape(n_witness, 4).copy()
    bad = np.flatnonzero(~limbs_less_than(values, prime))
    if bad.size:
        raise FormatError(f"{body.where}: witness value {int(bad[0])} is >= r")
    return Wtns(prime, values)


def write_wtns(values: np.ndarray | Sequence[int], prime: int = BN254_R) -> bytes:
    """Serialise a witness exactly as ``snarkjs wtns calculate`` does (version 2, sections 1 then 2).

    ``values`` is a ``(n, 4)`` limb array or a sequence of integers, all plain and ``< prime``.
    """
    if isinstance(values, np.ndarray) and values.dtype != object:
        limbs = np.ascontiguousarray(values, dtype="<u8")
        if limbs.ndim != 2 or limbs.shape[1] != 4:
            raise ValueError(f"witness limb array must have shape (n, 4), got {limbs.shape}")
    else:
        ints = [int(v) for v in values]
        if any(v < 0 or v >= prime for v in ints):
            raise ValueError("witness values must be in [0, prime)")
        limbs = ints_to_limbs(ints)
    if not bool(limbs_less_than(limbs, prime).all()):
        raise ValueError("witness values must be < prime")
    header = struct.pack("<I", FIELD_BYTES) + prime.to_bytes(FIELD_BYTES, "little") + struct.pack("<I", len(limbs))
    return write_binfile(b"wtns", _VERSION, [(1, header), (2, limbs.tobytes())])
