"""The circom 2 WebAssembly witness-calculator runtime, hosted in ``wasmtime``.

circom compiles a circuit's witness generator into a ``.wasm`` module that imports a few ``runtime``
functions (``exceptionHandler(code)``, ``printErrorMessage()``, ``writeBufferMessage()``,
``showSharedRWMemory()``) and exports a small API: ``getVersion``, ``getFieldNumLen32``, ``getRawPrime``,
``init(sanityCheck)``, ``getInputSize``, ``getInputSignalSize(hMSB, hLSB)``, ``setInputSignal(hMSB, hLSB, i)``,
``getWitnessSize``, ``getWitness(i)``, ``getMessageChar`` and a shared read/write buffer of
``getFieldNumLen32()`` 32-bit words (``readSharedRWMemory`` / ``writeSharedRWMemory``, based at
``getSharedRWMemoryStart``) through which field elements pass, least significant word first.

Compiled modules are cached per ``(engine, sha256 of the wasm)``; each :class:`CircomInstance` gets its own
store, so instances are cheap and never shared between threads. The default engine also keeps what it compiles
on disk (wasmtime's own code cache, in a private folder: ``$ZAPIKI_WASM_CACHE``, else
``~/.cache/zapiki/wasmtime``; ``ZAPIKI_WASM_CACHE=off`` turns it off), so a fresh process (a command, a new
prover) loads a circuit it has seen before in milliseconds instead of compiling it again. Uploaded circuits are
probed on another engine (:mod:`zapiki.witness.sandbox`), which keeps nothing. Imports a module declares that
this runtime does not know (newer circom versions add logging hooks) are stubbed with no-ops of the right type.

>>> from pathlib import Path
>>> inst = CircomInstance(Path("tests/fixtures/groth16/multiplier/circuit.wasm").read_bytes())
>>> (inst.version[0], inst.n32, inst.witness_size, inst.input_size)
(2, 8, 4, 2)
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import threading
import time
from pathlib import Path

import numpy as np
import wasmtime
from cachetools import LRUCache

from zapiki.errors import FormatError, WitnessError
from zapiki.privatefiles import make_private_dirs, private_dir_problems, user_cache_dir

__all__ = ["CIRCOM_ERRORS", "CircomInstance", "WitnessTimeout", "compile_module", "default_engine"]

log = logging.getLogger(__name__)

#: circom's exceptionHandler codes.
CIRCOM_ERRORS = {
    1: "Signal not found",
    2: "Too many signals set",
    3: "Signal already set",
    4: "Assert Failed",
    5: "Not enough memory",
    6: "Input signal array access exceeds the size",
}
_REQUIRED_EXPORTS = (
    "memory", "getVersion", "getFieldNumLen32", "getRawPrime", "init", "getInputSignalSize", "setInputSignal",
    "getWitnessSize", "getWitness", "readSharedRWMemory", "writeSharedRWMemory",
)  # fmt: skip
_MAX_MEMORY_BYTES = 8 << 30  # a runaway circuit fails with "Not enough memory" instead of exhausting the host
_TICK_S = 0.05
_CACHE_SIZE = 16


class WitnessTimeout(WitnessError):
    """The witness computation ran past its time limit (a :class:`WitnessError` subclass defined here)."""


class _CircomError(Exception):
    """Raised inside a host callback to unwind the wasm stack; translated to :class:`WitnessError`."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


_engine_lock = threading.Lock()
_default_engine: wasmtime.Engine | None = None
_tickers: dict[int, wasmtime.Engine] = {}
# LRU by (id(engine), wasm sha256)
_modules: LRUCache[tuple[int, str], tuple[wasmtime.Engine, wasmtime.Module]] = LRUCache(_CACHE_SIZE)


