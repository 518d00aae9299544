"""Witness calculation with circom's wasm: equal to snarkjs's witness, clear errors otherwise."""

import json
from pathlib import Path

import pytest

from zapiki.errors import FormatError, InputError, WitnessError
from zapiki.formats.field import BN254_Q, BN254_R, limbs_to_ints
from zapiki.formats.r1cs import read_r1cs
from zapiki.formats.wtns import read_wtns, write_wtns
from zapiki.witness.calculator import WitnessCalculator, calculate_witness, fnv1a64, normalize_inputs
from zapiki.witness.wasm_runtime import WitnessTimeout, compile_module

from .fake_circuit import fake_circuit_wasm

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "groth16"
CIRCUITS = ["multiplier", "poseidon_chain_8"]


@pytest.fixture(scope="module")
def multiplier():
    return WitnessCalculator(FIXTURES / "multiplier" / "circuit.wasm")


@pytest.mark.parametrize("name", CIRCUITS)
def test_witness_equals_snarkjs_wtns_calculate(name):
    calc = WitnessCalculator(FIXTURES / name / "circuit.wasm")
    inputs = json.loads((FIXTURES / name / "input.json").read_text())
    expected = (FIXTURES / name / "witness.wtns").read_bytes()
    assert calc.calculate_wtns(inputs) == expected
    assert (calc.calculate(inputs) == read_wtns(expected).values).all()
    assert calc.witness_size == read_r1cs(FIXTURES / name / "circuit.r1cs").n_wires
    assert calc.version[0] == 2 and calc.prime == BN254_R


def test_multiplier_computes_a_times_b(multiplier):
    assert limbs_to_ints(multiplier.calculate({"a": 5, "b": 7})) == [1, 35, 5, 7]


@pytest.mark.parametrize(
    "inputs",
    [
        {"a": "3", "b": "11"},
        {"a": "0x3", "b": "0xb"},
        {"a": [3], "b": [[11]]},
        {"a": 3.0, "b": 11},
        {"a": 3 - BN254_R, "b": 11},  # negative values mean r + v, as in circom
    ],
)
def test_accepted_input_encodings_give_the_same_witness(multiplier, inputs):
    assert limbs_to_ints(multiplier.calculate(inputs)) == [1, 33, 3, 11]


