"""Compute a circuit's witness from its circom ``.wasm`` and an ``input.json``-style dict.

The result equals what ``snarkjs wtns calculate`` writes: a ``(n, 4)`` ``uint64`` limb array of plain values
(limb 0 least significant, ``w[0] == 1``), which :func:`zapiki.formats.wtns.write_wtns` serialises
byte-identically to snarkjs.

Input values may be Python ints, decimal strings (``"-1"`` allowed), ``0x`` hex strings, or integral floats
below 2^53, nested in lists for array signals (flattened row-major, as circom expects). Negative values
``-r < v < 0`` mean ``r + v``, as in circom and snarkjs; anything ``>= r`` is rejected instead of being
reduced.

>>> from pathlib import Path
>>> calc = WitnessCalculator(Path("tests/fixtures/groth16/multiplier/circuit.wasm"))
>>> from zapiki.formats.field import limbs_to_ints
>>> limbs_to_ints(calc.calculate({"a": 3, "b": 11}))
[1, 33, 3, 11]
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import wasmtime

from zapiki.errors import FormatError, WitnessError
from zapiki.formats.field import BN254_R
from zapiki.formats.wtns import write_wtns
from zapiki.witness.wasm_runtime import CircomInstance, compile_module, default_engine

__all__ = ["WitnessCalculator", "calculate_witness", "fnv1a64", "normalize_inputs"]

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK64 = (1 << 64) - 1


def fnv1a64(name: str) -> tuple[int, int]:
    """circom's signal-name hash: 64-bit FNV-1a over UTF-16 code units, split into ``(msb32, lsb32)``."""
    h = _FNV_OFFSET
    units = name.encode("utf-16-le")
    for i in range(0, len(units), 2):
        h = ((h ^ int.from_bytes(units[i : i + 2], "little")) * _FNV_PRIME) & _MASK64
    return h >> 32, h & 0xFFFFFFFF


