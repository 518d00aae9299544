"""Witnesses equal snarkjs 0.7.6's `wtns calculate` on recorded inputs, and a real circom assert is reported."""

import hashlib
import json
from pathlib import Path

import pytest

from zapiki.errors import WitnessError
from zapiki.formats.field import limbs_to_ints
from zapiki.witness import CircomInstance, WitnessCalculator, fnv1a64

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures" / "groth16"
WASM = {
    "multiplier": FIXTURES / "multiplier" / "circuit.wasm",
    "poseidon_chain_8": FIXTURES / "poseidon_chain_8" / "circuit.wasm",
    "guarded": HERE / "data" / "guarded" / "circuit.wasm",
}
VECTORS = json.loads((HERE / "data" / "snarkjs_vectors.json").read_text())


@pytest.mark.parametrize("vector", VECTORS, ids=[f"{v['circuit']}-{i}" for i, v in enumerate(VECTORS)])
def test_wtns_bytes_equal_snarkjs(vector):
    wtns = WitnessCalculator(WASM[vector["circuit"]]).calculate_wtns(vector["input"])
    assert hashlib.sha256(wtns).hexdigest() == vector["wtns_sha256"]


@pytest.fixture(scope="module")
def guarded():
    return WitnessCalculator(WASM["guarded"])


def test_guarded_circuit_computes_its_output(guarded):
    # wires: one, total, limit, xs[0..2]; total = (sum xs) * limit
    assert limbs_to_ints(guarded.calculate({"xs": [1, 2, 3], "limit": 10})) == [1, 60, 10, 1, 2, 3]


def test_failing_circom_assert_reports_template_and_line_like_snarkjs(guarded):
    # snarkjs: "Error: Assert Failed. Error in template Guarded_0 line: 12"
    with pytest.raises(WitnessError, match=r"Assert Failed\.\nError in template Guarded_0 line: 12$"):
        guarded.calculate({"xs": [5, 5, 5], "limit": 10})


def test_circuit_log_lines_are_collected():
    inst = CircomInstance(WASM["guarded"].read_bytes())
    inst.init()
    for i, v in enumerate([1, 2, 3]):
        inst.set_input(*fnv1a64("xs"), i, v)
    inst.set_input(*fnv1a64("limit"), 0, 10)
    assert inst.logs == ["total 6"]


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"xs": [1, 2], "limit": 10}, r"input signal 'xs': not enough values \(expected 3, got 2\)"),
        ({"xs": [[1, 2], [3, 4]], "limit": 10}, r"too many values \(expected 3, got 4\)"),
        ({"xs": [1, 2, 3]}, "expects 4 input values, 3 were given"),
        ({"xs": [1, 2, 3], "limit": 10, "total": 60}, "'total' is not an input of this circuit"),
    ],
)
def test_array_and_output_signal_errors(guarded, inputs, message):
    with pytest.raises(WitnessError, match=message):
        guarded.calculate(inputs)
