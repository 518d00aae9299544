"""PLONK prove and verify as whole commands, zapiki vs snarkjs 0.7.6, side by side on the same key and witness.

    .venv/bin/python benchmarks/bench_plonk.py [--sizes 14,16] [--rounds N] [--workdir DIR] [--ptau FILE]
                                               [--snarkjs PATH] [--zapiki "COMMAND ..."]

For each domain 2^p of ``--sizes`` (default 14 and 16, the issue's sizes) the circuit is the longest chain of
Poseidon(2) hashes (``../shared/fixtures/circuits/poseidon_chain.circom``, compiled with circom2) whose PLONK
rows fit 2^p: 6 hashes (14,810 rows) for 2^14, 13 for 2^15, 26 (64,170 rows) for 2^16. The powers of tau is
made with :func:`zapiki.systems.groth16.dev_ptau` (far faster than ``snarkjs powersoftau prepare phase2``; not a
ceremony; 2^16 takes minutes), ``snarkjs plonk setup`` makes the key and ``snarkjs wtns calculate`` the witness;
all are kept in ``--workdir`` (default ``/tmp/zapiki-bench-plonk``) and reused by later runs.

Each round runs, alternating which tool goes first: ``snarkjs plonk prove`` and ``zapiki plonk prove`` (the
whole commands: runtime start, imports, loading the compiled kernels, reading the key and the witness, proving,
writing), a warm zapiki proof (the key parsed once, as a prover worker keeps it; in a child process kept for
all the rounds), then ``snarkjs plonk verify`` of zapiki's proof and ``zapiki plonk verify`` of snarkjs's. Per
command: wall seconds, CPU seconds (user + system of the process and its reaped children, from wait4) and peak
memory of the whole process tree (the largest sum of the RSS of the command and its descendants, polled every
10 ms, and never less than wait4's maximum resident set of one process when that is above this process's own:
Linux starts a child's from its parent's, which is why nothing heavy runs in this process).

Printed at the end: one table of medians with the zapiki / snarkjs ratios and the issue's goals beside them
(prove <= 0.5x snarkjs's wall time at 2^14 and 2^16, peak memory <= 1x snarkjs's, verify <= 0.5x), PASS or
FAIL per goal (a report, not an assertion), the exact commands run, and where a warm zapiki proof spends its
time. ``--zapiki`` runs another zapiki command line instead of the installed one (split on spaces).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "fixtures"
FIXTURE_8 = REPO / "tests" / "fixtures" / "groth16" / "poseidon_chain_8"
DEFAULT_SNARKJS = REPO / ".ci" / "node" / "node_modules" / ".bin" / "snarkjs"
CIRCOM2 = REPO / ".ci" / "node" / "node_modules" / ".bin" / "circom2"
ROWS_PER_HASH = 2468  # PLONK rows per Poseidon(2) of the chain (8 hashes: 19,746 rows)
POLL_S = 0.01

#: (what, metric, goal ratio) of the issue: zapiki / snarkjs at most this.
GOALS = {("prove", "wall"): 0.5, ("prove", "peak"): 1.0, ("verify", "wall"): 0.5}


def zapiki_command() -> list[str]:
    """The installed console script when there is one (what a user runs), else the same entry point by -c."""
    script = Path(sys.executable).with_name("zapiki")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from zapiki.cli import run; run()"]


def hashes_for(power: int) -> int:
    """The longest Poseidon chain whose PLONK rows (and a few public-input rows) fit a domain of 2^power."""
    return (2**power - 16) // ROWS_PER_HASH


def run(cmd: list[str], cwd: Path) -> float:
    """Wall seconds of one command; raises with its output when it fails."""
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=3600)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return wall


def _tree_rss(root: psutil.Process) -> int:
    """Bytes resident in root and all its descendants now (0 for any that has just gone)."""
    total = 0
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def measure(cmd: list[str], cwd: Path) -> dict[str, float]:
    """wall s, cpu s (user + system, the process and its reaped children) and peak MiB of the process tree of one
    command; raises with its output when it fails."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    root = psutil.Process(proc.pid)
    peak = [0]
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss(root))
            done.wait(POLL_S)

    # the pipes are drained while it runs (a chatty command must not block on a full pipe)
    out: dict[str, str] = {}
    readers = [
        threading.Thread(target=lambda k=k, f=f: out.__setitem__(k, f.read()), daemon=True)
        for k, f in (("stdout", proc.stdout), ("stderr", proc.stderr))
    ]
    poller = threading.Thread(target=poll, daemon=True)
    for t in (poller, *readers):
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    done.set()
    for t in (poller, *readers):
        t.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} failed ({proc.returncode}):\n{out['stdout']}\n{out['stderr']}")
    # ru_maxrss (KiB on Linux) catches a peak between two polls, but a child starts from its parent's high-water
    # mark (Linux keeps it across exec): it counts only above this process's own, which is kept small (the warm
    # prover runs in a child of its own)
    peak_mib = peak[0] / 2**20
    if usage.ru_maxrss > resource.getrusage(resource.RUSAGE_SELF).ru_maxrss:
        peak_mib = max(peak_mib, usage.ru_maxrss / 1024)
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak": peak_mib}


