"""Groth16 prove as whole commands, four provers side by side on the same zkey and witness: zapiki, snarkjs 0.7.6,
arkworks (the ``groth16py`` package, one thread) and rapidsnark; then zapiki vs snarkjs verify and fullprove.

    .venv/bin/python benchmarks/bench_groth16.py [--rounds N] [--large [--large-rounds M]] [--fixture DIR]
                                                 [--rapidsnark PATH/prover] [--snarkjs PATH] [--zapiki "COMMAND ..."]

By default: the 1,920-constraint circuit ``tests/fixtures/groth16/poseidon_chain_8`` (``--fixture DIR`` for
another one holding circuit.zkey, witness.wtns and verification_key.json, e.g. a 2^20 circuit), N = 5 rounds.
``--large`` adds the ~2^16-constraint ``../shared/fixtures/groth16/poseidon_chain_2p16`` (about 30 s per round on
2 cores, so off by default; M = 2 rounds).

The comparators are GPL/LGPL programs, run only as whole processes, never copied:
- arkworks: ``pip install -e .[bench]`` installs ``groth16py``; each round runs ``python -c`` that imports it, loads
  the zkey (``groth16py.import_zkey``) and proves once from the witness (``prove_wtns``), on one thread. Without
  the package its columns say so and stay empty.
- rapidsnark: ``--rapidsnark PATH`` to a built ``prover`` (``prover circuit.zkey witness.wtns proof.json
  public.json``; its thread pool takes every core). How to build it: ``../shared/notes/groth16-snarkjs-facts.md``.

Each round runs every prover's ``prove`` in a rotating order (each takes each place in turn, so load on the
machine hits all alike), then ``zapiki groth16 verify`` and ``snarkjs groth16 verify`` (each verifies the other's
proof), then both ``groth16 fullprove`` (witness from the wasm, then the proof) when the fixture has input.json and
circuit.wasm. Every proof is checked every round: public signals equal to the witness's, and the arkworks and
rapidsnark proofs verified by ``snarkjs groth16 verify`` (untimed), so a broken comparator cannot pass. Wall time
is the whole command (process start, imports, loading, parsing, the maths, writing); CPU time is the child's user +
sys from ``os.wait4``; peak memory its maximum resident set, as GNU ``time -f %M`` reports it (wait4's alone cannot
go below this process's own, which every child inherits at its start). Printed per fixture: medians side by side,
the ratios of issue #25's goals, zapiki's per-stage seconds (``--timings``), and the warm figures: zapiki's proof
as a warm worker does it (a fresh process, the key parsed once, the same circuit proved again and again; also the
whole job and the verify) beside arkworks's in-process proof (a fresh process: import, ``import_zkey`` once, then
``prove_wtns`` again and again); wall (``perf_counter``) and CPU (``process_time``, all threads) per proof. Once:
the memory of an idle ``dask worker --nthreads 1 --preload zapiki.jobs.preload`` with all its processes, and the
floors of the two runtimes. At the end: every goal of issue #25 this script can measure, met or NOT met.

Goals (issue #25). Size classes by the zkey's domain: small (<= 2^13), 2^16 (2^14 .. 2^18), large (>= 2^19).
- Efficiency at 2^16: CPU-seconds per proof <= 1x arkworks's and <= 1.25x rapidsnark's, whole command and warm.
- Latency at 2^16: whole command wall <= 0.25x snarkjs's; a warm proof <= arkworks's in-process proof.
- Small circuits: whole command <= 1x snarkjs's wall and memory; a warm proof <= 1.5x arkworks's in-process.
- Memory: peak at 2^16 <= 1.5x arkworks's; an idle worker, all its processes, <= 200 MB.
- Large circuits (2^20, ``--fixture``): whole command wall <= 0.25x snarkjs's, peak memory <= 0.5x snarkjs's.
Not measured here: service throughput (``zapiki serve``; bench_service.py) and MSM ns per point (bench_kernels.py).

``zapiki groth16 verify`` verifies on Python ints (:mod:`zapiki.bn254py`): no numpy or numba to load.
``--zapiki`` runs another zapiki command line instead of the installed one (split on spaces), e.g. an older
checkout's, to compare before and after a change.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import os
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[1]
SMALL = REPO / "tests" / "fixtures" / "groth16" / "poseidon_chain_8"
LARGE = REPO.parent / "shared" / "fixtures" / "groth16" / "poseidon_chain_2p16"
DEFAULT_SNARKJS = REPO / ".ci" / "node" / "node_modules" / ".bin" / "snarkjs"
PROVERS = ("zapiki", "snarkjs", "arkworks", "rapidsnark")
# arkworks as a whole command: start Python, import groth16py, load the zkey, prove once; the proof's hex on stdout.
ARKWORKS_PROVE = (
    "import sys, groth16py\n"
    "pk, vk = groth16py.import_zkey(sys.argv[1])\n"
    "sys.stdout.write(groth16py.prove_wtns(pk, sys.argv[2]).hex())\n"
)
# arkworks warm: the key loaded once, then one untimed proof and `repeats` timed ones; JSON on stdout.
ARKWORKS_WARM = """\
import json, sys, time
t0 = time.perf_counter()
import groth16py
pk, vk = groth16py.import_zkey(sys.argv[1])
load = time.perf_counter() - t0
walls, cpus = [], []
for _ in range(int(sys.argv[3]) + 1):
    w, c = time.perf_counter(), time.process_time()
    blob = groth16py.prove_wtns(pk, sys.argv[2])
    walls.append(time.perf_counter() - w)
    cpus.append(time.process_time() - c)
