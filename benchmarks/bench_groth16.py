"""Groth16 proving and verification, zapiki vs snarkjs 0.7.6, as subprocesses on the same zkey and witness.

    .venv/bin/python benchmarks/bench_groth16.py [FIXTURE_DIR] [--rounds N] [--snarkjs PATH]

FIXTURE_DIR (default ../shared/fixtures/groth16/poseidon_chain_2p16, ~2^16 constraints) holds circuit.zkey,
witness.wtns and verification_key.json. Rounds alternate snarkjs and zapiki so load on the machine hits both
alike. Wall time is the whole command (process start, imports, key parsing, proving, writing); peak memory is
each child's maximum resident set (wait4). zapiki's own per-stage seconds (``--timings``) are printed too.
Goal: zapiki <= 0.5x snarkjs wall time, and less memory.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FIXTURE = REPO.parent / "shared" / "fixtures" / "groth16" / "poseidon_chain_2p16"
DEFAULT_SNARKJS = REPO / ".ci" / "node" / "node_modules" / ".bin" / "snarkjs"
ZAPIKI = [sys.executable, "-c", "from zapiki.cli import run; run()"]


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


def summary(name: str, walls: list[float], mems: list[float]) -> str:
    return (
        f"{name:<22} wall median {statistics.median(walls):7.3f} s  (min {min(walls):.3f}, max {max(walls):.3f})"
        f"   peak RSS median {statistics.median(mems):7.1f} MiB"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("fixture", nargs="?", type=Path, default=DEFAULT_FIXTURE)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--snarkjs", default=os.environ.get("ZAPIKI_SNARKJS", str(DEFAULT_SNARKJS)))
    args = ap.parse_args()
    fx = args.fixture
    zkey, wtns, vkey = fx / "circuit.zkey", fx / "witness.wtns", fx / "verification_key.json"
    for f in (zkey, wtns, vkey):
        if not f.exists():
            raise SystemExit(f"missing {f}")
    print(f"fixture {fx}  zkey {zkey.stat().st_size / 2**20:.1f} MiB  cpus {os.cpu_count()}  load {os.getloadavg()}")

    res: dict[str, tuple[list[float], list[float]]] = {
        k: ([], []) for k in ("snarkjs prove", "zapiki prove", "snarkjs verify", "zapiki verify")
    }
    stages: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        for i in range(args.rounds):
            cmds = {
                "snarkjs prove": [args.snarkjs, "groth16", "prove", zkey, wtns, t / "sp.json", t / "spub.json"],
                "zapiki prove": [*ZAPIKI, "groth16", "prove", zkey, wtns, t / "zp.json", t / "zpub.json", "--timings"],
                "snarkjs verify": [args.snarkjs, "groth16", "verify", vkey, t / "zpub.json", t / "zp.json"],
                "zapiki verify": [*ZAPIKI, "groth16", "verify", vkey, t / "spub.json", t / "sp.json"],
            }
            order = list(cmds) if i % 2 == 0 else ["zapiki prove", "snarkjs prove", "zapiki verify", "snarkjs verify"]
            for name in order:
                wall, mem, err = run_measured([str(c) for c in cmds[name]])
                res[name][0].append(wall)
                res[name][1].append(mem)
                if name == "zapiki prove":
                    stages.append(json.loads(err.strip().splitlines()[-1]))
                print(f"round {i + 1}: {name:<15} {wall:7.3f} s  {mem:7.1f} MiB", flush=True)
    print()
    for name, (walls, mems) in res.items():
        print(summary(name, walls, mems))
    for what in ("prove", "verify"):
        z, s = res[f"zapiki {what}"], res[f"snarkjs {what}"]
        print(
            f"{what}: zapiki / snarkjs wall = {statistics.median(z[0]) / statistics.median(s[0]):.2f}x, "
            f"memory = {statistics.median(z[1]) / statistics.median(s[1]):.2f}x"
        )
    keys = [k for k in stages[0] if not k.startswith("msm_") or k == "msm_wall"]
    msm_keys = [k for k in stages[0] if k.startswith("msm_") and k != "msm_wall"]
    print("zapiki prove stages, median s:", {k: round(statistics.median(s[k] for s in stages), 3) for k in keys})
    print(
        "zapiki MSMs (concurrent, each one's own wall), median s:",
        {k: round(statistics.median(s[k] for s in stages), 3) for k in msm_keys},
    )


if __name__ == "__main__":
    main()
