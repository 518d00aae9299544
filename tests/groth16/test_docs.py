"""The examples in the docstrings of zapiki.systems.groth16 run and give what they say."""

import doctest
import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["zapiki.systems.groth16", "zapiki.systems.groth16.system"])
def test_docstring_examples(name, monkeypatch):
    monkeypatch.chdir(REPO)
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
