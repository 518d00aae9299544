"""zapiki's PLONK prover (:mod:`zapiki.systems.plonk.prover`) proves as ``snarkjs plonk prove`` (0.7.6) does.

A module fixture compiles three small circuits with circom2 (a multiplier; a circuit of a few gates with four
public signals; a circuit of linear combinations, which ``plonk setup`` turns into additions, on a domain of
2^5), makes a tiny powers of tau (2^6), and has snarkjs set up and compute the witnesses. Our proofs verify in
``snarkjs plonk verify`` and in zapiki's verifier; two proofs of one witness differ (random blinding); with the
blinding scalars injected (``blinding=`` here, ``Fr.random`` patched in snarkjs's node process) the proof is
snarkjs's, byte for byte; and the reference prover's (:mod:`zapiki.systems.plonk.reference`) when that module
exists. Bad witnesses raise :class:`~zapiki.errors.WitnessError`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from zapiki.errors import WitnessError
from zapiki.formats.moduli import BN254_R
from zapiki.formats.wtns import read_wtns
from zapiki.systems.plonk.keys import clear_plonk_cache, load_plonk_key
from zapiki.systems.plonk.prover import N_BLINDING, prove
from zapiki.systems.plonk.verifier import verify

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POWER = 6  # the powers of tau: enough for the 2^5 domain of "sums"

SOURCES = {
    "multiplier": (
        """pragma circom 2.0.0;
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
    "poly": (
        """pragma circom 2.0.0;
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
    "sums": (
        """pragma circom 2.0.0;
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
}

TIMINGS: dict[str, float] = {}


@dataclass
class Built:
    """One circuit set up by snarkjs (files in ``dir``), with its witness and verification key."""

    name: str
    dir: Path
    vk: dict
    witness: np.ndarray


def _tool(name: str) -> str:
    local = REPO / ".ci" / "node" / "node_modules" / ".bin" / name
    exe = str(local) if local.exists() and shutil.which("node") else shutil.which(name)
    if exe is None:
        message = f"{name} not found: run `npm install --prefix .ci/node` (see Makefile)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return exe