print(json.dumps({"load": load, "walls": walls, "cpus": cpus, "proof": blob.hex()}))
"""
ONE_THREAD = {"RAYON_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}  # groth16py 0.2.0 is single-threaded anyway


class Run(NamedTuple):
    """One child process, measured."""

    wall: float  # seconds
    cpu: float  # user + sys seconds of the child (and any children it waited for)
    mem: float  # peak resident set, MiB
    out: str
    err: str


@dataclass
class Goal:
    """One goal of issue #25 and the measured figure (None: could not be measured in this run)."""

    fixture: str
    text: str
    value: float | None
    limit: float
    why_missing: str = ""

    def line(self) -> str:
        if self.value is None:
            return f"  {self.fixture:<20} {self.text:<58} n/a ({self.why_missing})"
        verdict = "met" if self.value <= self.limit else "NOT met"
        return f"  {self.fixture:<20} {self.text:<58} {self.value:6.2f} (goal <= {self.limit:g})  {verdict}"


@dataclass
class Comparators:
    """Which of the optional provers this run has, and why not when one is missing."""

    arkworks: bool
    rapidsnark: str | None
    missing: dict[str, str] = field(default_factory=dict)

    def active(self) -> list[str]:
        return [p for p in PROVERS if p not in self.missing]


def zapiki_command() -> list[str]:
    """The installed console script when there is one (what a user runs), else the same entry point by -c."""
    script = Path(sys.executable).with_name("zapiki")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from zapiki.cli import run; run()"]


@functools.cache
def gnu_time() -> str | None:
    """GNU time, when installed: the peak memory it reports is the command's own. A child that Python starts
    directly inherits this process's peak RSS as its ru_maxrss (Linux records the pre-exec address space's
    high-water mark, and subprocess starts children by vfork), so wait4 alone cannot see a child smaller than
    the benchmark itself (rapidsnark's ~5 MiB read as ~17); GNU time forks the command from a ~2 MiB process."""
    path = shutil.which("time", path="/usr/bin:/bin:/usr/local/bin")
    if path is None:
        return None
    done = subprocess.run([path, "--version"], capture_output=True, text=True)
    return path if "GNU" in done.stdout + done.stderr else None


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    """Wall, CPU (user + sys from os.wait4) and peak RSS (GNU time's %M where it is installed, else wait4's
    ru_maxrss) of one child process, with its output; raises if it fails. The output goes to files, not pipes,
    so a chatty child cannot block on a full pipe while we wait for it."""
    timer = gnu_time()
    with tempfile.TemporaryFile() as fout, tempfile.TemporaryFile() as ferr, tempfile.TemporaryDirectory() as tmp:
        mem_file = Path(tmp) / "maxrss"
        full = [timer, "-q", "-f", "%M", "-o", str(mem_file), *cmd] if timer else cmd
        t0 = time.perf_counter()
        proc = subprocess.Popen(full, stdout=fout, stderr=ferr, env=None if env is None else {**os.environ, **env})
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        fout.seek(0)
        ferr.seek(0)
        out, err = fout.read().decode(errors="replace"), ferr.read().decode(errors="replace")
        if proc.returncode != 0:
            raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{out}\n{err}")
        mem_kib = int(mem_file.read_text().split()[-1]) if timer else usage.ru_maxrss
    return Run(wall, usage.ru_utime + usage.ru_stime, mem_kib / 1024, out, err)


