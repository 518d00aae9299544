"""Reading and writing Groth16 .zkey proving keys, and exporting the verification key."""

import hashlib
import json
import struct
from pathlib import Path

import numpy as np
import pytest

from zapiki.errors import FormatError
from zapiki.formats.binfile import parse_binfile, write_binfile
from zapiki.formats.field import BN254_R, from_double_montgomery, limbs_to_ints
from zapiki.formats.r1cs import read_r1cs
from zapiki.formats.zkey import read_zkey, read_zkey_header, write_zkey, zkey_to_vkey

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "groth16"
CIRCUITS = ["multiplier", "poseidon_chain_8"]


@pytest.mark.parametrize("name", CIRCUITS)
def test_arrays_have_the_documented_layout(name):
    zk = read_zkey(FIXTURES / name / "circuit.zkey")
    r1cs = read_r1cs(FIXTURES / name / "circuit.r1cs")
    assert (zk.n_vars, zk.n_public) == (r1cs.n_wires, r1cs.n_public)
    assert zk.domain_size >= r1cs.n_constraints + r1cs.n_public + 1
    assert zk.alpha1.shape == (2, 4) and zk.beta2.shape == (2, 2, 4)
    assert zk.ic.shape == (zk.n_public + 1, 2, 4)
    assert zk.a.shape == zk.b1.shape == (zk.n_vars, 2, 4)
    assert zk.b2.shape == (zk.n_vars, 2, 2, 4)
    assert zk.c.shape == (zk.n_vars - zk.n_public - 1, 2, 4)
    assert zk.h.shape == (zk.domain_size, 2, 4)
    for arr in (zk.a, zk.b1, zk.b2, zk.c, zk.h, zk.ic):
        assert arr.dtype == np.uint64 and arr.flags.c_contiguous and arr.flags.aligned and arr.flags.writeable
    assert zk.sha256 == hashlib.sha256((FIXTURES / name / "circuit.zkey").read_bytes()).hexdigest()


@pytest.mark.parametrize("name", CIRCUITS)
def test_coefficients_are_the_r1cs_a_and_b_terms_in_double_montgomery_plus_public_rows(name):
    zk = read_zkey(FIXTURES / name / "circuit.zkey")
    r1cs = read_r1cs(FIXTURES / name / "circuit.r1cs")
    plain = [from_double_montgomery(v) for v in limbs_to_ints(zk.coeffs["value"])]
    got = sorted(
        zip(zk.coeffs["matrix"].tolist(), zk.coeffs["row"].tolist(), zk.coeffs["signal"].tolist(), plain, strict=True)
    )
    ab = r1cs.terms[r1cs.terms["matrix"] < 2]
    want = list(
        zip(ab["matrix"].tolist(), ab["row"].tolist(), ab["signal"].tolist(), limbs_to_ints(ab["value"]), strict=True)
    )
    # the setup appends one A-row per public signal (and the one wire): A[nConstraints + s][s] = 1
    want += [(0, r1cs.n_constraints + s, s, 1) for s in range(r1cs.n_public + 1)]
    assert got == sorted(want)


@pytest.mark.parametrize("name", CIRCUITS)
def test_write_after_read_is_byte_identical(name):
    blob = (FIXTURES / name / "circuit.zkey").read_bytes()
    assert write_zkey(read_zkey(blob)) == blob


@pytest.mark.parametrize("name", CIRCUITS)
def test_exported_verification_key_equals_snarkjs_except_alphabeta(name):
    want = json.loads((FIXTURES / name / "verification_key.json").read_text())
    got = zkey_to_vkey(read_zkey(FIXTURES / name / "circuit.zkey"))
    assert "vk_alphabeta_12" not in got
    del want["vk_alphabeta_12"]
    assert got == want
    assert list(got) == list(want)  # snarkjs's key order, minus vk_alphabeta_12


def test_alphabeta_hook_receives_plain_affine_alpha_and_beta():
    vk_json = json.loads((FIXTURES / "multiplier" / "verification_key.json").read_text())
    seen = []

    def hook(alpha, beta):
        seen.append((alpha, beta))
        return vk_json["vk_alphabeta_12"]

    got = zkey_to_vkey(read_zkey(FIXTURES / "multiplier" / "circuit.zkey"), alphabeta=hook)
    assert got == vk_json and list(got) == list(vk_json)
    alpha, beta = seen[0]
    assert [str(alpha[0]), str(alpha[1]), "1"] == vk_json["vk_alpha_1"]
    assert [[str(beta[0][0]), str(beta[0][1])], [str(beta[1][0]), str(beta[1][1])], ["1", "0"]] == vk_json["vk_beta_2"]


