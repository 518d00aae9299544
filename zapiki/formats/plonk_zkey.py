"""snarkjs 0.7's PLONK proving key (``.zkey``, protocol 2, BN254): read, write, export the verification key.

Layout (iden3 container, magic ``zkey``, version 1, 14 sections; ``n = domainSize``, ``n8 = 32``; field
elements Montgomery little-endian, G1 points affine ``x||y`` Montgomery, infinity all zeros)::

    1  protocol      u32 2
    2  header        u32 n8q, q, u32 n8r, r, u32 nVars, nPublic, domainSize, nAdditions, nConstraints,
                     k1, k2 (Fr), Qm Ql Qr Qo Qc S1 S2 S3 (G1), X_2 (G2: tau G2)
    3  additions     nAdditions x (u32 signal a, u32 signal b, Fr coefficient a, Fr coefficient b)
    4  A map         nConstraints x u32 (the left wire of each gate)
    5  B map         nConstraints x u32
    6  C map         nConstraints x u32
    7..11  Qm Ql Qr Qo Qc      each: n coefficients, then 4n evaluations on the 4n-domain (Fr)
    12 sigma         S1, S2, S3, each as in 7..11
    13 Lagrange      max(nPublic, 1) polynomials L_i, each as in 7..11
    14 PTau          n + 6 points tau^i G1

``snarkjs plonk setup`` writes the sections in the order 3, 4, ..., 14, 1, 2; :func:`write_plonk_zkey` does too.
Every section size is checked against the header before anything is sized by it (a lying header is a
:class:`~zapiki.errors.FormatError`, never a huge allocation).

>>> z = PlonkZKey.empty(n_public=1)
>>> read_plonk_zkey(write_plonk_zkey(z)).domain_size, z.polys.shape, z.lagrange.shape
(8, (8, 40, 4), (1, 40, 4))
>>> plonk_zkey_to_vkey(z)["k1"], plonk_zkey_to_vkey(z)["power"]
('2', 3)
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

import numpy as np

from zapiki.errors import FormatError
from zapiki.formats.binfile import BinFile, SectionReader, Source, load_bytes, parse_binfile, write_binfile
from zapiki.formats.field import (
    BN254_Q,
    BN254_R,
    FIELD_BYTES,
    from_montgomery,
    limbs_less_than,
    limbs_to_ints,
    to_montgomery,
)
from zapiki.formats.snarkjs_json import g1_json as _g1_json
from zapiki.formats.snarkjs_json import g2_json as _g2_json
from zapiki.formats.zkey import g1_to_ints, g2_to_ints

__all__ = [
    "ADDITION_DTYPE",
    "POLY_NAMES",
    "PROTOCOL_PLONK",
    "PlonkZKey",
    "PlonkZKeyHeader",
    "plonk_root_of_unity",
    "plonk_zkey_to_vkey",
    "read_plonk_zkey",
    "read_plonk_zkey_header",
    "write_plonk_zkey",
]

PROTOCOL_PLONK = 2
#: One addition: two wires and their coefficients (Montgomery): 72 bytes, packed, as in section 3.
ADDITION_DTYPE = np.dtype([("a", "<u4"), ("b", "<u4"), ("ca", "<u8", (4,)), ("cb", "<u8", (4,))])
#: The polynomials of sections 7 to 12, in file order (also the header's commitment order).
POLY_NAMES = ("Qm", "Ql", "Qr", "Qo", "Qc", "S1", "S2", "S3")
#: snarkjs writes the sections in this order.
SECTION_ORDER = (3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 1, 2)
G1_BYTES = 2 * FIELD_BYTES
G2_BYTES = 4 * FIELD_BYTES
_MAX_LOG_DOMAIN = 28  # BN254's scalar field has 2-adicity 28; snarkjs's 4n evaluations need log n <= 26
_OMEGA_2_28 = pow(5, (BN254_R - 1) >> 28, BN254_R)


def plonk_root_of_unity(log_n: int) -> int:
    """snarkjs's ``Fr.w[log_n]``, the primitive ``2^log_n``-th root of unity (``5^((r-1)/2^log_n)``).

    >>> w = plonk_root_of_unity(3)
    >>> pow(w, 8, BN254_R) == 1 and pow(w, 4, BN254_R) != 1
    True
    """
    if not 0 <= log_n <= 28:
        raise ValueError(f"no 2^{log_n}-th root of unity in BN254's Fr (2-adicity 28)")
    return pow(_OMEGA_2_28, 1 << (28 - log_n), BN254_R)


@dataclass(frozen=True)
class PlonkZKeyHeader:
    """The counts of a PLONK key's header, checked against the sizes of the sections they size."""

    n_vars: int
    n_public: int
    domain_size: int
    n_additions: int
    n_constraints: int

    @property
    def power(self) -> int:
        """``log2(domain_size)``."""
        return self.domain_size.bit_length() - 1

    @property
    def n_lagrange(self) -> int:
        """Lagrange polynomials in section 13: ``max(nPublic, 1)``."""
        return max(self.n_public, 1)