def _sections(f, magic: bytes) -> dict[int, tuple[int, int]]:  # noqa: ANN001
    """{section type: (offset, size)} of an iden3 binary file (.zkey, .wtns), the first of each type."""
    head = f.read(12)
    if len(head) < 12 or head[:4] != magic:
        raise SystemExit(f"{f.name}: not a {magic.decode()} file")
    (count,) = struct.unpack("<I", head[8:12])
    out: dict[int, tuple[int, int]] = {}
    pos = 12
    for _ in range(count):
        f.seek(pos)
        kind, size = struct.unpack("<IQ", f.read(12))
        out.setdefault(kind, (pos + 12, size))
        pos += 12 + size
    return out


def zkey_header(zkey: Path) -> dict[str, int]:
    """nVars, nPublic and domainSize from a Groth16 .zkey's header section."""
    with zkey.open("rb") as f:
        offset, _ = _sections(f, b"zkey")[2]
        f.seek(offset)
        (n8q,) = struct.unpack("<I", f.read(4))
        f.seek(n8q, 1)
        (n8r,) = struct.unpack("<I", f.read(4))
        f.seek(n8r, 1)
        n_vars, n_public, domain = struct.unpack("<III", f.read(12))
    return {"nVars": n_vars, "nPublic": n_public, "domainSize": domain}


def witness_public(wtns: Path, n_public: int) -> list[str]:
    """The public signals w_1 .. w_nPublic of a .wtns, as decimal strings (what public.json must hold)."""
    with wtns.open("rb") as f:
        secs = _sections(f, b"wtns")
        f.seek(secs[1][0])
        (n8,) = struct.unpack("<I", f.read(4))
        f.seek(secs[2][0] + n8)
        raw = f.read(n8 * n_public)
    return [str(int.from_bytes(raw[i : i + n8], "little")) for i in range(0, len(raw), n8)]


def eth_proof_to_snarkjs(blob: bytes) -> dict:
    """groth16py's 256-byte Ethereum proof (big-endian words: a.x a.y, b.x.c1 b.x.c0 b.y.c1 b.y.c0, c.x c.y, the
    order of the pairing precompile) as a snarkjs proof.json."""
    if len(blob) != 256:
        raise SystemExit(f"arkworks proof: {len(blob)} bytes, expected 256")
    w = [str(int.from_bytes(blob[i : i + 32], "big")) for i in range(0, 256, 32)]
    return {
        "pi_a": [w[0], w[1], "1"],
        "pi_b": [[w[3], w[2]], [w[5], w[4]], ["1", "0"]],
        "pi_c": [w[6], w[7], "1"],
        "protocol": "groth16",
        "curve": "bn128",
    }


def size_class(domain: int) -> str:
    """Which of issue #25's goals apply: small (<= 2^13), 2^16 (2^14 .. 2^18) or large (>= 2^19)."""
    return "small" if domain <= 2**13 else "2^16" if domain <= 2**18 else "large"


def comparators(rapidsnark: str | None) -> Comparators:
    """What is available of arkworks (the groth16py package in this interpreter) and rapidsnark (--rapidsnark)."""
    comp = Comparators(arkworks=importlib.util.find_spec("groth16py") is not None, rapidsnark=rapidsnark)
    if not comp.arkworks:
        comp.missing["arkworks"] = "groth16py not installed: pip install -e .[bench]"
    if rapidsnark is None:
        comp.missing["rapidsnark"] = "no --rapidsnark PATH given"
    elif not os.access(rapidsnark, os.X_OK):
        raise SystemExit(f"--rapidsnark {rapidsnark}: not an executable")
    for name, why in comp.missing.items():
        print(f"note: {name} skipped, {why}")
    return comp


def check_public(who: str, path: Path, expected: list[str]) -> None:
    got = json.loads(path.read_text())
    if got != expected:
        raise SystemExit(f"{who}: public signals {got} differ from the witness's {expected}")


