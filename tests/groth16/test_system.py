"""``Groth16System``: the job platform's contract (prepare_input, generate with resources, verify)."""

from __future__ import annotations

import time

import pytest

from zapiki.errors import InputError, JobTimeout, WitnessError
from zapiki.systems.base import ProofSystem, ProveContext
from zapiki.systems.groth16 import Groth16System


@pytest.fixture(scope="module")
def system():
    return Groth16System()


def test_interface_and_capabilities(system):
    assert isinstance(system, ProofSystem) and system.name == "groth16"
    caps = system.capabilities
    assert (caps.async_only, caps.isolated, caps.uses_kernels, caps.setup_required) == (True, True, True, True)


def test_prepare_input_normalises(system):
    data = {"a": 3, "b": "0x0b", "m": [[1, "2"], ["-1", 0]]}
    out = system.prepare_input(data, {})
    assert out == {
        "a": "3",
        "b": "11",
        "m": [["1", "2"], [str(21888242871839275222246405745257275088548364400416034343698204186575808495616), "0"]],
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1, 2], "JSON object of input signals"),
        ({"a": 1.5}, "float"),
        ({"a": True}, "bool"),
        ({"a": {"b": 1}}, "dict"),
        ({"a": "xyz"}, "not an integer"),
        ({"a": str(2**256)}, "out of range"),
        ({"": 1}, "non-empty strings"),
    ],
)
def test_prepare_input_rejects(system, data, message):
    with pytest.raises(InputError, match=message):
        system.prepare_input(data, {})


def _ctx(circuit, **kw):
    return ProveContext(
        resources={"wasm": str(circuit.path("circuit.wasm")), "zkey": str(circuit.path("circuit.zkey"))}, **kw
    )


def test_generate_and_verify(system, circuit):
    data = system.prepare_input(circuit.json("input.json"), {})
    out = system.generate(data, _ctx(circuit))
    assert out.public_inputs == circuit.json("public.json")
    assert out.verification_key == circuit.json("verification_key.json")
    assert system.verify(out.proof_data, out.public_inputs, out.verification_key)
    wrong = [str(int(out.public_inputs[0]) + 1)] + out.public_inputs[1:]
    assert system.verify(out.proof_data, wrong, out.verification_key) is False


def test_generate_checks_the_deadline(system, multiplier):
    with pytest.raises(JobTimeout):
        system.generate({"a": "3", "b": "11"}, _ctx(multiplier, deadline=time.time() - 1))


def test_generate_input_errors(system, multiplier):
    with pytest.raises(WitnessError, match="missing input signals"):
        system.generate({"a": "3"}, _ctx(multiplier))
    with pytest.raises(InputError, match="resource 'zkey' not given"):
        system.generate({"a": "3", "b": "11"}, ProveContext(resources={"wasm": str(multiplier.path("circuit.wasm"))}))
    with pytest.raises(InputError, match="cannot read zkey"):
        system.generate(
            {"a": "3", "b": "11"},
            ProveContext(resources={"wasm": str(multiplier.path("circuit.wasm")), "zkey": "/nonexistent.zkey"}),
        )