@dataclass(frozen=True, eq=False)  # holds numpy arrays: compare fields explicitly
class PlonkZKey:
    """A PLONK proving key (see the module docstring). Field elements and points: Montgomery limb arrays."""

    n_vars: int
    n_public: int
    domain_size: int
    n_constraints: int
    #: Plain ints (the file holds them Montgomery).
    k1: int
    k2: int
    #: ``(8, 2, 4)`` G1 affine: Qm, Ql, Qr, Qo, Qc, S1, S2, S3 (see :data:`POLY_NAMES`).
    commitments: np.ndarray
    #: ``(2, 2, 4)`` G2 affine: tau G2.
    x2: np.ndarray
    #: :data:`ADDITION_DTYPE` array (coefficients Montgomery).
    additions: np.ndarray
    #: ``(3, nConstraints)`` uint32: the A, B, C wire of each gate.
    wire_maps: np.ndarray
    #: ``(8, 5n, 4)``: per polynomial of :data:`POLY_NAMES`, n coefficients then 4n evaluations.
    polys: np.ndarray
    #: ``(max(nPublic, 1), 5n, 4)``: the Lagrange polynomials L_i, coefficients then 4n evaluations.
    lagrange: np.ndarray
    #: ``(n + 6, 2, 4)`` G1 affine: tau^i G1.
    ptau: np.ndarray
    #: Hex sha256 of the file the key was read from ("" for a key built in memory).
    sha256: str = ""

    @property
    def n_additions(self) -> int:
        """Entries of the additions section."""
        return len(self.additions)

    @property
    def power(self) -> int:
        """``log2(domain_size)``."""
        return self.domain_size.bit_length() - 1

    def commitment(self, name: str) -> np.ndarray:
        """The ``(2, 4)`` G1 commitment of ``name`` (one of :data:`POLY_NAMES`)."""
        return self.commitments[POLY_NAMES.index(name)]

    def coefficients(self, name: str) -> np.ndarray:
        """The ``(n, 4)`` Montgomery coefficients of ``name`` (one of :data:`POLY_NAMES`)."""
        return self.polys[POLY_NAMES.index(name), : self.domain_size]

    def evaluations(self, name: str) -> np.ndarray:
        """The ``(4n, 4)`` Montgomery evaluations of ``name`` on the 4n-domain (natural order)."""
        return self.polys[POLY_NAMES.index(name), self.domain_size :]

    @classmethod
    def empty(cls, n_public: int = 0, power: int = 3) -> PlonkZKey:
        """A structurally valid key with zero polynomials and points at infinity (for tests and examples)."""
        n = 1 << power
        return cls(
            n_vars=n_public + 1, n_public=n_public, domain_size=n, n_constraints=n_public, k1=2, k2=3,
            commitments=np.zeros((8, 2, 4), np.uint64), x2=np.zeros((2, 2, 4), np.uint64),
            additions=np.zeros(0, ADDITION_DTYPE), wire_maps=np.zeros((3, n_public), np.uint32),
            polys=np.zeros((8, 5 * n, 4), np.uint64), lagrange=np.zeros((max(n_public, 1), 5 * n, 4), np.uint64),
            ptau=np.zeros((n + 6, 2, 4), np.uint64),
        )  # fmt: skip


