"""zapiki's PLONK prover (:mod:`zapiki.systems.plonk.prover`) proves as ``snarkjs plonk prove`` (0.7.6) does.

Three small circuits of ``circuits.py``, compiled with circom2 once a session (the ``plonk_circuits`` fixture; the
verifier's tests use two of them): a multiplier; a circuit of a few gates with four public signals; a circuit of
linear combinations, which ``plonk setup`` turns into additions, on a domain of 2^5. snarkjs makes a tiny powers
of tau (2^6), sets them up and computes the witnesses. Our proofs verify in
``snarkjs plonk verify`` and in zapiki's verifier; two proofs of one witness differ (random blinding); with the
blinding scalars injected (``blinding=`` here, ``Fr.random`` patched in snarkjs's node process) the proof is
snarkjs's, byte for byte; and the reference prover's (:mod:`zapiki.systems.plonk.reference`) when that module
exists. Bad witnesses raise :class:`~zapiki.errors.WitnessError`.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest

from zapiki.errors import WitnessError
from zapiki.formats.moduli import BN254_R
from zapiki.systems.plonk.keys import clear_plonk_cache, load_plonk_key
from zapiki.systems.plonk.prover import N_BLINDING, prove
from zapiki.systems.plonk.verifier import verify

from .circuits import SNARKJS_PTAU, Built, Workshop, missing, ok, snarkjs_package, snarkjs_plonk_verify

NAMES = ("multiplier", "poly", "sums")  # of circuits.CIRCUITS, set up from circuits.SNARKJS_PTAU (2^6)
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def built(plonk_circuits: Workshop) -> dict[str, Built]:
    """{name: Built} for every circuit of NAMES (built once a session, shared with the verifier's tests)."""
    out = plonk_circuits.build(*NAMES, ptau=SNARKJS_PTAU)
    TIMINGS.update(plonk_circuits.timings(out))
    return out


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


def _blinding(seed: int) -> list[int]:
    rng = np.random.default_rng(seed)
    return [int.from_bytes(rng.bytes(32), "little") % BN254_R for _ in range(N_BLINDING)]


# --- the tests ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
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
    assert snarkjs_plonk_verify(snarkjs, b.dir, public, proof, "ours")
    # and a wrong public signal is refused by both
    if public:
        bad = [str((int(public[0]) + 1) % BN254_R), *public[1:]]
        assert verify(b.vk, bad, proof) is False
        assert not snarkjs_plonk_verify(snarkjs, b.dir, bad, proof, "bad")


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


@pytest.mark.parametrize("name", NAMES)
def test_with_the_same_blinding_the_proof_is_snarkjs_s_byte_for_byte(built, name):
    """snarkjs's ``Fr.random`` patched to hand out our b1..b11: its proof.json equals ours, field by field."""
    package, node = snarkjs_package(), shutil.which("node")
    if package is None or node is None:
        missing("the snarkjs package or node was not found (needed to run snarkjs's prover with fixed blinding)")
    b = built[name]
    bl = _blinding(7)
    (b.dir / "deterministic.cjs").write_text(_DETERMINISTIC_JS)
    args = [node, "deterministic.cjs", str(package), "circuit.zkey", "w.wtns", json.dumps([str(x) for x in bl])]
    done = ok(subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=b.dir))
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


@pytest.mark.parametrize("name", ["wide", "noconst_inputs"])
def test_proofs_cross_with_snarkjs_on_a_circuit_of_additions_and_one_without_constants(
    name: str, plonk_circuits: Workshop, snarkjs
) -> None:
    """Zapiki's proof passes `snarkjs plonk verify`, snarkjs's proof passes Zapiki's verifier: on a circuit whose
    wide combinations become additions, and on one with no constant (Qc's commitment is the point at infinity)."""
    from .circuits import DEV_PTAU

    b = plonk_circuits.build(name, ptau=DEV_PTAU)[name]
    from zapiki.formats.plonk_zkey import read_plonk_zkey

    key = read_plonk_zkey(b.zkey_bytes)
    if name == "noconst_inputs":
        assert not np.any(key.commitment("Qc")), "Qc should be at infinity"
    else:
        assert key.n_additions > 0
    proof, public = prove(key, b.witness)
    assert snarkjs_plonk_verify(snarkjs, b.dir, public, proof, "cross")
    ok(snarkjs("plonk", "prove", "circuit.zkey", "w.wtns", "s_proof.json", "s_public.json", cwd=b.dir))
    theirs = json.loads((b.dir / "s_proof.json").read_text())
    assert verify(b.vk, json.loads((b.dir / "s_public.json").read_text()), theirs)
    assert public == json.loads((b.dir / "s_public.json").read_text())
