"""zapiki's PLONK verifier (:mod:`zapiki.systems.plonk.verifier`) answers as ``snarkjs plonk verify`` (0.7.6).

Two small circuits of ``circuits.py`` (a multiplier, one public signal; and a circuit of 8 PLONK constraints with
four public signals), compiled with circom2, set up by snarkjs from its powers of tau of 2^6 and their witnesses
computed once a session (the ``plonk_circuits`` fixture, shared with the prover's tests); a module fixture has
snarkjs prove each several times (PLONK proofs are randomised). Every proof
verifies in zapiki; tampered proofs are rejected, and snarkjs gives the same verdict, except where zapiki is
deliberately stricter (non-canonical numbers, which snarkjs reduces and accepts). Malformed input raises an
error naming the field. The transcript's Keccak-256 is checked against pycryptodome's and against the challenges
``snarkjs plonk verify -v`` logs.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from zapiki.bn254py.fields import Q, R
from zapiki.errors import CurveError, FormatError
from zapiki.systems.plonk.transcript import Transcript, keccak256
from zapiki.systems.plonk.verifier import compute_challenges, parse_proof, parse_vkey, root_of_unity, verify

from .circuits import SNARKJS_PTAU, Snarkjs, Workshop, ok, snarkjs_package, snarkjs_plonk_verify

NAMES = ("multiplier", "poly")  # of circuits.CIRCUITS, set up from circuits.SNARKJS_PTAU
N_PROOFS = 3
POINTS = ("A", "B", "C", "Z", "T1", "T2", "T3", "Wxi", "Wxiw")
EVALS = ("eval_a", "eval_b", "eval_c", "eval_s1", "eval_s2", "eval_zw")

TIMINGS: dict[str, float] = {}


@dataclass
class Proved:
    """One circuit set up by snarkjs: its verification key and N_PROOFS (public signals, proof) pairs."""

    name: str
    dir: Path
    vk: dict
    proofs: list[tuple[list[str], dict]] = field(default_factory=list)


@pytest.fixture(scope="module")
def built(snarkjs: Snarkjs, plonk_circuits: Workshop) -> dict[str, Proved]:
    """{name: Proved} for both circuits: N_PROOFS proofs of each by ``snarkjs plonk prove``, in parallel."""
    circuits = plonk_circuits.build(*NAMES, ptau=SNARKJS_PTAU)
    TIMINGS.update(plonk_circuits.timings(circuits))
    start = time.perf_counter()

    def prove(name: str, i: int) -> tuple[list[str], dict]:
        folder = circuits[name].dir
        ok(snarkjs("plonk", "prove", "circuit.zkey", "w.wtns", f"proof{i}.json", f"public{i}.json", cwd=folder))
        return json.loads((folder / f"public{i}.json").read_text()), json.loads((folder / f"proof{i}.json").read_text())

    jobs = [(name, i) for name in NAMES for i in range(N_PROOFS)]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        proofs = list(pool.map(prove, *zip(*jobs, strict=True)))
    TIMINGS[f"snarkjs plonk prove ({len(jobs)}, in parallel)"] = time.perf_counter() - start
    return {
        name: Proved(name, b.dir, b.vk, [p for (n, _), p in zip(jobs, proofs, strict=True) if n == name])
        for name, b in circuits.items()
    }


# --- tampering ---------------------------------------------------------------------------------------------------

Case = Callable[[list, dict], tuple[list, dict]]


def _point_changed(key: str) -> Case:
    def change(public: list, proof: dict) -> tuple[list, dict]:
        x, y, z = proof[key]
        # the negated point: still on the curve, another commitment (the generator if it was infinity)
        proof[key] = ["1", "2", "1"] if z == "0" else [x, str(Q - int(y)), "1"]
        return public, proof

    return change


def _eval_changed(key: str, to: Callable[[int], int]) -> Case:
    def change(public: list, proof: dict) -> tuple[list, dict]:
        proof[key] = str(to(int(proof[key])))
        return public, proof

    return change


def _public_changed(index: int, to: Callable[[int], int]) -> Case:
    def change(public: list, proof: dict) -> tuple[list, dict]:
        public[index] = str(to(int(public[index])))
        return public, proof

    return change


def _off_curve(public: list, proof: dict) -> tuple[list, dict]:
    x, y, _ = proof["C"]
    proof["C"] = [x, str((int(y) + 1) % Q), "1"]
    return public, proof


def _x_plus_q(public: list, proof: dict) -> tuple[list, dict]:
    x, y, _ = proof["A"]
    proof["A"] = [str(int(x) + Q), y, "1"]
    return public, proof


#: name -> (tamper, what snarkjs 0.7.6 answers). zapiki answers False to every one.
CASES: dict[str, tuple[Case, bool]] = {
    **{f"{k} changed": (_point_changed(k), False) for k in POINTS},
    **{f"{k} + 1": (_eval_changed(k, lambda v: (v + 1) % R), False) for k in EVALS},
    "first public signal + 1": (_public_changed(0, lambda v: (v + 1) % R), False),
    "last public signal + 1": (_public_changed(-1, lambda v: (v + 1) % R), False),
    "public signal + r": (_public_changed(0, lambda v: v + R), False),
    "public signal = r": (_public_changed(-1, lambda v: R), False),
    "public signal dropped": (lambda public, proof: (public[:-1], proof), False),
    "public signal added": (lambda public, proof: ([*public, "0"], proof), False),
    "eval_b = r": (_eval_changed("eval_b", lambda v: R), False),
    "C off the curve": (_off_curve, False),
    # zapiki is stricter: snarkjs reduces eval mod r and x mod q, so it accepts these other encodings
    "eval_a + r": (_eval_changed("eval_a", lambda v: v + R), True),
    "A.x + q": (_x_plus_q, True),
}


def _tampered(b: Proved, case: str) -> tuple[list, dict]:
    public, proof = copy.deepcopy(b.proofs[0])
    return CASES[case][0](public, proof)


_VERIFY_ALL_JS = """
const snarkjs = require(process.argv[2]);
const cases = JSON.parse(require("fs").readFileSync(process.argv[3], "utf8"));
const quiet = {debug() {}, info() {}, warn() {}, error() {}};  // snarkjs 0.7.6 needs a logger on some paths
(async () => {
    const verdicts = [];
    for (const [vk, pub, proof] of cases) verdicts.push(await snarkjs.plonk.verify(vk, pub, proof, quiet));
    console.log(JSON.stringify(verdicts));
    process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
"""


@pytest.fixture(scope="module")
def snarkjs_verdicts(snarkjs: Callable[..., subprocess.CompletedProcess], built: dict, tmp_path_factory) -> dict:
    """{(circuit, case): whether snarkjs 0.7.6's plonk verify accepts the tampered proof}: one node process
    calling snarkjs's ``plonk.verify`` for every case (the CLI's function), else the CLI once per case."""
    keys = [(name, case) for name in built for case in CASES]
    cases = [[built[name].vk, *_tampered(built[name], case)] for name, case in keys]
    folder = tmp_path_factory.mktemp("snarkjs-verify")
    package, node = snarkjs_package(), shutil.which("node")
    if package is not None and node is not None:
        (folder / "verify_all.cjs").write_text(_VERIFY_ALL_JS)
        (folder / "cases.json").write_text(json.dumps(cases))
        args = [node, "verify_all.cjs", str(package), "cases.json"]
        done = ok(subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=folder))
        verdicts = json.loads(done.stdout.strip().splitlines()[-1])
    else:
        verdicts = [
            snarkjs_plonk_verify(snarkjs, folder, pub, proof, str(i), vk) for i, (vk, pub, proof) in enumerate(cases)
        ]
    return dict(zip(keys, verdicts, strict=True))


# --- the tests ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_snarkjs_proof_verifies(built, name):
    b = built[name]
    assert len({json.dumps(proof) for _, proof in b.proofs}) == N_PROOFS  # randomised: all different
    for public, proof in b.proofs:
        assert verify(b.vk, public, proof) is True
    assert root_of_unity(b.vk["power"]) == int(b.vk["w"])


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", NAMES)
def test_tampered_proofs_are_rejected_as_snarkjs_does(built, snarkjs_verdicts, name, case):
    b = built[name]
    assert verify(b.vk, *_tampered(b, case)) is False
    assert snarkjs_verdicts[name, case] is CASES[case][1]


def test_the_snarkjs_library_and_cli_agree(snarkjs, built, snarkjs_verdicts, tmp_path):
    """The library call behind `snarkjs_verdicts` answers as the `snarkjs plonk verify` command does."""
    for i, case in enumerate(("eval_a + 1", "eval_a + r", "C off the curve")):
        accepts = snarkjs_plonk_verify(snarkjs, tmp_path, *_tampered(built["poly"], case), str(i), built["poly"].vk)
        assert accepts is snarkjs_verdicts["poly", case]


def test_the_challenges_are_the_ones_snarkjs_logs(built, snarkjs):
    b = built["poly"]
    public, proof = b.proofs[0]
    done = ok(snarkjs("plonk", "verify", "vk.json", "public0.json", "proof0.json", "-v", cwd=b.dir))
    logged = re.findall(r"\b(beta|gamma|alpha|xi|v|u): ([0-9a-f]+)", done.stdout + done.stderr)
    ch = compute_challenges(parse_vkey(b.vk), [int(s) for s in public], parse_proof(proof))
    ours = [("beta", ch.beta), ("gamma", ch.gamma), ("alpha", ch.alpha), ("xi", ch.xi)]
    ours += [("v", v) for v in ch.v] + [("u", ch.u)]
    assert [(k, int(h, 16)) for k, h in logged] == ours


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda vk, pub, pr: pr.pop("Wxi"), FormatError, r"proof\.json: missing field 'Wxi'"),
        (lambda vk, pub, pr: pr.update(eval_a="0x12"), FormatError, r"proof\.json eval_a: '0x12' is not a decimal"),
        (lambda vk, pub, pr: pr.update(eval_c=1.5), FormatError, r"proof\.json eval_c: expected a decimal string"),
        (lambda vk, pub, pr: pr["A"].__setitem__(2, "2"), FormatError, r"proof\.json A: expected affine"),
        (lambda vk, pub, pr: pr.update(T1=["1", "2"]), FormatError, r"proof\.json T1: expected 3 items"),
        (lambda vk, pub, pr: pr.update(protocol="groth16"), FormatError, r"proof\.json: unsupported protocol"),
        (lambda vk, pub, pr: pub.__setitem__(0, "-1"), FormatError, r"public\.json\[0\]: '-1' is not a decimal"),
        (lambda vk, pub, pr: vk.pop("X_2"), FormatError, r"verification_key\.json: missing field 'X_2'"),
        (lambda vk, pub, pr: vk.update(power=29), FormatError, r"verification_key\.json: power must be"),
        (lambda vk, pub, pr: vk.update(k1=str(R)), FormatError, r"verification_key\.json k1: value is out of range"),
        (lambda vk, pub, pr: vk["Qm"].__setitem__(1, "5"), CurveError, r"verification_key\.json Qm: .* not on the"),
        (lambda vk, pub, pr: vk["X_2"][1].__setitem__(0, "5"), CurveError, r"verification_key\.json X_2: .* not on"),
    ],
)
def test_malformed_input_raises_an_error_naming_the_field(built, change, error, match):
    b = built["poly"]
    vk, (public, proof) = copy.deepcopy(b.vk), copy.deepcopy(b.proofs[0])
    change(vk, public, proof)
    with pytest.raises(error, match=match):
        verify(vk, public, proof)


def test_a_verification_key_x2_outside_g2_is_refused(built):
    from zapiki.bn254py.curve import B2, g2_in_subgroup, g2_on_curve
    from zapiki.bn254py.fields import f2_add, f2_mul, f2_pow, f2_sqr

    for x0 in range(1, 100):  # a point on the twist, outside G2 (q = 3 mod 4: sqrt by the Fq2 algorithm)
        x = (x0, 1)
        rhs = f2_add(f2_mul(f2_sqr(x), x), B2)
        a1 = f2_pow(rhs, (Q - 3) // 4)
        alpha = f2_mul(a1, f2_mul(a1, rhs))
        if alpha == (Q - 1, 0):
            continue
        y = f2_mul(f2_pow(f2_add((1, 0), alpha), (Q - 1) // 2), f2_mul(a1, rhs))
        if g2_on_curve((x, y)) and not g2_in_subgroup((x, y)):
            break
    vk = copy.deepcopy(built["multiplier"].vk)
    vk["X_2"] = [[str(c) for c in x], [str(c) for c in y], ["1", "0"]]
    with pytest.raises(CurveError, match="X_2: the point is not in the prime-order subgroup"):
        verify(vk, *built["multiplier"].proofs[0])


def test_keccak256_is_ethereums():
    keccak = pytest.importorskip("Crypto.Hash.keccak")  # pycryptodome, through eth-tester (the test extra)
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert keccak256(b"abc").hex() == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"
    data = bytes(range(256)) * 3
    for n in [*range(0, 300, 7), 135, 136, 137, 271, 272, 273, 768]:  # around the 136-byte rate
        assert keccak256(data[:n]) == keccak.new(digest_bits=256, data=data[:n]).digest(), n


def test_the_transcript_encodes_as_snarkjs():
    t = Transcript()
    t.add_point(None)
    t.add_scalar(R + 5)  # reduced mod r
    expected = bytes(64) + (5).to_bytes(32, "big")
    assert t.challenge() == int.from_bytes(keccak256(expected), "big") % R
    t.reset()
    with pytest.raises(ValueError, match="no data"):
        t.challenge()


def test_every_proof_of_both_circuits_verifies_and_the_timings_are_reported(built):
    """Timings are reported, not asserted (no wall-clock thresholds in tests: the machines are shared); the
    benchmarks compare with snarkjs."""
    for name, b in built.items():
        runs = []
        for public, proof in b.proofs:
            start = time.perf_counter()
            assert verify(b.vk, public, proof)
            runs.append(time.perf_counter() - start)
        TIMINGS[f"{name}: zapiki verify (median of {len(runs)})"] = statistics.median(runs)
    for what, seconds in TIMINGS.items():
        print(f"{what}: {seconds:.3f} s")