def test_negative_inputs_are_taken_mod_r(multiplier):
    assert limbs_to_ints(multiplier.calculate({"a": -1, "b": 2})) == [1, BN254_R - 2, BN254_R - 1, 2]


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"a": 3}, "expects 2 input values, 1 were given"),
        ({}, "expects 2 input values, 0 were given"),
        ({"a": 3, "b": 11, "z": 1}, "input signal 'z' is not an input of this circuit"),
        ({"a": [3, 4], "b": 11}, r"input signal 'a': too many values \(expected 1, got 2\)"),
        ({"a": [], "b": 11}, r"input signal 'a': not enough values \(expected 1, got 0\)"),
        ({"a": BN254_R, "b": 1}, "input 'a': value .* is out of range"),
        ({"a": BN254_Q, "b": 1}, "out of range"),
        ({"a": -BN254_R, "b": 1}, "out of range"),
        ({"a": "12abc", "b": 1}, "input 'a': '12abc' is not an integer"),
        ({"a": "", "b": 1}, "is not an integer"),
        ({"a": 1.5, "b": 1}, "1.5 is not an integer"),
        ({"a": float("nan"), "b": 1}, "is not an integer"),
        ({"a": 1, "b": True}, "input 'b': bool value True is not an integer"),
        ({"a": 1, "b": None}, "NoneType value None is not an integer"),
        ({"a": 1, "b": {"x": 1}}, "dict value"),
        ({"a": [1, [2, "x"]], "b": 1}, r"input 'a'\[1\]\[1\]: 'x' is not an integer"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_bad_inputs_are_witness_errors_naming_the_signal(multiplier, inputs, message):
    with pytest.raises(WitnessError, match=message) as info:
        multiplier.calculate(inputs)
    assert isinstance(info.value, InputError)  # fails the job at once, no retry


def test_normalize_inputs_flattens_row_major():
    assert normalize_inputs({"m": [[1, 2], [3, "4"]], "s": "-1"}) == {"m": [1, 2, 3, 4], "s": [BN254_R - 1]}


def test_fnv_hash_matches_circom():
    # circom's hash of "in" (FNV-1a 64 over the name), split into the two i32 halves it passes around
    assert fnv1a64("in") == (146225159, 3042724798)
    assert fnv1a64("") == (0xCBF29CE4, 0x84222325)


def test_module_is_compiled_once_per_engine_and_wasm_hash(multiplier):
    wasm = (FIXTURES / "multiplier" / "circuit.wasm").read_bytes()
    module, digest = compile_module(wasm, multiplier.engine)
    assert module is multiplier.module and digest == multiplier.sha256
    assert WitnessCalculator(wasm).module is module


def test_one_shot_helper(multiplier):
    w = calculate_witness(FIXTURES / "multiplier" / "circuit.wasm", {"a": 2, "b": 2})
    assert limbs_to_ints(w) == [1, 4, 2, 2]
    assert read_wtns(write_wtns(w)).to_ints() == [1, 4, 2, 2]


# --- circuit failures, through a hand-written circom-compatible module --------------------------------------


@pytest.fixture(scope="module")
def fake():
    return WitnessCalculator(fake_circuit_wasm())


def test_fake_circuit_works_and_unknown_imports_are_stubbed(fake):
    assert limbs_to_ints(fake.calculate({"in": 7})) == [1, 7]


def test_failing_assert_passes_circoms_messages_on(fake):
    with pytest.raises(WitnessError, match=r"(?s)Assert Failed\..*Error in template Fake_0 line: 7"):
        fake.calculate({"in": 0})


def test_trap_is_a_witness_error(fake):
    with pytest.raises(WitnessError, match="wasm trap: .*unreachable"):
        fake.calculate({"in": 5})


def test_runaway_circuit_is_stopped_by_the_timeout(fake):
    with pytest.raises(WitnessTimeout, match="time limit"):
        fake.calculate({"in": 3}, timeout_s=0.2)


def test_circuit_logs_are_collected():
    from zapiki.witness.wasm_runtime import CircomInstance

    inst = CircomInstance(fake_circuit_wasm())
    inst.init()
    inst.set_input(*fnv1a64("in"), 0, 4)
    assert inst.logs == ["hello 4"]


@pytest.mark.parametrize(
    ("wasm", "message"),
    [
        (b"\x00asm\x01\x00\x00\x00garbage", "not a valid WebAssembly module"),
        (b"not wasm at all", "not a valid WebAssembly module"),
        (b"\x00asm\x01\x00\x00\x00", "not a circom 2 witness calculator"),
    ],
)
def test_non_circom_wasm_is_a_format_error(wasm, message):
    with pytest.raises(FormatError, match=message):
        WitnessCalculator(wasm)


def test_circuit_for_another_prime_or_runtime_version_is_rejected():
    with pytest.raises(FormatError, match="compiled for prime"):
        WitnessCalculator(fake_circuit_wasm(prime=BN254_Q))
    with pytest.raises(FormatError, match="runtime version 1"):
        WitnessCalculator(fake_circuit_wasm(version=1))


def test_missing_wasm_file_is_a_format_error(tmp_path):
    with pytest.raises(FormatError, match="cannot read circuit wasm"):
        WitnessCalculator(tmp_path / "nope.wasm")


@pytest.mark.parametrize("path", ["scratch pages", "shared buffer per wire", "readSharedRWMemory per word"])
def test_every_witness_read_path_gives_snarkjs_witness(path, monkeypatch):
    from zapiki.witness.wasm_runtime import CircomInstance

    name = "poseidon_chain_8"
    inst = CircomInstance((FIXTURES / name / "circuit.wasm").read_bytes())
    if path != "scratch pages":
        monkeypatch.setattr(inst, "_scratch", lambda size: None)
    if path == "readSharedRWMemory per word":
        monkeypatch.setattr(inst, "_shared_start", None)
    inst.init()
    for signal, value in json.loads((FIXTURES / name / "input.json").read_text()).items():
        inst.set_input(*fnv1a64(signal), 0, value)
    assert write_wtns(inst.witness()) == (FIXTURES / name / "witness.wtns").read_bytes()


def test_a_wasm_whose_probe_traps_or_lacks_an_export_is_a_format_error():
    with pytest.raises(FormatError, match="not a working circom 2 witness calculator: .*unreachable"):
        WitnessCalculator(fake_circuit_wasm(prime_traps=True))
    broken = fake_circuit_wasm().replace(b"getRawPrime", b"getRawPrimf")
    with pytest.raises(FormatError, match=r"missing exports \['getRawPrime'\]"):
        WitnessCalculator(broken)


def test_one_calculator_serves_several_threads():
    from concurrent.futures import ThreadPoolExecutor

    calc = WitnessCalculator(FIXTURES / "poseidon_chain_8" / "circuit.wasm")
    expected = (FIXTURES / "poseidon_chain_8" / "witness.wtns").read_bytes()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: calc.calculate_wtns({"x": 1, "k": 2}, timeout_s=60), range(8)))
    assert all(r == expected for r in results)
