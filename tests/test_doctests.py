"""The package's docstring examples run as tests (pytest's ``--doctest-modules`` over ``zapiki``, set in
pyproject.toml, so ``make test`` runs them), and the documented modules keep theirs: deleting a module's
examples fails here instead of silently running nothing."""

from __future__ import annotations

import doctest
import importlib
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The public API and the modules whose examples document it.
DOCUMENTED = [
    "zapiki",
    "zapiki.access",
    "zapiki.api",
    "zapiki.api.openapi",
    "zapiki.babyjub",
    "zapiki.babyjub.blake512",
    "zapiki.babyjub.credential",
    "zapiki.babyjub.curve",
    "zapiki.babyjub.eddsa",
    "zapiki.babyjub.poseidon",
    "zapiki.bn254py",
    "zapiki.bn254py.curve",
    "zapiki.bn254py.fields",
    "zapiki.bn254py.groth16",
    "zapiki.bn254py.pairing",
    "zapiki.chaos.soak",
    "zapiki.cli_issuer",
    "zapiki.client",
    "zapiki.client.core",
    "zapiki.client.jobs",
    "zapiki.client.templates",
    "zapiki.cluster_security",
    "zapiki.config",
    "zapiki.dashboard.actions",
    "zapiki.dashboard.source",
    "zapiki.errors",
    "zapiki.formats",
    "zapiki.formats.binfile",
    "zapiki.formats.field",
    "zapiki.formats.ptau",
    "zapiki.formats.r1cs",
    "zapiki.formats.snarkjs_json",
    "zapiki.formats.solidity",
    "zapiki.formats.wtns",
    "zapiki.formats.zkey",
    "zapiki.jobs.drain",
    "zapiki.jobs.picker",
    "zapiki.jobs.supervise",
    "zapiki.jobs.worker",
    "zapiki.kernels",
    "zapiki.kernels.field",
    "zapiki.kernels.g1",
    "zapiki.kernels.msm",
    "zapiki.native",
    "zapiki.native.msm",
    "zapiki.native.ntt",
    "zapiki.lazy",
    "zapiki.limits",
    "zapiki.privatefiles",
    "zapiki.schema",
    "zapiki.service",
    "zapiki.store.db",
    "zapiki.systems",
    "zapiki.systems.commitment",
    "zapiki.systems.groth16",
    "zapiki.systems.groth16.limits",
    "zapiki.systems.groth16.ptau_setup",
    "zapiki.systems.groth16.registration",
    "zapiki.systems.groth16.system",
    "zapiki.systems.groth16.warmup",
    "zapiki.systems.plonk.warmup",
    "zapiki.templates",
    "zapiki.templates.catalogue",
    "zapiki.templates.merkle",
    "zapiki.templates.values",
    "zapiki.witness",
    "zapiki.witness.calculator",
    "zapiki.witness.sandbox",
    "zapiki.witness.wasm_runtime",
]


@pytest.mark.parametrize("name", DOCUMENTED)
def test_the_documented_module_has_examples(name):
    tests = doctest.DocTestFinder().find(importlib.import_module(name))
    assert sum(len(t.examples) for t in tests) > 0, f"{name}: no docstring example left (a `>>> #` line is none)"


def test_pytest_runs_the_package_examples():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "--doctest-modules" in config["addopts"].split()
    assert "zapiki" in config["testpaths"]