def bench_fixture(
    fx: Path, rounds: int, snarkjs: str, zapiki: list[str], comp: Comparators
) -> tuple[dict[str, list[Run]], dict[str, int]]:
    """Every prover's prove, then zapiki/snarkjs verify and fullprove, `rounds` times; prints each run and the
    medians side by side. Returns the runs by name ("zapiki prove", "arkworks prove", ...) and the zkey header."""
    zkey, wtns, vkey = fx / "circuit.zkey", fx / "witness.wtns", fx / "verification_key.json"
    for f in (zkey, wtns, vkey):
        if not f.exists():
            raise SystemExit(f"missing {f}")
    head = zkey_header(zkey)
    expected = witness_public(wtns, head["nPublic"])
    cls, rounds_s = size_class(head["domainSize"]), f"{rounds} round{'s' * (rounds != 1)}"
    print(
        f"\n== {fx.name}: zkey {zkey.stat().st_size / 2**20:.1f} MiB, {head['nVars']} wires, domain "
        f"2^{head['domainSize'].bit_length() - 1} ({cls}), {rounds_s}",
        flush=True,
    )
    inputs, wasm = fx / "input.json", fx / "circuit.wasm"
    whats = ("verify", "fullprove") if inputs.exists() and wasm.exists() else ("verify",)
    provers = comp.active()
    res: dict[str, list[Run]] = {f"{who} prove": [] for who in provers}
    res.update({f"{who} {what}": [] for what in whats for who in ("zapiki", "snarkjs")})
    stages: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        (t / "expected_public.json").write_text(json.dumps(expected))
        cmds: dict[str, list] = {
            "snarkjs prove": [snarkjs, "groth16", "prove", zkey, wtns, t / "sp.json", t / "spub.json"],
            "zapiki prove": [*zapiki, "groth16", "prove", zkey, wtns, t / "zp.json", t / "zpub.json", "--timings"],
            "arkworks prove": [sys.executable, "-c", ARKWORKS_PROVE, zkey, wtns],
            "rapidsnark prove": [comp.rapidsnark, zkey, wtns, t / "rp.json", t / "rpub.json"],
            "snarkjs verify": [snarkjs, "groth16", "verify", vkey, t / "zpub.json", t / "zp.json"],
            "zapiki verify": [*zapiki, "groth16", "verify", vkey, t / "spub.json", t / "sp.json"],
            "snarkjs fullprove": [snarkjs, "groth16", "fullprove", inputs, wasm, zkey, t / "sf.json", t / "sfp.json"],
            "zapiki fullprove": [*zapiki, "groth16", "fullprove", inputs, wasm, zkey, t / "zf.json", t / "zfp.json"],
        }
        envs = {"arkworks prove": ONE_THREAD}
        outputs = ("zp.json", "zpub.json", "sp.json", "spub.json", "rp.json", "rpub.json", "ap.json")
        for i in range(rounds):
            for name in outputs:  # no proof of an earlier round can stand in for a missing one
                (t / name).unlink(missing_ok=True)
            k = i % len(provers)
            order = [f"{who} prove" for who in provers[k:] + provers[:k]]
            pair = ("snarkjs", "zapiki") if i % 2 == 0 else ("zapiki", "snarkjs")
            order += [f"{who} {what}" for what in whats for who in pair]
            for name in order:
                run = run_measured([str(c) for c in cmds[name]], envs.get(name))
                res[name].append(run)
                if name == "zapiki prove":
                    stages.append(json.loads(run.err.strip().splitlines()[-1]))
                print(
                    f"  round {i + 1}: {name:<18} {run.wall:7.3f} s  {run.cpu:7.3f} CPU-s  {run.mem:7.1f} MiB",
                    flush=True,
                )
                if name == "arkworks prove":
                    (t / "ap.json").write_text(json.dumps(eth_proof_to_snarkjs(bytes.fromhex(run.out.strip()))))
            # every proof checked: zapiki's and snarkjs's by each other's verify above (which raises on failure),
            # the comparators' by snarkjs here, untimed; every public.json equal to the witness's signals
            check_public("zapiki", t / "zpub.json", expected)
            check_public("snarkjs", t / "spub.json", expected)
            checks = {"arkworks": t / "ap.json", "rapidsnark": t / "rp.json"}
            if "rapidsnark" in provers:
                check_public("rapidsnark", t / "rpub.json", expected)
            for who, proof in checks.items():
                if who in provers:
                    run_measured([snarkjs, "groth16", "verify", str(vkey), str(t / "expected_public.json"), str(proof)])
            print(
                f"  round {i + 1}: proofs of {', '.join(provers)} verified, public signals as in the witness",
                flush=True,
            )
    print_side_by_side(res, provers)
    head_ = ("command", "zapiki s", "snarkjs s", "ratio", "zapiki MiB", "snarkjs MiB", "ratio")
    print("\n  {:<16}{:>10}{:>11}{:>8}{:>13}{:>13}{:>8}".format(*head_))
    for what in whats:
        z, s = res[f"zapiki {what}"], res[f"snarkjs {what}"]
        zw, sw, zm, sm = (statistics.median(v) for v in ([r.wall for r in z], [r.wall for r in s],
                                                          [r.mem for r in z], [r.mem for r in s]))  # fmt: skip
        print(f"  groth16 {what:<9}{zw:9.3f}{sw:11.3f}{zw / sw:7.2f}x{zm:13.1f}{sm:13.1f}{zm / sm:7.2f}x")
    keys = [k for k in stages[0] if not k.startswith("msm_") or k == "msm_wall"]
    print("  zapiki prove stages, median s:", {k: round(statistics.median(s[k] for s in stages), 3) for k in keys})
    return res, head


