"""The PLONK tests' circuits and tools, in one place: where circom2 and the snarkjs package are, the small circom
circuits the tests prove, and :class:`Workshop`, which builds each circuit once a session (the ``plonk_circuits``
fixture of this folder's conftest.py): circom2 compiles it, snarkjs sets it up (``plonk setup``, ``zkey export
verificationkey``) from a shared powers of tau and computes its witness. Circuits are built in parallel, each in
its own folder, and a circuit already built for another test file is not built again.

Two powers of tau, made once each:

* ``SNARKJS_PTAU``: one that snarkjs makes (``powersoftau new``, ``contribute``, ``prepare phase2``) of
  2^SNARKJS_POWER, enough for the 2^5 domain of ``sums``;
* ``DEV_PTAU``: zapiki's development one (``dev_ptau(DEV_POWER)``, which snarkjs accepts), exactly as large as
  ``wide`` needs (``required_plonk_power`` 4).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pytest

from zapiki.formats.moduli import BN254_R

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
NODE_BIN = REPO / ".ci" / "node" / "node_modules" / ".bin"

SNARKJS_PTAU = "snarkjs"
SNARKJS_POWER = 6
DEV_PTAU = "dev"
DEV_POWER = 4

Snarkjs = Callable[..., subprocess.CompletedProcess]


def missing(message: str) -> NoReturn:
    """What a test needs is not installed: a failure in CI, skipped elsewhere."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def tool(name: str) -> str:
    """The command ``name`` from ``npm install --prefix .ci/node`` (when node is installed), else from PATH."""
    local = NODE_BIN / name
    exe = str(local) if local.exists() and shutil.which("node") else shutil.which(name)
    if exe is None:
        missing(f"{name} not found: run `npm install --prefix .ci/node snarkjs@0.7.6 circom2` (see Makefile)")
    return exe


