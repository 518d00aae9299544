"""Witness generation from circom 2 ``.wasm`` witness calculators, hosted in ``wasmtime``.

:mod:`~zapiki.witness.wasm_runtime` hosts the module (runtime imports, compiled-module cache, time limit);
:mod:`~zapiki.witness.calculator` turns an ``input.json`` dict into the witness, equal to
``snarkjs wtns calculate``'s. Bad inputs and failing circuit asserts raise
:class:`~zapiki.errors.WitnessError` (an :class:`~zapiki.errors.InputError`); a malformed wasm raises
:class:`~zapiki.errors.FormatError`.

Example (run from the repository root):

>>> from pathlib import Path
>>> from zapiki.witness import WitnessCalculator
>>> fx = Path("tests/fixtures/groth16/multiplier")
>>> calc = WitnessCalculator(fx / "circuit.wasm")
>>> calc.calculate({"a": 3, "b": 11})[:, 0].tolist()  # (n, 4) uint64 limbs; these values fit in limb 0
[1, 33, 3, 11]
>>> calc.calculate_wtns({"a": 3, "b": 11}) == (fx / "witness.wtns").read_bytes()
True
>>> calc.calculate({"a": 3})
Traceback (most recent call last):
...
zapiki.errors.WitnessError: missing input signals: the circuit expects 2 input values, 1 were given
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zapiki.lazy import lazy_exports

if TYPE_CHECKING:
    from zapiki.witness.calculator import WitnessCalculator, calculate_witness, fnv1a64, normalize_inputs
    from zapiki.witness.wasm_runtime import CircomInstance, WitnessTimeout, compile_module, default_engine

#: Imported on first use (PEP 562): `zapiki.witness.sandbox`, which the configuration reads its limits from,
#: must not load wasmtime into every process that reads the configuration.
_LAZY = {
    "WitnessCalculator": "calculator", "calculate_witness": "calculator", "fnv1a64": "calculator",
    "normalize_inputs": "calculator",
    "CircomInstance": "wasm_runtime", "WitnessTimeout": "wasm_runtime", "compile_module": "wasm_runtime",
    "default_engine": "wasm_runtime",
}  # fmt: skip


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "CircomInstance",
    "WitnessCalculator",
    "WitnessTimeout",
    "calculate_witness",
    "compile_module",
    "default_engine",
    "fnv1a64",
    "normalize_inputs",
]
