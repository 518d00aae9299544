"""Circuit size limits (checked from the files' headers before any work) and the witness length against the key.

The fixture circuits: multiplier (1 constraint, 4 wires, 1 public signal, domain 4) and poseidon_chain_8
(1,920 constraints, 1,923 wires, 2 public signals, domain 2,048).
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from bounds import bounded

import zapiki.systems.groth16 as g16
from zapiki.errors import FormatError, InputError
from zapiki.formats import read_r1cs, read_wtns
from zapiki.formats.binfile import parse_binfile, write_binfile
from zapiki.systems.base import ProveContext
from zapiki.systems.groth16 import CircuitLimits, check_circuit_limits, circuit_info, dev_setup, load_proving_key
from zapiki.systems.groth16 import prover as g16_prover
from zapiki.systems.groth16 import setup as g16_setup

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "groth16"
MULTIPLIER = FIXTURES / "multiplier"
POSEIDON = FIXTURES / "poseidon_chain_8"
#: poseidon_chain_8 exactly: nothing over, nothing to spare
POSEIDON_SIZE = {"max_constraints": 1920, "max_wires": 1923, "max_public": 2}
U32_MAX = 2**32 - 1


def limits(**changes):
    return CircuitLimits(**{**POSEIDON_SIZE, **changes})


def must_not_run(*args, **kwargs):
    raise AssertionError("work began before the limits were checked")


def lying_r1cs(n_wires=U32_MAX):
    """The multiplier's r1cs declaring ``n_wires`` wires, without the wire-to-label map that would bound them.

    Such a file is well formed (nothing in it bounds nWires), so only a limit can refuse it."""
    bf = parse_binfile((MULTIPLIER / "circuit.r1cs").read_bytes(), b"r1cs", "r1cs", max_version=1)
    body = {t: bytearray(bf.data[s[0].offset : s[0].offset + s[0].size]) for t, s in bf.sections.items()}
    struct.pack_into("<I", body[1], 36, n_wires)
    return write_binfile(b"r1cs", 1, [(1, bytes(body[1])), (2, bytes(body[2]))])


def fast_and_small(fn, max_seconds=1.0, max_peak=1 << 20):
    """Run ``fn`` and return what it raised (None if nothing), after checking it came back within
    ``max_seconds`` and its peak traced allocation stayed under ``max_peak``."""
    error = None
    with bounded(max_seconds, max_peak):
        try:
            fn()
        except Exception as exc:  # noqa: BLE001  (the caller checks what it is)
            error = exc
    return error


# --- CircuitLimits and check_circuit_limits --------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [{"max_constraints": 0}, {"max_wires": 0}, {"max_public": -1}, {"max_constraints": True}, {"max_wires": 2.0}],
)
def test_limits_are_validated_when_built(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        limits(**bad)


def test_limits_are_frozen():
    with pytest.raises(AttributeError):
        limits().max_wires = 10**9  # type: ignore[misc]


@pytest.fixture(scope="module")
def poseidon_info():
    return circuit_info(r1cs=POSEIDON / "circuit.r1cs", zkey=POSEIDON / "circuit.zkey")


def test_a_circuit_at_its_limits_is_accepted(poseidon_info):
    check_circuit_limits(poseidon_info, limits())
    check_circuit_limits(circuit_info(r1cs=MULTIPLIER / "circuit.r1cs", zkey=MULTIPLIER / "circuit.zkey"),
                         CircuitLimits(max_constraints=1, max_wires=4, max_public=1))  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"max_constraints": 1919}, "1920 constraints (n_constraints) exceed the limit max_constraints=1919"),
        ({"max_wires": 1922}, "1923 wires (n_wires) exceed the limit max_wires=1922"),
        ({"max_public": 1}, "2 public signals (n_public) exceed the limit max_public=1"),
    ],
)
def test_a_circuit_over_one_limit_is_refused_naming_it(poseidon_info, change, message):
    with pytest.raises(InputError) as exc:
        check_circuit_limits(poseidon_info, limits(**change))
    assert message in str(exc.value)


@pytest.mark.parametrize(
    ("info", "message"),
    [
        ({"n_vars": 1923}, "1923 proving-key variables (n_vars) exceed the limit max_wires=1922"),
        ({"witness_size": 1923}, "1923 witness values (witness_size) exceed the limit max_wires=1922"),
    ],
)
def test_key_variables_and_witness_values_count_as_wires(info, message):
    with pytest.raises(InputError) as exc:
        check_circuit_limits(info, limits(max_wires=1922))
    assert message in str(exc.value)


def test_a_key_alone_is_bounded_by_its_domain():
    # poseidon_chain_8's key: domain 2048 = the domain of 1920 constraints + 2 public signals + 1
    info = circuit_info(zkey=POSEIDON / "circuit.zkey")
    assert "n_constraints" not in info and info["domain_size"] == 2048
    check_circuit_limits(info, limits(max_wires=10**6))
    with pytest.raises(InputError) as exc:
        check_circuit_limits(info, limits(max_constraints=1000, max_wires=10**6))
    assert "domain_size=2048 exceeds 1024" in str(exc.value) and "max_constraints=1000" in str(exc.value)


# --- dev_setup(limits=...) and circuit_info(limits=...): the header, before any work ----------------------------


@pytest.mark.parametrize(
    ("change", "limit"),
    [({"max_constraints": 1919}, "max_constraints=1919"), ({"max_wires": 1922}, "max_wires=1922"),
     ({"max_public": 1}, "max_public=1")],
)  # fmt: skip
def test_dev_setup_refuses_a_circuit_over_its_limits_before_any_work(monkeypatch, change, limit):
    monkeypatch.setattr(g16, "run_dev_setup", must_not_run)
    monkeypatch.setattr(g16_setup, "read_r1cs", must_not_run)
    with pytest.raises(InputError, match=limit):
        dev_setup(POSEIDON / "circuit.r1cs", limits=limits(**change))


def test_dev_setup_refuses_a_header_declaring_billions_of_wires_fast(monkeypatch):
    monkeypatch.setattr(g16, "run_dev_setup", must_not_run)
    blob = lying_r1cs()
    assert read_r1cs(blob).n_wires == U32_MAX  # well formed: only a limit can refuse it
    error = fast_and_small(lambda: dev_setup(blob, limits=limits()))
    assert isinstance(error, InputError) and f"{U32_MAX} wires (n_wires)" in str(error)
    assert "max_wires=1923" in str(error)


def test_dev_setup_without_limits_still_refuses_billions_of_wires(monkeypatch):
    # the setup's own backstop, checked before anything is sized by nWires
    monkeypatch.setattr(g16_setup, "_rand", must_not_run)
    error = fast_and_small(lambda: dev_setup(lying_r1cs()))
    assert isinstance(error, InputError) and f"{U32_MAX} wires (nWires)" in str(error)
    assert str(g16_setup.MAX_SETUP_WIRES) in str(error)


def test_dev_setup_of_a_circuit_within_its_limits_runs():
    zkey, vkey = dev_setup(MULTIPLIER / "circuit.r1cs", limits=CircuitLimits(1, 4, 1))
    assert circuit_info(zkey=zkey)["n_vars"] == 4 and vkey["nPublic"] == 1


def test_circuit_info_checks_the_r1cs_header_before_parsing_it(monkeypatch):
    monkeypatch.setattr(g16, "read_r1cs", must_not_run)
    with pytest.raises(InputError, match="max_constraints=1000"):
        circuit_info(r1cs=POSEIDON / "circuit.r1cs", limits=limits(max_constraints=1000))
    error = fast_and_small(lambda: circuit_info(r1cs=lying_r1cs(), limits=limits()))
    assert isinstance(error, InputError) and "max_wires=1923" in str(error)


def test_circuit_info_checks_the_zkey_header_before_parsing_it(monkeypatch):
    monkeypatch.setattr(g16, "read_zkey", must_not_run)
    with pytest.raises(InputError, match="max_wires=1922"):
        circuit_info(zkey=POSEIDON / "circuit.zkey", limits=limits(max_wires=1922))


def test_circuit_info_with_limits_gives_the_same_info(poseidon_info):
    got = circuit_info(r1cs=POSEIDON / "circuit.r1cs", zkey=POSEIDON / "circuit.zkey", limits=limits())
    assert got == poseidon_info


def test_circuit_info_with_limits_still_refuses_a_malformed_file():
    truncated = (MULTIPLIER / "circuit.r1cs").read_bytes()[:-8]
    error = fast_and_small(lambda: circuit_info(r1cs=truncated, limits=limits()))
    assert isinstance(error, FormatError) and "section 3 declares 32 bytes but only 24 remain" in str(error)


# --- the witness length against the key: refused before the MSMs -----------------------------------------------


@pytest.fixture
def no_msm(monkeypatch):
    """The prover's witness map and MSMs raise: a witness that reaches them was not refused in time."""
    monkeypatch.setattr(g16_prover, "msm", must_not_run)
    monkeypatch.setattr(g16_prover, "evaluate_ab", must_not_run)


