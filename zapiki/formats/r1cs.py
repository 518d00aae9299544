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

Every count in the header is checked against the bytes present before anything sized by it is allocated or
looped over: ``nConstraints`` against the constraint section (each constraint holds at least three 4-byte term
counts), ``nWires`` against the wire-to-label map (8 bytes a wire) when there is one, each term count against
the bytes left. :func:`read_r1cs_header` reads the counts alone (and makes the same checks), so a caller can
refuse a circuit that is too big before the constraints are parsed.
"""

from __future__ import annotations

import struct
from array import array
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from zapiki.errors import FormatError
from zapiki.formats.binfile import BinFile, Source, load_bytes, parse_binfile
from zapiki.formats.field import BN254_R, FIELD_BYTES, limbs_less_than, read_scalar_field

__all__ = ["R1CS", "R1CSHeader", "TERM_DTYPE", "TermColumns", "read_r1cs", "read_r1cs_header", "term_columns"]

#: One linear-combination term / zkey coefficient: 44 bytes, packed, exactly as a zkey section 4 entry.
TERM_DTYPE = np.dtype([("matrix", "<u4"), ("row", "<u4"), ("signal", "<u4"), ("value", "<u8", (4,))])

_SEC_HEADER, _SEC_CONSTRAINTS, _SEC_LABELS = 1, 2, 3
#: The fewest bytes one constraint takes in section 2: three linear combinations of zero terms (a u32 count each).
_MIN_CONSTRAINT_BYTES = 3 * 4


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


@dataclass(frozen=True)
class R1CSHeader:
    """The counts of an ``.r1cs`` header (section 1), already checked against the sizes of its sections.

    >>> from pathlib import Path
    >>> hdr = read_r1cs_header(Path("tests/fixtures/groth16/multiplier/circuit.r1cs"))
    >>> (hdr.n_wires, hdr.n_constraints, hdr.n_public)
    (4, 1, 1)
    """

    prime: int
    n_wires: int
    n_pub_out: int
    n_pub_in: int
    n_prv_in: int
    n_labels: int
    n_constraints: int

    @property
    def n_public(self) -> int:
        """Public signals, not counting the constant-one wire (``n_pub_out + n_pub_in``)."""
        return self.n_pub_out + self.n_pub_in


def read_r1cs_header(source: Source) -> R1CSHeader:
    """Read only the header of an ``.r1cs`` (a path or a bytes-like object): cheap, nothing sized by its counts.

    The counts are checked against the section table as :func:`read_r1cs` checks them (so a header that lies
    about its sizes is a :class:`~zapiki.errors.FormatError` here too); the constraints themselves are not
    parsed, so a constraint that is malformed is only found by :func:`read_r1cs`.
    """
    return _read_header(parse_binfile(load_bytes(source), b"r1cs", "r1cs", max_version=1))


def _read_header(bf: BinFile) -> R1CSHeader:
    hdr = bf.reader(_SEC_HEADER, "header")
    _n8, prime = read_scalar_field(hdr)
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
    # The header's counts against the bytes present, before anything is sized by them.
    rd = bf.reader(_SEC_CONSTRAINTS, "constraints")
    need = n_constraints * _MIN_CONSTRAINT_BYTES
    if need > rd.remaining:
        raise FormatError(
            f"{rd.where}: header declares {n_constraints} constraints (nConstraints), which need at least "
            f"{need} bytes ({_MIN_CONSTRAINT_BYTES} each), but the section is {rd.remaining} bytes"
        )
    if bf.has(_SEC_LABELS):
        lab = bf.reader(_SEC_LABELS, "wire-to-label map")
        if lab.remaining != 8 * n_wires:
            raise FormatError(f"{lab.where}: size {lab.remaining} bytes, expected 8 * nWires = {8 * n_wires}")
    return R1CSHeader(prime, n_wires, n_pub_out, n_pub_in, n_prv_in, n_labels, n_constraints)


def read_r1cs(source: Source) -> R1CS:
    """Read an ``.r1cs`` file from a path or a bytes-like object.

    Raises :class:`~zapiki.errors.FormatError` for a truncated or inconsistent file, a wrong magic, a version
    other than 1, a field size other than 32 bytes, a prime other than BN254's r, or a header whose counts do
    not fit the bytes of its sections (checked before anything is allocated).
    """
    bf = parse_binfile(load_bytes(source), b"r1cs", "r1cs", max_version=1)
    h = _read_header(bf)
    terms = _read_constraints(bf, h.n_constraints, h.n_wires)
    wire_to_label = None
    if bf.has(_SEC_LABELS):  # its size was checked against nWires by _read_header
        wire_to_label = bf.reader(_SEC_LABELS, "wire-to-label map").array("<u8", h.n_wires, "labels").copy()
    return R1CS(
        h.prime, h.n_wires, h.n_pub_out, h.n_pub_in, h.n_prv_in, h.n_labels, h.n_constraints, terms, wire_to_label
    )


def _read_constraints(bf: BinFile, n_constraints: int, n_wires: int) -> np.ndarray:
    """Decode section 2 into a flat term table (``n_constraints`` was checked against its size by _read_header).

    One Python step per linear combination finds where each begins (the lengths are variable), each step
    consuming at least 4 bytes of the section or failing; only the non-empty combinations are recorded, in
    compact arrays (24 bytes for at least 40 bytes of file), so no file makes this allocate more than a small
    multiple of its size. The terms themselves are gathered with vectorised numpy indexing.
    """
    sec = bf.section(_SEC_CONSTRAINTS, "constraints")
    where = f"{bf.kind} file, section {_SEC_CONSTRAINTS} (constraints)"
    term_size = 4 + FIELD_BYTES
    data = bf.data
    pos, end = sec.offset, sec.offset + sec.size
    starts = array("q")  # byte offset of the first term, per non-empty linear combination
    lcs = array("q")  # its index: 3 * constraint + (0 A, 1 B, 2 C)
    counts = array("q")  # its number of terms
    unpack = _U32.unpack_from
    for k in range(3 * n_constraints):
        if pos + 4 > end:
            raise FormatError(f"{where}: truncated in constraint {k // 3} ({'ABC'[k % 3]}): no term count")
        (n,) = unpack(data, pos)
        pos += 4
        if n:
            if n * term_size > end - pos:
                raise FormatError(
                    f"{where}: truncated in constraint {k // 3} ({'ABC'[k % 3]}): {n} terms declared, "
                    f"{end - pos} bytes left"
                )
            starts.append(pos)
            lcs.append(k)
            counts.append(n)
            pos += n * term_size
    if pos != end:
        raise FormatError(f"{where}: {end - pos} unexpected trailing bytes (size mismatch)")

    counts_arr = np.frombuffer(counts, dtype=np.int64)
    total = int(counts_arr.sum())
    terms = np.empty(total, dtype=TERM_DTYPE)
    if total == 0:
        return terms
    # per term: which of the recorded (non-empty) combinations it belongs to, and its rank inside it
    owner = np.repeat(np.arange(len(counts_arr), dtype=np.int64), counts_arr)
    first_term = np.cumsum(counts_arr) - counts_arr
    rank = np.arange(total, dtype=np.int64) - first_term[owner]
    offsets = np.frombuffer(starts, dtype=np.int64)[owner] + rank * term_size
    del rank, first_term
    lc_of_term = np.frombuffer(lcs, dtype=np.int64)[owner]
    del owner
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
