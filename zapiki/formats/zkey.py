"""Reader and writer for snarkjs Groth16 proving keys (``.zkey``, version 1, protocol 1).

Array layouts (all C-contiguous, 8-byte aligned, writable ``uint64`` arrays owning their memory):

* a G1 point is ``(2, 4)``: ``[x, y]``, each coordinate four little-endian 64-bit limbs (limb 0 least
  significant) of its **Montgomery form** ``x * 2^256 mod q``, exactly the file's bytes. A list of G1 points
  is ``(n, 2, 4)``.
* a G2 point is ``(2, 2, 4)``: ``[[x.c0, x.c1], [y.c0, y.c1]]`` with the same limb encoding; a list is
  ``(n, 2, 2, 4)``.
* the point at infinity is all zeros (as snarkjs writes it).
* ``coeffs`` is a structured array of :data:`~zapiki.formats.r1cs.TERM_DTYPE` (``matrix`` 0 = A / 1 = B,
  ``row``, ``signal``, ``value``): ``value`` is ``v * 2^512 mod r`` ("double Montgomery"), so one Montgomery
  multiply by a plain witness value gives ``v * w`` in Montgomery form.

Sections: 1 protocol, 2 header, 3 IC, 4 coefficients, 5 A, 6 B1, 7 B2, 8 C, 9 H, 10 contributions (kept as
raw bytes). They may come in any order.

>>> from pathlib import Path
>>> zk = read_zkey(Path("tests/fixtures/groth16/multiplier/circuit.zkey"))
>>> (zk.n_vars, zk.n_public, zk.domain_size, zk.a.shape, zk.b2.shape, len(zk.sha256))
(4, 1, 4, (4, 2, 4), (4, 2, 2, 4), 64)

The header's counts (nVars, nPublic, domainSize, nCoefs) are checked against the sizes of every section they
size before any of them is read or allocated; :func:`read_zkey_header` reads the counts alone, with the same
checks.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from zapiki.errors import FormatError, WitnessError
from zapiki.formats.binfile import BinFile, MappedFile, SectionReader, Source, parse_binfile, write_binfile
from zapiki.formats.field import BN254_Q, BN254_R, FIELD_BYTES, from_montgomery, limbs_less_than, limbs_to_ints
from zapiki.formats.r1cs import TERM_DTYPE
from zapiki.formats.snarkjs_json import VerificationKey, parse_fq12, vkey_to_json

__all__ = [
    "EMPTY_CONTRIBUTIONS",
    "G1_BYTES",
    "G2_BYTES",
    "PROTOCOL_GROTH16",
    "ZKey",
    "ZKeyHeader",
    "check_witness",
    "g1_to_ints",
    "g2_to_ints",
    "read_zkey",
    "read_zkey_header",
    "write_zkey",
    "zkey_to_vkey",
    "zkey_verification_key",
]

PROTOCOL_GROTH16 = 1
_PROTOCOL_NAMES = {1: "groth16", 2: "plonk", 10: "fflonk"}
G1_BYTES = 2 * FIELD_BYTES
G2_BYTES = 4 * FIELD_BYTES
_MAX_LOG_DOMAIN = 28  # BN254's scalar field has 2-adicity 28
#: 64-byte circuit hash + u32 zero contributions: the smallest valid section 10.
EMPTY_CONTRIBUTIONS = bytes(64) + struct.pack("<I", 0)
#: Section 2 after domainSize: (name, group) of the six points.
_HEADER_POINTS = (("alpha1", 1), ("beta1", 1), ("beta2", 2), ("gamma2", 2), ("delta1", 1), ("delta2", 2))


@dataclass(frozen=True, eq=False)  # holds numpy arrays: compare fields explicitly
class ZKey:
    """A Groth16 proving key. Points are Montgomery-form limb arrays; see the module docstring."""

    n_vars: int
    n_public: int
    domain_size: int
    alpha1: np.ndarray
    beta1: np.ndarray
    beta2: np.ndarray
    gamma2: np.ndarray
    delta1: np.ndarray
    delta2: np.ndarray
    #: ``(n_public + 1, 2, 4)`` G1.
    ic: np.ndarray
    #: Structured :data:`TERM_DTYPE` array, values double Montgomery.
    coeffs: np.ndarray
    #: ``(n_vars, 2, 4)`` G1.
    a: np.ndarray
    #: ``(n_vars, 2, 4)`` G1.
    b1: np.ndarray
    #: ``(n_vars, 2, 2, 4)`` G2.
    b2: np.ndarray
    #: ``(n_vars - n_public - 1, 2, 4)`` G1, for wires ``n_public + 1 .. n_vars - 1``.
    c: np.ndarray
    #: ``(domain_size, 2, 4)`` G1.
    h: np.ndarray
    #: Section 10 verbatim (circuit hash and MPC contributions).
    contributions: bytes = EMPTY_CONTRIBUTIONS
    #: Hex sha256 of the file the key was read from ("" for a key built in memory).
    sha256: str = ""
    q: int = BN254_Q
    r: int = BN254_R

    @property
    def log_domain_size(self) -> int:
        """``k`` with ``domain_size == 2**k``."""
        return self.domain_size.bit_length() - 1


@dataclass(frozen=True)
class ZKeyHeader:
    """The counts of a Groth16 key's header, already checked against the sizes of the sections they size.

    >>> from pathlib import Path
    >>> read_zkey_header(Path("tests/fixtures/groth16/multiplier/circuit.zkey"))
    ZKeyHeader(n_vars=4, n_public=1, domain_size=4, n_coefs=4)
    """

    n_vars: int
    n_public: int
    domain_size: int
    #: Entries of the coefficient section (A and B terms, plus one A term per public wire and the one wire).
    n_coefs: int


def read_zkey_header(source: Source) -> ZKeyHeader:
    """Read only the counts of a Groth16 ``.zkey`` (a path or a bytes-like object); nothing is sized by them.

    Makes every check of :func:`read_zkey` that concerns sizes (a header that lies about its sizes is a
    :class:`~zapiki.errors.FormatError` here too), but does not read the points or coefficients themselves.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        header, _ = _read_header(parse_binfile(source, b"zkey", "zkey", max_version=1))
        return header
    with MappedFile(source) as mapped:  # only the pages of the header and the section table are read
        header, _ = _read_header(parse_binfile(mapped.view, b"zkey", "zkey", max_version=1))
        return header


