"""Caches are bounded by the configuration: witness calculators and parsed keys per prover process, circuit
files scattered on the cluster; the least recently used go first and everything still works."""

from __future__ import annotations

from pathlib import Path

from zapiki.client import Zapiki
from zapiki.service import ZapikiService
from zapiki.systems import groth16
from zapiki.systems.groth16 import system

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "groth16"


def test_witness_calculators_and_keys_are_kept_up_to_the_configured_number():
    try:
        groth16.load_proving_key((FIXTURES / "multiplier" / "circuit.zkey").read_bytes())
        groth16.load_proving_key((FIXTURES / "poseidon_chain_8" / "circuit.zkey").read_bytes())
        groth16.configure_caches(calculators=1, proving_keys=1)  # smaller than what is cached: trimmed at once
        assert len(groth16.keys._CACHE) == 1
        for name in ("multiplier", "poseidon_chain_8", "multiplier"):
            groth16.witness_calculator((FIXTURES / name / "circuit.wasm").read_bytes())
            groth16.load_proving_key((FIXTURES / name / "circuit.zkey").read_bytes())
            r1cs = system.r1cs_of(FIXTURES / name / "circuit.r1cs")
            assert system.r1cs_of(FIXTURES / name / "circuit.r1cs") is r1cs  # kept, not parsed again
            assert len(system._CALCS) == 1
            assert len(groth16.keys._CACHE) == 1
            assert len(system._R1CS) == 1
    finally:
        groth16.configure_caches(calculators=8, proving_keys=4)


def test_scattered_circuit_files_are_released_beyond_the_configured_number(sqlite_url, cluster, settings):
    from dataclasses import replace

    zk = Zapiki(ZapikiService.open(sqlite_url, cluster, replace(settings, cache_scattered_blobs=2)), cluster)
    try:
        jobs = []
        for name, inputs in (("multiplier", {"a": 3, "b": 11}), ("poseidon_chain_8", {"x": 1, "k": 2})):
            fx = FIXTURES / name
            circuit = zk.register_circuit(name, wasm=fx / "circuit.wasm", zkey=fx / "circuit.zkey")
            jobs.append(zk.submit("groth16", inputs, circuit=circuit))
            jobs[-1].result(timeout=300)
        # four files were scattered (a wasm and a key per circuit); only the two used last are still held
        assert len(zk.service.dispatcher._scattered) == 2
        again = zk.submit("groth16", {"a": 5, "b": 7}, circuit="multiplier").result(timeout=300)
        assert again["public_signals"] == ["35"]
    finally:
        zk.service.close()


def test_a_scattered_file_evicted_from_the_dispatchers_cache_is_released():
    from zapiki.jobs.dispatcher import _ScatteredBlobs

    class Scattered:
        def __init__(self) -> None:
            self.released = False

        def release(self) -> None:
            self.released = True

    cache = _ScatteredBlobs(maxsize=2)
    a, b, c = Scattered(), Scattered(), Scattered()
    cache["a"], cache["b"] = a, b
    assert cache.get("a") is a  # used again: b is now the least recently used
    cache["c"] = c
    assert set(cache) == {"a", "c"} and b.released and not a.released and not c.released
