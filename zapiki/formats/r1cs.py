"""Reader for circom's ``.r1cs`` constraint files (version 1).

Sections: 1 header, 2 constraints, 3 wire-to-label map (4/5 custom gates, PLONK only, are ignored).
Coefficients are plain little-endian integers mod r (not Montgomery).

The constraints come back as one flat table of terms, :data:`TERM_DTYPE`, with the same field layout as a
zkey's coefficient section: ``matrix`` (0 = A, 1 = B, 2 = C), ``row`` (constraint index), ``signal`` (wire
index) and ``value`` (four little-endian ``uint64`` limbs, plain). Terms keep the file's order: constraint by
constraint, A then B then C.

>>> from pathlib import Path
>>> r1cs = read_r1cs(Path("tests/fixtures/groth16/multiplier/circuit.r1cs"))
>>> (r1cs.n_wires, r1cs.n_constraints, r1cs.n_public, len(r1cs.terms))
(4, 1, 1, 3)
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from zapiki.errors import FormatError
from zapiki.formats.binfile import BinFile, Source, load_bytes, parse_binfile
from zapiki.formats.field import BN254_R, FIELD_BYTES, limbs_less_than, read_scalar_field

__all__ = ["R1CS", "TERM_DTYPE", "TermColumns", "read_r1cs", "term_columns"]

#: One linear-combination term / zkey coefficient: 44 bytes, packed, exactly as a zkey section 4 entry.
TERM_DTYPE = np.dtype([("matrix", "<u4"), ("row", "<u4"), ("signal", "<u4"), ("value", "<u8", (4,))])

_SEC_HEADER, _SEC_CONSTRAINTS, _SEC_LABELS = 1, 2, 3


class TermColumns(NamedTuple):
    """A term table split into contiguous, aligned columns (what numba kernels take best)."""

    matrix: np.ndarray  # uint32 (n,)
    row: np.ndarray  # uint32 (n,)
    signal: np.ndarray  # uint32 (n,)
    value: np.ndarray  # uint64 (n, 4)


def term_columns(terms: np.ndarray) -> TermColumns:
    """Copy a :data:`TERM_DTYPE` table into separate C-contiguous columns (one vectorised copy per field)."""
    return TermColumns(*(np.ascontiguousarray(terms[name]) for name in ("matrix", "row", "signal", "value")))


_U32 = struct.Struct("<I")


@dataclass(frozen=True, eq=False)  # holds numpy arrays: compare fields explicitly
class R1CS:
    """A parsed ``.r1cs`` file.

    Wire order: 0 is the constant one, then ``n_pub_out`` public outputs, ``n_pub_in`` public inputs,
    ``n_prv_in`` private inputs, then internal wires.
    """

    prime: int
    n_wires: int
    n_pub_out: int
    n_pub_in: int
    n_prv_in: int
    n_labels: int
    n_constraints: int
    #: Structured array of :data:`TERM_DTYPE`, values plain (not Montgomery).
    terms: np.ndarray
    #: ``uint64`` label id per wire, or ``None`` when the file has no section 3.
    wire_to_label: np.ndarray | None

    @property
    def n_public(self) -> int:
        """Public signals, not counting the constant-one wire (``n_pub_out + n_pub_in``)."""
        return self.n_pub_out + self.n_pub_in


def read_r1cs(source: Source) -> R1CS:
    """Read an ``.r1cs`` file from a path or a bytes-like object.

    Raises :class:`~zapiki.errors.FormatError` for a truncated or inconsistent file, a wrong magic, a version
    other than 1, a field size other than 32 bytes or a prime other than BN254's r.
    """
    bf = parse_binfile(load_bytes(source), b"r1cs", "r1cs", max_version=1)

    hdr = bf.reader(_SEC_HEADER, "header")
    n8, prime = read_scalar_field(hdr)
    n_wires = hdr.u32("nWires")
    n_pub_out = hdr.u32("nPubOut")
    n_pub_in = hdr.u32("nPubIn")
    n_prv_in = hdr.u32("nPrvIn")
    n_labels = hdr.u64("nLabels")
    n_constraints = hdr.u32("nConstraints")
    hdr.expect_end()
    if n_wires < 1 or 1 + n_pub_out + n_pub_in + n_prv_in > n_wires:
        raise FormatError(
            f"{hdr.where}: signal counts disagree: 1 + {n_pub_out} outputs + {n_pub_in} public inputs + "
            f"{n_prv_in} private inputs > nWires={n_wires}"
        )

    terms = _read_constraints(bf, n_constraints, n_wires)

    wire_to_label = None
    if bf.has(_SEC_LABELS):
        lab = bf.reader(_SEC_LABELS, "wire-to-label map")
        if lab.remaining != 8 * n_wires:
            raise FormatError(f"{lab.where}: size {lab.remaining} bytes, expected 8 * nWires = {8 * n_wires}")
        wire_to_label = lab.array("<u8", n_wires, "labels").copy()

    return R1CS(prime, n_wires, n_pub_out, n_pub_in, n_prv_in, n_labels, n_constraints, terms, wire_to_label)


def _read_constraints(bf: BinFile, n_constraints: int, n_wires: int) -> np.ndarray:
    """Decode section 2 into a flat term table.

    One Python step per linear combination finds where each begins (the lengths are variable); the terms
    themselves are gathered with vectorised numpy indexing.
    """
    rd = bf.reader(_SEC_CONSTRAINTS, "constraints")
    where = rd.where
    term_size = 4 + FIELD_BYTES
    # Every constraint holds three u32 term counts at least.
    if n_constraints * 12 > rd.remaining:
        raise FormatError(
            f"{where}: header declares {n_constraints} constraints but the section is {rd.remaining} bytes"
        )
    sec = bf.section(_SEC_CONSTRAINTS, "constraints")
    data = bf.data
    pos, end = sec.offset, sec.offset + sec.size
    n_lcs = 3 * n_constraints
    starts: list[int] = []
    counts: list[int] = []
    unpack = _U32.unpack_from
    for k in range(n_lcs):
        if pos + 4 > end:
            raise FormatError(f"{where}: truncated in constraint {k // 3} ({'ABC'[k % 3]}): no term count")
        (n,) = unpack(data, pos)
        pos += 4
        if n * term_size > end - pos:
            raise FormatError(
                f"{where}: truncated in constraint {k // 3} ({'ABC'[k % 3]}): {n} terms declared, "
                f"{end - pos} bytes left"
            )
        starts.append(pos)
        counts.append(n)
        pos += n * term_size
    if pos != end:
        raise FormatError(f"{where}: {end - pos} unexpected trailing bytes (size mismatch)")

    starts_arr = np.array(starts, dtype=np.int64)
    counts_arr = np.array(counts, dtype=np.int64)
    total = int(counts_arr.sum())
    terms = np.empty(total, dtype=TERM_DTYPE)
    if total == 0:
        return terms
    lc_of_term = np.repeat(np.arange(n_lcs, dtype=np.int64), counts_arr)
    first_term = np.cumsum(counts_arr) - counts_arr
    rank = np.arange(total, dtype=np.int64) - first_term[lc_of_term]
    offsets = starts_arr[lc_of_term] + rank * term_size
    # Overlapping views of the file: element i is the integer starting at byte i (stride 1, no copy).
    u32_at = np.ndarray(shape=(len(data) - 3,), dtype="<u4", buffer=data, strides=(1,))
    u64_at = np.ndarray(shape=(len(data) - 7,), dtype="<u8", buffer=data, strides=(1,))
    terms["matrix"] = lc_of_term % 3
    terms["row"] = lc_of_term // 3
    terms["signal"] = u32_at[offsets]
    for limb in range(4):
        terms["value"][:, limb] = u64_at[offsets + 4 + 8 * limb]
    bad_wire = np.flatnonzero(terms["signal"] >= n_wires)
    if bad_wire.size:
        i = int(bad_wire[0])
        raise FormatError(f"{where}: constraint {terms['row'][i]} uses wire {terms['signal'][i]} >= nWires={n_wires}")
    bad_value = np.flatnonzero(~limbs_less_than(terms["value"], BN254_R))
    if bad_value.size:
        i = int(bad_value[0])
        raise FormatError(f"{where}: constraint {terms['row'][i]} has a coefficient >= r")
    return terms