def _ok(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def built(snarkjs: Callable[..., subprocess.CompletedProcess], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """{name: Built} for every circuit of SOURCES, with one shared powers of tau of 2^POWER."""
    circom = _tool("circom2")
    root = tmp_path_factory.mktemp("plonk-prove")
    start = time.perf_counter()
    _ok(snarkjs("powersoftau", "new", "bn128", POWER, "pot_0.ptau", cwd=root))
    _ok(snarkjs("powersoftau", "contribute", "pot_0.ptau", "pot_1.ptau", "-e=zapiki test entropy", cwd=root))
    _ok(snarkjs("powersoftau", "prepare", "phase2", "pot_1.ptau", "pot.ptau", cwd=root))
    out = {}
    for name, (source, inputs) in SOURCES.items():
        folder = root / name
        folder.mkdir()
        (folder / "circuit.circom").write_text(source)
        (folder / "input.json").write_text(json.dumps(inputs))
        args = [circom, "circuit.circom", "--r1cs", "--wasm", "-o", "."]
        _ok(subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=folder))
        _ok(snarkjs("plonk", "setup", "circuit.r1cs", root / "pot.ptau", "circuit.zkey", cwd=folder))
        _ok(snarkjs("zkey", "export", "verificationkey", "circuit.zkey", "vk.json", cwd=folder))
        _ok(snarkjs("wtns", "calculate", "circuit_js/circuit.wasm", "input.json", "w.wtns", cwd=folder))
        vk = json.loads((folder / "vk.json").read_text())
        out[name] = Built(name, folder, vk, read_wtns(folder / "w.wtns").values)
    TIMINGS["ptau, circom2, plonk setup, wtns (3 circuits)"] = time.perf_counter() - start
    return out


def _snarkjs_accepts(snarkjs: Callable[..., subprocess.CompletedProcess], b: Built, public, proof, tag: str) -> bool:
    (b.dir / f"public_{tag}.json").write_text(json.dumps(public))
    (b.dir / f"proof_{tag}.json").write_text(json.dumps(proof))
    done = snarkjs("plonk", "verify", "vk.json", f"public_{tag}.json", f"proof_{tag}.json", cwd=b.dir)
    return done.returncode == 0 and "OK" in done.stdout + done.stderr


_DETERMINISTIC_JS = """
const pkg = process.argv[2];
const snarkjs = require(pkg);
const ff = require(require.resolve("ffjavascript", {paths: [pkg]}));
const blinding = JSON.parse(process.argv[5]);
(async () => {
    const curve = await ff.buildBn128();  // the process-wide instance snarkjs's prover uses too
    let used = 0;
    curve.Fr.random = () => curve.Fr.e(BigInt(blinding[used++]));
    const {proof, publicSignals} = await snarkjs.plonk.prove(process.argv[3], process.argv[4]);
    console.log(JSON.stringify({proof, publicSignals, used}));
    process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
"""


def _snarkjs_package() -> Path | None:
    exe = os.environ.get("ZAPIKI_SNARKJS") or str(REPO / ".ci" / "node" / "node_modules" / ".bin" / "snarkjs")
    found = shutil.which(exe) or exe
    for folder in Path(found).resolve().parents:
        package = folder / "package.json"
        if package.exists():
            return folder if json.loads(package.read_text()).get("name") == "snarkjs" else None
    return None


def _blinding(seed: int) -> list[int]:
    rng = np.random.default_rng(seed)
    return [int.from_bytes(rng.bytes(32), "little") % BN254_R for _ in range(N_BLINDING)]


# --- the tests ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SOURCES)
def test_our_proofs_verify_in_snarkjs_and_in_zapiki(snarkjs, built, name):
    b = built[name]
    timings: dict[str, float] = {}
    proof, public = prove(load_plonk_key(b.dir / "circuit.zkey"), b.witness, timings=timings)
    TIMINGS[f"{name}: zapiki prove (after the JIT)"] = timings["total"]
    assert list(proof) == ["A", "B", "C", "Z", "T1", "T2", "T3", "Wxi", "Wxiw"] + [
        "eval_a", "eval_b", "eval_c", "eval_s1", "eval_s2", "eval_zw", "protocol", "curve",
    ]  # fmt: skip
    assert proof["protocol"] == "plonk" and proof["curve"] == "bn128"
    n_public = b.vk["nPublic"]
    assert public == [
        str(int.from_bytes(b.witness[i].astype("<u8").tobytes(), "little")) for i in range(1, 1 + n_public)
    ]
    assert verify(b.vk, public, proof) is True
    assert _snarkjs_accepts(snarkjs, b, public, proof, "ours")
    # and a wrong public signal is refused by both
    if public:
        bad = [str((int(public[0]) + 1) % BN254_R), *public[1:]]
        assert verify(b.vk, bad, proof) is False
        assert not _snarkjs_accepts(snarkjs, b, bad, proof, "bad")


def test_randomised_proofs_differ(built):
    b = built["poly"]
    key = load_plonk_key(b.dir / "circuit.zkey")
    (p1, pub1), (p2, pub2) = prove(key, b.witness), prove(key, b.witness)
    assert pub1 == pub2
    assert all(p1[k] != p2[k] for k in ("A", "B", "C", "Z", "T1", "T2", "T3", "Wxi", "Wxiw", "eval_a", "eval_zw"))
    assert verify(b.vk, pub1, p1) and verify(b.vk, pub2, p2)


def test_same_blinding_same_proof_whatever_the_inputs_form(built):
    """A key object or its path, an array witness or a list of ints: one proof for one blinding."""
    b = built["sums"]
    bl = _blinding(1)
    ints = [int.from_bytes(row.astype("<u8").tobytes(), "little") for row in b.witness]
    first = prove(load_plonk_key(b.dir / "circuit.zkey"), b.witness, blinding=bl)
    assert prove(str(b.dir / "circuit.zkey"), ints, blinding=bl) == first
    assert prove(b.dir / "circuit.zkey", b.witness, blinding=bl) == first
    assert verify(b.vk, *first[::-1])


@pytest.mark.parametrize("name", SOURCES)
def test_with_the_same_blinding_the_proof_is_snarkjs_s_byte_for_byte(built, name):
    """snarkjs's ``Fr.random`` patched to hand out our b1..b11: its proof.json equals ours, field by field."""
    package, node = _snarkjs_package(), shutil.which("node")
    if package is None or node is None:
        message = "the snarkjs package or node was not found (needed to run snarkjs's prover with fixed blinding)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    b = built[name]
    bl = _blinding(7)
    (b.dir / "deterministic.cjs").write_text(_DETERMINISTIC_JS)
    args = [node, "deterministic.cjs", str(package), "circuit.zkey", "w.wtns", json.dumps([str(x) for x in bl])]
    done = _ok(subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=b.dir))
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    assert theirs["used"] == N_BLINDING
    ours, public = prove(load_plonk_key(b.dir / "circuit.zkey"), b.witness, blinding=bl)
    assert public == theirs["publicSignals"]
    assert json.dumps(ours) == json.dumps(theirs["proof"])


