"""A header that lies about its sizes is refused at once: a FormatError naming the file, the field and both
numbers, raised before anything sized by the lie is allocated.

Each case is a file of a few hundred bytes (r1cs, wtns) or 3 kB (zkey), the real multiplier fixture with one
count or one section size replaced, that declares billions of constraints, wires, points or values. The call
must return within a second and its peak traced memory (tracemalloc sees numpy's buffers too) stay under 1 MiB.
"""

import struct
from pathlib import Path

import pytest
from bounds import bounded

from zapiki.errors import FormatError
from zapiki.formats.binfile import parse_binfile, write_binfile
from zapiki.formats.r1cs import read_r1cs, read_r1cs_header
from zapiki.formats.wtns import read_wtns
from zapiki.formats.zkey import read_zkey, read_zkey_header

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "groth16"
MULTIPLIER = FIXTURES / "multiplier"
U32_MAX = 2**32 - 1


def refused(reader, blob, *parts):
    """``reader(blob)`` raises FormatError quickly, within small memory, and the message holds every part."""
    assert len(blob) <= 4096, "the lying file must be small"
    with bounded(), pytest.raises(FormatError) as exc:
        reader(blob)
    message = str(exc.value)
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"
    return message


def sections_of(path, magic):
    bf = parse_binfile(path.read_bytes(), magic, magic.decode(), max_version=2)
    return {t: bytearray(bf.data[s[0].offset : s[0].offset + s[0].size]) for t, s in bf.sections.items()}, bf.version


def rebuild(magic, version, sections):
    return write_binfile(magic, version, [(t, bytes(body)) for t, body in sorted(sections.items())])


def patched(path, magic, stype, offset, fmt, value):
    """The fixture with one field of section ``stype`` replaced (the container rebuilt, so sizes still agree)."""
    sections, version = sections_of(path, magic)
    struct.pack_into(fmt, sections[stype], offset, value)
    return rebuild(magic, version, sections)


def with_section_size(blob, stype, size):
    """``blob`` with the u64 size in the header of section ``stype`` replaced (its body left as it is)."""
    data = bytearray(blob)
    (n_sections,) = struct.unpack_from("<I", data, 8)
    pos = 12
    for _ in range(n_sections):
        t, real = struct.unpack_from("<IQ", data, pos)
        if t == stype:
            struct.pack_into("<Q", data, pos + 4, size)
            return bytes(data)
        pos += 12 + real
    raise AssertionError(f"no section {stype}")


# --- .r1cs ----------------------------------------------------------------------------------------------------
# header section 1: n8 @0, prime @4, nWires @36, nPubOut @40, nPubIn @44, nPrvIn @48, nLabels @52 (u64),
# nConstraints @60

R1CS_PATH = MULTIPLIER / "circuit.r1cs"
R1CS_READERS = pytest.mark.parametrize("reader", [read_r1cs, read_r1cs_header], ids=["read_r1cs", "header"])


@R1CS_READERS
def test_r1cs_declaring_more_constraints_than_its_section_holds(reader):
    blob = patched(R1CS_PATH, b"r1cs", 1, 60, "<I", U32_MAX)
    sec2 = len(sections_of(R1CS_PATH, b"r1cs")[0][2])
    refused(reader, blob, "r1cs file", "nConstraints", f"declares {U32_MAX} constraints", str(12 * U32_MAX),
            f"section is {sec2} bytes")  # fmt: skip


@R1CS_READERS
def test_r1cs_declaring_more_wires_than_its_label_map_holds(reader):
    blob = patched(R1CS_PATH, b"r1cs", 1, 36, "<I", U32_MAX)
    refused(reader, blob, "r1cs file", "section 3", "nWires", str(8 * U32_MAX), "size 32 bytes")


def test_r1cs_linear_combination_declaring_more_terms_than_the_section_holds():
    blob = patched(R1CS_PATH, b"r1cs", 2, 0, "<I", U32_MAX)
    refused(read_r1cs, blob, "r1cs file", "constraint 0 (A)", f"{U32_MAX} terms declared", "bytes left")


@pytest.mark.parametrize("size", [2**32, 2**63, 2**64 - 1])
@pytest.mark.parametrize("stype", [1, 2, 3])
@R1CS_READERS
def test_r1cs_section_running_past_the_end_of_the_file(reader, stype, size):
    blob = with_section_size(R1CS_PATH.read_bytes(), stype, size)
    refused(reader, blob, "r1cs file", f"section {stype} declares {size} bytes but only")


@R1CS_READERS
def test_r1cs_declaring_billions_of_sections(reader):
    blob = bytearray(R1CS_PATH.read_bytes())
    struct.pack_into("<I", blob, 8, U32_MAX)
    refused(reader, bytes(blob), "r1cs file", f"declares {U32_MAX} sections", str(12 * U32_MAX))


