"""The examples in the docstrings of zapiki.formats and zapiki.witness run and give what they say."""

import doctest
import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULES = [
    "zapiki.formats",
    "zapiki.formats.binfile",
    "zapiki.formats.field",
    "zapiki.formats.r1cs",
    "zapiki.formats.snarkjs_json",
    "zapiki.formats.wtns",
    "zapiki.formats.zkey",
    "zapiki.witness",
    "zapiki.witness.calculator",
    "zapiki.witness.wasm_runtime",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, monkeypatch):
    monkeypatch.chdir(REPO)  # examples use fixture paths relative to the repository root
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
