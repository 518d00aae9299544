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


def _ctx_with_r1cs(circuit, **kw):
    ctx = _ctx(circuit, **kw)
    ctx.resources["r1cs"] = str(circuit.path("circuit.r1cs"))
    return ctx


def _tampered_witness(monkeypatch, change):
    """Make `generate` prove `change(witness)` instead of the wasm's witness."""
    import zapiki.systems.groth16.system as module

    real = module.circuit_witness
    monkeypatch.setattr(module, "circuit_witness", lambda *a: (change(real(*a)[0].copy()), real(*a)[1]))


def test_a_satisfied_witness_is_proved_without_a_constraint_by_constraint_check(system, multiplier, monkeypatch):
    """A job's witness comes from the circuit's own wasm and the proof's self-check catches one that does not
    satisfy the constraints, so with the r1cs given a good witness still pays no check of every constraint (~0.1
    CPU-seconds a job at 2^16, issue #25) and the r1cs is not even parsed."""
    import zapiki.systems.groth16.prover as prover
    import zapiki.systems.groth16.system as module

    checked, parsed = [], []
    real_check, real_parse = prover.check_constraints, module.r1cs_of
    monkeypatch.setattr(prover, "check_constraints", lambda *a: checked.append(a) or real_check(*a))
    monkeypatch.setattr(module, "r1cs_of", lambda path: parsed.append(path) or real_parse(path))
    out = system.generate({"a": "3", "b": "11"}, _ctx_with_r1cs(multiplier))
    assert out.public_inputs == ["33"] and system.verify(out.proof_data, out.public_inputs, out.verification_key)
    assert checked == [] and parsed == []


def test_an_unsatisfied_witness_is_refused_and_named_by_its_first_failing_constraint(system, multiplier, monkeypatch):
    from zapiki.formats.field import ints_to_limbs

    def c_is_34(w):  # a * b = c with a = 3, b = 11: c = 34 satisfies no constraint
        w[1] = ints_to_limbs([34])[0]
        return w

    _tampered_witness(monkeypatch, c_is_34)
    with pytest.raises(WitnessError, match=r"does not satisfy constraint 0 \(of 1, counting from 0\)"):
        system.generate({"a": "3", "b": "11"}, _ctx_with_r1cs(multiplier))
    with pytest.raises(WitnessError) as without_r1cs:  # refused by the proof's self-check, no index to name
        system.generate({"a": "3", "b": "11"}, _ctx(multiplier))
    assert "constraint 0" not in str(without_r1cs.value)


def test_a_witness_that_does_not_fit_the_key_gets_the_same_message_with_or_without_the_r1cs(
    system, multiplier, monkeypatch
):
    _tampered_witness(monkeypatch, lambda w: w[:-1])
    with pytest.raises(WitnessError) as without_r1cs:
        system.generate({"a": "3", "b": "11"}, _ctx(multiplier))
    with pytest.raises(WitnessError) as with_r1cs:
        system.generate({"a": "3", "b": "11"}, _ctx_with_r1cs(multiplier))
    assert str(with_r1cs.value) == str(without_r1cs.value)
