"""A stranger's circom wasm, looked at without trusting it: static checks on its bytes, then the probe
(compile, instantiate, read the calculator's constants) in a child process bounded in CPU time and address
space, with a wasmtime deadline and store limits. The serving process never runs uploaded code.

Refused before anything runs: more than `max_bytes`, a start function (code that would run on
instantiation), more than one memory, bytes that are not a WebAssembly module. A module that loops or
allocates without end while probed is stopped by the limits and refused with the reason.

>>> from pathlib import Path
>>> info = probe(Path("tests/fixtures/groth16/multiplier/circuit.wasm").read_bytes())
>>> info["witness_size"], info["input_size"], info["n32"]
(4, 2, 8)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from typing import Any

from zapiki.errors import FormatError
from zapiki.limits import WasmLimits

_SECTION_IMPORT, _SECTION_MEMORY, _SECTION_START = 2, 5, 8
_IMPORT_KIND_MEMORY = 2


def _leb128(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 35:
            raise FormatError("circuit wasm: truncated or malformed module")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _skip_name(data: bytes, pos: int) -> int:
    length, pos = _leb128(data, pos)
    return pos + length


def _imported_memories(payload: bytes) -> int:
    count, pos = _leb128(payload, 0)
    memories = 0
    for _ in range(count):
        pos = _skip_name(payload, _skip_name(payload, pos))
        if pos >= len(payload):
            raise FormatError("circuit wasm: truncated import section")
        kind = payload[pos]
        pos += 1
        if kind == 0:  # function: type index
            _, pos = _leb128(payload, pos)
        elif kind == 1:  # table: reftype, limits
            pos = _skip_limits(payload, pos + 1)
        elif kind == _IMPORT_KIND_MEMORY:
            memories += 1
            pos = _skip_limits(payload, pos)
        elif kind == 3:  # global: valtype, mutability
            pos += 2
        else:
            raise FormatError(f"circuit wasm: unsupported import kind {kind}")
    return memories


def _skip_limits(data: bytes, pos: int) -> int:
    if pos >= len(data):
        raise FormatError("circuit wasm: truncated limits")
    flags = data[pos]
    _, pos = _leb128(data, pos + 1)
    if flags & 1:
        _, pos = _leb128(data, pos)
    return pos


def check_module(wasm: bytes, limits: WasmLimits | None = None) -> None:
    """Static checks on the module's bytes (nothing runs): size, no start function, at most one memory."""
    limits = limits or WasmLimits()
    if len(wasm) > limits.max_bytes:
        raise FormatError(f"circuit wasm is {len(wasm)} bytes; the limit is {limits.max_bytes}")
    if wasm[:8] != b"\0asm\x01\0\0\0":
        raise FormatError("circuit wasm: not a WebAssembly module (bad magic or version)")
    pos, memories = 8, 0
    while pos < len(wasm):
        section = wasm[pos]
        size, start = _leb128(wasm, pos + 1)
        end = start + size
        if end > len(wasm):
            raise FormatError(f"circuit wasm: section {section} declares {size} bytes past the end of the file")
        if section == _SECTION_START:
            raise FormatError("circuit wasm: a start function is not allowed (circom's calculators have none)")
        if section == _SECTION_IMPORT:
            memories += _imported_memories(wasm[start:end])
        elif section == _SECTION_MEMORY:
            memories += _leb128(wasm, start)[0]
        pos = end
    if memories > 1:
        raise FormatError(f"circuit wasm: {memories} memories; a circom calculator has one")


def probe(wasm: bytes, limits: WasmLimits | None = None) -> dict[str, Any]:
    """Check `wasm` (`check_module`), then compile and probe it in a bounded child process. Returns
    {version, n32, prime, witness_size, input_size}; a FormatError names what is wrong."""
    limits = limits or WasmLimits()
    check_module(wasm, limits)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "zapiki.witness.sandbox", json.dumps(asdict(limits))],
            input=wasm,
            capture_output=True,
            timeout=limits.wall_s,
            env={**os.environ, "NUMBA_DISABLE_JIT": "1"},
        )
    except subprocess.TimeoutExpired:
        raise FormatError(f"circuit wasm: probing it took more than {limits.wall_s:g} s (does it loop?)") from None
    if done.returncode < 0:
        raise FormatError(
            f"circuit wasm: probing it exceeded its CPU ({limits.cpu_s} s) or memory limits (signal {-done.returncode})"
        )
    try:
        answer = json.loads(done.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise FormatError(f"circuit wasm: probing it failed: {tail[0][:300]}") from None
    if not answer.get("ok"):
        raise FormatError(answer.get("error") or "circuit wasm: probing it failed")
    return answer["info"]


def _child(limits: WasmLimits) -> dict[str, Any]:
    """In the child: limit this process, then compile and probe the module read from standard input."""
    import resource

    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits.address_space_bytes, limits.address_space_bytes))
    wasm = sys.stdin.buffer.read()
    import wasmtime

    from zapiki.witness.wasm_runtime import CircomInstance

    config = wasmtime.Config()
    config.epoch_interruption = True
    # small reservations, so that the address-space limit bounds what the module really uses
    config.memory_reservation = limits.memory_bytes
    config.memory_guard_size = 1 << 16
    engine = wasmtime.Engine(config)
    inst = CircomInstance(
        wasm,
        engine,
        deadline_s=max(1.0, limits.wall_s - 3),
        memory_bytes=limits.memory_bytes,
        table_elements=limits.table_elements,
    )
    return {
        "version": list(inst.version),
        "n32": inst.n32,
        "prime": str(inst.prime),
        "witness_size": inst.witness_size,
        "input_size": inst.input_size,
    }


def main() -> None:
    limits = WasmLimits(**json.loads(sys.argv[1]))
    try:
        out: dict[str, Any] = {"ok": True, "info": _child(limits)}
    except FormatError as exc:
        out = {"ok": False, "error": str(exc)}
    except MemoryError:
        out = {"ok": False, "error": "circuit wasm: probing it ran out of memory"}
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
