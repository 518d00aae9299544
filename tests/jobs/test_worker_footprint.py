"""A Dask worker proves in its isolated child processes, so the worker process itself never loads the numba
kernels, llvmlite or the wasm runtime: an idle worker is the child's memory plus a light dispatcher (issue #13)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from zapiki.client import Zapiki
from zapiki.service import ZapikiService

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "groth16"
HEAVY = ("numba", "llvmlite", "wasmtime", "zapiki.kernels", "zapiki.witness.calculator")


def _heavy_modules() -> list[str]:
    return [m for m in HEAVY if m in sys.modules]


def test_the_worker_preload_and_the_system_registry_import_no_kernels_and_no_wasm_runtime():
    code = (
        "import sys, distributed, zapiki.jobs.preload\n"
        "from zapiki import systems\n"
        "assert systems.get('groth16').capabilities.isolated\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout


@pytest.mark.timeout(600)
def test_a_worker_that_proved_a_groth16_job_has_not_loaded_the_kernels_itself(sqlite_url, settings):
    from distributed import Client, LocalCluster

    fx = FIXTURES / "multiplier"
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None, preload=["zapiki.jobs.preload"]
    ) as lc, Client(lc) as client:  # fmt: skip
        client.wait_for_workers(1)
        zk = Zapiki(ZapikiService.open(sqlite_url, client, settings), client)
        try:
            circuit = zk.register_circuit("mult", wasm=fx / "circuit.wasm", zkey=fx / "circuit.zkey")
            result = zk.submit("groth16", {"a": 3, "b": 11}, circuit=circuit).result(timeout=500)
            assert result["public_signals"] == json.loads((fx / "public.json").read_text())
            assert zk.verify("groth16", result)
            # the proof was made by the worker's child process; the worker process itself stayed light
            assert list(client.run(_heavy_modules).values()) == [[]]
        finally:
            zk.service.close()
