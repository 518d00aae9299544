"""The readable reference PLONK prover (:mod:`zapiki.systems.plonk.reference`) makes proofs that ``snarkjs plonk
verify`` (0.7.6) and zapiki's verifier accept.

Four small circuits of ``circuits.py``, compiled with circom2 (``--O0``, so linear constraints stay and become
PLONK additions) once a session (the ``plonk_circuits`` fixture; the setup's tests use ``wide`` too): ``mul`` (a
multiplier, one public output), ``wide`` (wide linear combinations on both sides of a product and in a sum:
additions and constants; three public signals), ``pubs`` (five public signals, chained products) and ``nopub``
(no public signal at all). ``snarkjs plonk setup`` makes the keys from a development powers of tau
(``dev_ptau(4)``), ``snarkjs wtns calculate`` the witnesses; a module fixture has ``snarkjs plonk prove`` make one
proof per circuit (its public signals are what ours must be; ``nopub`` excepted: snarkjs 0.7.6 cannot prove a
circuit without public signals).

Checked: every proof verifies in both verifiers; two proofs differ (blinding); the same blinding gives the same
proof; the round outputs in ``trace`` satisfy what the rounds promise (the wire polynomials take the wire values,
``z`` starts at 1, ``t = T1 + X^n T2 + X^2n T3``, ``r(xi) = 0``, the challenges are the verifier's); the FFT
reproduces the key's 4n-domain evaluations; a witness with one value changed is refused, naming the gate.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from zapiki.bn254py.fields import R
from zapiki.formats.plonk_zkey import POLY_NAMES, PlonkZKey, plonk_root_of_unity, plonk_zkey_to_vkey, read_plonk_zkey
from zapiki.systems.plonk.reference import (
    N_BLINDING,
    _evaluate,
    _evaluate_on_domain,
    _interpolate,
    _plain,
    prove_reference,
    read_witness,
)
from zapiki.systems.plonk.verifier import compute_challenges, parse_proof, parse_vkey, verify

from .circuits import DEV_POWER, DEV_PTAU, Snarkjs, Workshop, ok, snarkjs_plonk_verify

NAMES = ("mul", "wide", "pubs", "nopub")  # of circuits.CIRCUITS, set up from circuits.DEV_PTAU
N_PUBLIC = {"mul": 1, "wide": 3, "pubs": 5, "nopub": 0}
TIMINGS: dict[str, float] = {}


@dataclass
class Built:
    """One circuit set up by snarkjs: its key, verification key, witness and snarkjs's public signals."""

    name: str
    dir: Path
    zkey: PlonkZKey
    vk: dict
    witness: list[int]
    snarkjs_public: list[str] | None
    snarkjs_proof_keys: list[str] | None


@pytest.fixture(scope="module")
def built(snarkjs: Snarkjs, plonk_circuits: Workshop) -> dict[str, Built]:
    """{name: Built} for every circuit of NAMES, with one proof of each by ``snarkjs plonk prove``."""
    circuits = plonk_circuits.build(*NAMES, ptau=DEV_PTAU)
    TIMINGS.update(plonk_circuits.timings(circuits))

    def one(name: str) -> Built:
        start = time.perf_counter()
        folder = circuits[name].dir
        public = keys = None
        done = snarkjs("plonk", "prove", "circuit.zkey", "w.wtns", "proof.json", "public.json", cwd=folder)
        if N_PUBLIC[name]:
            ok(done)
            public = json.loads((folder / "public.json").read_text())
            keys = list(json.loads((folder / "proof.json").read_text()))
        else:  # snarkjs 0.7.6 reads nPublic = 0 Lagrange evaluations in round 3, then one
            assert done.returncode != 0 and "out of bounds" in done.stdout + done.stderr, done.stdout + done.stderr
        TIMINGS[f"{name}: snarkjs plonk prove"] = time.perf_counter() - start
        return Built(name, folder, read_plonk_zkey(folder / "circuit.zkey"), circuits[name].vk,
                     read_witness(folder / "w.wtns"), public, keys)  # fmt: skip

    with ThreadPoolExecutor(max_workers=len(NAMES)) as pool:
        return dict(zip(NAMES, pool.map(one, NAMES), strict=True))


