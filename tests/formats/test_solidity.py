"""The Solidity verifier (zapiki.formats.solidity): compiled with solcjs (npm ``solc``, in .ci/node), deployed in
py-evm through eth-tester, and called with proofs from Zapiki's prover and from snarkjs, honest and tampered.

The contracts are compiled once per module, in one solc run (the EVM helpers are in tests/evm.py). Gas figures
go to the test's output and, with ``record_property``, to the JUnit report (``gas_*``). Missing node/solc or
eth-tester: skipped locally, a failure under CI=true.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from evm import Verifier, deploy
from evm import verify_proof_args as _args

from zapiki.bn254py.curve import B2, g1_lincomb, g2_in_subgroup, g2_on_curve
from zapiki.errors import CurveError, FormatError
from zapiki.formats import BN254_Q as Q
from zapiki.formats import BN254_R as R
from zapiki.formats import dumps, read_wtns
from zapiki.formats.solidity import solidity_calldata, solidity_verifier, vkey_sha256

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "groth16"
CIRCUITS = ["multiplier", "poseidon_chain_8"]


def _json(circuit: str, name: str) -> Any:
    return json.loads((FIXTURES / circuit / name).read_text())


def _folded_key() -> dict:
    """multiplier's key with its public signal (33) folded into IC[0]: a key with no public signals, for which
    multiplier's proofs verify with an empty public.json."""
    vk = _json("multiplier", "verification_key.json")
    ic = [(int(p[0]), int(p[1])) for p in vk["IC"]]
    x, y = g1_lincomb(ic, [1, 33])
    return {**vk, "nPublic": 0, "IC": [[str(x), str(y), "1"]]}


KEYS = {
    "multiplier": _json("multiplier", "verification_key.json"),
    "poseidon_chain_8": _json("poseidon_chain_8", "verification_key.json"),
    "no_public": _folded_key(),
}


# --- the EVM ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def verifiers() -> dict[str, Verifier]:
    """The contracts of KEYS, compiled (in one solc run) and deployed in one in-process py-evm chain."""
    return deploy({name: solidity_verifier(vk) for name, vk in KEYS.items()})


@pytest.fixture(scope="module")
def proofs() -> dict[str, dict[str, tuple[dict, list]]]:
    """{circuit: {"zapiki": (proof, public), "snarkjs": (proof, public)}}: one fresh proof by Zapiki's prover and
    snarkjs's proof from the fixture folder."""
    from zapiki.systems.groth16 import load_proving_key, prove

    out = {}
    for name in CIRCUITS:
        fx = FIXTURES / name
        ours = prove(load_proving_key(fx / "circuit.zkey"), read_wtns(fx / "witness.wtns").values)
        out[name] = {
            "zapiki": (ours.proof_json(), ours.public_json()),
            "snarkjs": (_json(name, "proof.json"), _json(name, "public.json")),
        }
    return out


# --- in the EVM: honest proofs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("circuit", CIRCUITS)
def test_proofs_of_zapiki_and_snarkjs_verify_in_the_evm(verifiers, proofs, circuit, record_property):
    v = verifiers[circuit]
    for prover, (proof, public) in proofs[circuit].items():
        assert v.call(_args(proof, public)), f"{prover}'s proof of {circuit} was refused"
    gas = v.transact(_args(*proofs[circuit]["zapiki"]))
    n = KEYS[circuit]["nPublic"]
    print(f"{circuit}: verifyProof transaction, {n} public signal(s): {gas} gas; contract {v.code_size} bytes")
    record_property(f"gas_verifyProof_{circuit}", gas)
    record_property(f"code_size_{circuit}", v.code_size)
    assert 21_000 + 181_000 < gas < 500_000  # the intrinsic cost and 4 pairings, at least


def test_the_abi_is_snarkjss(verifiers):
    (fn,) = verifiers["poseidon_chain_8"].abi
    assert fn["name"] == "verifyProof" and fn["stateMutability"] == "view"
    assert [(i["name"], i["type"]) for i in fn["inputs"]] == [
        ("_pA", "uint256[2]"),
        ("_pB", "uint256[2][2]"),
        ("_pC", "uint256[2]"),
        ("_pubSignals", "uint256[2]"),
    ]
    assert [o["type"] for o in fn["outputs"]] == ["bool"]
    assert verifiers["no_public"].types[3] == "uint256[]"  # Solidity has no uint256[0]


def test_a_key_without_public_signals(verifiers, proofs, record_property):
    v = verifiers["no_public"]
    for proof, _ in proofs["multiplier"].values():
        assert v.call(_args(proof, []))
        assert not v.call(_args(proof, ["33"]))  # no signal is expected: any is refused
    gas = v.transact(_args(proofs["multiplier"]["zapiki"][0], []))
    print(f"no public signals: verifyProof transaction: {gas} gas")
    record_property("gas_verifyProof_no_public", gas)
    assert gas < verifiers["multiplier"].transact(_args(*proofs["multiplier"]["zapiki"]))  # no ecMul, no ecAdd


