"""A warmed-up worker pays no compilation on its first Groth16 or PLONK proof: after `zapiki.systems.groth16.warmup()`
(what every prover process runs at start), a real setup and a real proof with the constraint check compile no
numba kernel, in the kernels or in the Groth16 stages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "groth16" / "poseidon_chain_8"

COMPILED_BY_A_PROOF = f"""
import json, sys
from numba.core.dispatcher import Dispatcher
from zapiki.systems.groth16.warmup import warmup
from zapiki.systems.groth16 import load_proving_key, prove, dev_setup
from zapiki.formats import read_r1cs, read_wtns

def signatures():
    found = {{}}
    for name, mod in list(sys.modules.items()):
        if name.startswith(("zapiki.kernels", "zapiki.systems.groth16")):
            for attr, obj in vars(mod).items():
                if isinstance(obj, Dispatcher):
                    found[f"{{name}}.{{attr}}"] = len(obj.signatures)
    return found

warmup()
before = signatures()
folder = {str(FIXTURE)!r}
r1cs = read_r1cs(folder + "/circuit.r1cs")
proof = prove(load_proving_key(folder + "/circuit.zkey"), read_wtns(folder + "/witness.wtns").values, r1cs=r1cs)
dev_setup(folder + "/circuit.r1cs")
after = signatures()
print(json.dumps({{k: [before.get(k, 0), v] for k, v in after.items() if v != before.get(k, 0)}}))
"""


def test_after_warmup_a_proof_and_a_setup_compile_nothing():
    out = subprocess.run(
        [sys.executable, "-c", COMPILED_BY_A_PROOF], cwd=ROOT, capture_output=True, text=True, timeout=900, check=True
    )
    compiled = json.loads(out.stdout.strip().splitlines()[-1])
    assert compiled == {}, f"compiled on the first proof (signatures before, after): {compiled}"


PLONK_COMPILED_BY_A_PROOF = f"""
import json, sys
from numba.core.dispatcher import Dispatcher
from zapiki.systems.plonk.warmup import warmup
from zapiki.systems.plonk import prove
from zapiki.systems.plonk.setup import build_plonk_zkey
from zapiki.systems.groth16.ptau_setup import dev_ptau
from zapiki.formats import read_wtns

def signatures():
    found = {{}}
    for name, mod in list(sys.modules.items()):
        if name.startswith(("zapiki.kernels", "zapiki.systems")):
            for attr, obj in vars(mod).items():
                if isinstance(obj, Dispatcher):
                    found[f"{{name}}.{{attr}}"] = len(obj.signatures)
    return found

warmup()
ptau = dev_ptau(4)  # made before the count: the proof is what is measured
before = signatures()
folder = {str(FIXTURE.parent / "multiplier")!r}
proof, public = prove(build_plonk_zkey(folder + "/circuit.r1cs", ptau), read_wtns(folder + "/witness.wtns").values)
after = signatures()
print(json.dumps({{k: [before.get(k, 0), v] for k, v in after.items() if v != before.get(k, 0)}}))
"""


def test_after_the_plonk_warmup_a_plonk_proof_compiles_nothing():
    out = subprocess.run(
        [sys.executable, "-c", PLONK_COMPILED_BY_A_PROOF], cwd=ROOT, capture_output=True, text=True, timeout=900,
        check=True,
    )  # fmt: skip
    compiled = json.loads(out.stdout.strip().splitlines()[-1])
    assert compiled == {}, f"compiled on the first PLONK proof (signatures before, after): {compiled}"