def _to_field(value: Any, where: str, prime: int) -> int:
    """One input value as an integer in ``[0, prime)``; :class:`WitnessError` naming ``where`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        raise WitnessError(f"input {where}: {type(value).__name__} value {value!r} is not an integer")
    if isinstance(value, float):
        if not value.is_integer() or abs(value) >= 2**53:
            raise WitnessError(f"input {where}: {value!r} is not an integer (or not exactly representable)")
        v = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > 200:
            raise WitnessError(f"input {where}: string of {len(text)} characters is not a field element")
        try:
            if text.lower().startswith(("0x", "-0x")):
                v = int(text, 16)
            elif text.lstrip("-").isdigit() and text.isascii():
                v = int(text, 10)
            else:
                raise ValueError
        except ValueError:
            raise WitnessError(f"input {where}: {value[:80]!r} is not an integer") from None
    else:
        v = value
    if v >= prime or v <= -prime:
        shown = str(v) if v.bit_length() <= 256 else f"of {v.bit_length()} bits"
        raise WitnessError(f"input {where}: value {shown} is out of range (must be < the field modulus r)")
    return v % prime


_MAX_DEPTH = 32


def _flatten(value: Any, where: str, out: list[Any], depth: int = 0) -> None:
    if isinstance(value, list | tuple):
        if depth >= _MAX_DEPTH:
            raise WitnessError(f"input {where}: arrays nested deeper than {_MAX_DEPTH} levels")
        for i, item in enumerate(value):
            _flatten(item, f"{where}[{i}]", out, depth + 1)
    else:
        out.append((where, value))


def normalize_inputs(inputs: Mapping[str, Any], prime: int = BN254_R) -> dict[str, list[int]]:
    """Flatten and range-check an ``input.json`` dict: ``{"a": [[1, 2], [3, "4"]]}`` -> ``{"a": [1, 2, 3, 4]}``.

    Raises :class:`WitnessError` naming the signal and index of the first bad value.
    """
    if not isinstance(inputs, Mapping):
        raise WitnessError(f"inputs must be a JSON object (dict), not {type(inputs).__name__}")
    result: dict[str, list[int]] = {}
    for name, value in inputs.items():
        if not isinstance(name, str):
            raise WitnessError(f"input signal names must be strings, got {name!r}")
        items: list[Any] = []
        _flatten(value, repr(name), items)
        result[name] = [_to_field(v, where, prime) for where, v in items]
    return result


class WitnessCalculator:
    """A circom 2 witness calculator. The module is compiled once (cached per engine and wasm hash); each
    :meth:`calculate` runs in a fresh instance, so one calculator may serve several threads.

    ``wasm`` is the ``circuit.wasm`` bytes or a path to it.
    """

    def __init__(self, wasm: bytes | str | os.PathLike, engine: wasmtime.Engine | None = None) -> None:
        if not isinstance(wasm, bytes | bytearray | memoryview):
            try:
                with open(wasm, "rb") as fh:
                    wasm = fh.read()
            except OSError as exc:
                raise FormatError(f"cannot read circuit wasm {os.fspath(wasm)!r}: {exc.strerror or exc}") from exc
        self.wasm = bytes(wasm)
        self.engine = engine or default_engine()
        self.module, self.sha256 = compile_module(self.wasm, self.engine)
        probe = CircomInstance(self.wasm, self.engine)
        if probe.prime != BN254_R:
            raise FormatError(f"circuit wasm: compiled for prime {probe.prime}, not BN254's scalar field r")
        self.version: tuple[int, ...] = probe.version
        self.prime: int = probe.prime
        #: Number of wires (equals the r1cs nWires and the zkey nVars).
        self.witness_size: int = probe.witness_size
        #: Total number of input values the circuit expects (None if the wasm does not say).
        self.input_size: int | None = probe.input_size

    def calculate(
        self, inputs: Mapping[str, Any], *, sanity_check: bool = False, timeout_s: float | None = None
    ) -> np.ndarray:
        """The witness for ``inputs`` as a ``(witness_size, 4)`` ``uint64`` array of plain values.

        Raises :class:`WitnessError` for unknown or missing input signals, a wrong number of values for an
        array signal, values that are not integers or are ``>= r``, a failing circuit assert (with circom's
        messages), or a computation that exceeds ``timeout_s`` (:class:`~zapiki.witness.wasm_runtime.WitnessTimeout`;
        enforced on the default engine, whose epoch a background thread advances).
        """
        values = normalize_inputs(inputs, self.prime)
        inst = CircomInstance(self.wasm, self.engine)
        inst.set_deadline(timeout_s)
        inst.init(sanity_check)
        n_set = 0
        for name, flat in values.items():
            msb, lsb = fnv1a64(name)
            size = inst.input_signal_size(msb, lsb)
            if size <= 0:
                raise WitnessError(f"input signal {name!r} is not an input of this circuit")
            if len(flat) != size:
                many = "too many" if len(flat) > size else "not enough"
                raise WitnessError(f"input signal {name!r}: {many} values (expected {size}, got {len(flat)})")
            for i, v in enumerate(flat):
                inst.set_input(msb, lsb, i, v)
            n_set += size
        if inst.input_size is not None and n_set < inst.input_size:
            raise WitnessError(
                f"missing input signals: the circuit expects {inst.input_size} input values, {n_set} were given"
            )
        witness = inst.witness()
        if len(witness) and (witness[0, 0] != 1 or witness[0, 1:].any()):
            raise WitnessError("circuit wasm returned a witness whose first value is not 1")
        return witness

    def calculate_wtns(self, inputs: Mapping[str, Any], **kwargs: Any) -> bytes:
        """The witness for ``inputs`` as ``.wtns`` bytes, identical to ``snarkjs wtns calculate``'s file."""
        return write_wtns(self.calculate(inputs, **kwargs), self.prime)


def calculate_witness(
    wasm: bytes | str | os.PathLike, inputs: Mapping[str, Any], engine: wasmtime.Engine | None = None
) -> np.ndarray:
    """One-shot :meth:`WitnessCalculator.calculate` (the compiled module is still cached)."""
    return WitnessCalculator(wasm, engine).calculate(inputs)