def test_a_gas_estimate_is_enough_and_too_little_gas_reverts(verifiers, proofs):
    """Out of gas must not read as "invalid proof": the contract reverts when a precompile had too little gas, so
    eth_estimateGas finds what verification really costs."""
    from eth_tester.exceptions import TransactionFailed

    v = verifiers["multiplier"]
    args = _args(*proofs["multiplier"]["zapiki"])
    estimate = v.eth.estimate_gas({"from": v.account, "to": v.address, "data": v.data(args)})
    assert estimate >= v.transact(args)
    assert v.call(args, gas=estimate)
    with pytest.raises(TransactionFailed):
        v.call(args, gas=100_000)  # enough for the ecMul and ecAdd, not for the pairing


# --- in the EVM: tampered proofs return false --------------------------------------------------------------------


def _fq_sqrt(v: int) -> int | None:
    s = pow(v, (Q + 1) // 4, Q)
    return s if s * s % Q == v % Q else None


def _twist_point_outside_g2() -> tuple[tuple[int, int], tuple[int, int]]:
    """A point on the twist but not in G2 (x = (k, 0) for the first k with x^3 + b' a square in Fq2)."""
    half = pow(2, -1, Q)
    for k in range(1, 100):
        a0, a1 = (k**3 + B2[0]) % Q, B2[1]  # x^3 + b' for x = k
        norm = _fq_sqrt((a0 * a0 + a1 * a1) % Q)
        for t in () if norm is None else (norm, Q - norm):
            y0 = _fq_sqrt((a0 + t) * half % Q)
            if y0:
                p = ((k, 0), (y0, a1 * pow(2 * y0, -1, Q) % Q))
                if g2_on_curve(p) and not g2_in_subgroup(p):
                    return p
    raise AssertionError("no twist point found")


def _tamper(kind: str, a: list, b: list, c: list, s: list) -> list:
    a, b, c, s = list(a), [list(b[0]), list(b[1])], list(c), list(s)
    if kind == "A.x + 1 (off the curve)":
        a[0] = (a[0] + 1) % Q
    elif kind == "-A":
        a[1] = Q - a[1]
    elif kind == "A.y + q (a coordinate >= q)":
        a[1] += Q
    elif kind == "B.x.c1 + q (a coordinate >= q)":
        b[0][0] += Q
    elif kind == "A and C swapped":
        a, c = c, a
    elif kind == "B in proof.json's order (c0 first)":
        b = [[b[0][1], b[0][0]], [b[1][1], b[1][0]]]
    elif kind == "B outside G2":
        (x0, x1), (y0, y1) = _twist_point_outside_g2()
        b = [[x1, x0], [y1, y0]]
    elif kind == "points at infinity":
        a, b, c = [0, 0], [[0, 0], [0, 0]], [0, 0]
    elif kind == "last public signal + 1":
        s[-1] = (s[-1] + 1) % R
    elif kind == "last public signal + r (the same residue, but >= r)":
        s[-1] += R
    else:
        raise AssertionError(kind)
    return [a, b, c, s]


TAMPERINGS = [
    "A.x + 1 (off the curve)",
    "-A",
    "A.y + q (a coordinate >= q)",
    "B.x.c1 + q (a coordinate >= q)",
    "A and C swapped",
    "B in proof.json's order (c0 first)",
    "B outside G2",
    "points at infinity",
    "last public signal + 1",
    "last public signal + r (the same residue, but >= r)",
]


@pytest.mark.parametrize("circuit", CIRCUITS)
@pytest.mark.parametrize("kind", TAMPERINGS)
def test_a_tampered_proof_returns_false(verifiers, proofs, circuit, kind):
    args = _tamper(kind, *_args(*proofs[circuit]["zapiki"]))
    assert verifiers[circuit].call(args) is False  # false, not a revert
    if ">=" in kind:  # the contract's own range checks answer, before any precompile runs (or could run out of gas)
        assert verifiers[circuit].call(args, gas=60_000) is False


def test_a_public_signal_plus_r_would_pass_without_the_range_check(proofs):
    """What the ``< r`` check guards against: ecMul reduces its scalar mod r, so s + r gives the very same vk_x."""
    from zapiki.bn254py import verify_parsed
    from zapiki.formats import parse_proof, parse_vkey

    proof, public = proofs["multiplier"]["zapiki"]
    vk = parse_vkey(KEYS["multiplier"])
    ic = list(vk.ic)
    assert g1_lincomb(ic, [1, int(public[0]) + R]) == g1_lincomb(ic, [1, int(public[0])])
    assert verify_parsed(vk, [int(public[0])], parse_proof(proof))


# --- calldata: the same text as snarkjs ---------------------------------------------------------------------------


@pytest.mark.parametrize("circuit", CIRCUITS)
def test_calldata_is_snarkjss(snarkjs, proofs, circuit, tmp_path):
    for proof, public in proofs[circuit].values():
        (tmp_path / "proof.json").write_text(dumps(proof))
        (tmp_path / "public.json").write_text(dumps(public))
        done = snarkjs("zkey", "export", "soliditycalldata", "public.json", "proof.json", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout == solidity_calldata(proof, public) + "\n"


def test_calldata_of_no_public_signals_and_of_text(snarkjs, tmp_path):
    proof = _json("multiplier", "proof.json")
    (tmp_path / "proof.json").write_text(dumps(proof))
    (tmp_path / "public.json").write_text("[]")
    done = snarkjs("zkey", "export", "soliditycalldata", "public.json", "proof.json", cwd=tmp_path)
    assert done.stdout == solidity_calldata(dumps(proof), "[]") + "\n"
    assert done.stdout.endswith("],[]\n")


@pytest.mark.parametrize(
    ("proof", "public", "message"),
    [
        ({"pi_a": ["1", "2", "1"]}, [], "missing field 'pi_b'"),
        (None, ["x"], r"public.json\[0\]: 'x' is not a decimal integer"),
        (None, [str(R)], r"public.json\[0\]: value is out of range"),
    ],
)
def test_calldata_refuses_malformed_input(proof, public, message):
    with pytest.raises(FormatError, match=message):
        solidity_calldata(proof or _json("multiplier", "proof.json"), public)


# --- the generated source ----------------------------------------------------------------------------------------


def test_the_header_names_the_key():
    vk = KEYS["poseidon_chain_8"]
    head = solidity_verifier(vk).split("pragma")[0]
    assert "public signals:  2" in head and f"key sha256:      {vkey_sha256(vk)}" in head
    assert "pragma solidity ^0.8.0;\n" in solidity_verifier(vk)
    # the digest is of the points: vk_alphabeta_12 and the JSON's layout do not change it; a point does
    assert vkey_sha256({k: v for k, v in vk.items() if k != "vk_alphabeta_12"}) == vkey_sha256(json.dumps(vk))
    assert vkey_sha256(KEYS["multiplier"]) != vkey_sha256(vk)
    assert solidity_verifier(json.dumps(vk)) == solidity_verifier(vk)


def _bad_key(change: str) -> dict:
    vk = json.loads(json.dumps(KEYS["multiplier"]))
    if change == "plonk":
        vk["protocol"] = "plonk"
    elif change == "ic count":
        vk["nPublic"] = 2
    elif change == "ic off curve":
        vk["IC"][1][1] = "5"
    elif change == "alpha >= q":
        vk["vk_alpha_1"][0] = str(Q)
    elif change == "gamma outside G2":
        (x0, x1), (y0, y1) = _twist_point_outside_g2()
        vk["vk_gamma_2"] = [[str(x0), str(x1)], [str(y0), str(y1)], ["1", "0"]]
    return vk


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ("plonk", FormatError, "unsupported protocol 'plonk'"),
        ("ic count", FormatError, r"IC: expected 3 items, got 2"),
        ("ic off curve", CurveError, r"IC\[1\]: the point is not on the curve"),
        ("alpha >= q", FormatError, r"vk_alpha_1\[0\]: value is out of range"),
        ("gamma outside G2", CurveError, "vk_gamma_2: the point is not in the prime-order subgroup G2"),
    ],
)
def test_a_bad_key_is_refused_naming_the_problem(change, error, message):
    with pytest.raises(error, match=message):
        solidity_verifier(_bad_key(change))