def medians(runs: list[Run]) -> tuple[float, float, float]:
    """Median wall, CPU and peak memory of some runs."""
    return tuple(statistics.median(getattr(r, a) for r in runs) for a in ("wall", "cpu", "mem"))  # type: ignore[return-value]


def print_side_by_side(res: dict[str, list[Run]], provers: list[str]) -> None:
    """The prove medians in one table, a column per prover (n/a where a comparator is missing)."""
    print(f"\n  groth16 prove, whole command, medians of {len(res['zapiki prove'])}")
    print("  {:<24}".format("") + "".join(f"{p:>12}" for p in PROVERS))
    rows = (("wall s", 0, "{:12.3f}"), ("CPU s (user+sys)", 1, "{:12.3f}"), ("peak RSS MiB", 2, "{:12.1f}"))
    for label, idx, fmt in rows:
        cells = [fmt.format(medians(res[f"{p} prove"])[idx]) if p in provers else f"{'n/a':>12}" for p in PROVERS]
        print(f"  {label:<24}" + "".join(cells))
    cells = []
    for p in PROVERS:
        if p in provers:
            wall, cpu, _ = medians(res[f"{p} prove"])
            cells.append(f"{cpu / wall:12.2f}")
        else:
            cells.append(f"{'n/a':>12}")
    print("  {:<24}".format("CPU / wall (cores busy)") + "".join(cells))
    walls = {p: [r.wall for r in res[f"{p} prove"]] for p in provers}
    print("  {:<24}".format("wall min..max s") + "".join(
        f"{f'{min(walls[p]):.2f}..{max(walls[p]):.2f}':>12}" if p in provers else f"{'n/a':>12}" for p in PROVERS
    ))  # fmt: skip


def warm_figures(fx: Path, repeats: int) -> dict[str, float]:
    """In this process, as a warm worker does it: the groth16 system's ``generate`` (witness from the wasm, then
    the proof; the proving key parsed once and kept) run again and again on the same circuit, the proof alone
    from a witness, and the service's verify. Medians after one warm-up run: seconds of wall time, and of CPU
    time (``*_cpu``: this process's, all threads)."""
    import zapiki.systems as systems
    from zapiki.formats import read_wtns
    from zapiki.systems.base import ProveContext
    from zapiki.systems.groth16 import load_proving_key, prove

    impl = systems.get("groth16")
    data = impl.prepare_input(json.loads((fx / "input.json").read_text()), {})
    ctx = ProveContext(resources={"wasm": str(fx / "circuit.wasm"), "zkey": str(fx / "circuit.zkey")})
    t0 = time.perf_counter()
    out = impl.generate(data, ctx)  # the first job on a worker whose kernels are loaded but key not yet parsed
    first = time.perf_counter() - t0

    def median_of(fn: Callable[[], object]) -> tuple[float, float]:
        walls, cpus = [], []
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        return statistics.median(walls), statistics.median(cpus)

    pk, witness = load_proving_key(fx / "circuit.zkey"), read_wtns((fx / "witness.wtns").read_bytes()).values
    proof, public, vkey = out.proof_data, out.public_inputs, out.verification_key
    assert impl.verify(proof, public, vkey)
    job, job_cpu = median_of(lambda: impl.generate(data, ctx))
    prove_wall, prove_cpu = median_of(lambda: prove(pk, witness))
    verify, _ = median_of(lambda: impl.verify(proof, public, vkey))
    return {
        "first_job": first,
        "job": job,
        "job_cpu": job_cpu,
        "prove": prove_wall,
        "prove_cpu": prove_cpu,
        "verify": verify,
    }