def test_the_circuits_exercise_what_they_should(built: dict) -> None:
    assert {name: b.zkey.n_public for name, b in built.items()} == N_PUBLIC
    assert built["wide"].zkey.n_additions > 0  # the wide linear combinations need additions
    assert all(b.zkey.power <= DEV_POWER for b in built.values())


@pytest.mark.parametrize("name", NAMES)
def test_proofs_verify_in_snarkjs_and_zapiki_and_differ(name: str, built: dict, snarkjs: Callable) -> None:
    b = built[name]
    proofs = []
    for i in range(2):
        start = time.perf_counter()
        proof, public = prove_reference(b.zkey, b.witness)
        TIMINGS[f"{name}: prove_reference (n = {b.zkey.domain_size}, proof {i})"] = time.perf_counter() - start
        if b.snarkjs_public is not None:
            assert public == b.snarkjs_public
            assert list(proof) == b.snarkjs_proof_keys  # the same keys in the same order as snarkjs's proof.json
        assert len(public) == b.zkey.n_public
        assert verify(b.vk, public, proof)
        assert snarkjs_plonk_verify(snarkjs, b.dir, public, proof, f"ours{i}")
        proofs.append(proof)
    assert all(proofs[0][k] != proofs[1][k] for k in ("A", "B", "C", "Z", "T1", "T2", "T3", "Wxi", "Wxiw"))
    assert proofs[0]["protocol"] == "plonk" and proofs[0]["curve"] == "bn128"
    assert all(len(proofs[0][k]) == 3 and proofs[0][k][2] == "1" for k in ("A", "Wxiw"))


def test_a_tampered_proof_of_ours_is_rejected_by_both(built: dict, snarkjs: Callable) -> None:
    b = built["wide"]
    proof, public = prove_reference(b.zkey, b.witness)
    bad = {**proof, "eval_a": str((int(proof["eval_a"]) + 1) % R)}
    assert not verify(b.vk, public, bad)
    assert not snarkjs_plonk_verify(snarkjs, b.dir, public, bad, "tampered")
    wrong_public = [str((int(public[0]) + 1) % R), *public[1:]]
    assert not verify(b.vk, wrong_public, proof)
    assert not snarkjs_plonk_verify(snarkjs, b.dir, wrong_public, proof, "wrongpublic")


def test_the_fft_reproduces_the_keys_4n_evaluations(built: dict) -> None:
    """The key's 4n evaluations (snarkjs's FFT) are ours: the same root of unity and the natural order."""
    for b in built.values():
        z, n = b.zkey, b.zkey.domain_size
        for i, name in enumerate(POLY_NAMES):
            coeffs = _plain(z.polys[i, :n])
            assert _evaluate_on_domain(coeffs, 4 * n) == _plain(z.polys[i, n:]), (b.name, name)
            assert _interpolate(_plain(z.polys[i, n:])) == coeffs + [0] * (3 * n), (b.name, name)
        assert _evaluate_on_domain(_plain(z.lagrange[0, :n]), 4 * n) == _plain(z.lagrange[0, n:])