# --- malformed keys -------------------------------------------------------------------------------------------


def sections_of(blob):
    bf = parse_binfile(blob, b"zkey", "zkey", max_version=1)
    return {t: bytes(bf.data[s[0].offset : s[0].offset + s[0].size]) for t, s in bf.sections.items()}


@pytest.fixture
def sections():
    return sections_of((FIXTURES / "multiplier" / "circuit.zkey").read_bytes())


def rebuild(sections, order=None):
    order = order or sorted(sections)
    return write_binfile(b"zkey", 1, [(t, sections[t]) for t in order])


def patch(body, offset, fmt, value):
    body = bytearray(body)
    struct.pack_into(fmt, body, offset, value)
    return bytes(body)


def test_sections_in_any_order(sections):
    shuffled = read_zkey(rebuild(sections, [9, 2, 10, 4, 1, 8, 3, 7, 5, 6]))
    original = read_zkey(FIXTURES / "multiplier" / "circuit.zkey")
    assert np.array_equal(shuffled.h, original.h) and np.array_equal(shuffled.coeffs, original.coeffs)


# header offsets: n8q 0, q 4, n8r 36, r 40, nVars 72, nPublic 76, domainSize 80, alpha1 84
@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s.update({1: patch(s[1], 0, "<I", 2)}), r"unsupported protocol 2 \(plonk\)"),
        (lambda s: s.update({1: patch(s[1], 0, "<I", 10)}), r"unsupported protocol 10 \(fflonk\)"),
        (lambda s: s.pop(2), r"missing section 2 \(groth16 header\)"),
        (lambda s: s.update({2: patch(s[2], 0, "<I", 48)}), "n8q=48"),
        (lambda s: s.update({2: patch(s[2], 4, "<B", 0)}), "base field prime q=.* is not BN254's"),
        (lambda s: s.update({2: patch(s[2], 40, "<B", 0)}), "scalar field prime r=.* is not BN254's"),
        (lambda s: s.update({2: patch(s[2], 76, "<I", 4)}), "nPublic=4 \\+ 1 exceeds nVars=4"),
        (lambda s: s.update({2: patch(s[2], 80, "<I", 3)}), "domainSize=3 is not a power of two"),
        (lambda s: s.update({2: patch(s[2], 84, "<32s", b"\xff" * 32)}), "alpha1 point 0 has a coordinate >= q"),
        (lambda s: s.update({2: s[2][:-1]}), r"section 2 \(groth16 header\): truncated at field 'delta2'"),
        (lambda s: s.update({3: s[3] + bytes(64)}), r"section 3 \(IC points\): size 192 bytes, expected 2 points"),
        (lambda s: s.update({4: patch(s[4], 0, "<I", 2**32 - 1)}), "size disagrees with nCoefs=4294967295"),
        (lambda s: s.update({4: patch(s[4], 4, "<I", 2)}), "coefficient 0: matrix is neither"),
        (lambda s: s.update({4: patch(s[4], 8, "<I", 4)}), "coefficient 0: row >= domainSize=4"),
        (lambda s: s.update({4: patch(s[4], 12, "<I", 4)}), "coefficient 0: signal >= nVars=4"),
        (lambda s: s.update({4: patch(s[4], 16, "<32s", b"\xff" * 32)}), "coefficient 0: value >= r"),
        (lambda s: s.update({7: s[7][:-128]}), r"section 7 \(B2 points\): size 384 bytes"),
        (lambda s: s.update({8: patch(s[8], 64 + 32, "<32s", b"\xff" * 32)}), "C point 1 has a coordinate >= q"),
        (lambda s: s.pop(9), r"missing section 9 \(H points\)"),
    ],
)
def test_malformed_zkey_is_rejected_naming_the_problem(sections, mutate, message):
    mutate(sections)
    with pytest.raises(FormatError, match=message):
        read_zkey(rebuild(sections))


def test_truncated_file_and_wrong_magic():
    blob = (FIXTURES / "multiplier" / "circuit.zkey").read_bytes()
    with pytest.raises(FormatError, match="section 10 declares 460 bytes"):
        read_zkey(blob[:-1])
    with pytest.raises(FormatError, match="wrong magic"):
        read_zkey(b"ptau" + blob[4:])