def ok(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    """``done``, asserting it exited 0 (its output the message otherwise)."""
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def snarkjs_package() -> Path | None:
    """The snarkjs package folder behind the CLI the ``snarkjs`` fixture runs, if it can be found."""
    exe = os.environ.get("ZAPIKI_SNARKJS") or str(NODE_BIN / "snarkjs")
    found = shutil.which(exe) or exe
    for folder in Path(found).resolve().parents:
        package = folder / "package.json"
        if package.exists():
            return folder if json.loads(package.read_text()).get("name") == "snarkjs" else None
    return None


def snarkjs_plonk_verify(snarkjs: Snarkjs, folder: Path, public: Any, proof: Any, tag: str, vk: Any = None) -> bool:  # noqa: ANN401
    """Whether ``snarkjs plonk verify`` accepts ``public`` and ``proof``, written to ``folder`` as
    ``public_{tag}.json`` and ``proof_{tag}.json`` beside its ``vk.json`` (``vk``, when given, is written as
    ``vk_{tag}.json`` and used instead). A refusal must be snarkjs's verdict, not some other failure."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {f"public_{tag}.json": public, f"proof_{tag}.json": proof}
    if vk is not None:
        files[f"vk_{tag}.json"] = vk
    for name, obj in files.items():
        (folder / name).write_text(json.dumps(obj))
    vk_file = "vk.json" if vk is None else f"vk_{tag}.json"
    done = snarkjs("plonk", "verify", vk_file, f"public_{tag}.json", f"proof_{tag}.json", cwd=folder)
    out = done.stdout + done.stderr
    accepted = done.returncode == 0 and "OK" in out
    assert accepted or "invalid" in out.lower() or "not valid" in out, out
    return accepted


@dataclass(frozen=True)
class Source:
    """A circuit: circom code (``pragma circom 2.0.0`` is put before it) and its ``input.json`` (None: no
    witness, the circuit is only set up), or a ready ``.r1cs`` (``r1cs``, bytes) instead of code. ``o0``:
    compiled with ``--O0``, so linear constraints stay and ``plonk setup`` turns them into additions."""

    code: str = ""
    inputs: dict | None = None
    o0: bool = False
    r1cs: bytes | None = None


CIRCUITS: dict[str, Source] = {
    # the multiplier, one public signal
    "multiplier": Source(
        """
template Multiplier() {
    signal input a;
    signal input b;
    signal output c;
    c <== a * b;
}
component main = Multiplier();
""",
        {"a": "3", "b": "11"},
    ),
    # a few gates, four public signals
    "poly": Source(
        """
template Poly() {
    signal input x;
    signal input y;
    signal input z;
    signal output p;
    signal output q;
    signal t;
    t <== x * y;
    p <== t * z + x;
    q <== p * y;
}
component main {public [x, y]} = Poly();
""",
        {"x": "3", "y": "5", "z": "7"},
    ),
    # linear combinations, which plonk setup turns into additions: a domain of 2^5
    "sums": Source(
        """
template Sums(n) {
    signal input in[n];
    signal input k;
    signal output out;
    signal acc[n + 1];
    acc[0] <== k;
    for (var i = 0; i < n; i++) {
        acc[i + 1] <== (acc[i] + 3 * in[i] + 7) * (in[i] - 2 * k + acc[i]);
    }
    out <== acc[n] + 5 * k + in[0];
}
component main {public [k]} = Sums(6);
""",
        {"in": ["1", "2", "3", "4", "5", "6"], "k": "9"},
    ),
    # --O0 from here: a multiplier with one public output
    "mul": Source(
        "template Mul() { signal input a; signal input b; signal output c; c <== a * b; }\ncomponent main = Mul();\n",
        {"a": "3", "b": "11"},
        o0=True,
    ),
    # a multiplier with a public input too (two public signals); no witness
    "mul_public_input": Source(
        """
template Mul() { signal input a; signal input b; signal output c; c <== a * b; }
component main {public [a]} = Mul();
""",
        o0=True,
    ),
    # wide linear combinations on both sides of a product and in a sum: additions and constants
    "wide": Source(
        """
template Wide() {
  signal input a; signal input b; signal input c; signal input d; signal input e;
  signal output x; signal output y; signal t;
  x <== (a + 2*b + 3*c + 7) * (d + e + 5);
  t <== a*a;
  y <== a + b + c + d + 4*e + t + 9;
}
component main {public [b]} = Wide();
""",
        {"a": "2", "b": "3", "c": "5", "d": "7", "e": "11"},
        o0=True,
    ),
    # five public signals, chained products; s = -1, a public signal near r
    "pubs": Source(
        """
template Pubs() {
  signal input p; signal input q; signal input r; signal input s; signal input k;
  signal output u; signal t1; signal t2;
  t1 <== p * q;
  t2 <== t1 * r + s;
  u <== t2 * k;
}
component main {public [p, q, r, s]} = Pubs();
""",
        {"p": "3", "q": "5", "r": "7", "s": str(BN254_R - 1), "k": "13"},
        o0=True,
    ),
    # no public signal at all
    "nopub": Source(
        "template NoPub() { signal input a; signal input b; signal t; t <== a * b + 1; }\ncomponent main = NoPub();\n",
        {"a": "4", "b": "9"},
        o0=True,
    ),
    # no constant anywhere: Qc is zero, its commitment the point at infinity; no witness
    "noconst": Source(
        """
template NoConst() {
  signal input a; signal input b; signal input c; signal output d; signal t;
  t <== a * b; d <== t * c;
}
component main = NoConst();
""",
        o0=True,
    ),
    # the same with inputs, to prove: a proof whose key's Qc commitment is the point at infinity
    "noconst_inputs": Source(
        """
template NoConst() {
  signal input a; signal input b; signal input c; signal output d; signal t;
  t <== a * b; d <== t * c;
}
component main = NoConst();
""",
        {"a": "3", "b": "5", "c": "7"},
        o0=True,
    ),
}


@dataclass
class Built:
    """One circuit built in ``dir``: ``circuit.circom``, ``circuit.r1cs``, ``circuit_js/circuit.wasm``,
    ``input.json`` and ``w.wtns`` (when it has inputs), ``circuit.zkey`` (snarkjs's ``plonk setup`` from the
    powers of tau ``ptau``, of the kind ``ptau_kind``) and ``vk.json`` (``vk``); ``timing``, what was done and
    how long it took (seconds)."""

    name: str
    dir: Path
    ptau_kind: str
    ptau: Path
    vk: dict
    timing: tuple[str, float]

    @cached_property
    def witness(self) -> np.ndarray:
        """``w.wtns``'s values (n x 4 little-endian 64-bit limbs)."""
        from zapiki.formats.wtns import read_wtns

        return read_wtns(self.dir / "w.wtns").values

    @property
    def zkey_bytes(self) -> bytes:
        return (self.dir / "circuit.zkey").read_bytes()


@dataclass
class _Once:
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: bool = False
    value: Any = None


class Workshop:
    """Builds circuits once: :meth:`build` returns what is built already and builds the rest in parallel."""

    def __init__(self, root: Path, snarkjs: Snarkjs) -> None:
        self.root, self.snarkjs = root, snarkjs
        self._ptau_timings: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._once: dict[tuple, _Once] = {}

    def _cached(self, key: tuple, make: Callable[[], Any]) -> Any:  # noqa: ANN401
        """``make()``'s value, made by the first caller; the others wait for it (made in their own thread, so
        no one waits on work still queued)."""
        with self._lock:
            entry = self._once.setdefault(key, _Once())
        with entry.lock:
            if not entry.done:
                entry.value, entry.done = make(), True
        return entry.value

    def ptau(self, kind: str) -> Path:
        """The powers of tau ``kind`` (``SNARKJS_PTAU`` or ``DEV_PTAU``), made on first use."""
        return self._cached(("ptau", kind), lambda: self._make_ptau(kind))

    def _make_ptau(self, kind: str) -> Path:
        start = time.perf_counter()
        folder = self.root / f"ptau-{kind}"
        folder.mkdir()
        if kind == SNARKJS_PTAU:
            run = self.snarkjs
            ok(run("powersoftau", "new", "bn128", SNARKJS_POWER, "pot_0.ptau", cwd=folder))
            ok(run("powersoftau", "contribute", "pot_0.ptau", "pot_1.ptau", "-e=zapiki test entropy", cwd=folder))
            ok(run("powersoftau", "prepare", "phase2", "pot_1.ptau", "pot.ptau", cwd=folder))
            what = f"ptau 2^{SNARKJS_POWER} (snarkjs: new, contribute, prepare phase2)"
        elif kind == DEV_PTAU:
            from zapiki.systems.groth16.ptau_setup import dev_ptau

            (folder / "pot.ptau").write_bytes(dev_ptau(DEV_POWER))
            what = f"ptau 2^{DEV_POWER} (dev_ptau)"
        else:
            raise ValueError(f"unknown powers of tau {kind!r}")
        self._ptau_timings[kind] = (what, time.perf_counter() - start)
        return folder / "pot.ptau"

    def build(self, *names: str, ptau: str, sources: Mapping[str, Source] = CIRCUITS) -> dict[str, Built]:
        """{name: Built} for the circuits ``names`` of ``sources``, set up from the powers of tau ``ptau``."""
        circom = tool("circom2") if any(sources[n].r1cs is None for n in names) else ""

        def one(name: str) -> Built:
            return self._cached(("circuit", name, ptau), lambda: self._build(name, sources[name], ptau, circom))

        with ThreadPoolExecutor(max_workers=len(names) + 1) as pool:
            pool.submit(self.ptau, ptau)  # beside the compilers
            return dict(zip(names, pool.map(one, names), strict=True))

    def _build(self, name: str, source: Source, ptau: str, circom: str) -> Built:
        start = time.perf_counter()
        folder = self.root / f"{name}-{ptau}"
        folder.mkdir()
        if source.r1cs is not None:
            (folder / "circuit.r1cs").write_bytes(source.r1cs)
        else:
            (folder / "circuit.circom").write_text("pragma circom 2.0.0;\n" + source.code)
            args = [circom, "circuit.circom", "--r1cs", *(["--wasm"] if source.inputs is not None else [])]
            args += [*(["--O0"] if source.o0 else []), "-o", "."]
            ok(subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=folder))
        pot = self.ptau(ptau)
        run = self.snarkjs
        ok(run("plonk", "setup", "circuit.r1cs", pot, "circuit.zkey", cwd=folder))
        ok(run("zkey", "export", "verificationkey", "circuit.zkey", "vk.json", cwd=folder))
        if source.inputs is not None:
            (folder / "input.json").write_text(json.dumps(source.inputs))
            ok(run("wtns", "calculate", "circuit_js/circuit.wasm", "input.json", "w.wtns", cwd=folder))
        steps = ["circom2"] * (source.r1cs is None) + ["plonk setup"] + ["wtns"] * (source.inputs is not None)
        timing = (f"{name}: {', '.join(steps)}", time.perf_counter() - start)
        return Built(name, folder, ptau, pot, json.loads((folder / "vk.json").read_text()), timing)

    def timings(self, built: Mapping[str, Built]) -> dict[str, float]:
        """{what: seconds} for making the circuits ``built`` and their powers of tau (in whichever test file
        made them first)."""
        ptaus = [self._ptau_timings[k] for k in dict.fromkeys(b.ptau_kind for b in built.values())]
        return dict([*ptaus, *(b.timing for b in built.values())])