def default_engine() -> wasmtime.Engine:
    """The process-wide engine (epoch interruption on, so calculations can be given a time limit), keeping its
    compiled code in the disk cache when one can be used (:func:`code_cache_config`)."""
    global _default_engine
    with _engine_lock:
        if _default_engine is None:
            config = wasmtime.Config()
            config.epoch_interruption = True
            cache = code_cache_config()
            if cache is not None:
                try:
                    config.cache = str(cache)
                except wasmtime.WasmtimeError as exc:  # a cache that cannot be set up only costs compile time
                    log.warning("wasm code cache off: %s", exc)
            _default_engine = wasmtime.Engine(config)
        return _default_engine


def code_cache_config() -> Path | None:
    """wasmtime's cache configuration file for this user, naming the private folder compiled circuits are kept
    in (made 0700; refused, with a warning, when it is not this user's alone), or None when the cache is off
    (``ZAPIKI_WASM_CACHE=off``) or cannot be used."""
    setting = os.environ.get("ZAPIKI_WASM_CACHE", "")
    if setting.lower() in ("0", "off", "no", "false"):
        return None
    try:
        folder = Path(os.path.abspath(Path(setting).expanduser() if setting else user_cache_dir("wasmtime")))
        make_private_dirs(folder)
        folder = folder.resolve()
        problems = private_dir_problems(folder)
        if problems:
            log.warning("wasm code cache off: %s refused: %s", folder, "; ".join(problems))
            return None
        toml = folder / "config.toml"
        text = f"[cache]\ndirectory = {json.dumps(str(folder / 'modules'))}\n"
        if not toml.is_file() or toml.read_text() != text:
            part = folder / f".config.toml.{os.getpid()}"
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(text)
            os.replace(part, toml)
        return toml
    except (OSError, KeyError, RuntimeError) as exc:  # no home, read-only disk: compile every time instead
        log.warning("wasm code cache off: %s", exc)
        return None


def _ensure_ticker(engine: wasmtime.Engine) -> None:
    """Start (once per engine) a daemon thread that advances the engine's epoch every ``_TICK_S`` seconds (the
    engine must have epoch interruption on, as the default engine and the sandbox's have)."""
    with _engine_lock:
        if id(engine) in _tickers:
            return

        def tick() -> None:
            while True:
                time.sleep(_TICK_S)
                engine.increment_epoch()

        _tickers[id(engine)] = engine  # kept alive while its ticker runs
        threading.Thread(target=tick, name="zapiki-wasm-epoch", daemon=True).start()


def compile_module(wasm: bytes, engine: wasmtime.Engine | None = None) -> tuple[wasmtime.Module, str]:
    """Compile ``wasm`` once per ``(engine, sha256)`` (LRU cache of 16) and return ``(module, sha256 hex)``.

    Bytes that are not a valid WebAssembly module raise :class:`FormatError`.
    """
    engine = engine or default_engine()
    digest = hashlib.sha256(wasm).hexdigest()
    key = (id(engine), digest)
    with _engine_lock:
        hit = _modules.get(key)
        if hit is not None and hit[0] is engine:
            return hit[1], digest
    try:
        module = wasmtime.Module(engine, wasm)
    except wasmtime.WasmtimeError as exc:
        raise FormatError(f"circuit wasm: not a valid WebAssembly module: {_trap_reason(exc)}") from exc
    with _engine_lock:
        _modules[key] = (engine, module)  # holding the engine keeps id(engine) unique while cached
    return module, digest