# -- reading ---------------------------------------------------------------------------------------------------
def read_plonk_zkey_header(source: Source) -> PlonkZKeyHeader:
    """Read only the counts of a PLONK ``.zkey`` (every section size checked against them; nothing read)."""
    bf = parse_binfile(load_bytes(source), b"zkey", "zkey", max_version=1)
    return _read_header(bf)[0]


def _sizes(h: PlonkZKeyHeader) -> dict[int, tuple[str, int, str]]:
    """Section -> (name, expected bytes, how it follows from the header), for sections 3 to 14."""
    n, fe = h.domain_size, FIELD_BYTES
    poly = 5 * n * fe
    out = {
        3: ("additions", h.n_additions * ADDITION_DTYPE.itemsize, f"nAdditions={h.n_additions} x 72"),
        4: ("A map", 4 * h.n_constraints, f"nConstraints={h.n_constraints} x 4"),
        5: ("B map", 4 * h.n_constraints, f"nConstraints={h.n_constraints} x 4"),
        6: ("C map", 4 * h.n_constraints, f"nConstraints={h.n_constraints} x 4"),
    }
    for i, name in enumerate(POLY_NAMES[:5]):
        out[7 + i] = (name, poly, f"5 x domainSize={n} x 32")
    out[12] = ("sigma", 3 * poly, f"3 x 5 x domainSize={n} x 32")
    out[13] = ("lagrange", h.n_lagrange * poly, f"max(nPublic, 1)={h.n_lagrange} x 5 x domainSize={n} x 32")
    out[14] = ("PTau", (n + 6) * G1_BYTES, f"(domainSize + 6)={n + 6} x 64")
    return out


def _read_header(bf: BinFile) -> tuple[PlonkZKeyHeader, SectionReader]:
    proto = bf.reader(1, "protocol")
    protocol = proto.u32("protocol")
    proto.expect_end()
    if protocol != PROTOCOL_PLONK:
        names = {1: "groth16", 10: "fflonk"}
        raise FormatError(
            f"{proto.where}: protocol {protocol} ({names.get(protocol, 'unknown')}) is not plonk ({PROTOCOL_PLONK})"
        )
    hdr = bf.reader(2, "plonk header")
    for what, modulus in (("q", BN254_Q), ("r", BN254_R)):
        n8 = hdr.u32(f"n8{what}")
        if n8 != FIELD_BYTES:
            raise FormatError(f"{hdr.where}: unsupported field size n8{what}={n8} (BN254 has 32)")
        if hdr.integer(n8, what) != modulus:
            raise FormatError(f"{hdr.where}: prime {what} is not BN254's")
    n_vars, n_public, domain_size, n_additions, n_constraints = (
        hdr.u32(f) for f in ("nVars", "nPublic", "domainSize", "nAdditions", "nConstraints")
    )
    if domain_size < 8 or domain_size & (domain_size - 1) or domain_size > 1 << _MAX_LOG_DOMAIN:
        raise FormatError(f"{hdr.where}: domainSize={domain_size} is not a power of two in 8 .. 2^{_MAX_LOG_DOMAIN}")
    if n_constraints > domain_size:
        raise FormatError(f"{hdr.where}: nConstraints={n_constraints} exceeds domainSize={domain_size}")
    if n_public + 1 > n_vars or n_public > n_constraints:
        raise FormatError(f"{hdr.where}: nPublic={n_public} does not fit nVars={n_vars}, nConstraints={n_constraints}")
    want = 2 * FIELD_BYTES + 8 * G1_BYTES + G2_BYTES
    if hdr.remaining != want:
        raise FormatError(f"{hdr.where}: {hdr.remaining} bytes after nConstraints, expected {want} (k1, k2, 9 points)")
    header = PlonkZKeyHeader(n_vars, n_public, domain_size, n_additions, n_constraints)
    for stype, (name, size, why) in _sizes(header).items():
        sec = bf.section(stype, name)
        if sec.size != size:
            raise FormatError(f"zkey file, section {stype} ({name}): size {sec.size} bytes, expected {size} ({why})")
    return header, hdr