def test_with_the_same_blinding_the_proof_is_the_reference_prover_s(built):
    try:
        from zapiki.systems.plonk import reference
    except ImportError:
        pytest.skip("zapiki.systems.plonk.reference (the pure-Python reference prover) does not exist yet")
    for name in ("poly", "sums"):
        b = built[name]
        key = load_plonk_key(b.dir / "circuit.zkey")
        bl = _blinding(3)
        ints = [int.from_bytes(row.astype("<u8").tobytes(), "little") for row in b.witness]
        trace: dict = {}
        theirs = reference.prove_reference(key, ints, blinding=bl)
        ours = prove(key, b.witness, blinding=bl, trace=trace)
        assert ours[0] == theirs[0], name
        assert [str(s) for s in theirs[1]] == ours[1], name


def test_bad_witnesses_raise_witness_errors(built):
    b = built["poly"]
    key = load_plonk_key(b.dir / "circuit.zkey")
    with pytest.raises(WitnessError, match="witness has 6 values but the key expects 7"):
        prove(key, b.witness[:-1])
    too_big = b.witness.copy()
    too_big[2] = np.array([(BN254_R >> (64 * i)) & (2**64 - 1) for i in range(4)], dtype=np.uint64)
    with pytest.raises(WitnessError, match="below the BN254 scalar field modulus"):
        prove(key, too_big)
    with pytest.raises(WitnessError, match=r"integers in \[0, r\)"):
        prove(key, [1, -1, 0, 0, 0, 0, 0])
    for row in range(1, b.witness.shape[0]):  # any one wire changed: the constraints no longer hold
        wrong = b.witness.copy()
        wrong[row, 0] += np.uint64(1)
        with pytest.raises(WitnessError, match="does not satisfy the circuit"):
            prove(key, wrong)


def test_the_key_cache_parses_a_file_once(built):
    clear_plonk_cache()
    path = built["multiplier"].dir / "circuit.zkey"
    assert load_plonk_key(path) is load_plonk_key(str(path))
    assert load_plonk_key(path) is load_plonk_key(path.read_bytes())


def test_zapiki_s_witness_calculator_feeds_the_prover_and_timings_are_reported(built):
    """Timings are reported, not asserted (the machines are shared); benchmarks/bench_plonk.py compares."""
    from zapiki.witness import calculate_witness

    b = built["sums"]
    w = calculate_witness(
        (b.dir / "circuit_js" / "circuit.wasm").read_bytes(), json.loads((b.dir / "input.json").read_text())
    )
    assert np.array_equal(w, b.witness)
    proof, public = prove(load_plonk_key(b.dir / "circuit.zkey"), w)
    assert verify(b.vk, public, proof)
    for what, seconds in TIMINGS.items():
        print(f"{what}: {seconds:.3f} s")
