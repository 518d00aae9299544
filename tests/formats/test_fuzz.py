"""Fuzzing: no byte string makes a reader fail with anything but FormatError, or run away.

Inputs are random bytes, and the real fixture files truncated, with bytes overwritten, or with a u32/u64
field replaced by an extreme value (the way a header count would lie).
"""

import json
import struct
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zapiki.errors import FormatError
from zapiki.formats.binfile import parse_binfile, write_binfile
from zapiki.formats.r1cs import read_r1cs
from zapiki.formats.snarkjs_json import parse_proof, parse_public, parse_vkey
from zapiki.formats.wtns import read_wtns
from zapiki.formats.zkey import read_zkey

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "groth16"
FUZZ = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
READERS = {
    "circuit.r1cs": read_r1cs,
    "witness.wtns": read_wtns,
    "circuit.zkey": read_zkey,
}
SEEDS = {name: (FIXTURES / "multiplier" / name).read_bytes() for name in READERS}
EXTREMES = [0, 1, 2, 3, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 2**63, 2**64 - 1]


@st.composite
def mutated(draw, seed):
    """The seed file with a few edits: overwrites, an extreme integer field, a truncation or an insertion."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["byte", "u32", "u64", "truncate", "insert"]))
        if not data:
            break
        pos = draw(st.integers(0, len(data) - 1))
        if kind == "byte":
            data[pos] = draw(st.integers(0, 255))
        elif kind in ("u32", "u64"):
            fmt, size = ("<I", 4) if kind == "u32" else ("<Q", 8)
            pos -= pos % 4
            if pos + size <= len(data):
                value = draw(st.sampled_from(EXTREMES)) % (1 << (8 * size))
                struct.pack_into(fmt, data, pos, value)
        elif kind == "truncate":
            del data[pos:]
        else:
            data[pos:pos] = draw(st.binary(min_size=1, max_size=64))
    return bytes(data)


@st.composite
def resectioned(draw, seed, magic):
    """The seed with one section's body mutated and the container rebuilt around it, so that section sizes
    agree with the bodies and the section parsers themselves are exercised."""
    bf = parse_binfile(seed, magic, "seed", max_version=2)
    sections = [(t, bytes(bf.data[s.offset : s.offset + s.size])) for t, secs in bf.sections.items() for s in secs]
    i = draw(st.integers(0, len(sections) - 1))
    stype, body = sections[i]
    sections[i] = (stype, draw(mutated(body)) if body else draw(st.binary(max_size=16)))
    if draw(st.booleans()):
        sections = draw(st.permutations(sections))
    if draw(st.integers(0, 9)) == 0:
        sections.pop(draw(st.integers(0, len(sections) - 1)))
    return write_binfile(magic, bf.version, sections)


def reads_or_format_error(reader, blob):
    start = time.perf_counter()
    try:
        reader(blob)
    except FormatError:
        pass
    assert time.perf_counter() - start < 5, "reader ran away"


@pytest.mark.parametrize("name", list(READERS))
@FUZZ
@given(data=st.data())
def test_mutated_fixture_files(name, data):
    reads_or_format_error(READERS[name], data.draw(mutated(SEEDS[name])))


@pytest.mark.parametrize("name", list(READERS))
@FUZZ
@given(data=st.data())
def test_mutated_sections_in_a_consistent_container(name, data):
    magic = SEEDS[name][:4]
    reads_or_format_error(READERS[name], data.draw(resectioned(SEEDS[name], magic)))


@pytest.mark.parametrize("name", list(READERS))
@FUZZ
@given(blob=st.binary(max_size=512))
def test_random_bytes(name, blob):
    reads_or_format_error(READERS[name], blob)


@pytest.mark.parametrize("name", list(READERS))
@FUZZ
@given(blob=st.binary(max_size=256), version=st.sampled_from([1, 2]), n=st.integers(0, 2**32 - 1))
def test_random_bodies_behind_a_valid_magic(name, blob, version, n):
    magic = {"circuit.r1cs": b"r1cs", "witness.wtns": b"wtns", "circuit.zkey": b"zkey"}[name]
    reads_or_format_error(READERS[name], magic + struct.pack("<II", version, n % 64) + blob)


@pytest.mark.parametrize("name", list(READERS))
def test_every_truncation_of_the_fixture_is_rejected(name):
    seed = SEEDS[name]
    for cut in range(len(seed)):
        with pytest.raises(FormatError):
            READERS[name](seed[:cut])


@FUZZ
@given(blob=st.binary(max_size=256))
def test_container_parser(blob):
    reads_or_format_error(lambda b: parse_binfile(b, b"zkey", "zkey", max_version=1), b"zkey" + blob)


# --- JSON -----------------------------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
JSON_READERS = {"proof.json": parse_proof, "public.json": parse_public, "verification_key.json": parse_vkey}


def replace_somewhere(draw, obj):
    """Replace one node of a JSON tree (chosen by a random walk) with an arbitrary JSON value."""
    if not isinstance(obj, dict | list) or not obj or draw(st.booleans()):
        return draw(JSON_VALUES)
    keys = list(obj) if isinstance(obj, dict) else list(range(len(obj)))
    key = draw(st.sampled_from(keys))
    obj[key] = replace_somewhere(draw, obj[key])
    return obj


@pytest.mark.parametrize("name", list(JSON_READERS))
@FUZZ
@given(data=st.data())
def test_json_readers_with_one_node_replaced(name, data):
    obj = json.loads((FIXTURES / "multiplier" / name).read_text())
    reads_or_format_error(JSON_READERS[name], replace_somewhere(data.draw, obj))


@pytest.mark.parametrize("name", list(JSON_READERS))
@FUZZ
@given(value=JSON_VALUES | st.text(max_size=50) | st.binary(max_size=50))
def test_json_readers_with_arbitrary_values(name, value):
    reads_or_format_error(JSON_READERS[name], value)