def _fr(rd: SectionReader, count: int, what: str) -> np.ndarray:
    vals = rd.array("<u8", 4 * count, what).reshape(count, 4).copy()
    bad = np.flatnonzero(~limbs_less_than(vals, BN254_R))
    if bad.size:
        raise FormatError(f"{rd.where}: {what} element {int(bad[0])} is >= r")
    return vals


def _pts(rd: SectionReader, count: int, group: int, what: str) -> np.ndarray:
    shape = (count, 2, 4) if group == 1 else (count, 2, 2, 4)
    pts = rd.array("<u8", 8 * group * count, what).reshape(shape).copy()
    ok = limbs_less_than(pts, BN254_Q)
    bad = np.flatnonzero(~ok.reshape(count, -1).all(axis=1))
    if bad.size:
        raise FormatError(f"{rd.where}: {what} point {int(bad[0])} has a coordinate >= q")
    return pts


def read_plonk_zkey(source: Source) -> PlonkZKey:
    """Read a snarkjs PLONK ``.zkey`` from a path or a bytes-like object.

    Raises :class:`~zapiki.errors.FormatError` for a malformed file: wrong magic, version or protocol, moduli
    other than BN254's, section sizes that disagree with the header (checked for every section before any is
    read), wire indices ``>= nVars``, field elements ``>= r`` or coordinates ``>= q``.
    """
    data = load_bytes(source)
    digest = hashlib.sha256(data).hexdigest()
    bf = parse_binfile(data, b"zkey", "zkey", max_version=1)
    h, hdr = _read_header(bf)
    n = h.domain_size
    k1, k2 = (from_montgomery(int(v), BN254_R) for v in limbs_to_ints(_fr(hdr, 2, "k1/k2")))
    commitments = _pts(hdr, 8, 1, "commitment")
    x2 = _pts(hdr, 1, 2, "X_2")[0]
    hdr.expect_end()

    rd = bf.reader(3, "additions")
    additions = rd.array(ADDITION_DTYPE, h.n_additions, "additions").copy()
    maps = np.empty((3, h.n_constraints), np.uint32)
    for i, stype in enumerate((4, 5, 6)):
        maps[i] = bf.reader(stype, "ABC"[i] + " map").array("<u4", h.n_constraints, "wires")
    # an addition defines wire nVars_r1cs + i, so its inputs and every gate wire are below nVars
    for what, arr in (("addition wire", additions["a"]), ("addition wire", additions["b"]), ("gate wire", maps)):
        bad = np.flatnonzero(arr.reshape(-1) >= h.n_vars)
        if bad.size:
            raise FormatError(f"zkey: {what} {int(arr.reshape(-1)[bad[0]])} is >= nVars={h.n_vars}")
    for col in ("ca", "cb"):
        bad = np.flatnonzero(~limbs_less_than(additions[col], BN254_R))
        if bad.size:
            raise FormatError(f"zkey, section 3 (additions): addition {int(bad[0])} has a coefficient >= r")
    polys = np.empty((8, 5 * n, 4), np.uint64)
    for i in range(5):
        polys[i] = _fr(bf.reader(7 + i, POLY_NAMES[i]), 5 * n, POLY_NAMES[i])
    polys[5:] = _fr(bf.reader(12, "sigma"), 15 * n, "sigma").reshape(3, 5 * n, 4)
    lagrange = _fr(bf.reader(13, "lagrange"), h.n_lagrange * 5 * n, "lagrange").reshape(h.n_lagrange, 5 * n, 4)
    ptau = _pts(bf.reader(14, "PTau"), n + 6, 1, "tau G1")
    return PlonkZKey(
        n_vars=h.n_vars, n_public=h.n_public, domain_size=n, n_constraints=h.n_constraints, k1=k1, k2=k2,
        commitments=commitments, x2=x2, additions=additions, wire_maps=maps, polys=polys, lagrange=lagrange,
        ptau=ptau, sha256=digest,
    )  # fmt: skip