def zapiki_warm(fx: Path, repeats: int) -> dict[str, float]:
    """warm_figures in a fresh child process (this one has imported nothing heavy)."""
    code = f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench_groth16 as b; "
    code += f"from pathlib import Path; print(json.dumps(b.warm_figures(Path({str(fx)!r}), {repeats})))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def arkworks_warm(fx: Path, repeats: int, snarkjs: str, n_public: int) -> dict[str, float]:
    """arkworks in process, in a fresh child: import groth16py, load the zkey once, one untimed proof, then
    `repeats` timed ones (wall and process_time each). Its last proof is verified by snarkjs."""
    run = run_measured([sys.executable, "-c", ARKWORKS_WARM, str(fx / "circuit.zkey"), str(fx / "witness.wtns"),
                        str(repeats)], ONE_THREAD)  # fmt: skip
    w = json.loads(run.out.strip().splitlines()[-1])
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        (t / "proof.json").write_text(json.dumps(eth_proof_to_snarkjs(bytes.fromhex(w["proof"]))))
        (t / "public.json").write_text(json.dumps(witness_public(fx / "witness.wtns", n_public)))
        vkey = fx / "verification_key.json"
        run_measured([snarkjs, "groth16", "verify", str(vkey), str(t / "public.json"), str(t / "proof.json")])
    walls, cpus = w["walls"][1:], w["cpus"][1:]
    return {
        "load": w["load"],
        "first": w["walls"][0],
        "prove": statistics.median(walls),
        "prove_cpu": statistics.median(cpus),
        "walls": walls,
        "cpus": cpus,
        "mem": run.mem,
    }


