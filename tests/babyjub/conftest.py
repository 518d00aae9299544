"""Fixtures for the Baby Jubjub tests: circomlibjs 0.1.7 (``.ci/node``, as `make`/CI install it), asked through
circomlibjs_vectors.mjs once per test module for every answer the module needs.

Missing node or circomlibjs: the tests that need it are skipped locally and fail in CI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / ".ci" / "node" / "node_modules"
SCRIPT = Path(__file__).resolve().parent / "circomlibjs_vectors.mjs"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

Ask = Callable[[dict[str, Any]], dict[str, Any]]


def _ask(request: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        ["node", str(SCRIPT), str(NODE_MODULES)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="session")
def circomlibjs() -> Ask:
    """`ask(request) -> answers`: one node process computing everything in `request` (see the script's header).
    Missing node or circomlibjs: skipped locally, a failure in CI."""
    if shutil.which("node") is None or not (NODE_MODULES / "circomlibjs" / "main.js").exists():
        message = "node and circomlibjs needed: run `npm install --prefix .ci/node` (see .ci/node/package.json)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return _ask