def prepare(work: Path, hashes: int, ptau: Path | None, snarkjs: str) -> tuple[Path, Path, Path]:
    """(zkey, wtns, verification key) of the chain of ``hashes`` Poseidon hashes, made once per workdir."""
    folder = work / f"chain_{hashes}"
    folder.mkdir(parents=True, exist_ok=True)
    zkey, wtns, vk = folder / "circuit.zkey", folder / "w.wtns", folder / "vk.json"
    if zkey.exists() and wtns.exists() and vk.exists():
        return zkey, wtns, vk
    if hashes == 8 and (FIXTURE_8 / "circuit.r1cs").exists():
        r1cs, wasm = FIXTURE_8 / "circuit.r1cs", FIXTURE_8 / "circuit.wasm"
    else:
        r1cs, wasm = folder / "circuit.r1cs", folder / "circuit_js" / "circuit.wasm"
        if not (r1cs.exists() and wasm.exists()):
            src = (SHARED / "circuits" / "poseidon_chain.circom").read_text()
            # circom2 runs sandboxed (WASI) and sees only the working folder: circomlib's circuits are copied in
            circomlib = REPO / ".ci" / "node" / "node_modules" / "circomlib" / "circuits"
            shutil.copytree(circomlib, folder / "circomlib", dirs_exist_ok=True)
            src = src.replace('"../node_modules/circomlib/circuits/poseidon.circom"', '"circomlib/poseidon.circom"')
            src = src.replace("PoseidonChain(8)", f"PoseidonChain({hashes})")
            (folder / "circuit.circom").write_text(src)
            print(f"compiling a chain of {hashes} Poseidon hashes with circom2 ...", flush=True)
            run([str(CIRCOM2), "circuit.circom", "--r1cs", "--wasm", "--O2", "-o", "."], folder)
    power = max(8, (hashes * ROWS_PER_HASH + 16).bit_length())
    if ptau is None:
        ptau = work / f"dev_pot{power}.ptau"
        if not ptau.exists():
            print(f"making a powers of tau of 2^{power} (zapiki dev_ptau) ...", flush=True)
            t0 = time.perf_counter()
            tmp = ptau.with_suffix(".tmp")
            code = "import sys; from zapiki.systems.groth16 import dev_ptau; "
            code += "open(sys.argv[2], 'wb').write(dev_ptau(int(sys.argv[1])))"
            run([sys.executable, "-c", code, str(power), str(tmp)], work)  # not here: this process stays small
            tmp.rename(ptau)
            print(f"  {time.perf_counter() - t0:.0f} s", flush=True)
    print("snarkjs plonk setup ...", flush=True)
    run([snarkjs, "plonk", "setup", str(r1cs), str(ptau), str(zkey)], folder)
    run([snarkjs, "zkey", "export", "verificationkey", str(zkey), str(vk)], folder)
    inputs = json.loads((FIXTURE_8 / "input.json").read_text())
    (folder / "input.json").write_text(json.dumps(inputs))
    run([snarkjs, "wtns", "calculate", str(wasm), "input.json", str(wtns)], folder)
    return zkey, wtns, vk