def report_warm(
    fx: Path,
    res: dict[str, list[Run]],
    repeats: int,
    snarkjs: str,
    comp: Comparators,
    head: dict[str, int],
    goals: list[Goal],
) -> None:
    """The warm figures of zapiki and arkworks beside the commands, then this fixture's goals of issue #25."""
    has_inputs = (fx / "input.json").exists() and (fx / "circuit.wasm").exists()
    w = zapiki_warm(fx, repeats) if has_inputs else None
    a = arkworks_warm(fx, repeats, snarkjs, head["nPublic"]) if comp.arkworks else None
    med = {p: medians(res[f"{p} prove"]) for p in comp.active()}
    zw, zc, zm = med["zapiki"]
    print(f"  warm, in process (same circuit again, median of {repeats}):")
    if w is not None:
        print(
            f"    zapiki   proof from a witness {w['prove']:.3f} s wall, {w['prove_cpu']:.3f} CPU-s "
            f"({w['prove'] / zw:.2f}x the whole zapiki command); job (witness + proof) {w['job']:.3f} s, "
            f"{w['job_cpu']:.3f} CPU-s; first job on a warm worker {w['first_job']:.3f} s (parses the key); "
            f"verify {w['verify'] * 1e3:.1f} ms"
        )
        if "zapiki fullprove" in res:
            print(f"             job = {w['job'] / medians(res['zapiki fullprove'])[0]:.2f}x the whole fullprove")
    else:
        print("    zapiki   n/a (the fixture has no input.json and circuit.wasm for the service's job)")
    if a is not None:
        per = ", ".join(f"{x:.3f}/{c:.3f}" for x, c in zip(a["walls"], a["cpus"], strict=True))
        print(
            f"    arkworks proof from a witness {a['prove']:.3f} s wall, {a['prove_cpu']:.3f} CPU-s (per proof "
            f"wall/CPU s: {per}); import + key load {a['load']:.3f} s, first proof {a['first']:.3f} s, "
            f"process peak {a['mem']:.1f} MiB; last proof verified by snarkjs"
        )
    else:
        print(f"    arkworks n/a ({comp.missing['arkworks']})")

    name, cls = fx.name, size_class(head["domainSize"])
    ark = med.get("arkworks")
    rapid = med.get("rapidsnark")
    snark = med["snarkjs"]
    no_ark, no_rapid = comp.missing.get("arkworks", ""), comp.missing.get("rapidsnark", "")
    no_warm = "no input.json/circuit.wasm for zapiki's warm job"

    def ratio(x: float | None, y: float | None) -> float | None:
        return None if x is None or y is None else x / y

    print("  ratios (medians):")
    info = [
        ("CPU-s zapiki / arkworks, whole command", ratio(zc, ark and ark[1]), no_ark),
        ("CPU-s zapiki / rapidsnark, whole command", ratio(zc, rapid and rapid[1]), no_rapid),
        ("wall zapiki / snarkjs, whole command", zw / snark[0], ""),
        ("wall zapiki / arkworks, whole command", ratio(zw, ark and ark[0]), no_ark),
        ("wall zapiki / rapidsnark, whole command", ratio(zw, rapid and rapid[0]), no_rapid),
        ("memory zapiki / arkworks", ratio(zm, ark and ark[2]), no_ark),
        ("memory zapiki / snarkjs", zm / snark[2], ""),
        ("memory zapiki / rapidsnark", ratio(zm, rapid and rapid[2]), no_rapid),
        ("warm CPU-s zapiki / arkworks", ratio(w and w["prove_cpu"], a and a["prove_cpu"]), no_ark or no_warm),
        ("warm wall zapiki / arkworks", ratio(w and w["prove"], a and a["prove"]), no_ark or no_warm),
    ]
    for text, value, why in info:
        print(f"    {text:<44} " + (f"{value:6.2f}x" if value is not None else f"n/a ({why})"))

    def goal(text: str, value: float | None, limit: float, why: str) -> None:
        g = Goal(name, text, value, limit, why)
        goals.append(g)
        print(g.line())

    print(f"  goals of issue #25 for a {cls} circuit:")
    if cls == "small":
        goal("prove wall zapiki / snarkjs, whole command", zw / snark[0], 1.0, "")
        goal("prove peak memory zapiki / snarkjs, whole command", zm / snark[2], 1.0, "")
        goal("warm proof wall zapiki / arkworks in-process", ratio(w and w["prove"], a and a["prove"]), 1.5,
             no_ark or no_warm)  # fmt: skip
    elif cls == "2^16":
        goal("CPU-s zapiki / arkworks, whole command", ratio(zc, ark and ark[1]), 1.0, no_ark)
        goal("CPU-s zapiki / arkworks, warm", ratio(w and w["prove_cpu"], a and a["prove_cpu"]), 1.0,
             no_ark or no_warm)  # fmt: skip
        goal("CPU-s zapiki / rapidsnark, whole command", ratio(zc, rapid and rapid[1]), 1.25, no_rapid)
        goal("CPU-s zapiki warm / rapidsnark whole command", ratio(w and w["prove_cpu"], rapid and rapid[1]), 1.25,
             no_rapid or no_warm)  # fmt: skip
        goal("prove wall zapiki / snarkjs, whole command", zw / snark[0], 0.25, "")
        goal("warm proof wall zapiki / arkworks in-process", ratio(w and w["prove"], a and a["prove"]), 1.0,
             no_ark or no_warm)  # fmt: skip
        goal("prove peak memory zapiki / arkworks", ratio(zm, ark and ark[2]), 1.5, no_ark)
    else:
        goal("prove wall zapiki / snarkjs, whole command", zw / snark[0], 0.25, "")
        goal("prove peak memory zapiki / snarkjs, whole command", zm / snark[2], 0.5, "")


