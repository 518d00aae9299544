"""Property tests of input handling: any JSON input gives a witness or a WitnessError, never anything else."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zapiki.errors import WitnessError
from zapiki.formats.field import BN254_R, limbs_to_ints
from zapiki.witness.calculator import WitnessCalculator, normalize_inputs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "groth16"
FUZZ = settings(max_examples=100, deadline=None, database=None, derandomize=True)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


@pytest.fixture(scope="module")
def multiplier():
    return WitnessCalculator(FIXTURES / "multiplier" / "circuit.wasm")


@FUZZ
@given(a=st.integers(0, BN254_R - 1), b=st.integers(0, BN254_R - 1))
def test_multiplier_witness_is_a_b_product_for_any_field_elements(multiplier, a, b):
    assert limbs_to_ints(multiplier.calculate({"a": a, "b": str(b)})) == [1, a * b % BN254_R, a, b]


@FUZZ
@given(inputs=st.dictionaries(st.sampled_from(["a", "b", "c", "x"]), JSON_VALUES, max_size=3))
def test_arbitrary_inputs_give_a_witness_or_a_witness_error(multiplier, inputs):
    try:
        witness = multiplier.calculate(inputs)
    except WitnessError:
        return
    assert witness.shape == (4, 4)


@FUZZ
@given(value=JSON_VALUES | st.integers(min_value=-(2**300), max_value=2**300) | st.text(max_size=300))
def test_normalize_inputs_never_fails_otherwise(value):
    try:
        result = normalize_inputs({"s": value})
    except WitnessError:
        return
    assert all(0 <= v < BN254_R for v in result["s"])


def test_deeply_nested_and_huge_values_are_rejected_cleanly():
    deep = 1
    for _ in range(1000):
        deep = [deep]
    with pytest.raises(WitnessError, match="nested deeper"):
        normalize_inputs({"s": deep})
    with pytest.raises(WitnessError, match="of 16610 bits is out of range"):
        normalize_inputs({"s": 10**5000})
    with pytest.raises(WitnessError, match="not a field element"):
        normalize_inputs({"s": "9" * 5000})