def _read_header(bf: BinFile) -> tuple[ZKeyHeader, SectionReader]:
    """Sections 1 and 2 up to domainSize, and every section size checked against the counts; returns the
    header and the section 2 reader positioned at alpha1."""
    proto = bf.reader(1, "protocol")
    protocol = proto.u32("protocol")
    proto.expect_end()
    if protocol != PROTOCOL_GROTH16:
        name = _PROTOCOL_NAMES.get(protocol, "unknown")
        raise FormatError(f"{proto.where}: unsupported protocol {protocol} ({name}); only groth16 (1) is supported")

    hdr = bf.reader(2, "groth16 header")
    n8q = hdr.u32("n8q")
    if n8q != FIELD_BYTES:
        raise FormatError(f"{hdr.where}: unsupported base field size n8q={n8q}")
    q = hdr.integer(n8q, "q")
    if q != BN254_Q:
        raise FormatError(f"{hdr.where}: base field prime q={q} is not BN254's")
    n8r = hdr.u32("n8r")
    if n8r != FIELD_BYTES:
        raise FormatError(f"{hdr.where}: unsupported scalar field size n8r={n8r}")
    r = hdr.integer(n8r, "r")
    if r != BN254_R:
        raise FormatError(f"{hdr.where}: scalar field prime r={r} is not BN254's")
    n_vars = hdr.u32("nVars")
    n_public = hdr.u32("nPublic")
    domain_size = hdr.u32("domainSize")
    if n_public + 1 > n_vars:
        raise FormatError(f"{hdr.where}: nPublic={n_public} + 1 exceeds nVars={n_vars}")
    if domain_size == 0 or domain_size & (domain_size - 1) or domain_size > 1 << _MAX_LOG_DOMAIN:
        raise FormatError(f"{hdr.where}: domainSize={domain_size} is not a power of two <= 2^{_MAX_LOG_DOMAIN}")
    left = hdr.remaining
    for name, group in _HEADER_POINTS:
        size = G1_BYTES if group == 1 else G2_BYTES
        if size > left:
            raise FormatError(f"{hdr.where}: truncated at field {name!r} (needs {size} bytes, {left} left)")
        left -= size
    if left:
        raise FormatError(f"{hdr.where}: {left} unexpected trailing bytes (size mismatch)")
    # Every count against the bytes of the section it sizes, before any of them is read.
    for stype, name, count, count_name, group in _point_sections(n_vars, n_public, domain_size):
        _point_reader(bf, stype, name, count, count_name, group)
    cf = bf.reader(4, "coefficients")
    n_coefs = cf.u32("nCoefs")
    if cf.remaining != n_coefs * TERM_DTYPE.itemsize:
        raise FormatError(
            f"{cf.where}: size disagrees with nCoefs={n_coefs} ({cf.remaining} bytes for "
            f"{n_coefs} x {TERM_DTYPE.itemsize} = {n_coefs * TERM_DTYPE.itemsize} expected)"
        )
    return ZKeyHeader(n_vars=n_vars, n_public=n_public, domain_size=domain_size, n_coefs=n_coefs), hdr


