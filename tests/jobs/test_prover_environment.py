"""What a prover process inherits from its Dask worker: everything but MALLOC_TRIM_THRESHOLD_, which a nanny sets
for its worker and which, set at all, also pins glibc's mmap threshold, so every large array of a proof was
mapped afresh and faulted in page by page (~0.45 CPU-s more per 2^16 proof, issue #25)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/environ")


def _environments() -> tuple[str | None, dict[str, str]]:
    """(this process's MALLOC_TRIM_THRESHOLD_, the environment of a prover process it starts)."""
    from zapiki.jobs.isolation import ChildProcess

    child = ChildProcess()
    try:
        pid = child._running().pid
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    finally:
        child.kill()
    pairs = (item.decode(errors="replace").partition("=") for item in raw.split(b"\0") if item)
    return os.environ.get("MALLOC_TRIM_THRESHOLD_"), {name: value for name, _, value in pairs}


def test_a_prover_started_by_a_dask_worker_runs_without_the_nannys_malloc_trim_threshold(cluster):
    """On a real worker (its nanny sets MALLOC_TRIM_THRESHOLD_, `distributed.nanny.pre-spawn-environ`)."""
    ((worker, prover),) = cluster.run(_environments).values()
    assert worker == "65536"  # what the nanny gave the worker
    assert "MALLOC_TRIM_THRESHOLD_" not in prover
    assert prover.get("OMP_NUM_THREADS") == "1"  # the rest of the worker's environment is inherited


def test_a_prover_inherits_the_rest_of_its_parents_environment(monkeypatch):
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    monkeypatch.setenv("ZAPIKI_TEST_INHERITED", "yes")
    _, prover = _environments()
    assert "MALLOC_TRIM_THRESHOLD_" not in prover and prover["ZAPIKI_TEST_INHERITED"] == "yes"