# -- writing ---------------------------------------------------------------------------------------------------
def _raw(arr: np.ndarray, shape: tuple[int, ...], what: str) -> bytes:
    a = np.ascontiguousarray(arr, dtype="<u8")
    if a.shape != shape:
        raise ValueError(f"{what} has shape {a.shape}, expected {shape}")
    return a.tobytes()


def write_plonk_zkey(z: PlonkZKey) -> bytes:
    """Serialise a key exactly as ``snarkjs plonk setup`` lays it out (sections 3..14, then 1 and 2)."""
    n = z.domain_size
    header = b"".join(
        [
            struct.pack("<I", FIELD_BYTES), BN254_Q.to_bytes(FIELD_BYTES, "little"),
            struct.pack("<I", FIELD_BYTES), BN254_R.to_bytes(FIELD_BYTES, "little"),
            struct.pack("<IIIII", z.n_vars, z.n_public, n, z.n_additions, z.n_constraints),
            to_montgomery(z.k1 % BN254_R, BN254_R).to_bytes(FIELD_BYTES, "little"),
            to_montgomery(z.k2 % BN254_R, BN254_R).to_bytes(FIELD_BYTES, "little"),
            _raw(z.commitments, (8, 2, 4), "commitments"), _raw(z.x2, (2, 2, 4), "X_2"),
        ]
    )  # fmt: skip
    maps = np.ascontiguousarray(z.wire_maps, dtype="<u4")
    if maps.shape != (3, z.n_constraints):
        raise ValueError(f"wire_maps has shape {maps.shape}, expected {(3, z.n_constraints)}")
    sections: dict[int, bytes] = {
        1: struct.pack("<I", PROTOCOL_PLONK),
        2: header,
        3: np.ascontiguousarray(z.additions, dtype=ADDITION_DTYPE).tobytes(),
        4: maps[0].tobytes(),
        5: maps[1].tobytes(),
        6: maps[2].tobytes(),
        12: _raw(z.polys[5:], (3, 5 * n, 4), "sigma"),
        13: _raw(z.lagrange, (max(z.n_public, 1), 5 * n, 4), "lagrange"),
        14: _raw(z.ptau, (n + 6, 2, 4), "ptau"),
    }
    for i in range(5):
        sections[7 + i] = _raw(z.polys[i], (5 * n, 4), POLY_NAMES[i])
    return write_binfile(b"zkey", 1, [(s, sections[s]) for s in SECTION_ORDER])


def plonk_zkey_to_vkey(z: PlonkZKey) -> dict:
    """``verification_key.json`` as ``snarkjs zkey export verificationkey`` writes it for a PLONK key."""
    vk: dict = {
        "protocol": "plonk",
        "curve": "bn128",
        "nPublic": z.n_public,
        "power": z.power,
        "k1": str(z.k1),
        "k2": str(z.k2),
    }
    for i, name in enumerate(POLY_NAMES):
        vk[name] = _g1_json(g1_to_ints(z.commitments[i]))
    vk["X_2"] = _g2_json(g2_to_ints(z.x2))
    vk["w"] = str(plonk_root_of_unity(z.power))
    return vk