def _point_sections(n_vars: int, n_public: int, domain_size: int) -> tuple[tuple[int, str, int, str, int], ...]:
    """(section type, name, point count, the header field it comes from, group) for sections 3 and 5 to 9."""
    return (
        (3, "IC", n_public + 1, f"nPublic+1 = {n_public + 1}", 1),
        (5, "A", n_vars, f"nVars={n_vars}", 1),
        (6, "B1", n_vars, f"nVars={n_vars}", 1),
        (7, "B2", n_vars, f"nVars={n_vars}", 2),
        (8, "C", n_vars - n_public - 1, f"nVars-nPublic-1 = {n_vars - n_public - 1}", 1),
        (9, "H", domain_size, f"domainSize={domain_size}", 1),
    )


def read_zkey(source: Source | MappedFile, sha256: str | None = None) -> ZKey:
    """Read a Groth16 ``.zkey`` from a path or a bytes-like object (``sha256``: its bytes' hex digest, when the
    caller has it already: hashing a 2^20 key takes a second).

    Raises :class:`~zapiki.errors.FormatError` for a truncated file, a wrong magic, an unsupported version or
    protocol (PLONK/FFLONK keys are rejected by name), moduli other than BN254's, section sizes that disagree
    with the header (checked for every section before any is read), coordinates ``>= q``, or coefficients out
    of range.
    """
    if isinstance(source, MappedFile):
        return _read_zkey(source.view, sha256 or source.sha256(), source.release)
    if isinstance(source, bytes | bytearray | memoryview):
        return _read_zkey(source, sha256 or hashlib.sha256(source).hexdigest(), lambda offset, size: None)
    with MappedFile(source) as mapped:
        return _read_zkey(mapped.view, sha256 or mapped.sha256(), mapped.release)


def _read_zkey(data: bytes | bytearray | memoryview, digest: str, release: Callable[[int, int], None]) -> ZKey:
    """:func:`read_zkey` on the file's bytes; ``release(offset, size)`` is told each section once it is copied."""
    bf = parse_binfile(data, b"zkey", "zkey", max_version=1)
    header, hdr = _read_header(bf)
    n_vars, n_public, domain_size = header.n_vars, header.n_public, header.domain_size
    alpha1, beta1, beta2, gamma2, delta1, delta2 = (_points(hdr, 1, group, name)[0] for name, group in _HEADER_POINTS)
    hdr.expect_end()

    coeffs = _read_coeffs(bf, n_vars, domain_size)
    release(*_span(bf, 4, "coefficients"))  # copied: its pages can go
    pts = {}
    for stype, name, count, count_name, group in _point_sections(n_vars, n_public, domain_size):
        pts[name] = _points(_point_reader(bf, stype, name, count, count_name, group), count, group, name)
        release(*_span(bf, stype, name))
    contributions = EMPTY_CONTRIBUTIONS
    if bf.has(10):
        sec = bf.section(10, "contributions")
        contributions = bytes(bf.data[sec.offset : sec.offset + sec.size])

    return ZKey(
        n_vars=n_vars, n_public=n_public, domain_size=domain_size,
        alpha1=alpha1, beta1=beta1, beta2=beta2, gamma2=gamma2, delta1=delta1, delta2=delta2,
        ic=pts["IC"], coeffs=coeffs, a=pts["A"], b1=pts["B1"], b2=pts["B2"], c=pts["C"], h=pts["H"],
        contributions=contributions, sha256=digest, q=BN254_Q, r=BN254_R,
    )  # fmt: skip


