"""An uploaded wasm is checked without running it, then probed in a bounded child process."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from zapiki.errors import FormatError
from zapiki.witness import sandbox

from . import hostile

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "groth16"
QUICK = sandbox.WasmLimits(cpu_s=3, wall_s=6)


def test_a_real_calculator_is_probed_in_a_child_and_reports_its_sizes():
    info = sandbox.probe((FIXTURES / "poseidon_chain_8" / "circuit.wasm").read_bytes())
    assert info["witness_size"] == 1923 and info["input_size"] == 2 and info["version"][0] == 2


@pytest.mark.parametrize(
    ("module", "named"),
    [
        (hostile.with_start_function, "start function"),
        (hostile.with_two_memories, "2 memories"),
        (lambda: b"\0asm\x01\0\0\0\x01\xff\xff\xff\x0f", "past the end"),  # a section that lies about its size
        (lambda: b"not wasm at all", "not a WebAssembly module"),
    ],
)
def test_what_a_calculator_never_has_is_refused_before_anything_runs(module, named):
    t0 = time.monotonic()
    with pytest.raises(FormatError, match=named):
        sandbox.probe(module(), QUICK)
    assert time.monotonic() - t0 < 1  # no child was started


def test_a_module_over_the_size_limit_is_refused():
    with pytest.raises(FormatError, match="limit"):
        sandbox.check_module(hostile.calculator(), sandbox.WasmLimits(max_bytes=100))


@pytest.mark.parametrize("module", [hostile.looping, hostile.allocating], ids=["loops", "allocates"])
def test_a_module_that_loops_or_allocates_without_end_is_stopped_by_the_limits(module):
    t0 = time.monotonic()
    with pytest.raises(FormatError, match="circuit wasm"):
        sandbox.probe(module(), QUICK)
    assert time.monotonic() - t0 < QUICK.wall_s + 2
