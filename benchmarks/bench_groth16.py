"""Groth16 prove and verify as whole commands, zapiki vs snarkjs 0.7.6, side by side on the same files.

    .venv/bin/python benchmarks/bench_groth16.py [--rounds N] [--large [--large-rounds M]] [--snarkjs PATH]
                                                 [--zapiki "COMMAND ..."]

By default: the 1,920-constraint circuit ``tests/fixtures/groth16/poseidon_chain_8`` (``--fixture DIR`` for
another one holding circuit.zkey, witness.wtns and verification_key.json), N = 5 rounds. ``--large`` adds the
~2^16-constraint ``../shared/fixtures/groth16/poseidon_chain_2p16`` (about 20 s per round on 2 cores, so off by
default; M = 2 rounds).

Each round runs ``zapiki groth16 prove`` and ``snarkjs groth16 prove``, then ``zapiki groth16 verify`` and
``snarkjs groth16 verify``, then both ``groth16 fullprove`` (witness from the wasm, then the proof), alternating
which goes first, so load on the machine hits both alike; each verifies the other's proof. Wall time is the
whole command (process start, imports, loading the compiled kernels, parsing, the maths, writing); peak memory
is each child's maximum resident set (wait4). Printed at the end: medians, zapiki / snarkjs ratios, zapiki's
own per-stage seconds (``--timings``). Then, per circuit, the service's side in a fresh process that proves
again and again as a warm worker does (the key parsed once): the proof from a witness, a whole job (witness +
proof) and a verify; once, the memory of an idle ``dask worker --nthreads 1 --preload zapiki.jobs.preload``
with all its processes; and the floors of the two runtimes (an empty ``python -c pass`` and ``node -e 0``).
Goals (issue #13): whole commands <= 0.25x snarkjs at 2^16 and <= 0.5x on the small circuit, memory <= 1x, a
warm proof <= 0.5x the whole command, a verify in the service <= 20 ms, an idle worker <= 200 MB.

``zapiki groth16 verify`` verifies on Python ints (:mod:`zapiki.bn254py`): no numpy or numba to load.
``--zapiki`` runs another zapiki command line instead of the installed one (split on spaces), e.g. an older
checkout's, to compare before and after a change.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SMALL = REPO / "tests" / "fixtures" / "groth16" / "poseidon_chain_8"
LARGE = REPO.parent / "shared" / "fixtures" / "groth16" / "poseidon_chain_2p16"
DEFAULT_SNARKJS = REPO / ".ci" / "node" / "node_modules" / ".bin" / "snarkjs"


def zapiki_command() -> list[str]:
    """The installed console script when there is one (what a user runs), else the same entry point by -c."""
    script = Path(sys.executable).with_name("zapiki")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from zapiki.cli import run; run()"]


def run_measured(cmd: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MiB, stderr) of one child process; raises if it fails."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    out, err = proc.stdout.read(), proc.stderr.read()
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{out}\n{err}")
    return wall, usage.ru_maxrss / 1024, err


def bench_fixture(fx: Path, rounds: int, snarkjs: str, zapiki: list[str]) -> dict[str, tuple[list, list]]:
    zkey, wtns, vkey = fx / "circuit.zkey", fx / "witness.wtns", fx / "verification_key.json"
    for f in (zkey, wtns, vkey):
        if not f.exists():
            raise SystemExit(f"missing {f}")
    print(f"\n== {fx.name}: zkey {zkey.stat().st_size / 2**20:.1f} MiB, {rounds} rounds", flush=True)
    inputs, wasm = fx / "input.json", fx / "circuit.wasm"
    whats = ("prove", "verify", "fullprove") if inputs.exists() and wasm.exists() else ("prove", "verify")
    res: dict[str, tuple[list, list]] = {f"{who} {what}": ([], []) for what in whats for who in ("zapiki", "snarkjs")}
    stages: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        cmds = {
            "snarkjs prove": [snarkjs, "groth16", "prove", zkey, wtns, t / "sp.json", t / "spub.json"],
            "zapiki prove": [*zapiki, "groth16", "prove", zkey, wtns, t / "zp.json", t / "zpub.json", "--timings"],
            "snarkjs verify": [snarkjs, "groth16", "verify", vkey, t / "zpub.json", t / "zp.json"],
            "zapiki verify": [*zapiki, "groth16", "verify", vkey, t / "spub.json", t / "sp.json"],
            "snarkjs fullprove": [snarkjs, "groth16", "fullprove", inputs, wasm, zkey, t / "sf.json", t / "sfp.json"],
            "zapiki fullprove": [*zapiki, "groth16", "fullprove", inputs, wasm, zkey, t / "zf.json", t / "zfp.json"],
        }
        for i in range(rounds):
            first, second = ("snarkjs", "zapiki") if i % 2 == 0 else ("zapiki", "snarkjs")
            for name in (f"{who} {what}" for what in whats for who in (first, second)):
                wall, mem, err = run_measured([str(c) for c in cmds[name]])
                res[name][0].append(wall)
                res[name][1].append(mem)
                if name == "zapiki prove":
                    stages.append(json.loads(err.strip().splitlines()[-1]))
                print(f"  round {i + 1}: {name:<15} {wall:7.3f} s  {mem:7.1f} MiB", flush=True)
    head = ("command", "zapiki s", "snarkjs s", "ratio", "zapiki MiB", "snarkjs MiB", "ratio")
    print("\n  {:<16}{:>10}{:>11}{:>8}{:>13}{:>13}{:>8}".format(*head))
    for what in whats:
        z, s = res[f"zapiki {what}"], res[f"snarkjs {what}"]
        zw, sw, zm, sm = (statistics.median(v) for v in (z[0], s[0], z[1], s[1]))
        print(f"  groth16 {what:<9}{zw:9.3f}{sw:11.3f}{zw / sw:7.2f}x{zm:13.1f}{sm:13.1f}{zm / sm:7.2f}x")
    print("  (medians; wall min/max zapiki prove {:.3f}/{:.3f}, snarkjs prove {:.3f}/{:.3f})".format(
        min(res["zapiki prove"][0]), max(res["zapiki prove"][0]),
        min(res["snarkjs prove"][0]), max(res["snarkjs prove"][0]),
    ))  # fmt: skip
    keys = [k for k in stages[0] if not k.startswith("msm_") or k == "msm_wall"]
    print("  zapiki prove stages, median s:", {k: round(statistics.median(s[k] for s in stages), 3) for k in keys})
    return res


def warm_figures(fx: Path, repeats: int) -> dict[str, float]:
    """In this process, as a warm worker does it: the groth16 system's ``generate`` (witness from the wasm, then
    the proof; the proving key parsed once and kept) run again and again on the same circuit, the proof alone
    from a witness, and the service's verify. Seconds, medians after one warm-up run."""
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

    def median_of(fn) -> float:
        walls = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            walls.append(time.perf_counter() - t0)
        return statistics.median(walls)

    pk, witness = load_proving_key(fx / "circuit.zkey"), read_wtns((fx / "witness.wtns").read_bytes()).values
    proof, public, vkey = out.proof_data, out.public_inputs, out.verification_key
    assert impl.verify(proof, public, vkey)
    return {
        "first_job": first,
        "job": median_of(lambda: impl.generate(data, ctx)),
        "prove": median_of(lambda: prove(pk, witness)),
        "verify": median_of(lambda: impl.verify(proof, public, vkey)),
    }