def _span(bf: BinFile, stype: int, name: str) -> tuple[int, int]:
    """(offset, size) of a section's body in the file."""
    sec = bf.section(stype, name)
    return sec.offset, sec.size


def _points(rd: SectionReader, count: int, group: int, what: str) -> np.ndarray:
    """Read ``count`` G1 (group 1) or G2 (group 2) points as a copied limb array, checking coordinates < q."""
    shape = (count, 2, 4) if group == 1 else (count, 2, 2, 4)
    pts = rd.array("<u8", count * 8 * group, what).reshape(shape).copy()
    ok = limbs_less_than(pts, BN254_Q)  # (count, 2) or (count, 2, 2)
    bad = np.flatnonzero(~ok.all(axis=tuple(range(1, ok.ndim))))
    if bad.size:
        raise FormatError(f"{rd.where}: {what} point {int(bad[0])} has a coordinate >= q")
    return pts


def _point_reader(bf: BinFile, stype: int, name: str, count: int, count_name: str, group: int) -> SectionReader:
    """A reader over a point section whose size was checked against ``count`` (allocates nothing)."""
    rd = bf.reader(stype, f"{name} points")
    point = G1_BYTES if group == 1 else G2_BYTES
    size = count * point
    if rd.remaining != size:
        raise FormatError(
            f"{rd.where}: size {rd.remaining} bytes, expected {count} points ({count_name}) x {point} = {size} bytes"
        )
    return rd


def _read_coeffs(bf: BinFile, n_vars: int, domain_size: int) -> np.ndarray:
    """Section 4, whose size was checked against nCoefs by :func:`_read_header`."""
    rd = bf.reader(4, "coefficients")
    n_coefs = rd.u32("nCoefs")
    coeffs = rd.array(TERM_DTYPE, n_coefs, "coefficients").copy()
    rd.expect_end()
    checks = (
        (coeffs["matrix"] > 1, "matrix is neither 0 (A) nor 1 (B)"),
        (coeffs["row"] >= domain_size, f"row >= domainSize={domain_size}"),
        (coeffs["signal"] >= n_vars, f"signal >= nVars={n_vars}"),
        (~limbs_less_than(coeffs["value"], BN254_R), "value >= r"),
    )
    for mask, problem in checks:
        bad = np.flatnonzero(mask)
        if bad.size:
            raise FormatError(f"{rd.where}: coefficient {int(bad[0])}: {problem}")
    return coeffs


def check_witness(zkey: ZKey, witness: np.ndarray) -> None:
    """Check that a ``(n, 4)`` limb witness fits the key: ``n == nVars``, values ``< r`` and ``w[0] == 1``.

    Raises :class:`~zapiki.errors.WitnessError`. (Whether it satisfies the constraints is the prover's check.)
    """
    if witness.ndim != 2 or witness.shape[1] != 4:
        raise WitnessError(f"witness must be a (n, 4) limb array, got shape {witness.shape}")
    if witness.shape[0] != zkey.n_vars:
        raise WitnessError(f"witness has {witness.shape[0]} values but the proving key expects nVars={zkey.n_vars}")
    bad = np.flatnonzero(~limbs_less_than(witness, zkey.r))
    if bad.size:
        raise WitnessError(f"witness value {int(bad[0])} is >= r")
    if witness[0, 0] != 1 or witness[0, 1:].any():
        raise WitnessError("witness value 0 (the constant-one wire) is not 1")


