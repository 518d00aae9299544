"""Reading circom .r1cs files."""

import re
import struct
from pathlib import Path

import numpy as np
import pytest

from zapiki.errors import FormatError
from zapiki.formats.binfile import parse_binfile, write_binfile
from zapiki.formats.field import BN254_R, limbs_to_ints
from zapiki.formats.r1cs import read_r1cs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "groth16"
CIRCUITS = ["multiplier", "poseidon_chain_8"]


def r1cs_info(name):
    """snarkjs's `r1cs info` output, as a dict of ints."""
    text = (FIXTURES / name / "r1cs_info.txt").read_text()
    return {k: int(v) for k, v in re.findall(r"^([A-Za-z ]+): (\d+)$", text, re.M)}


@pytest.mark.parametrize("name", CIRCUITS)
def test_header_counts_match_snarkjs_r1cs_info(name):
    r1cs = read_r1cs(FIXTURES / name / "circuit.r1cs")
    info = r1cs_info(name)
    assert r1cs.prime == BN254_R
    assert r1cs.n_wires == info["Wires"]
    assert r1cs.n_constraints == info["Constraints"]
    assert r1cs.n_prv_in == info["Private Inputs"]
    assert r1cs.n_pub_in == info["Public Inputs"]
    assert r1cs.n_labels == info["Labels"]
    assert r1cs.n_pub_out == info["Outputs"]
    assert r1cs.wire_to_label is not None and len(r1cs.wire_to_label) == r1cs.n_wires


def test_multiplier_constraint_is_minus_a_times_b_equals_minus_c():
    # circom writes c <== a * b as (-a) * (b) = (-c); wires: 0 one, 1 c, 2 a, 3 b.
    r1cs = read_r1cs(FIXTURES / "multiplier" / "circuit.r1cs")
    terms = [(int(t["matrix"]), int(t["row"]), int(t["signal"])) for t in r1cs.terms]
    assert terms == [(0, 0, 2), (1, 0, 3), (2, 0, 1)]
    assert limbs_to_ints(r1cs.terms["value"]) == [BN254_R - 1, 1, BN254_R - 1]


@pytest.mark.parametrize("name", CIRCUITS)
def test_every_constraint_is_satisfied_by_the_fixture_witness(name):
    from zapiki.formats.wtns import read_wtns

    r1cs = read_r1cs(FIXTURES / name / "circuit.r1cs")
    w = read_wtns(FIXTURES / name / "witness.wtns").to_ints()
    sums = np.zeros((3, r1cs.n_constraints), dtype=object)
    values = limbs_to_ints(r1cs.terms["value"])
    for t, v in zip(r1cs.terms, values, strict=True):
        sums[t["matrix"], t["row"]] += v * w[t["signal"]]
    for a, b, c in zip(*sums, strict=True):
        assert (a * b - c) % BN254_R == 0


def sections_of(blob):
    bf = parse_binfile(blob, b"r1cs", "r1cs", max_version=1)
    return {t: bytes(bf.data[s[0].offset : s[0].offset + s[0].size]) for t, s in bf.sections.items()}


def rebuild(sections, order=(2, 1, 3)):
    return write_binfile(b"r1cs", 1, [(t, sections[t]) for t in order if t in sections])


@pytest.fixture
def multiplier_sections():
    return sections_of((FIXTURES / "multiplier" / "circuit.r1cs").read_bytes())


def test_section_order_does_not_matter(multiplier_sections):
    a = read_r1cs(rebuild(multiplier_sections, (3, 1, 2)))
    b = read_r1cs(FIXTURES / "multiplier" / "circuit.r1cs")
    assert a.n_wires == b.n_wires and np.array_equal(a.terms, b.terms)


def patch(body, offset, fmt, value):
    body = bytearray(body)
    struct.pack_into(fmt, body, offset, value)
    return bytes(body)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s.pop(1), r"missing section 1 \(header\)"),
        (lambda s: s.pop(2), r"missing section 2 \(constraints\)"),
        (lambda s: s.update({1: patch(s[1], 0, "<I", 48)}), "n8=48"),
        (lambda s: s.update({1: patch(s[1], 4, "<B", 2)}), "is not BN254's scalar field"),
        (lambda s: s.update({1: patch(s[1], 36, "<I", 2)}), "signal counts disagree"),
        (lambda s: s.update({1: patch(s[1], 60, "<I", 10**9)}), "declares 1000000000 constraints"),
        (lambda s: s.update({1: s[1] + b"\x00"}), "trailing bytes"),
        (lambda s: s.update({2: patch(s[2], 0, "<I", 2**31)}), r"constraint 0 \(A\): 2147483648 terms declared"),
        (lambda s: s.update({2: patch(s[2], 4, "<I", 4)}), "uses wire 4 >= nWires=4"),
        (lambda s: s.update({2: patch(s[2], 8, "<32s", b"\xff" * 32)}), "coefficient >= r"),
        (lambda s: s.update({2: s[2][:-4]}), "truncated in constraint 0 \\(C\\)"),
        (lambda s: s.update({3: s[3][:-8]}), "expected 8 \\* nWires = 32"),
    ],
)
def test_malformed_r1cs_is_rejected_naming_the_problem(multiplier_sections, mutate, message):
    mutate(multiplier_sections)
    with pytest.raises(FormatError, match=message):
        read_r1cs(rebuild(multiplier_sections))


def test_wrong_magic_and_version_are_rejected():
    blob = (FIXTURES / "multiplier" / "circuit.r1cs").read_bytes()
    with pytest.raises(FormatError, match="wrong magic"):
        read_r1cs(b"wtns" + blob[4:])
    with pytest.raises(FormatError, match="unsupported version 2"):
        read_r1cs(blob[:4] + struct.pack("<I", 2) + blob[8:])


def test_term_columns_are_contiguous_copies():
    from zapiki.formats.r1cs import term_columns

    r1cs = read_r1cs(FIXTURES / "poseidon_chain_8" / "circuit.r1cs")
    cols = term_columns(r1cs.terms)
    for name, col in cols._asdict().items():
        assert col.flags.c_contiguous and col.flags.aligned
        assert np.array_equal(col, r1cs.terms[name])
    assert cols.value.shape == (len(r1cs.terms), 4) and cols.value.dtype == np.uint64