def report_warm(fx: Path, res: dict[str, tuple[list, list]], repeats: int) -> None:
    """warm_figures in a fresh child process (this one has imported nothing heavy), beside the commands."""
    code = f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench_groth16 as b; "
    code += f"from pathlib import Path; print(json.dumps(b.warm_figures(Path({str(fx)!r}), {repeats})))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    w = json.loads(done.stdout.strip().splitlines()[-1])
    cmd, snark = (statistics.median(res[f"{who} prove"][0]) for who in ("zapiki", "snarkjs"))
    print(f"  in the service (warm, same circuit again, median of {repeats}):")
    print(
        f"    proof from a witness {w['prove']:.3f} s = {w['prove'] / cmd:.2f}x the whole zapiki command "
        f"(goal <= 0.5x), {w['prove'] / snark:.2f}x snarkjs's command"
    )
    if "zapiki fullprove" in res:
        full = statistics.median(res["zapiki fullprove"][0])
        print(
            f"    job (witness + proof) {w['job']:.3f} s = {w['job'] / full:.2f}x the whole zapiki fullprove; "
            f"first job on a warm worker {w['first_job']:.3f} s (parses the key)"
        )
    print(f"    verify {w['verify'] * 1e3:.1f} ms (goal <= 20 ms)")


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


def idle_worker_memory(settle_s: float = 5.0, limit_s: float = 240.0) -> None:
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
            f"\nidle worker, 1 thread, all processes: RSS {total_rss:.0f} MiB, PSS {total_pss:.0f} MiB (shared pages "
            f"counted once; goal <= 200 MB). RSS/PSS per process: {parts}"
        )
    finally:
        for proc in (worker, scheduler):
            proc.terminate()
        for proc in (worker, scheduler):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def floors(rounds: int) -> None:
    """What starting each runtime costs with nothing to do."""
    node = shutil.which("node")
    cmds = {"python -c pass": [sys.executable, "-c", "pass"]}
    if node:
        cmds["node -e 0"] = [node, "-e", "0"]
    out = []
    for name, cmd in cmds.items():
        walls = [run_measured(cmd)[0] for _ in range(rounds)]
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
    args = ap.parse_args()
    zapiki = args.zapiki.split() if args.zapiki else zapiki_command()
    print(f"cpus {os.cpu_count()}  load {os.getloadavg()}  zapiki: {' '.join(zapiki)}")
    res = bench_fixture(args.fixture, args.rounds, args.snarkjs, zapiki)
    report_warm(args.fixture, res, max(3, args.rounds))
    if args.large:
        res = bench_fixture(LARGE, args.large_rounds, args.snarkjs, zapiki)
        report_warm(LARGE, res, max(3, args.large_rounds))
    idle_worker_memory()
    floors(max(3, args.rounds))


if __name__ == "__main__":
    main()
