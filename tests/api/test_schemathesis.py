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
    cmd = [
        _schemathesis(),
        "run",
        f"{server.url}/api/v1/openapi.json",
        "--checks",
        "all",
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
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-8000:]
    assert "No issues found" in output, output[-4000:]
    assert "Tested: 12" in output  # every operation but the document itself was exercised
    assert service.proofs.list_proofs(None), "no request created a proof: the run tested nothing real"