# --- the commands ------------------------------------------------------------------------------------------------


@pytest.fixture
def cli():
    from zapiki.cli import main

    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return run


def test_zkey_export_solidityverifier_from_a_zkey_or_a_key(cli, tmp_path, monkeypatch):
    fx = FIXTURES / "poseidon_chain_8"
    expected = solidity_verifier(KEYS["poseidon_chain_8"])
    res = cli("zkey", "export", "solidityverifier", fx / "circuit.zkey", tmp_path / "from_zkey.sol")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "from_zkey.sol").read_text() == expected
    monkeypatch.chdir(tmp_path)
    res = cli("zkey", "export", "solidityverifier", fx / "verification_key.json")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "verifier.sol").read_text() == expected  # the default output


def test_zkey_export_soliditycalldata_prints_like_snarkjs(cli):
    fx = FIXTURES / "multiplier"
    res = cli("zkey", "export", "soliditycalldata", fx / "public.json", fx / "proof.json")
    assert res.exit_code == 0, res.output
    assert res.output == solidity_calldata(_json("multiplier", "proof.json"), _json("multiplier", "public.json")) + "\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("solidityverifier", "{dir}/proof.json", "{tmp}/v.sol"), "missing field 'nPublic'"),
        (("solidityverifier", "{dir}/witness.wtns", "{tmp}/v.sol"), "invalid JSON"),
        (("solidityverifier", "{tmp}/none.zkey", "{tmp}/v.sol"), "cannot read key"),
        (("soliditycalldata", "{dir}/proof.json", "{dir}/public.json"), "proof.json: expected a JSON object"),
        (("soliditycalldata", "{dir}/public.json", "{tmp}/none.json"), "cannot read proof"),
    ],
)
def test_the_commands_exit_2_with_a_message(cli, tmp_path, args, message):
    res = cli("zkey", "export", *(a.format(dir=FIXTURES / "multiplier", tmp=tmp_path) for a in args))
    assert res.exit_code == 2, res.output
    assert "error:" in res.output and message in res.output and "Traceback" not in res.output
    assert not (tmp_path / "v.sol").exists()
