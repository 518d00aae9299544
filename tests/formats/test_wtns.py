"""Reading and writing snarkjs .wtns files."""

import struct
from pathlib import Path

import numpy as np
import pytest

from zapiki.errors import FormatError
from zapiki.formats.binfile import write_binfile
from zapiki.formats.field import BN254_Q, BN254_R, int_to_bytes
from zapiki.formats.wtns import read_wtns, write_wtns

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "groth16"


@pytest.mark.parametrize("name", ["multiplier", "poseidon_chain_8"])
def test_read_then_write_is_byte_identical_to_snarkjs(name):
    blob = (FIXTURES / name / "witness.wtns").read_bytes()
    w = read_wtns(blob)
    assert w.values.shape == (len(w), 4) and w.values.dtype == np.uint64
    assert w.values.flags.c_contiguous and w.values.flags.writeable
    assert write_wtns(w.values) == blob
    assert write_wtns(w.to_ints()) == blob


def test_multiplier_witness_values():
    # wires: one, c = a * b, a, b  with input {"a": 3, "b": 11}
    assert read_wtns(FIXTURES / "multiplier" / "witness.wtns").to_ints() == [1, 33, 3, 11]


def wtns(n8=32, prime=BN254_R, n_witness=2, values=(1, 5), version=2):
    header = struct.pack("<I", n8) + int_to_bytes(prime, n8) + struct.pack("<I", n_witness)
    body = b"".join(int_to_bytes(v, 32) for v in values)
    return write_binfile(b"wtns", version, [(1, header), (2, body)])


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (wtns(version=1), "unsupported version 1"),
        (wtns(version=3), "unsupported version 3"),
        (wtns(n8=48), "n8=48"),
        (wtns(prime=BN254_Q), "is not BN254's scalar field"),
        (wtns(n_witness=3), "disagrees with nWitness=3"),
        (wtns(n_witness=2**32 - 1), "disagrees with nWitness=4294967295"),
        (wtns(values=(1, BN254_R)), "witness value 1 is >= r"),
        (wtns()[:-1], "truncated"),
        (b"wtnx" + wtns()[4:], "wrong magic"),
    ],
)
def test_malformed_wtns_is_rejected_naming_the_problem(blob, message):
    with pytest.raises(FormatError, match=message):
        read_wtns(blob)


def test_writer_refuses_out_of_range_values():
    with pytest.raises(ValueError, match="prime"):
        write_wtns([1, BN254_R])
    with pytest.raises(ValueError, match="shape"):
        write_wtns(np.zeros((2, 3), dtype=np.uint64))
