"""The binary container: header, section table, bounds checks."""

import struct

import numpy as np
import pytest

from zapiki.errors import FormatError
from zapiki.formats.binfile import parse_binfile, sha256_hex, write_binfile


def container(magic=b"test", version=1, sections=((1, b"\x01\x00\x00\x00"),)):
    return write_binfile(magic, version, sections)


def test_sections_are_indexed_by_type_in_any_order():
    bf = parse_binfile(container(sections=[(2, b"bb"), (1, b"a"), (3, b"")]), b"test", "test", max_version=1)
    assert sorted(bf.sections) == [1, 2, 3]
    assert bytes(bf.reader(2, "two").raw(2, "x")) == b"bb"
    assert bf.reader(3, "three").remaining == 0


def test_write_then_parse_round_trips():
    blob = container(sections=[(1, b"abc"), (7, bytes(100))])
    bf = parse_binfile(blob, b"test", "test", max_version=1)
    assert [(s.type, s.size) for secs in bf.sections.values() for s in secs] == [(1, 3), (7, 100)]


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"tes", "truncated header"),
        (container(magic=b"nope"), "wrong magic"),
        (container(version=2), "unsupported version 2"),
        (container()[:-1], "section 1 declares 4 bytes"),
        (container() + b"\x00", "trailing bytes"),
        (struct.pack("<4sII", b"test", 1, 0xFFFFFFFF), "declares 4294967295 sections"),
        (struct.pack("<4sII", b"test", 1, 1) + struct.pack("<IQ", 1, 2**63), "section 1 declares"),
    ],
)
def test_malformed_containers_are_rejected_with_a_reason(blob, message):
    with pytest.raises(FormatError, match=message):
        parse_binfile(blob, b"test", "test", max_version=1)


def test_missing_and_duplicate_sections_are_named():
    bf = parse_binfile(container(sections=[(1, b""), (1, b"")]), b"test", "test", max_version=1)
    with pytest.raises(FormatError, match=r"section 1 \(header\) appears 2 times"):
        bf.section(1, "header")
    with pytest.raises(FormatError, match=r"missing section 9 \(points\)"):
        bf.section(9, "points")


def test_reader_checks_sizes_before_allocating():
    bf = parse_binfile(container(sections=[(1, bytes(16))]), b"test", "test", max_version=1)
    rd = bf.reader(1, "data")
    with pytest.raises(FormatError, match="truncated at field 'huge'"):
        rd.array(np.uint64, 2**40, "huge")
    assert rd.u64("first") == 0
    with pytest.raises(FormatError, match="8 unexpected trailing bytes"):
        rd.expect_end()


def test_sha256_of_path_equals_sha256_of_bytes(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"zapiki")
    assert sha256_hex(path) == sha256_hex(b"zapiki")


def test_unreadable_path_is_a_format_error(tmp_path):
    from zapiki.formats.binfile import load_bytes

    with pytest.raises(FormatError, match="cannot read"):
        load_bytes(tmp_path / "missing.r1cs")
