"""Groth16 as a job: a registered circuit (stored once by content hash), proofs computed on the cluster from an
input JSON, the proving key shipped to each worker once, results in snarkjs's shape and accepted by snarkjs."""

import json
from pathlib import Path

import pytest

from zapiki.client import Zapiki
from zapiki.errors import InputError, JobFailed, NotFound
from zapiki.service import ZapikiService

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "groth16"


@pytest.fixture
def zk(sqlite_url, cluster, settings):
    client = Zapiki(ZapikiService.open(sqlite_url, cluster, settings), cluster)
    yield client
    client.service.close()


@pytest.mark.timeout(900)  # may be the first proof on a fresh machine: it compiles the numba kernels
def test_groth16_jobs_prove_on_the_cluster_and_snarkjs_accepts_them(zk, cluster, snarkjs_verifies):
    fx = FIXTURES / "poseidon_chain_8"
    circuit = zk.register_circuit("chain8", wasm=fx / "circuit.wasm", zkey=fx / "circuit.zkey")
    assert circuit["verification_key"] == json.loads((fx / "verification_key.json").read_text())
    assert circuit["info"]["n_constraints"] if "n_constraints" in circuit["info"] else circuit["info"]["n_vars"]
    inputs = json.loads((fx / "input.json").read_text())
    jobs = [zk.submit("groth16", inputs, circuit="chain8", priority=p) for p in ("high", "normal", "low")]
    results = [job.result(timeout=800) for job in jobs]
    expected_public = json.loads((fx / "public.json").read_text())
    for result in results:
        assert result["public_signals"] == expected_public
        assert set(result["proof"]) >= {"pi_a", "pi_b", "pi_c", "protocol", "curve"}
        assert zk.verify("groth16", result)
    snarkjs_verifies(circuit["verification_key"], results[0]["public_signals"], results[0]["proof"])
    # The wasm and the proving key went to the cluster once (one scatter each), whatever the number of jobs,
    # and every worker keeps one cached copy on its disk.
    scattered = zk.service.dispatcher._scattered
    assert set(scattered) == {circuit["wasm_sha256"], circuit["zkey_sha256"]}
    cached = cluster.run(
        lambda: sorted(p.name for p in __import__("zapiki.jobs.worker").jobs.worker._cache_dir().iterdir())
    )
    for names in cached.values():
        assert circuit["zkey_sha256"] in names


def test_groth16_input_errors_fail_at_once_with_circoms_message(zk):
    fx = FIXTURES / "multiplier"
    circuit = zk.register_circuit("mult", wasm=fx / "circuit.wasm", zkey=fx / "circuit.zkey")
    job = zk.submit("groth16", {"a": 3}, circuit=circuit["id"])  # "b" is missing
    with pytest.raises(JobFailed) as failed:
        job.result(timeout=300)
    info = job.info()
    assert info["retry_count"] == 0 and info["runs"] == 1
    assert "signal" in str(failed.value).lower() or "input" in str(failed.value).lower()


def test_groth16_needs_a_known_circuit(zk):
    with pytest.raises(InputError, match="circuit"):
        zk.submit("groth16", {"a": 1, "b": 2})
    with pytest.raises(NotFound):
        zk.submit("groth16", {"a": 1, "b": 2}, circuit="no-such-circuit")


def test_a_wasm_and_a_key_of_different_circuits_are_refused(zk):
    with pytest.raises(InputError):
        zk.register_circuit(
            "mixed", wasm=FIXTURES / "multiplier" / "circuit.wasm", zkey=FIXTURES / "poseidon_chain_8" / "circuit.zkey"
        )


def test_development_setup_from_r1cs_then_prove(zk):
    fx = FIXTURES / "multiplier"
    circuit = zk.register_circuit("mult-dev", wasm=fx / "circuit.wasm", r1cs=fx / "circuit.r1cs")
    assert "not a ceremony" in circuit["info"]["setup"]
    result = zk.prove("groth16", {"a": 3, "b": 11}, circuit="mult-dev", timeout=300)
    assert result["public_signals"] == ["33"]
    assert zk.verify("groth16", result)
    other = json.loads((fx / "verification_key.json").read_text())
    assert not zk.verify("groth16", result["proof"], result["public_signals"], other)  # a different setup


def test_a_circuit_may_carry_its_r1cs_which_reaches_the_prover(zk):
    """With the r1cs registered beside the key, workers get it too, so the prover checks the witness against
    the constraints and names the first failing one (that check is specified in tests/groth16)."""
    fx = FIXTURES / "multiplier"
    circuit = zk.register_circuit(
        "mult-r1cs", wasm=fx / "circuit.wasm", zkey=fx / "circuit.zkey", r1cs=fx / "circuit.r1cs"
    )
    assert circuit["r1cs_sha256"] and circuit["info"]["n_constraints"] == 1
    result = zk.submit("groth16", {"a": 5, "b": 7}, circuit="mult-r1cs").result(timeout=300)
    assert result["public_signals"] == ["35"] and zk.verify("groth16", result)
    assert circuit["r1cs_sha256"] in zk.service.dispatcher._scattered
