"""The served OpenAPI document matches the server: schemathesis (its CLI, as CI and a user would run it)
generates requests from /api/v1/openapi.json — valid and invalid ones, every coverage case, fuzzing and
stateful sequences through the documented links — and runs all of its checks. A fixed seed and a bounded
number of examples per operation keep the run reproducible and short; an enterprise key keeps the rate limit
out of the way (rate limiting has its own tests). No cluster is attached, so jobs it creates stay pending."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from zapiki.api import route_table
from zapiki.api.openapi import operations as operations_of

SEED = 20261129
MAX_EXAMPLES = 10


def _schemathesis() -> str:
    beside = Path(sys.executable).with_name("schemathesis")
    found = str(beside) if beside.exists() else shutil.which("schemathesis")
    if not found:
        pytest.fail("schemathesis is not installed (it is in the test extras)")
    return found


def test_the_served_openapi_document_holds_for_generated_requests(db_url, make_service, serve, tmp_path):
    service = make_service(db_url, client=None)
    _, key = service.keys.create_key("schemathesis@example.com", tier="enterprise")
    server = serve(service)
    base = [
        _schemathesis(),
        "run",
        f"{server.url}/api/v1/openapi.json",
        "--seed",
        str(SEED),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "1",  # CPython 3.11's parser is not thread-safe under hypothesis's lambda introspection
        "--request-timeout",
        "20",
        "--header",
        f"X-API-Key: {key}",
    ]
    # Every operation with every check, except the circuit upload ...
    output = _run([*base, "--checks", "all", "--exclude-operation-id", "createCircuit"], tmp_path)
    operations = sum(len(operations_of(handler)) for _, handler in route_table())
    # every operation but the document itself and the upload was exercised
    assert f"Tested: {operations - 2}" in output
    assert service.proofs.list_proofs(None), "no request created a proof: the run tested nothing real"
    # ... which gets every check but "schema-valid data is accepted": any bytes fit the schema's `binary`
    # files, but only a real circom wasm and proving key are a circuit (those are tested in test_circuits_e2e).
    output = _run(
        [
            *base,
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
            "--phases",
            "examples,coverage,fuzzing",
            "--include-operation-id",
            "createCircuit",
        ],
        tmp_path,
    )
    assert "Tested: 1" in output


def _run(cmd, cwd):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=cwd)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-8000:]
    summary = [line for line in output.splitlines() if line.startswith("=====")][-1]
    # "No issues found", or only warnings (e.g. that GET /circuits/{id} mostly met unknown ids): no failures
    assert "No issues found" in summary or ("failure" not in summary and "error" not in summary), output[-4000:]
    return output