def test_key_without_contributions_section_reads_and_writes_an_empty_one(sections):
    del sections[10]
    zk = read_zkey(rebuild(sections))
    again = read_zkey(write_zkey(zk))
    assert again.contributions == bytes(64) + b"\x00" * 4
    assert np.array_equal(again.b2, zk.b2)


def test_double_montgomery_encoding_of_one():
    zk = read_zkey(FIXTURES / "multiplier" / "circuit.zkey")
    ones = zk.coeffs[zk.coeffs["row"] >= 1]  # the public rows added by the setup
    assert {from_double_montgomery(v) for v in limbs_to_ints(ones["value"])} == {1}
    assert limbs_to_ints(ones["value"])[0] == pow(2, 512, BN254_R)


def test_alphabeta_hook_may_return_integers():
    vk_json = json.loads((FIXTURES / "multiplier" / "verification_key.json").read_text())
    as_ints = [[[int(c) for c in fq2] for fq2 in row] for row in vk_json["vk_alphabeta_12"]]
    got = zkey_to_vkey(read_zkey(FIXTURES / "multiplier" / "circuit.zkey"), alphabeta=lambda a, b: as_ints)
    assert got == vk_json


def test_check_witness_against_the_key():
    from zapiki.errors import WitnessError
    from zapiki.formats.wtns import read_wtns
    from zapiki.formats.zkey import check_witness

    zk = read_zkey(FIXTURES / "multiplier" / "circuit.zkey")
    w = read_wtns(FIXTURES / "multiplier" / "witness.wtns").values
    check_witness(zk, w)
    with pytest.raises(WitnessError, match="expects nVars=4"):
        check_witness(zk, w[:3])
    bad = w.copy()
    bad[2] = [2**64 - 1] * 4
    with pytest.raises(WitnessError, match="witness value 2 is >= r"):
        check_witness(zk, bad)
    bad = w.copy()
    bad[0, 0] = 2
    with pytest.raises(WitnessError, match="constant-one wire"):
        check_witness(zk, bad)
    with pytest.raises(WitnessError, match="shape"):
        check_witness(zk, w[:, :2])


def test_key_whose_wires_are_all_public_has_an_empty_c_section(sections):
    # nVars = 4, nPublic = 3: C holds nVars - nPublic - 1 = 0 points, IC holds 4
    sections[2] = patch(sections[2], 76, "<I", 3)
    sections[3] = sections[3] + bytes(128)
    sections[8] = b""
    zk = read_zkey(rebuild(sections))
    assert zk.c.shape == (0, 2, 4) and zk.ic.shape == (4, 2, 4)
    assert read_zkey(write_zkey(zk)).c.shape == (0, 2, 4)


@pytest.mark.parametrize("name", CIRCUITS)
def test_a_path_is_read_through_a_mapping_into_the_same_arrays_as_its_bytes(name):
    path = FIXTURES / name / "circuit.zkey"
    mapped, read = read_zkey(path), read_zkey(path.read_bytes())
    assert mapped.sha256 == read.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    for field in ("alpha1", "beta2", "ic", "a", "b1", "b2", "c", "h", "coeffs"):
        assert np.array_equal(getattr(mapped, field), getattr(read, field)), field
    assert mapped.contributions == read.contributions
    assert read_zkey_header(path) == read_zkey_header(path.read_bytes())


def test_a_file_that_cannot_be_mapped_is_a_format_error_naming_it(tmp_path):
    with pytest.raises(FormatError, match=r"cannot read '.*missing\.zkey': No such file"):
        read_zkey(tmp_path / "missing.zkey")
    with pytest.raises(FormatError, match="cannot read .*Is a directory"):
        read_zkey(tmp_path)
    (tmp_path / "empty.zkey").write_bytes(b"")
    with pytest.raises(FormatError, match="truncated header"):
        read_zkey(tmp_path / "empty.zkey")
    with pytest.raises(FormatError, match="truncated header"):
        read_zkey_header(tmp_path / "empty.zkey")


def test_a_truncated_file_on_disk_is_rejected_and_leaves_nothing_mapped(tmp_path):
    blob = (FIXTURES / "poseidon_chain_8" / "circuit.zkey").read_bytes()
    (tmp_path / "short.zkey").write_bytes(blob[: len(blob) // 2])
    for _ in range(3):
        with pytest.raises(FormatError, match="truncated|declares"):
            read_zkey(tmp_path / "short.zkey")
    maps = Path("/proc/self/maps")
    if maps.exists():  # Linux: the failed reads' mappings are gone once their tracebacks are
        import gc

        gc.collect()
        assert "short.zkey" not in maps.read_text()
