"""A hand-written stand-in for a circom 2 witness-calculator module, to exercise the error paths.

It has one input signal ``in`` and two wires ``[1, in]``; the value chosen for ``in`` picks a behaviour:
``0`` fails an assert (printing circom-style error lines first), ``3`` loops forever, ``4`` logs a line,
``5`` traps (unreachable), anything else succeeds.
"""

import wasmtime

from zapiki.formats.field import BN254_R
from zapiki.witness.calculator import fnv1a64


def _s32(x):
    return x - (1 << 32) if x >= 1 << 31 else x


def fake_circuit_wasm(prime=BN254_R, version=2, prime_traps=False):
    msb, lsb = (_s32(x) for x in fnv1a64("in"))
    store_prime = "\n".join(
        f"(i32.store (i32.const {4 * j}) (i32.const {_s32((prime >> (32 * j)) & 0xFFFFFFFF)}))" for j in range(8)
    )
    if prime_traps:
        store_prime = "unreachable"
    wat = f"""
(module
  (import "runtime" "exceptionHandler" (func $exc (param i32)))
  (import "runtime" "printErrorMessage" (func $perr))
  (import "runtime" "writeBufferMessage" (func $wbuf))
  (import "runtime" "showSharedRWMemory" (func $show))
  (import "runtime" "someFutureHook" (func $future (param i32) (result i32)))
  (memory (export "memory") 1)
  ;; shared buffer at 0..32, input value at 64..96, message text at 256
  (data (i32.const 256) "Error in template Fake_0 line: 7\\00\\n\\00hello\\00")
  (global $msg (mut i32) (i32.const 256))
  (global $set (mut i32) (i32.const 0))
  (func (export "getVersion") (result i32) (i32.const {version}))
  (func (export "getMinorVersion") (result i32) (i32.const 1))
  (func (export "getPatchVersion") (result i32) (i32.const 0))
  (func (export "getSharedRWMemoryStart") (result i32) (i32.const 0))
  (func (export "getFieldNumLen32") (result i32) (i32.const 8))
  (func (export "getRawPrime") {store_prime})
  (func (export "readSharedRWMemory") (param i32) (result i32) (i32.load (i32.mul (local.get 0) (i32.const 4))))
  (func (export "writeSharedRWMemory") (param i32 i32) (i32.store (i32.mul (local.get 0) (i32.const 4)) (local.get 1)))
  (func (export "init") (param i32) (global.set $set (i32.const 0)))
  (func (export "getInputSize") (result i32) (i32.const 1))
  (func (export "getWitnessSize") (result i32) (i32.const 2))
  (func (export "getMessageChar") (result i32)
    (local $c i32)
    (local.set $c (i32.load8_u (global.get $msg)))
    (if (local.get $c) (then (global.set $msg (i32.add (global.get $msg) (i32.const 1))))
                       (else (global.set $msg (i32.add (global.get $msg) (i32.const 1)))))
    (local.get $c))
  (func $known (param i32 i32) (result i32)
    (i32.and (i32.eq (local.get 0) (i32.const {msb})) (i32.eq (local.get 1) (i32.const {lsb}))))
  (func (export "getInputSignalSize") (param i32 i32) (result i32) (call $known (local.get 0) (local.get 1)))
  (func (export "setInputSignal") (param i32 i32 i32)
    (if (i32.eqz (call $known (local.get 0) (local.get 1))) (then (call $exc (i32.const 1))))
    (if (global.get $set) (then (call $exc (i32.const 2))))
    (global.set $set (i32.const 1))
    (memory.copy (i32.const 64) (i32.const 0) (i32.const 32))
    (if (i32.eqz (i32.load (i32.const 0))) (then
      (global.set $msg (i32.const 256)) (call $perr) (call $exc (i32.const 4))))
    (if (i32.eq (i32.load (i32.const 0)) (i32.const 3)) (then (loop $forever (br $forever))))
    (if (i32.eq (i32.load (i32.const 0)) (i32.const 4)) (then
      (global.set $msg (i32.const 291)) (call $wbuf) (call $show) (global.set $msg (i32.const 289)) (call $wbuf)))
    (if (i32.eq (i32.load (i32.const 0)) (i32.const 5)) (then unreachable))
    (drop (call $future (i32.const 0))))
  (func (export "getWitness") (param i32)
    (if (i32.eqz (local.get 0))
      (then (memory.fill (i32.const 0) (i32.const 0) (i32.const 32)) (i32.store (i32.const 0) (i32.const 1)))
      (else (memory.copy (i32.const 0) (i32.const 64) (i32.const 32))))))
"""
    return wasmtime.wat2wasm(wat)
