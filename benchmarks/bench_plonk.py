"""PLONK prove, zapiki vs ``snarkjs plonk prove`` (0.7.6), side by side on the same key and witness.

    .venv/bin/python benchmarks/bench_plonk.py [--hashes H] [--rounds N] [--workdir DIR] [--ptau FILE]

The circuit is a chain of H Poseidon(2) hashes (``../shared/fixtures/circuits/poseidon_chain.circom``): H = 8
(default; the compiled ``tests/fixtures/groth16/poseidon_chain_8`` is reused) is 19,746 PLONK rows, a domain of
2^15; H = 26 is a domain of 2^16 (compiled here with circom2). The powers of tau is made with
:func:`zapiki.systems.groth16.dev_ptau` (far faster than ``snarkjs powersoftau prepare phase2``; not a
ceremony), ``snarkjs plonk setup`` makes the key and ``snarkjs wtns calculate`` the witness; all are kept in
``--workdir`` (default ``/tmp/zapiki-bench-plonk``) and reused by later runs.

Each round runs, alternating which goes first: ``snarkjs plonk prove`` (the whole command: node start, reading
the key, proving, writing), zapiki's whole command (a fresh Python process: imports, loading the compiled
kernels, parsing the key and the witness, proving, writing proof.json), and a warm zapiki proof (the key
parsed once, as a prover worker keeps it). snarkjs verifies a zapiki proof and zapiki a snarkjs proof. Printed
at the end: medians, zapiki / snarkjs ratios, and where a warm zapiki proof spends its time (per stage).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "fixtures"
FIXTURE_8 = REPO / "tests" / "fixtures" / "groth16" / "poseidon_chain_8"
DEFAULT_SNARKJS = REPO / ".ci" / "node" / "node_modules" / ".bin" / "snarkjs"
CIRCOM2 = REPO / ".ci" / "node" / "node_modules" / ".bin" / "circom2"
ROWS_PER_HASH = 2468  # PLONK rows per Poseidon(2) of the chain (8 hashes: 19,746 rows)

ZAPIKI_COMMAND = """
import json, sys, time
t0 = time.perf_counter()
from zapiki.formats.wtns import read_wtns
from zapiki.systems.plonk.prover import load_plonk_key, prove
key = load_plonk_key(sys.argv[1])
proof, public = prove(key, read_wtns(sys.argv[2]).values)
open(sys.argv[3], "w").write(json.dumps(proof, indent=1))
open(sys.argv[4], "w").write(json.dumps(public, indent=1))
"""


def run(cmd: list[str], cwd: Path) -> float:
    """Wall seconds of one command; raises with its output when it fails."""
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=3600)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return wall


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
        src = (SHARED / "circuits" / "poseidon_chain.circom").read_text()
        # circom2 runs sandboxed (WASI) and sees only the working folder: circomlib's circuits are copied in
        circomlib = REPO / ".ci" / "node" / "node_modules" / "circomlib" / "circuits"
        shutil.copytree(circomlib, folder / "circomlib", dirs_exist_ok=True)
        src = src.replace('"../node_modules/circomlib/circuits/poseidon.circom"', '"circomlib/poseidon.circom"')
        src = src.replace("PoseidonChain(8)", f"PoseidonChain({hashes})")
        (folder / "circuit.circom").write_text(src)
        print(f"compiling a chain of {hashes} Poseidon hashes with circom2 ...", flush=True)
        run([str(CIRCOM2), "circuit.circom", "--r1cs", "--wasm", "--O2", "-o", "."], folder)
        r1cs, wasm = folder / "circuit.r1cs", folder / "circuit_js" / "circuit.wasm"
    power = max(8, (hashes * ROWS_PER_HASH + 16).bit_length())
    if ptau is None:
        ptau = work / f"dev_pot{power}.ptau"
        if not ptau.exists():
            from zapiki.systems.groth16 import dev_ptau

            print(f"making a powers of tau of 2^{power} (zapiki dev_ptau) ...", flush=True)
            t0 = time.perf_counter()
            ptau.write_bytes(dev_ptau(power))
            print(f"  {time.perf_counter() - t0:.0f} s", flush=True)
    print("snarkjs plonk setup ...", flush=True)
    run([snarkjs, "plonk", "setup", str(r1cs), str(ptau), str(zkey)], folder)
    run([snarkjs, "zkey", "export", "verificationkey", str(zkey), str(vk)], folder)
    inputs = json.loads((FIXTURE_8 / "input.json").read_text())
    (folder / "input.json").write_text(json.dumps(inputs))
    run([snarkjs, "wtns", "calculate", str(wasm), "input.json", str(wtns)], folder)
    return zkey, wtns, vk


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hashes", type=int, default=8, help="Poseidon hashes in the chain (8: 2^15 rows, 26: 2^16)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/zapiki-bench-plonk"))
    ap.add_argument("--ptau", type=Path, default=None, help="a prepared .ptau (default: made with dev_ptau)")
    ap.add_argument("--snarkjs", default=os.environ.get("ZAPIKI_SNARKJS", str(DEFAULT_SNARKJS)))
    args = ap.parse_args()
    snarkjs = shutil.which(args.snarkjs) or args.snarkjs
    zkey, wtns, vk_path = prepare(args.workdir, args.hashes, args.ptau, snarkjs)
    folder = zkey.parent

    from zapiki.formats.wtns import read_wtns
    from zapiki.kernels import warmup
    from zapiki.systems.plonk.prover import load_plonk_key, prove
    from zapiki.systems.plonk.verifier import verify

    key = load_plonk_key(zkey)
    witness = read_wtns(wtns).values
    print(f"domain 2^{key.power} ({key.n_constraints} PLONK rows, {key.n_additions} additions), {os.cpu_count()} CPUs")
    warmup(pairings=False)
    prove(key, witness)  # compiles (first run) or loads this module's kernels
    vk = json.loads(vk_path.read_text())

    snark_t: list[float] = []
    cold_t: list[float] = []
    warm_t: list[float] = []
    stages: list[dict[str, float]] = []
    z_cmd = [sys.executable, "-c", ZAPIKI_COMMAND, str(zkey), str(wtns), "zproof.json", "zpublic.json"]
    s_cmd = [snarkjs, "plonk", "prove", str(zkey), str(wtns), "sproof.json", "spublic.json"]
    for r in range(args.rounds):
        order = ("snarkjs", "zapiki") if r % 2 == 0 else ("zapiki", "snarkjs")
        for who in order:
            if who == "snarkjs":
                snark_t.append(run(s_cmd, folder))
            else:
                cold_t.append(run(z_cmd, folder))
                tm: dict[str, float] = {}
                t0 = time.perf_counter()
                proof, public = prove(key, witness, timings=tm)
                warm_t.append(time.perf_counter() - t0)
                stages.append(tm)
        print(f"round {r + 1}: snarkjs {snark_t[-1]:.2f} s, zapiki command {cold_t[-1]:.2f} s, warm {warm_t[-1]:.2f} s")
    assert verify(vk, public, proof)
    sproof, spublic = (json.loads((folder / f).read_text()) for f in ("sproof.json", "spublic.json"))
    assert verify(vk, spublic, sproof), "zapiki rejects snarkjs's proof"
    run([snarkjs, "plonk", "verify", str(vk_path), "zpublic.json", "zproof.json"], folder)
    assert spublic == json.loads((folder / "zpublic.json").read_text())

    s, c, w = (statistics.median(x) for x in (snark_t, cold_t, warm_t))
    print(f"\nmedians of {args.rounds} rounds, domain 2^{key.power}:")
    print(f"  snarkjs plonk prove (command)   {s:8.3f} s")
    print(f"  zapiki prove (whole command)    {c:8.3f} s   ratio zapiki / snarkjs {c / s:.3f}")
    print(f"  zapiki prove (warm, key cached) {w:8.3f} s   ratio zapiki / snarkjs {w / s:.3f}")
    print("  each verifies the other's proof (snarkjs plonk verify, zapiki verify)")
    print("\nwhere a warm zapiki proof spends its time (median seconds per stage):")
    for name in stages[0]:
        print(f"  {name:18s} {statistics.median(st[name] for st in stages):8.3f}")


if __name__ == "__main__":
    main()