WARM_PROVER = """
import json, sys, time
from zapiki.formats.wtns import read_wtns
from zapiki.kernels import warmup
from zapiki.systems.plonk.prover import load_plonk_key, prove
from zapiki.systems.plonk.verifier import verify

warmup(pairings=False)
key = load_plonk_key(sys.argv[1])
witness = read_wtns(sys.argv[2]).values
vk = json.loads(open(sys.argv[3]).read())
prove(key, witness)  # compiles (first run) or loads the prover's kernels
rows = f"{key.n_constraints} PLONK rows, {key.n_additions} additions"
print(json.dumps({"power": key.power, "rows": rows}), flush=True)
for line in sys.stdin:
    tm = {}
    t0, c0 = time.perf_counter(), time.process_time()
    proof, public = prove(key, witness, timings=tm)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert verify(vk, public, proof), "zapiki rejects its own warm proof"
    print(json.dumps({"wall": wall, "cpu": cpu, "stages": tm, "public": public}), flush=True)
"""


class WarmProver:
    """zapiki's prover as a worker keeps it, in a child process of its own (the key parsed and the kernels loaded
    once): this process stays small, so a measured command does not start from its high-water mark."""

    def __init__(self, zkey: Path, wtns: Path, vk: Path) -> None:
        cmd = [sys.executable, "-c", WARM_PROVER, str(zkey), str(wtns), str(vk)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.info = self._answer()

    def _answer(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the warm prover stopped (exit {self.proc.wait()})")
        return json.loads(line)

    def prove(self) -> dict:
        self.proc.stdin.write("prove\n")
        self.proc.stdin.flush()
        return self._answer()

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def bench_size(power: int, args: argparse.Namespace, snarkjs: str, zapiki: list[str]) -> dict:
    """Alternating rounds at a domain of 2^power: every command's measures, the warm proofs', the commands."""
    hashes = hashes_for(power)
    zkey, wtns, vk_path = prepare(args.workdir, hashes, args.ptau, snarkjs)
    folder = zkey.parent
    warm = WarmProver(zkey, wtns, vk_path)
    if warm.info["power"] != power:
        raise SystemExit(f"a chain of {hashes} hashes gives a domain of 2^{warm.info['power']}, not 2^{power}")
    rows = warm.info["rows"]
    print(f"\n== domain 2^{power}: chain of {hashes} Poseidon hashes ({rows}), {args.rounds} rounds", flush=True)
    cmds = {
        "snarkjs prove": [snarkjs, "plonk", "prove", str(zkey), str(wtns), "sproof.json", "spublic.json"],
        "zapiki prove": [*zapiki, "plonk", "prove", str(zkey), str(wtns), "zproof.json", "zpublic.json"],
        "snarkjs verify": [snarkjs, "plonk", "verify", str(vk_path), "zpublic.json", "zproof.json"],
        "zapiki verify": [*zapiki, "plonk", "verify", str(vk_path), "spublic.json", "sproof.json"],
    }
    res: dict[str, list[dict[str, float]]] = {name: [] for name in (*cmds, "zapiki warm")}
    stages: list[dict[str, float]] = []
    try:
        for r in range(args.rounds):
            order = ("snarkjs", "zapiki") if r % 2 == 0 else ("zapiki", "snarkjs")
            for what in ("prove", "verify"):
                for who in order:
                    name = f"{who} {what}"
                    m = measure(cmds[name], folder)
                    res[name].append(m)
                    print(f"  round {r + 1}: {name:<15}{m['wall']:8.3f} s {m['cpu']:8.2f} cpu-s {m['peak']:8.1f} MiB")
                if what == "prove":  # the warm proof while the key is in the page cache for all alike
                    w = warm.prove()
                    res["zapiki warm"].append({"wall": w["wall"], "cpu": w["cpu"]})
                    stages.append(w["stages"])
                    print(f"  round {r + 1}: zapiki warm    {w['wall']:8.3f} s {w['cpu']:8.2f} cpu-s", flush=True)
    finally:
        warm.close()
    # each verified the other's proof (the verify commands exit 0 only on a valid proof), the warm prover its own
    spublic, zpublic = (json.loads((folder / f).read_text()) for f in ("spublic.json", "zpublic.json"))
    assert spublic == zpublic == w["public"], "the public signals differ"
    med = {name: {k: statistics.median(m[k] for m in ms) for k in ms[0]} for name, ms in res.items()}
    return {"power": power, "hashes": hashes, "rows": rows, "med": med, "stages": stages, "cmds": cmds,
            "folder": folder}  # fmt: skip


def _ratio_row(label: str, unit: str, z: float, s: float, goal: float | None) -> tuple[str, bool | None]:
    ratio = z / s
    ok = None if goal is None else ratio <= goal
    verdict = "" if goal is None else f"<= {goal:g}x  {'PASS' if ok else 'FAIL'}"
    return f"  {label:<32}{unit:<9}{z:10.3f}{s:10.3f}{ratio:8.2f}x  {verdict}".rstrip(), ok


def report(results: list[dict], rounds: int) -> None:
    print(f"\n\nPLONK, zapiki vs snarkjs 0.7.6: medians of {rounds} alternating rounds, {os.cpu_count()} CPUs")
    print(f"  {'':<32}{'':<9}{'zapiki':>10}{'snarkjs':>10}{'ratio':>9}  goal (zapiki/snarkjs)")
    verdicts: list[tuple[str, bool]] = []
    for res in results:
        p, med = res["power"], res["med"]
        print(f"domain 2^{p} (chain of {res['hashes']} Poseidon hashes, {res['rows']})")
        zp, sp, zw, zv, sv = (med[k] for k in ("zapiki prove", "snarkjs prove", "zapiki warm", "zapiki verify",
                                                "snarkjs verify"))  # fmt: skip
        rows = [
            ("plonk prove, whole command", "wall s", zp["wall"], sp["wall"], ("prove", "wall")),
            ("", "CPU s", zp["cpu"], sp["cpu"], None),
            ("", "peak MiB", zp["peak"], sp["peak"], ("prove", "peak")),
            ("prove, warm prover (zapiki)", "wall s", zw["wall"], sp["wall"], None),
            ("", "CPU s", zw["cpu"], sp["cpu"], None),
            ("plonk verify, whole command", "wall s", zv["wall"], sv["wall"], ("verify", "wall")),
            ("", "CPU s", zv["cpu"], sv["cpu"], None),
            ("", "peak MiB", zv["peak"], sv["peak"], None),
        ]
        for label, unit, z, s, goal in rows:
            line, ok = _ratio_row(label, unit, z, s, GOALS.get(goal))
            print(line)
            if ok is not None:
                verdicts.append((f"2^{p} {goal[0]} {'peak memory' if goal[1] == 'peak' else 'wall'}", ok))
    print("  (peak MiB: resident, whole process tree; warm prover: zapiki's prove() with the key parsed once, as a "
          "worker keeps it, against snarkjs's whole command)")  # fmt: skip
    passed = sum(ok for _, ok in verdicts)
    each = ", ".join(f"{n} {'PASS' if ok else 'FAIL'}" for n, ok in verdicts)
    print(f"goals: {passed}/{len(verdicts)} PASS; {each}")
    print("commands (run in each chain_<hashes> folder):")
    for res in results:
        print(f"  2^{res['power']}: cd {res['folder']}")
        for name, cmd in res["cmds"].items():
            print(f"    {name:<15} {shlex.join(cmd)}")
    for res in results:
        stages = res["stages"]
        per = {name: round(statistics.median(st[name] for st in stages), 3) for name in stages[0]}
        print(f"where a warm zapiki proof spends its time at 2^{res['power']} (median s per stage): {per}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="14,16", help="PLONK domains as powers of two, comma separated")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/zapiki-bench-plonk"))
    ap.add_argument("--ptau", type=Path, default=None, help="a prepared .ptau (default: made with dev_ptau)")
    ap.add_argument("--snarkjs", default=os.environ.get("ZAPIKI_SNARKJS", str(DEFAULT_SNARKJS)))
    ap.add_argument("--zapiki", default=None, help="zapiki command line to run (default: the installed script)")
    args = ap.parse_args()
    snarkjs = shutil.which(args.snarkjs) or args.snarkjs
    zapiki = args.zapiki.split() if args.zapiki else zapiki_command()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(f"cpus {os.cpu_count()}  load {os.getloadavg()}  zapiki: {shlex.join(zapiki)}  snarkjs: {snarkjs}")
    print(f"command: {shlex.join([sys.executable, *sys.argv])}", flush=True)
    results = [bench_size(p, args, snarkjs, zapiki) for p in sizes]
    report(results, args.rounds)


if __name__ == "__main__":
    main()