def write_zkey(zkey: ZKey) -> bytes:
    """Serialise a key in snarkjs's layout: version 1, sections 1 to 10 in order.

    The arrays must already hold Montgomery-form coordinates and double-Montgomery coefficient values.
    """
    header = b"".join(
        [
            struct.pack("<I", FIELD_BYTES), zkey.q.to_bytes(FIELD_BYTES, "little"),
            struct.pack("<I", FIELD_BYTES), zkey.r.to_bytes(FIELD_BYTES, "little"),
            struct.pack("<III", zkey.n_vars, zkey.n_public, zkey.domain_size),
            _raw(zkey.alpha1, (2, 4)), _raw(zkey.beta1, (2, 4)), _raw(zkey.beta2, (2, 2, 4)),
            _raw(zkey.gamma2, (2, 2, 4)), _raw(zkey.delta1, (2, 4)), _raw(zkey.delta2, (2, 2, 4)),
        ]
    )  # fmt: skip
    coeffs = np.ascontiguousarray(zkey.coeffs, dtype=TERM_DTYPE)
    sections = [
        (1, struct.pack("<I", PROTOCOL_GROTH16)),
        (2, header),
        (3, _raw(zkey.ic, (zkey.n_public + 1, 2, 4))),
        (4, struct.pack("<I", len(coeffs)) + coeffs.tobytes()),
        (5, _raw(zkey.a, (zkey.n_vars, 2, 4))),
        (6, _raw(zkey.b1, (zkey.n_vars, 2, 4))),
        (7, _raw(zkey.b2, (zkey.n_vars, 2, 2, 4))),
        (8, _raw(zkey.c, (zkey.n_vars - zkey.n_public - 1, 2, 4))),
        (9, _raw(zkey.h, (zkey.domain_size, 2, 4))),
        (10, zkey.contributions),
    ]
    return write_binfile(b"zkey", 1, sections)


def _raw(arr: np.ndarray, shape: tuple[int, ...]) -> bytes:
    a = np.ascontiguousarray(arr, dtype="<u8")
    if a.shape != shape:
        raise ValueError(f"point array has shape {a.shape}, expected {shape}")
    return a.tobytes()


def g1_to_ints(point: np.ndarray, q: int = BN254_Q) -> tuple[int, int] | None:
    """Affine plain coordinates ``(x, y)`` of a Montgomery-form G1 point, or ``None`` for infinity."""
    x, y = limbs_to_ints(point)
    if x == 0 and y == 0:
        return None
    return from_montgomery(x, q), from_montgomery(y, q)


def g2_to_ints(point: np.ndarray, q: int = BN254_Q) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """Affine plain coordinates ``((x.c0, x.c1), (y.c0, y.c1))`` of a Montgomery-form G2 point, or ``None``."""
    x0, x1, y0, y1 = limbs_to_ints(point)
    if x0 == x1 == y0 == y1 == 0:
        return None
    return (from_montgomery(x0, q), from_montgomery(x1, q)), (from_montgomery(y0, q), from_montgomery(y1, q))


AlphaBetaHook = Callable[[tuple[int, int], tuple[tuple[int, int], tuple[int, int]]], Any]


def zkey_verification_key(zkey: ZKey, alphabeta: AlphaBetaHook | None = None) -> VerificationKey:
    """The key's verification key, affine plain coordinates.

    ``vk_alphabeta_12`` is the pairing ``e(alpha1, beta2)``, which this layer cannot compute: pass
    ``alphabeta(alpha1, beta2)`` (plain affine integer coordinates in; a 2 x 3 x 2 nested sequence of
    integers or decimal strings out, in snarkjs's Fq12 nesting) to include it. Without the hook it is ``None``.
    """
    alpha1, beta2 = g1_to_ints(zkey.alpha1), g2_to_ints(zkey.beta2)
    alphabeta_12 = None
    if alphabeta is not None:
        if alpha1 is None or beta2 is None:
            raise FormatError("zkey: alpha1 or beta2 is the point at infinity")
        alphabeta_12 = parse_fq12(_as_json_numbers(alphabeta(alpha1, beta2)), "vk_alphabeta_12 from the hook")
    return VerificationKey(
        n_public=zkey.n_public,
        alpha1=alpha1,
        beta2=beta2,
        gamma2=g2_to_ints(zkey.gamma2),
        delta2=g2_to_ints(zkey.delta2),
        ic=tuple(g1_to_ints(p) for p in zkey.ic),
        alphabeta_12=alphabeta_12,
    )


def zkey_to_vkey(zkey: ZKey, alphabeta: AlphaBetaHook | None = None) -> dict:
    """``verification_key.json`` as ``snarkjs zkey export verificationkey`` writes it.

    Without the ``alphabeta`` hook (see :func:`zkey_verification_key`) ``vk_alphabeta_12`` is left out; every
    other field equals snarkjs's export.
    """
    return vkey_to_json(zkey_verification_key(zkey, alphabeta))


def _as_json_numbers(value: Any) -> Any:
    """Nested tuples/lists of ints -> nested lists of decimal strings (strings pass through)."""
    if isinstance(value, list | tuple):
        return [_as_json_numbers(v) for v in value]
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value