def test_same_blinding_same_proof_and_the_trace_holds_the_rounds(built: dict) -> None:
    b = built["pubs"]
    z, n = b.zkey, b.zkey.domain_size
    blinding = [(7919 * (i + 1)) ** 5 % R for i in range(N_BLINDING)]
    trace: dict = {}
    proof, public = prove_reference(z, b.witness, blinding=blinding, trace=trace)
    again, _ = prove_reference(z, b.witness, blinding=blinding)
    assert again == proof
    assert verify(b.vk, public, proof)

    w = plonk_root_of_unity(z.power)
    domain = [pow(w, i, R) for i in range(n)]
    assert trace["blinding"] == blinding and trace["witness"][0] == 0
    assert len(trace["witness"]) == z.n_vars
    # round 1: the blinded wire polynomials still take the wire values on the n-domain
    for name in ("A", "B", "C"):
        assert len(trace[name]) == n + 2
        assert [_evaluate(trace[name], x) for x in domain] == trace[f"{name}_n"]
        assert _interpolate(trace[f"{name}4"])[n:] == [0] * (3 * n)  # the unblinded polynomial, degree < n
    assert [str(v) for v in trace["A_n"][: z.n_public]] == public
    # round 2: z(1) = 1, blinded z still takes the grand product's values
    assert trace["Z_n"][0] == 1 and len(trace["Z"]) == n + 3
    assert [_evaluate(trace["Z"], x) for x in domain] == trace["Z_n"]
    # round 3: t = T1 + X^n T2 + X^2n T3; every part fits the key's n + 6 powers of tau
    t_again = [0] * (3 * n + 6)
    for k, name in enumerate(("T1", "T2", "T3")):
        for i, c in enumerate(trace[name]):
            t_again[k * n + i] = (t_again[k * n + i] + c) % R
    assert t_again == trace["T"][: 3 * n + 6] and not any(trace["T"][3 * n + 6 :])
    assert (len(trace["T1"]), len(trace["T2"]), len(trace["T3"])) == (n + 1, n + 1, n + 6)
    assert len(trace["T4"]) == len(trace["Tz4"]) == 4 * n
    # round 4: the evaluations are the proof's
    xi = trace["xi"]
    assert trace["xiw"] == xi * w % R
    assert _evaluate(trace["Z"], trace["xiw"]) == trace["eval_zw"] == int(proof["eval_zw"])
    assert all(str(trace[k]) == proof[k] for k in ("eval_a", "eval_b", "eval_c", "eval_s1", "eval_s2"))
    # round 5: r(xi) = 0, the openings are quotients, the challenges are the verifier's
    assert _evaluate(trace["R"], xi) == 0
    assert trace["xin"] == pow(xi, n, R) and trace["zh"] == (trace["xin"] - 1) % R
    assert len(trace["L"]) == z.n_public
    ch = compute_challenges(parse_vkey(plonk_zkey_to_vkey(z)), [int(s) for s in public], parse_proof(proof))
    assert (ch.beta, ch.gamma, ch.alpha, ch.xi) == (trace["beta"], trace["gamma"], trace["alpha"], xi)
    assert list(ch.v) == trace["v"]
    assert all(proof[k] == [str(trace[f"[{k}]"][0]), str(trace[f"[{k}]"][1]), "1"] for k in ("A", "T3", "Wxiw"))


@pytest.mark.parametrize("name", ["mul", "wide", "pubs"])
def test_a_wrong_witness_is_refused_naming_the_gate(name: str, built: dict) -> None:
    """One value changed (the last signal: an internal one or an input): the gate that uses it fails. Without
    the check, the quotient is not a polynomial (snarkjs: "Polynomial is not divisible")."""
    b = built[name]
    wrong = list(b.witness)
    wrong[-1] = (wrong[-1] + 1) % R
    with pytest.raises(ValueError, match=r"does not satisfy PLONK gate \d+: .* signal"):
        prove_reference(b.zkey, wrong)
    with pytest.raises(ValueError, match="not divisible"):
        prove_reference(b.zkey, wrong, check=False)


def test_bad_arguments_are_refused(built: dict) -> None:
    b = built["mul"]
    with pytest.raises(ValueError, match="expects"):
        prove_reference(b.zkey, b.witness[:-1])
    with pytest.raises(ValueError, match="not a field element"):
        prove_reference(b.zkey, [*b.witness[:-1], R])
    with pytest.raises(ValueError, match="11 scalars"):
        prove_reference(b.zkey, b.witness, blinding=[1, 2, 3])


def test_timings_are_reported(built: dict) -> None:
    """Timings are reported, not asserted (shared machines)."""
    for b in built.values():
        start = time.perf_counter()
        prove_reference(b.zkey, b.witness)
        TIMINGS[f"{b.name}: prove_reference (n = {b.zkey.domain_size}, additions {b.zkey.n_additions})"] = (
            time.perf_counter() - start
        )
    for what, seconds in TIMINGS.items():
        print(f"{what}: {seconds:.3f} s")
