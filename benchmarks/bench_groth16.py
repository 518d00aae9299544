"""Groth16 prove and verify as whole commands, zapiki vs snarkjs 0.7.6, side by side on the same files.

    .venv/bin/python benchmarks/bench_groth16.py [--rounds N] [--large [--large-rounds M]] [--snarkjs PATH]
                                                 [--zapiki "COMMAND ..."]

By default: the 1,920-constraint circuit ``tests/fixtures/groth16/poseidon_chain_8`` (``--fixture DIR`` for
another one holding circuit.zkey, witness.wtns and verification_key.json), N = 5 rounds. ``--large`` adds the
~2^16-constraint ``../shared/fixtures/groth16/poseidon_chain_2p16`` (about 20 s per round on 2 cores, so off by
default; M = 2 rounds).

Each round runs ``zapiki groth16 prove`` and ``snarkjs groth16 prove``, then ``zapiki groth16 verify`` and
``snarkjs groth16 verify``, alternating which goes first, so load on the machine hits both alike; each verifies
the other's proof. Wall time is the whole command (process start, imports, loading the compiled kernels,
parsing, the maths, writing); peak memory is each child's maximum resident set (wait4). Printed at the end:
medians, zapiki / snarkjs ratios, zapiki's own per-stage seconds (``--timings``) and the floors of the two
runtimes (an empty ``python -c pass`` and ``node -e 0``). Goal (issue #13): ratios <= 0.5 in time, <= 1 in
memory.

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
    res: dict[str, tuple[list, list]] = {
        k: ([], []) for k in ("zapiki prove", "snarkjs prove", "zapiki verify", "snarkjs verify")
    }
    stages: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        cmds = {
            "snarkjs prove": [snarkjs, "groth16", "prove", zkey, wtns, t / "sp.json", t / "spub.json"],
            "zapiki prove": [*zapiki, "groth16", "prove", zkey, wtns, t / "zp.json", t / "zpub.json", "--timings"],
            "snarkjs verify": [snarkjs, "groth16", "verify", vkey, t / "zpub.json", t / "zp.json"],
            "zapiki verify": [*zapiki, "groth16", "verify", vkey, t / "spub.json", t / "sp.json"],
        }
        for i in range(rounds):
            first, second = ("snarkjs", "zapiki") if i % 2 == 0 else ("zapiki", "snarkjs")
            for name in (f"{first} prove", f"{second} prove", f"{first} verify", f"{second} verify"):
                wall, mem, err = run_measured([str(c) for c in cmds[name]])
                res[name][0].append(wall)
                res[name][1].append(mem)
                if name == "zapiki prove":
                    stages.append(json.loads(err.strip().splitlines()[-1]))
                print(f"  round {i + 1}: {name:<15} {wall:7.3f} s  {mem:7.1f} MiB", flush=True)
    head = ("command", "zapiki s", "snarkjs s", "ratio", "zapiki MiB", "snarkjs MiB", "ratio")
    print("\n  {:<16}{:>10}{:>11}{:>8}{:>13}{:>13}{:>8}".format(*head))
    for what in ("prove", "verify"):
        z, s = res[f"zapiki {what}"], res[f"snarkjs {what}"]
        zw, sw, zm, sm = (statistics.median(v) for v in (z[0], s[0], z[1], s[1]))
        print(f"  groth16 {what:<8}{zw:10.3f}{sw:11.3f}{zw / sw:7.2f}x{zm:13.1f}{sm:13.1f}{zm / sm:7.2f}x")
    print("  (medians; wall min/max zapiki prove {:.3f}/{:.3f}, snarkjs prove {:.3f}/{:.3f})".format(
        min(res["zapiki prove"][0]), max(res["zapiki prove"][0]),
        min(res["snarkjs prove"][0]), max(res["snarkjs prove"][0]),
    ))  # fmt: skip
    keys = [k for k in stages[0] if not k.startswith("msm_") or k == "msm_wall"]
    print("  zapiki prove stages, median s:", {k: round(statistics.median(s[k] for s in stages), 3) for k in keys})
    return res


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
    bench_fixture(args.fixture, args.rounds, args.snarkjs, zapiki)
    if args.large:
        bench_fixture(LARGE, args.large_rounds, args.snarkjs, zapiki)
    floors(max(3, args.rounds))


if __name__ == "__main__":
    main()