def _trap_reason(exc: Exception) -> str:
    """The informative line of a wasmtime error ("wasm trap: unreachable ..."), not the backtrace header."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    for line in reversed(lines):
        if "wasm trap:" in line:
            return line[line.index("wasm trap:") :]
    return lines[-1] if lines else type(exc).__name__


def _s32(x: int) -> int:
    """An unsigned 32-bit value as the signed i32 wasmtime expects."""
    return x - (1 << 32) if x >= 1 << 31 else x


class CircomInstance:
    """One instantiation of a circom witness calculator, with its own store.

    Errors raised by the circuit (``exceptionHandler``) become :class:`WitnessError` carrying circom's
    message and the lines it printed through ``printErrorMessage`` (e.g. ``Error in template Num2Bits_1 line:
    38``). Lines the circuit logs with ``log()`` are collected in :attr:`logs`.
    """

    def __init__(
        self,
        wasm: bytes,
        engine: wasmtime.Engine | None = None,
        *,
        deadline_s: float | None = None,
        memory_bytes: int = _MAX_MEMORY_BYTES,
        table_elements: int = -1,
    ) -> None:
        """`deadline_s` bounds instantiating and probing (and every later call until `set_deadline` changes it);
        `memory_bytes` and `table_elements` bound what the module may allocate."""
        self.engine = engine or default_engine()
        self.module, self.sha256 = compile_module(wasm, self.engine)
        exports = {e.name for e in self.module.exports}
        missing = [name for name in _REQUIRED_EXPORTS if name not in exports]
        if missing:
            raise FormatError(f"circuit wasm: not a circom 2 witness calculator (missing exports {missing})")
        self.store = wasmtime.Store(self.engine)
        self.store.set_limits(
            memory_size=memory_bytes, table_elements=table_elements, instances=4, tables=4, memories=2
        )
        self.set_deadline(deadline_s)
        self.errors: list[str] = []
        self.logs: list[str] = []
        self._line: list[str] = []
        self._instance = self._instantiate()
        ex = self._instance.exports(self.store)
        self._fn = {e.name: ex[e.name] for e in self.module.exports if isinstance(ex[e.name], wasmtime.Func)}
        self._memory: wasmtime.Memory = ex["memory"]
        try:
            self._probe()
        except WitnessTimeout:
            raise FormatError(f"circuit wasm: probing it took more than {deadline_s:g} s (does it loop?)") from None
        except (WitnessError, TypeError) as exc:
            raise FormatError(f"circuit wasm: not a working circom 2 witness calculator: {exc}") from None

    def _probe(self) -> None:
        """Read the module's constants: runtime version, field size and prime, witness and input sizes."""
        self._shared_start = self._call("getSharedRWMemoryStart") if "getSharedRWMemoryStart" in self._fn else None
        self.version = tuple(
            self._call(name) if name in self._fn else 0 for name in ("getVersion", "getMinorVersion", "getPatchVersion")
        )
        if self.version[0] != 2:
            raise FormatError(f"circuit wasm: circom runtime version {self.version[0]} is not supported (need 2)")
        self.n32 = self._call("getFieldNumLen32")
        if not 1 <= self.n32 <= 64:
            raise FormatError(f"circuit wasm: implausible field size of {self.n32} 32-bit words")
        self._call("getRawPrime")
        self.prime = self._read_shared()
        self.witness_size = self._call("getWitnessSize")
        if self.witness_size < 1:
            raise FormatError(f"circuit wasm: witness size {self.witness_size}")
        self.input_size = self._call("getInputSize") if "getInputSize" in self._fn else None

    # --- host side of the runtime imports -------------------------------------------------------------

    def _instantiate(self) -> wasmtime.Instance:
        linker = wasmtime.Linker(self.engine)
        known = {
            ("runtime", "exceptionHandler"): self._exception_handler,
            ("runtime", "printErrorMessage"): self._print_error_message,
            ("runtime", "writeBufferMessage"): self._write_buffer_message,
            ("runtime", "showSharedRWMemory"): self._show_shared_rw_memory,
        }
        for imp in self.module.imports:
            ty = imp.type
            if isinstance(ty, wasmtime.MemoryType):
                linker.define(self.store, imp.module, imp.name, wasmtime.Memory(self.store, ty))
                continue
            if not isinstance(ty, wasmtime.FuncType):
                raise FormatError(f"circuit wasm: unsupported import {imp.module}.{imp.name}")
            fn = known.get((imp.module, imp.name)) or _stub(ty)
            linker.define_func(imp.module, imp.name, ty, fn, access_caller=True)
        try:
            return linker.instantiate(self.store, self.module)
        except (wasmtime.WasmtimeError, wasmtime.Trap) as exc:
            if isinstance(exc, wasmtime.Trap) and exc.trap_code == wasmtime.TrapCode.INTERRUPT:
                raise FormatError("circuit wasm: instantiating it took too long (does it loop?)") from None
            raise FormatError(f"circuit wasm: cannot instantiate: {_trap_reason(exc)}") from exc

    def _message(self, caller: wasmtime.Caller) -> str:
        get_char = caller.get("getMessageChar")
        if get_char is None:
            return ""
        chars = []
        while len(chars) < 1 << 16:
            c = get_char(caller)
            if c == 0:
                break
            chars.append(chr(c & 0xFF))
        return "".join(chars)

    def _exception_handler(self, caller: wasmtime.Caller, code: int) -> None:
        raise _CircomError(code)

    def _print_error_message(self, caller: wasmtime.Caller) -> None:
        self.errors.append(self._message(caller).rstrip("\n"))

    def _write_buffer_message(self, caller: wasmtime.Caller) -> None:
        msg = self._message(caller)
        if msg == "\n":
            self.logs.append(" ".join(self._line))
            log.debug("circuit log: %s", self.logs[-1])
            self._line = []
        else:
            self._line.append(msg)

    def _show_shared_rw_memory(self, caller: wasmtime.Caller) -> None:
        # circom's log() of a field element: print the value held in the shared buffer.
        self._line.append(str(self._read_shared(caller)))

    # --- calls ------------------------------------------------------------------------------------------

    def _call(self, name: str, *args: int) -> int:
        try:
            return self._fn[name](self.store, *args)
        except (_CircomError, wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            raise self._translate(exc, name) from None

    def _translate(self, exc: Exception, name: str) -> WitnessError:
        """The :class:`WitnessError` for an exception raised by a call into the module."""
        if isinstance(exc, _CircomError):
            return self._witness_error(exc.code)
        if isinstance(exc, wasmtime.Trap) and exc.trap_code == wasmtime.TrapCode.INTERRUPT:
            return WitnessTimeout("witness computation ran past its time limit")
        return WitnessError(f"circuit wasm failed in {name}: {_trap_reason(exc)}")

    def _witness_error(self, code: int) -> WitnessError:
        text = CIRCOM_ERRORS.get(code, f"Unknown error (code {code})")
        details = [line for line in self.errors if line]
        return WitnessError(f"circuit error: {text}." + "".join(f"\n{line}" for line in details))

    def _read_shared(self, caller: wasmtime.Caller | None = None) -> int:
        store = caller if caller is not None else self.store
        if self._shared_start is not None:
            return int.from_bytes(
                self._memory.read(store, self._shared_start, self._shared_start + 4 * self.n32), "little"
            )
        fn = caller.get("readSharedRWMemory") if caller is not None else self._fn["readSharedRWMemory"]
        return sum((fn(store, j) & 0xFFFFFFFF) << (32 * j) for j in range(self.n32))

    def _write_shared(self, value: int) -> None:
        for j in range(self.n32):
            self._call("writeSharedRWMemory", j, _s32((value >> (32 * j)) & 0xFFFFFFFF))

    # --- the witness-calculator API ---------------------------------------------------------------------

    def set_deadline(self, timeout_s: float | None) -> None:
        """Bound the wall time of the following calls (the engine needs epoch interruption, as the default
        engine has); ``None`` removes the bound."""
        if timeout_s is None:
            self.store.set_epoch_deadline(1 << 62)
            return
        _ensure_ticker(self.engine)
        self.store.set_epoch_deadline(max(1, math.ceil(timeout_s / _TICK_S)) + 1)

    def init(self, sanity_check: bool = False) -> None:
        """Reset the calculator (``init``); call before setting inputs."""
        self.errors.clear()
        self._call("init", int(sanity_check))

    def input_signal_size(self, msb: int, lsb: int) -> int:
        """Number of values of the input signal whose FNV-1a name hash is ``(msb, lsb)``; ``<= 0`` if unknown."""
        return self._call("getInputSignalSize", _s32(msb), _s32(lsb))

    def set_input(self, msb: int, lsb: int, index: int, value: int) -> None:
        """Set element ``index`` of an input signal; the last input set triggers the computation."""
        self._write_shared(value)
        self._call("setInputSignal", _s32(msb), _s32(lsb), index)

    def witness(self) -> np.ndarray:
        """The full witness as a ``(witness_size, 4)`` ``uint64`` limb array (plain values, limb 0 lowest)."""
        n, n32 = self.witness_size, self.n32
        if n32 != 8:
            raise FormatError(f"circuit wasm: field elements of {n32} words are not BN254 scalars")
        nbytes = 4 * n32
        dest = self._scratch(n * nbytes) if self._shared_start is not None else None
        try:
            if dest is not None:
                # All wires in one call: a helper module loops over getWitness inside wasm, copying each value
                # from the shared buffer into the scratch pages appended to the circuit's memory.
                self._dump(self._shared_start, dest, n, nbytes)
                raw = self._memory.read(self.store, dest, dest + n * nbytes)
            else:
                raw = b"".join(self._witness_value(i) for i in range(n))
        except (_CircomError, wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            raise self._translate(exc, "getWitness") from None
        return np.frombuffer(raw, dtype="<u8").reshape(n, 4).copy()

    def _scratch(self, size: int) -> int | None:
        """Grow the circuit's memory by ``size`` bytes and return where they start (None if it cannot grow)."""
        start = self._memory.data_len(self.store)
        try:
            self._memory.grow(self.store, -(-size // 65536))
        except wasmtime.WasmtimeError:
            return None
        return start

    def _dump(self, src: int, dest: int, n: int, nbytes: int) -> None:
        linker = wasmtime.Linker(self.engine)
        linker.define(self.store, "c", "memory", self._memory)
        linker.define(self.store, "c", "getWitness", self._fn["getWitness"])
        dump = linker.instantiate(self.store, _helper_module(self.engine)).exports(self.store)["dump"]
        dump(self.store, src, dest, n, nbytes)

    def _witness_value(self, i: int) -> bytes:
        """Wire ``i`` as little-endian bytes, one call at a time (fallback path)."""
        self._fn["getWitness"](self.store, i)
        if self._shared_start is not None:
            return bytes(self._memory.read(self.store, self._shared_start, self._shared_start + 4 * self.n32))
        read = self._fn["readSharedRWMemory"]
        return b"".join((read(self.store, j) & 0xFFFFFFFF).to_bytes(4, "little") for j in range(self.n32))


_HELPER_WAT = """
(module
  (import "c" "memory" (memory 0))
  (import "c" "getWitness" (func $get (param i32)))
  (func (export "dump") (param $src i32) (param $dst i32) (param $n i32) (param $len i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (call $get (local.get $i))
        (memory.copy (local.get $dst) (local.get $src) (local.get $len))
        (local.set $dst (i32.add (local.get $dst) (local.get $len)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))))
"""
_helpers: dict[int, tuple[wasmtime.Engine, wasmtime.Module]] = {}


def _helper_module(engine: wasmtime.Engine) -> wasmtime.Module:
    """The compiled witness-dump helper for ``engine`` (compiled once per engine)."""
    with _engine_lock:
        hit = _helpers.get(id(engine))
        if hit is None or hit[0] is not engine:
            hit = _helpers[id(engine)] = (engine, wasmtime.Module(engine, _HELPER_WAT))
        return hit[1]


def _stub(ty: wasmtime.FuncType):  # noqa: ANN202
    """A no-op host function of type ``ty`` returning zeros."""
    zeros = [0 if str(r) in ("i32", "i64") else 0.0 for r in ty.results]

    def fn(caller: wasmtime.Caller, *args: object) -> object:
        if not zeros:
            return None
        return zeros[0] if len(zeros) == 1 else zeros

    return fn