# --- .zkey ----------------------------------------------------------------------------------------------------
# header section 2: n8q @0, q @4, n8r @36, r @40, nVars @72, nPublic @76, domainSize @80, points from @84

ZKEY_PATH = MULTIPLIER / "circuit.zkey"
ZKEY_READERS = pytest.mark.parametrize("reader", [read_zkey, read_zkey_header], ids=["read_zkey", "header"])


@ZKEY_READERS
def test_zkey_declaring_more_variables_than_its_point_sections_hold(reader):
    blob = patched(ZKEY_PATH, b"zkey", 2, 72, "<I", U32_MAX)
    refused(reader, blob, "zkey file", "(A points)", f"nVars={U32_MAX}", str(64 * U32_MAX), "size 256 bytes")


@ZKEY_READERS
def test_zkey_declaring_more_public_signals_than_its_ic_section_holds(reader):
    sections, version = sections_of(ZKEY_PATH, b"zkey")
    struct.pack_into("<II", sections[2], 72, U32_MAX, U32_MAX - 1)  # nVars, nPublic: nVars - nPublic - 1 = 0
    refused(reader, rebuild(b"zkey", version, sections), "zkey file", "(IC points)", f"nPublic+1 = {U32_MAX}",
            str(64 * U32_MAX), "size 128 bytes")  # fmt: skip


@ZKEY_READERS
def test_zkey_declaring_a_domain_larger_than_its_h_section(reader):
    blob = patched(ZKEY_PATH, b"zkey", 2, 80, "<I", 1 << 28)
    refused(reader, blob, "zkey file", "(H points)", f"domainSize={1 << 28}", str(64 << 28), "size 256 bytes")


@ZKEY_READERS
def test_zkey_declaring_more_coefficients_than_its_section_holds(reader):
    blob = patched(ZKEY_PATH, b"zkey", 4, 0, "<I", U32_MAX)
    refused(reader, blob, "zkey file", "(coefficients)", f"nCoefs={U32_MAX}", str(44 * U32_MAX), "(176 bytes")


@pytest.mark.parametrize("size", [2**32, 2**63, 2**64 - 1])
@pytest.mark.parametrize("stype", [2, 5, 9])
@ZKEY_READERS
def test_zkey_section_running_past_the_end_of_the_file(reader, stype, size):
    blob = with_section_size(ZKEY_PATH.read_bytes(), stype, size)
    refused(reader, blob, "zkey file", f"section {stype} declares {size} bytes but only")


def test_zkey_header_reader_checks_every_section_before_reading_any():
    # the lie is in the last point section: the header reader finds it although it reads no section body
    sections, version = sections_of(ZKEY_PATH, b"zkey")
    sections[9] = sections[9][:-64]
    refused(read_zkey_header, rebuild(b"zkey", version, sections), "(H points)", "domainSize=4", "size 192 bytes")


# --- .wtns ----------------------------------------------------------------------------------------------------
# header section 1: n8 @0, prime @4, nWitness @36

WTNS_PATH = MULTIPLIER / "witness.wtns"


def test_wtns_declaring_more_values_than_its_section_holds():
    blob = patched(WTNS_PATH, b"wtns", 1, 36, "<I", U32_MAX)
    refused(read_wtns, blob, "wtns file", "(witness values)", f"nWitness={U32_MAX}", str(32 * U32_MAX),
            "size 128 bytes")  # fmt: skip


@pytest.mark.parametrize("size", [2**32, 2**63, 2**64 - 1])
@pytest.mark.parametrize("stype", [1, 2])
def test_wtns_section_running_past_the_end_of_the_file(stype, size):
    blob = with_section_size(WTNS_PATH.read_bytes(), stype, size)
    refused(read_wtns, blob, "wtns file", f"section {stype} declares {size} bytes but only")


# --- honest files still read ------------------------------------------------------------------------------------


def test_the_fixtures_themselves_are_accepted():
    assert read_r1cs_header(R1CS_PATH).n_constraints == read_r1cs(R1CS_PATH).n_constraints == 1
    assert read_zkey_header(ZKEY_PATH).n_vars == read_zkey(ZKEY_PATH).n_vars == 4
    assert len(read_wtns(WTNS_PATH)) == 4


def test_constraint_parsing_allocates_a_small_multiple_of_the_file():
    # 20,000 constraints of empty linear combinations (240 kB): honest sizes, the most combinations per byte
    n = 20_000
    hdr = bytearray(sections_of(R1CS_PATH, b"r1cs")[0][1])
    struct.pack_into("<I", hdr, 60, n)
    blob = write_binfile(b"r1cs", 1, [(1, bytes(hdr)), (2, bytes(12 * n))])
    with bounded(max_seconds=5, max_peak=len(blob) + (256 << 10)):
        assert read_r1cs(blob).n_constraints == n