def multiplier_witness():
    return read_wtns(MULTIPLIER / "witness.wtns").values


@pytest.mark.parametrize(
    "witness",
    [
        lambda: multiplier_witness()[:-1],
        lambda: np.vstack([multiplier_witness(), np.zeros((1, 4), np.uint64)]),
        lambda: multiplier_witness()[:1],
        lambda: read_wtns(POSEIDON / "witness.wtns").values,
    ],
    ids=["one short", "one long", "only the one wire", "another circuit's"],
)
@pytest.mark.parametrize("with_r1cs", [False, True])
def test_prover_refuses_a_witness_whose_length_differs_from_nvars(no_msm, witness, with_r1cs):
    pk = load_proving_key(MULTIPLIER / "circuit.zkey")
    w = witness()
    r1cs = read_r1cs(MULTIPLIER / "circuit.r1cs") if with_r1cs else None
    with pytest.raises(InputError) as exc:
        g16.prove(pk, w, r1cs=r1cs)
    assert f"witness has {len(w)} values but the proving key expects nVars=4" in str(exc.value)


def test_the_job_system_refuses_a_witness_of_another_circuit_before_the_msms(no_msm):
    # poseidon_chain_8's wasm computes 1,923 values; the multiplier's key has nVars = 4
    ctx = ProveContext(resources={"wasm": str(POSEIDON / "circuit.wasm"), "zkey": str(MULTIPLIER / "circuit.zkey")})
    with pytest.raises(InputError, match="witness has 1923 values but the proving key expects nVars=4"):
        g16.Groth16System().generate({"x": 1, "k": 2}, ctx)