def idle_worker_memory(goals: list[Goal], settle_s: float = 5.0, limit_s: float = 240.0) -> None:
    """RSS of an idle ``dask worker --nthreads 1 --preload zapiki.jobs.preload`` and all its processes (nanny,
    worker, warm prover child, resource tracker), once their memory has stopped growing for settle_s."""
    import socket

    import psutil

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dask = str(Path(sys.executable).with_name("dask"))
    scheduler = subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--dashboard-address", "127.0.0.1:0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    worker = subprocess.Popen(
        [dask, "worker", f"tcp://127.0.0.1:{port}", "--nthreads", "1", "--preload", "zapiki.jobs.preload"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        root = psutil.Process(worker.pid)
        deadline, last, stable_since = time.monotonic() + limit_s, {}, time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            rss = {}
            for p in [root, *root.children(recursive=True)]:
                try:
                    mem = p.memory_full_info()
                    rss[(p.pid, _role(p, root))] = (mem.rss / 2**20, mem.pss / 2**20)
                except psutil.Error:
                    pass
            has_child = any(role == "prover child" for _, role in rss)
            grown = sum(r for r, _ in rss.values()) > sum(r for r, _ in last.values()) + 1
            if not has_child or set(rss) != set(last) or grown:
                stable_since = time.monotonic()
            last = rss
            if has_child and time.monotonic() - stable_since >= settle_s:
                break
        total_rss, total_pss = sum(r for r, _ in last.values()), sum(p for _, p in last.values())
        parts = ", ".join(
            f"{role} {r:.0f}/{p:.0f}" for (_, role), (r, p) in sorted(last.items(), key=lambda kv: kv[0][0])
        )
        print(
            f"\nidle worker, 1 thread, all processes: RSS {total_rss:.0f} MiB, PSS {total_pss:.0f} MiB = "
            f"{total_pss * 2**20 / 1e6:.0f} MB (shared pages counted once). RSS/PSS MiB per process: {parts}"
        )
        g = Goal("idle worker", "PSS of all its processes, MB (goal in MB)", total_pss * 2**20 / 1e6, 200.0)
        goals.append(g)
        print(g.line())
    finally:
        for proc in (worker, scheduler):
            proc.terminate()
        for proc in (worker, scheduler):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _role(proc, root) -> str:  # noqa: ANN001
    """Which of a worker's processes this is."""
    line = " ".join(proc.cmdline())
    if proc.pid == root.pid:
        return "nanny"
    if "resource_tracker" in line:
        return "resource tracker"
    if "zapiki.jobs.child" in line:
        return "prover child"
    return "worker" if "spawn_main" in line else line[:40]


def floors(rounds: int) -> None:
    """What starting each runtime costs with nothing to do."""
    node = shutil.which("node")
    cmds = {"python -c pass": [sys.executable, "-c", "pass"]}
    if node:
        cmds["node -e 0"] = [node, "-e", "0"]
    out = []
    for name, cmd in cmds.items():
        walls = [run_measured(cmd).wall for _ in range(rounds)]
        out.append(f"{name} {statistics.median(walls) * 1e3:.0f} ms")
    print("\nruntime floors (median):", ", ".join(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixture", type=Path, default=SMALL, help="circuit folder (default: poseidon_chain_8)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--large", action="store_true", help=f"also the ~2^16 circuit ({LARGE.name}), minutes")
    ap.add_argument("--large-rounds", type=int, default=2)
    ap.add_argument("--snarkjs", default=os.environ.get("ZAPIKI_SNARKJS", str(DEFAULT_SNARKJS)))
    ap.add_argument("--zapiki", default=None, help="zapiki command line to run (default: the installed script)")
    ap.add_argument("--rapidsnark", default=None, help="a built rapidsnark `prover` to compare with (default: none)")
    args = ap.parse_args()
    zapiki = args.zapiki.split() if args.zapiki else zapiki_command()
    print(f"cpus {os.cpu_count()}  load {os.getloadavg()}  zapiki: {' '.join(zapiki)}")
    timer = gnu_time()
    print(
        f"peak memory: {timer} -f %M (the command's own)"
        if timer
        else "peak memory: wait4's ru_maxrss; no GNU time, so no figure below this process's own peak "
        f"({resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB)"
    )
    comp = comparators(args.rapidsnark)
    if comp.rapidsnark:
        print(f"rapidsnark: {comp.rapidsnark}")
    goals: list[Goal] = []
    fixtures = [(args.fixture, args.rounds)] + ([(LARGE, args.large_rounds)] if args.large else [])
    for fx, rounds in fixtures:
        res, head = bench_fixture(fx, rounds, args.snarkjs, zapiki, comp)
        report_warm(fx, res, max(3, rounds), args.snarkjs, comp, head, goals)
    idle_worker_memory(goals)
    floors(max(3, args.rounds))
    met = sum(g.value is not None and g.value <= g.limit for g in goals)
    na = sum(g.value is None for g in goals)
    print(f"\n== issue #25 goals in this run: {met} met, {len(goals) - met - na} NOT met, {na} n/a")
    for g in goals:
        print(g.line())
    print("  not measured here: service throughput (zapiki serve), MSM ns per point, 2^20 unless --fixture gives one")
    print(f"load at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
