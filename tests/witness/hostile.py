"""Hostile circuit wasm modules for the tests: every export circom's calculator has, with bodies that loop,
allocate without end, or carry what a calculator never has (a start function, two memories)."""

from __future__ import annotations

import wasmtime

LOOP = "(loop $l (br $l))"
GROW_FOREVER = "(loop $l (drop (memory.grow (i32.const 256))) (br $l))"


def calculator(field_len_body: str = "", extra: str = "", memory: str = '(memory (export "memory") 1)') -> bytes:
    """A module with circom's exports; `field_len_body` runs in getFieldNumLen32 (the first call a probe makes
    after getVersion), `extra` is added to the module (a start function, a second memory)."""
    return bytes(
        wasmtime.wat2wasm(
            f"""
(module
  {memory}
  (func (export "getVersion") (result i32) i32.const 2)
  (func (export "getFieldNumLen32") (result i32) {field_len_body} i32.const 8)
  (func (export "getRawPrime"))
  (func (export "init") (param i32))
  (func (export "getInputSignalSize") (param i32 i32) (result i32) i32.const 1)
  (func (export "setInputSignal") (param i32 i32 i32))
  (func (export "getWitnessSize") (result i32) i32.const 4)
  (func (export "getWitness") (param i32))
  (func (export "readSharedRWMemory") (param i32) (result i32) i32.const 0)
  (func (export "writeSharedRWMemory") (param i32 i32))
  {extra}
)"""
        )
    )


def looping() -> bytes:
    return calculator(LOOP)


def allocating() -> bytes:
    return calculator(GROW_FOREVER)


def with_start_function() -> bytes:
    return calculator(extra=f"(func $start {LOOP}) (start $start)")


def with_two_memories() -> bytes:
    # hand-made: wat2wasm refuses a second memory without the multi-memory proposal; the bytes say it anyway
    good = calculator()
    return good.replace(b"\x05\x03\x01\x00\x01", b"\x05\x05\x02\x00\x01\x00\x01", 1)
