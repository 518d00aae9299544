"""PLONK proving keys: byte for byte what `snarkjs plonk setup` 0.7.6 writes from the same .ptau, and the
verification key `snarkjs zkey export verificationkey` exports; the .zkey reader round-trips and refuses lying
headers.

Circuits (of `circuits.py`, compiled with circom2 --O0, so linear constraints stay, and set up by snarkjs once a
session: the `plonk_circuits` fixture; the reference prover's tests use `wide` too): `mul_public_input` (one
product, a public input), `wide` (wide linear combinations on both sides of a product and in a sum: additions,
constants), `noconst` (no constant anywhere: Qc is zero, its commitment the point at infinity), and `edge`, a
hand-written .r1cs with the cases circom does not emit (a constant-only A or B, a zero coefficient, an empty A).
The .ptau is a development one (`dev_ptau(4)`, which snarkjs accepts).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from zapiki.errors import FormatError, InputError
from zapiki.formats import BN254_R, read_r1cs
from zapiki.formats.binfile import parse_binfile, write_binfile
from zapiki.formats.plonk_zkey import (
    PlonkZKey,
    plonk_zkey_to_vkey,
    read_plonk_zkey,
    read_plonk_zkey_header,
    write_plonk_zkey,
)
from zapiki.systems.groth16.ptau_setup import dev_ptau
from zapiki.systems.plonk import build_plonk_zkey, plonk_circuit, plonk_setup, required_plonk_power

from .circuits import CIRCUITS, DEV_POWER, DEV_PTAU, Built, Source, Workshop

NAMES = ("mul_public_input", "wide", "noconst")  # of circuits.CIRCUITS, set up from circuits.DEV_PTAU


def _r1cs_bytes(n_wires: int, n_out: int, n_pub_in: int, n_prv_in: int, constraints: list) -> bytes:
    """A circom-layout .r1cs: constraints are (A, B, C) lists of (wire, value) terms."""
    hdr = struct.pack("<I", 32) + BN254_R.to_bytes(32, "little")
    hdr += struct.pack("<IIIIQI", n_wires, n_out, n_pub_in, n_prv_in, n_wires, len(constraints))
    body = b"".join(
        struct.pack("<I", len(lc))
        + b"".join(struct.pack("<I", s) + (v % BN254_R).to_bytes(32, "little") for s, v in lc)
        for abc in constraints
        for lc in abc
    )
    labels = b"".join(struct.pack("<Q", i) for i in range(n_wires))
    return write_binfile(b"r1cs", 1, [(1, hdr), (2, body), (3, labels)])


#: wires: 0 one, 1 output, 2 public input, 3..6 private
EDGE = _r1cs_bytes(7, 1, 1, 2, [
    ([(0, 5)], [(3, 1), (4, 3)], [(1, 1)]),                         # A constant: a sum of 5 B - C
    ([(3, 1), (4, 2), (5, 1)], [(0, 7)], [(0, 4), (2, 1), (6, 1)]),  # B constant: 5 wires -> 2 additions
    ([(0, 3)], [(2, 1)], [(2, 3)]),                                 # 3 w2 - 3 w2: a zero coefficient, kept
    ([], [(3, 1)], [(3, 2), (4, 1), (5, 1), (6, 1)]),               # A empty: a sum of C, 4 wires
    ([(3, 1), (5, 2)], [(0, 9), (4, 1), (6, 1)], [(0, 1)]),         # product, additions in A and B
    ([(0, 0)], [(3, 1)], []),                                       # A a zero constant: still "constant"
    ([(3, 1)], [(4, 1)], [(0, 1), (5, 1), (6, 2)]),                 # product, C with wires and a constant
])  # fmt: skip


@pytest.fixture(scope="module")
def built(plonk_circuits: Workshop) -> dict[str, Built]:
    """{name: Built} for the circuits of NAMES and `edge`: each one's .r1cs, and snarkjs's .zkey and vk.json."""
    return plonk_circuits.build(*NAMES, "edge", ptau=DEV_PTAU, sources={**CIRCUITS, "edge": Source(r1cs=EDGE)})


@pytest.fixture(scope="module")
def ptau(built: dict[str, Built]) -> Path:
    """The development .ptau (``dev_ptau(DEV_POWER)``) the circuits were set up from."""
    return built["edge"].ptau


def _first_difference(ours: bytes, theirs: bytes) -> str:
    a = parse_binfile(ours, b"zkey", "zkey", max_version=1)
    b = parse_binfile(theirs, b"zkey", "zkey", max_version=1)
    for stype in range(1, 15):
        x, y = a.sections[stype][0], b.sections[stype][0]
        if a.data[x.offset : x.offset + x.size] != b.data[y.offset : y.offset + y.size]:
            return f"section {stype} differs"
    return "same sections, different layout"


@pytest.mark.parametrize("name", [*NAMES, "edge"])
def test_zkey_and_vkey_equal_snarkjs(name: str, built: dict[str, Built], ptau: Path) -> None:
    zkey_bytes, vkey = plonk_setup(built[name].dir / "circuit.r1cs", ptau)
    theirs, their_vkey = built[name].zkey_bytes, built[name].vk
    assert zkey_bytes == theirs, _first_difference(zkey_bytes, theirs)
    assert vkey == their_vkey
    assert json.dumps(vkey) == json.dumps(their_vkey)  # the same key order too


def test_the_circuits_exercise_what_they_should(built: dict[str, Built], ptau: Path) -> None:
    wide = plonk_circuit(read_r1cs(built["wide"].dir / "circuit.r1cs"))
    assert wide.additions and any(g[7] for g in wide.gates)
    edge = plonk_circuit(read_r1cs(built["edge"].dir / "circuit.r1cs"))
    assert len(edge.additions) == 6 and edge.n_vars == 7 + 6
    # the zero coefficients are kept (dropping them would make these gates all-zero on wire 0)
    assert (2, 0, 0, 0, 0, 0, 0, 0) in edge.gates and (3, 0, 0, 0, 0, 0, 0, 0) in edge.gates
    noconst = build_plonk_zkey(built["noconst"].dir / "circuit.r1cs", ptau)
    assert not noconst.commitment("Qc").any()  # infinity
    assert not noconst.polys[4].any() and noconst.n_additions == 0
    assert required_plonk_power(read_r1cs(built["wide"].dir / "circuit.r1cs")) == DEV_POWER


def test_reader_round_trips(built: dict[str, Built]) -> None:
    for theirs, vkey in ((b.zkey_bytes, b.vk) for b in built.values()):
        z = read_plonk_zkey(theirs)
        assert write_plonk_zkey(z) == theirs
        assert plonk_zkey_to_vkey(z) == vkey
        h = read_plonk_zkey_header(theirs)
        assert (h.n_vars, h.n_constraints, h.n_additions, h.domain_size) == (
            z.n_vars, z.n_constraints, z.n_additions, z.domain_size
        )  # fmt: skip
    z = read_plonk_zkey(built["wide"].zkey_bytes)
    assert z.coefficients("S1").shape == (16, 4) and z.evaluations("S1").shape == (64, 4)
    assert (z.k1, z.k2, z.wire_maps.shape) == (2, 3, (3, z.n_constraints))


def test_ptau_too_small_names_the_power(built: dict[str, Built]) -> None:
    with pytest.raises(InputError, match="power >= 4; this ptau has power 3"):
        plonk_setup(built["wide"].dir / "circuit.r1cs", dev_ptau(3))


def test_unprepared_ptau_is_refused(built: dict[str, Built], ptau: Path) -> None:
    bf = parse_binfile(ptau.read_bytes(), b"ptau", "ptau", max_version=1)
    kept = [(s, bytes(bf.data[sec.offset : sec.offset + sec.size])) for s, (sec, *_) in bf.sections.items() if s < 12]
    with pytest.raises(FormatError, match="prepare phase2"):
        plonk_setup(built["mul_public_input"].dir / "circuit.r1cs", write_binfile(b"ptau", 1, kept))


def _with_header(zkey: bytes, offset: int, value: int) -> bytes:
    bf = parse_binfile(zkey, b"zkey", "zkey", max_version=1)
    sections = []
    for stype, (sec, *_) in bf.sections.items():
        body = bytearray(bf.data[sec.offset : sec.offset + sec.size])
        if stype == 2:
            body[offset : offset + 4] = struct.pack("<I", value)
        sections.append((stype, bytes(body)))
    return write_binfile(b"zkey", 1, sections)


@pytest.mark.parametrize(
    ("offset", "value", "message"),
    [
        (76, 1 << 31, "nPublic"),  # nPublic
        (80, 1 << 28, "section 7"),  # domainSize: huge, a power of two
        (80, 12, "domainSize=12"),
        (84, 0xFFFFFFFF, "section 3"),  # nAdditions
        (88, 5, "section 4"),  # nConstraints
        (88, 1 << 30, "exceeds domainSize"),
    ],
)
def test_lying_header_is_a_format_error(offset: int, value: int, message: str) -> None:
    good = write_plonk_zkey(PlonkZKey.empty(n_public=2))
    assert read_plonk_zkey(good).n_public == 2
    bad = _with_header(good, offset, value)
    for reader in (read_plonk_zkey, read_plonk_zkey_header):
        with pytest.raises(FormatError, match=message):
            reader(bad)


def test_other_protocols_and_bad_values_are_refused() -> None:
    z = PlonkZKey.empty(n_public=1)
    good = write_plonk_zkey(z)
    bf = parse_binfile(good, b"zkey", "zkey", max_version=1)
    sections = {s: bytes(bf.data[sec.offset : sec.offset + sec.size]) for s, (sec, *_) in bf.sections.items()}
    with pytest.raises(FormatError, match="groth16"):
        read_plonk_zkey(
            write_binfile(b"zkey", 1, [*(kv for kv in sections.items() if kv[0] != 1), (1, struct.pack("<I", 1))])
        )
    maps = np.array([[5], [0], [0]], np.uint32)  # wire 5 >= nVars = 2
    with pytest.raises(FormatError, match="gate wire 5"):
        read_plonk_zkey(write_plonk_zkey(PlonkZKey(**{**z.__dict__, "wire_maps": maps})))
    polys = z.polys.copy()
    polys[0, 0] = np.uint64(0xFFFFFFFFFFFFFFFF)
    with pytest.raises(FormatError, match=">= r"):
        read_plonk_zkey(write_plonk_zkey(PlonkZKey(**{**z.__dict__, "polys": polys})))
    with pytest.raises(FormatError, match="section 14"):
        read_plonk_zkey(write_binfile(b"zkey", 1, [*(kv for kv in sections.items() if kv[0] != 14), (14, b"")]))
