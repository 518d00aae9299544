"""The proof templates' circuits (``zapiki/templates/circuits/*.circom``), shipped compiled under
``zapiki/templates/compiled/``: the shipped files are what the sources give, a true statement has a witness that
satisfies the constraints (with its public signals where ``<id>.json`` names them), and a false one has none.

Witnesses come from zapiki's own witness calculator (a failing circuit assert is a :class:`WitnessError`) and
are checked against the ``.r1cs`` by zapiki's constraint check. Poseidon hashes, EdDSA-Poseidon keys and
signatures and Merkle paths come from circomlibjs, in one run of ``circomlib_oracle.cjs`` for the module.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from zapiki.errors import WitnessError
from zapiki.formats import BN254_R, read_r1cs
from zapiki.formats.field import limbs_to_ints
from zapiki.systems.groth16.prover import check_constraints
from zapiki.systems.groth16.system import witness_calculator
from zapiki.systems.groth16.witness_map import first_unsatisfied

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TEMPLATES = REPO / "zapiki" / "templates"
COMPILED = TEMPLATES / "compiled"
NODE_MODULES = REPO / ".ci" / "node" / "node_modules"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

IDS = ["age_at_least", "hash_preimage", "range", "set_membership", "signed_attribute"]

# The statements' values.
PREIMAGE = 1234567890123456789
VALUE, SALT = 42_000, 987654321987654321  # range: a committed value
MEMBERS = [(1001, 11), (1002, 12), (1003, 13), (1004, 14), (1005, 15)]  # set_membership: (value, secret) leaves
MEMBER = 3  # the prover's leaf: MEMBERS[3]
SCOPE = 777
DEPTH = 20
BIRTH_DATE_ATTR = int.from_bytes(b"birth_date", "big")
BIRTH_DATE = 20070615
ISSUER, OTHER_KEY = "zapiki test issuer", "another key"
ATTRIBUTE, ATTRIBUTE_VALUE = int.from_bytes(b"credit_score", "big"), 700

REQUESTS: dict[str, Any] = {
    "hash": {"poseidon": [PREIMAGE]},
    "commitment": {"poseidon": [VALUE, SALT]},
    "commitment_of_2^64": {"poseidon": [2**64, SALT]},
    "tree": {"merkle": {"depth": DEPTH, "leaves": [list(m) for m in MEMBERS], "index": MEMBER}},
    "nullifier": {"poseidon": [MEMBERS[MEMBER][1], SCOPE]},
    "issuer": {"public_key": ISSUER},
    "other_key": {"public_key": OTHER_KEY},
    "birth_signature": {"sign": {"key": ISSUER, "message": [BIRTH_DATE_ATTR, BIRTH_DATE]}},
    "birth_signature_by_other_key": {"sign": {"key": OTHER_KEY, "message": [BIRTH_DATE_ATTR, BIRTH_DATE]}},
    "earlier_birth_signature": {"sign": {"key": ISSUER, "message": [BIRTH_DATE_ATTR, BIRTH_DATE - 10000]}},
    "attribute_signature": {"sign": {"key": ISSUER, "message": [ATTRIBUTE, ATTRIBUTE_VALUE]}},
}


def need(message: str) -> None:
    """What a test needs is missing: skipped here, a failure in CI."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def oracle() -> dict[str, Any]:
    """circomlibjs's answers to REQUESTS (decimal strings)."""
    node = shutil.which("node")
    if node is None or not (NODE_MODULES / "circomlibjs").is_dir():
        need("node or circomlibjs missing: run `make templates` (npm install --prefix .ci/node)")
    done = subprocess.run(
        [node, str(HERE / "circomlib_oracle.cjs")],
        input=json.dumps({k: _strings(v) for k, v in REQUESTS.items()}),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _strings(obj: Any) -> Any:  # noqa: ANN401
    if isinstance(obj, dict):
        return {k: _strings(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_strings(v) for v in obj]
    return str(obj) if isinstance(obj, int) and not isinstance(obj, bool) else obj


def info(circuit_id: str) -> dict[str, Any]:
    return json.loads((COMPILED / f"{circuit_id}.json").read_text())


def witness(circuit_id: str, inputs: dict[str, Any]) -> list[int]:
    """The witness of ``inputs``, checked against the circuit's constraints."""
    values = witness_calculator((COMPILED / f"{circuit_id}.wasm").read_bytes()).calculate(inputs)
    check_constraints(read_r1cs(COMPILED / f"{circuit_id}.r1cs"), None, values)
    return limbs_to_ints(values)


def proves(circuit_id: str, inputs: dict[str, Any], public: dict[str, Any]) -> None:
    """``inputs`` give a witness satisfying the circuit, whose public signals are ``public`` (by name)."""
    names = info(circuit_id)["public_signals"]
    assert sorted(names) == sorted(public)
    assert witness(circuit_id, inputs)[1 : 1 + len(names)] == [int(public[n]) for n in names]


def assert_line(circuit_id: str, fragment: str) -> str:
    """A pattern of the witness calculator's error for a failing assert at the line of ``fragment`` in the
    circuit's own template."""
    lines = (TEMPLATES / "circuits" / f"{circuit_id}.circom").read_text().splitlines()
    (number,) = [i for i, line in enumerate(lines, 1) if fragment in line]
    return rf"Assert Failed\.\nError in template \w+_\d+ line: {number}\b"


def in_template(template: str) -> str:
    """A pattern of the witness calculator's error for a failing assert inside circomlib's ``template``."""
    return rf"Assert Failed\.\nError in template {template}_\d+ line: \d+"


def refuses(circuit_id: str, inputs: dict[str, Any], match: str) -> None:
    """``inputs`` have no witness: the witness calculator stops at a failing assert (``match``)."""
    with pytest.raises(WitnessError, match=match):
        witness(circuit_id, inputs)


def test_the_shipped_files_are_what_the_sources_give():
    from zapiki.templates import build

    try:
        build.find_circom()
    except build.BuildError as exc:
        need(f"{exc}")
    assert sorted(build.circuit_ids()) == IDS
    assert sorted(p.name for p in COMPILED.iterdir()) == sorted(f"{i}{s}" for i in IDS for s in build.SUFFIXES)
    assert build.main(["--check"]) == 0


PUBLIC_SIGNALS = {  # snarkjs's public.json order: outputs first, then the public inputs as declared
    "age_at_least": ["issuer_ax", "issuer_ay", "min_age", "today"],
    "hash_preimage": ["hash"],
    "range": ["commitment", "min", "max"],
    "set_membership": ["nullifier", "root", "scope"],
    "signed_attribute": ["issuer_ax", "issuer_ay", "attribute", "threshold", "comparison"],
}


@pytest.mark.parametrize("circuit_id", IDS)
def test_the_public_signals_in_witness_order(circuit_id):
    assert info(circuit_id)["public_signals"] == PUBLIC_SIGNALS[circuit_id]


@pytest.mark.parametrize("circuit_id", IDS)
def test_the_description_matches_the_r1cs(circuit_id):
    r1cs = read_r1cs(COMPILED / f"{circuit_id}.r1cs")
    described = info(circuit_id)
    assert len(described["public_signals"]) == r1cs.n_public
    assert (described["constraints"], described["wires"]) == (r1cs.n_constraints, r1cs.n_wires)
    assert witness_calculator((COMPILED / f"{circuit_id}.wasm").read_bytes()).witness_size == r1cs.n_wires
    assert re.fullmatch(r"2\.\d+\.\d+", described["circom"])


# hash_preimage: Poseidon([preimage]) == hash


def test_hash_preimage_proves_knowledge_of_the_preimage(oracle):
    proves("hash_preimage", {"preimage": PREIMAGE, "hash": oracle["hash"]}, {"hash": oracle["hash"]})


def test_hash_preimage_refuses_another_preimage(oracle):
    refuses("hash_preimage", {"preimage": PREIMAGE + 1, "hash": oracle["hash"]}, assert_line("hash_preimage", "==="))


# range: commitment == Poseidon([value, salt]), min <= value <= max, each below 2^64


def range_inputs(oracle: dict[str, Any], **changes: Any) -> dict[str, Any]:
    inputs = {"value": VALUE, "salt": SALT, "commitment": oracle["commitment"], "min": 18_000, "max": 65_000}
    return {**inputs, **changes}


@pytest.mark.parametrize(("low", "high"), [(18_000, 65_000), (VALUE, VALUE), (0, 2**64 - 1)])
def test_range_proves_a_committed_value_within_the_bounds(oracle, low, high):
    inputs = range_inputs(oracle, min=low, max=high)
    proves("range", inputs, {"commitment": oracle["commitment"], "min": low, "max": high})


@pytest.mark.parametrize(("low", "high"), [(VALUE + 1, 65_000), (VALUE + 1, VALUE - 1), (VALUE + 1, 2**64 - 1)])
def test_range_refuses_a_value_below_the_minimum(oracle, low, high):
    refuses("range", range_inputs(oracle, min=low, max=high), assert_line("range", "aboveMin.out === 1"))


@pytest.mark.parametrize(("low", "high"), [(18_000, VALUE - 1), (0, 0)])
def test_range_refuses_a_value_above_the_maximum(oracle, low, high):
    refuses("range", range_inputs(oracle, min=low, max=high), assert_line("range", "belowMax.out === 1"))


def test_range_refuses_a_value_of_2_to_the_64(oracle):
    inputs = range_inputs(oracle, value=2**64, commitment=oracle["commitment_of_2^64"], max=2**64 - 1)
    refuses("range", inputs, in_template("Num2Bits"))


@pytest.mark.parametrize("bound", ["min", "max"])
def test_range_refuses_bounds_of_2_to_the_64(oracle, bound):
    refuses("range", range_inputs(oracle, **{bound: 2**64}), in_template("Num2Bits"))


def test_range_refuses_another_commitment(oracle):
    refuses("range", range_inputs(oracle, salt=SALT + 1), assert_line("range", "commitment === h.out"))


# set_membership: Poseidon([value, secret]) is a leaf of the tree of root `root`; nullifier = Poseidon([secret, scope])


def membership_inputs(oracle: dict[str, Any], **changes: Any) -> dict[str, Any]:
    value, secret = MEMBERS[MEMBER]
    tree = oracle["tree"]
    inputs = {
        "value": value,
        "secret": secret,
        "path_elements": tree["path_elements"],
        "path_indices": tree["path_indices"],
        "root": tree["root"],
        "scope": SCOPE,
    }
    return {**inputs, **changes}


def test_set_membership_proves_a_leaf_of_the_tree_and_outputs_the_nullifier(oracle):
    assert oracle["tree"]["path_indices"][:3] == ["1", "1", "0"]  # leaf 3: a right child, of a right child...
    public = {"nullifier": oracle["nullifier"], "root": oracle["tree"]["root"], "scope": SCOPE}
    proves("set_membership", membership_inputs(oracle), public)


def test_set_membership_nullifier_depends_on_the_scope(oracle):
    other_scope = witness("set_membership", membership_inputs(oracle, scope=SCOPE + 1))
    assert other_scope[1] != int(oracle["nullifier"]) and other_scope[2:4] == [int(oracle["tree"]["root"]), SCOPE + 1]


@pytest.mark.parametrize(
    "changes",
    [
        {"root": 12345},  # another tree
        {"value": MEMBERS[MEMBER][0] + 1},  # a value not in the tree
        {"secret": MEMBERS[MEMBER][1] + 1},  # someone else's leaf value with a wrong secret
    ],
    ids=["wrong-root", "wrong-value", "wrong-secret"],
)
def test_set_membership_refuses_a_leaf_not_in_the_tree(oracle, changes):
    refuses("set_membership", membership_inputs(oracle, **changes), assert_line("set_membership", "root === cur"))


def test_set_membership_refuses_a_flipped_path_index(oracle):
    indices = list(oracle["tree"]["path_indices"])
    indices[0] = "0"
    inputs = membership_inputs(oracle, path_indices=indices)
    refuses("set_membership", inputs, assert_line("set_membership", "root === cur"))


def test_set_membership_refuses_a_path_index_of_2(oracle):
    indices = list(oracle["tree"]["path_indices"])
    indices[2] = "2"
    inputs = membership_inputs(oracle, path_indices=indices)
    refuses("set_membership", inputs, assert_line("set_membership", "path_indices[i] * (path_indices[i] - 1)"))


# age_at_least: an issuer's EdDSA-Poseidon signature on Poseidon([ATTR, birth_date]), and
# birth_date + min_age * 10000 <= today


def age_inputs(oracle: dict[str, Any], signature: str = "birth_signature", **changes: Any) -> dict[str, Any]:
    sig = oracle[signature]
    ax, ay = oracle["issuer"]
    inputs = {
        "birth_date": BIRTH_DATE,
        "sig_r8x": sig["r8x"],
        "sig_r8y": sig["r8y"],
        "sig_s": sig["s"],
        "issuer_ax": ax,
        "issuer_ay": ay,
        "min_age": 18,
        "today": 20250615,
    }
    return {**inputs, **changes}


@pytest.mark.parametrize(
    ("min_age", "today"),
    [(18, 20250615), (18, 20250616), (18, 20260101), (17, 20250614), (0, BIRTH_DATE), (255, 99991231)],
    ids=["on-the-birthday", "the-day-after", "next-year", "younger-minimum", "age-0-at-birth", "largest"],
)
def test_age_at_least_proves_a_signed_birth_date_old_enough(oracle, min_age, today):
    ax, ay = oracle["issuer"]
    public = {"issuer_ax": ax, "issuer_ay": ay, "min_age": min_age, "today": today}
    proves("age_at_least", age_inputs(oracle, min_age=min_age, today=today), public)


@pytest.mark.parametrize(
    ("min_age", "today"), [(18, 20250614), (18, 20241231), (19, 20250615), (1, BIRTH_DATE)],
    ids=["one-day-short", "the-year-before", "one-year-short", "newborn"],
)  # fmt: skip
def test_age_at_least_refuses_a_birth_date_too_recent(oracle, min_age, today):
    refuses(
        "age_at_least", age_inputs(oracle, min_age=min_age, today=today), assert_line("age_at_least", "old.out === 1")
    )


def test_age_at_least_refuses_a_birth_date_the_issuer_did_not_sign(oracle):
    # the issuer signed BIRTH_DATE - 10000: that signature does not cover BIRTH_DATE, nor the other way round
    inputs = age_inputs(oracle, "earlier_birth_signature")
    refuses("age_at_least", inputs, in_template("ForceEqualIfEnabled"))
    refuses("age_at_least", age_inputs(oracle, birth_date=BIRTH_DATE - 10000), in_template("ForceEqualIfEnabled"))


def test_age_at_least_refuses_a_forged_signature(oracle):
    inputs = age_inputs(oracle)
    refuses("age_at_least", {**inputs, "sig_s": str(int(inputs["sig_s"]) + 1)}, in_template("ForceEqualIfEnabled"))
    other = oracle["earlier_birth_signature"]  # the R8 of another signature: a point of the curve
    inputs |= {"sig_r8x": other["r8x"], "sig_r8y": other["r8y"]}
    refuses("age_at_least", inputs, in_template("ForceEqualIfEnabled"))


@pytest.mark.parametrize("part", ["sig_r8x", "sig_r8y", "issuer_ax", "issuer_ay"])
def test_age_at_least_refuses_points_off_the_curve(oracle, part):
    inputs = age_inputs(oracle)
    inputs[part] = str(int(inputs[part]) + 1)
    refuses("age_at_least", inputs, in_template("BabyCheck"))


def test_age_at_least_refuses_a_signature_by_another_key(oracle):
    # a signature by another key, for the issuer's key
    refuses("age_at_least", age_inputs(oracle, "birth_signature_by_other_key"), in_template("ForceEqualIfEnabled"))
    # the issuer's signature, claimed for another key
    ax, ay = oracle["other_key"]
    refuses("age_at_least", age_inputs(oracle, issuer_ax=ax, issuer_ay=ay), in_template("ForceEqualIfEnabled"))


def test_age_at_least_refuses_an_s_beyond_the_subgroup_order(oracle):
    order = 2736030358979909402780800718157159386076813972158567259200215660948447373041
    inputs = age_inputs(oracle)
    inputs["sig_s"] = str(int(inputs["sig_s"]) + order)  # the same point S * B8, a second encoding of S
    refuses("age_at_least", inputs, in_template("EdDSAPoseidonVerifier"))


@pytest.mark.parametrize(
    "changes",
    [{"today": 2**32}, {"min_age": 256}, {"birth_date": 2**32 + BIRTH_DATE}],
    ids=["today", "min_age", "birth_date"],
)
def test_age_at_least_refuses_out_of_range_dates_and_ages(oracle, changes):
    refuses("age_at_least", age_inputs(oracle, **changes), in_template("Num2Bits"))


# signed_attribute: an issuer's EdDSA-Poseidon signature on Poseidon([attribute, value]), and the comparison
# selected by `comparison` (0: value >= threshold, 1: value <= threshold, 2: value == threshold)

GE, LE, EQ = 0, 1, 2


def attribute_inputs(oracle: dict[str, Any], **changes: Any) -> dict[str, Any]:
    sig = oracle["attribute_signature"]
    ax, ay = oracle["issuer"]
    inputs = {
        "value": ATTRIBUTE_VALUE,
        "sig_r8x": sig["r8x"],
        "sig_r8y": sig["r8y"],
        "sig_s": sig["s"],
        "issuer_ax": ax,
        "issuer_ay": ay,
        "attribute": ATTRIBUTE,
        "threshold": 650,
        "comparison": GE,
    }
    return {**inputs, **changes}


@pytest.mark.parametrize(
    ("comparison", "threshold"),
    [(GE, 650), (GE, 700), (GE, 0), (LE, 750), (LE, 700), (LE, 2**64 - 1), (EQ, 700)],
)
def test_signed_attribute_proves_a_comparison_that_holds(oracle, comparison, threshold):
    ax, ay = oracle["issuer"]
    public = {
        "issuer_ax": ax,
        "issuer_ay": ay,
        "attribute": ATTRIBUTE,
        "threshold": threshold,
        "comparison": comparison,
    }
    proves("signed_attribute", attribute_inputs(oracle, threshold=threshold, comparison=comparison), public)


@pytest.mark.parametrize(
    ("comparison", "threshold"), [(GE, 701), (GE, 2**64 - 1), (LE, 699), (LE, 0), (EQ, 699), (EQ, 701)]
)
def test_signed_attribute_refuses_a_comparison_that_fails(oracle, comparison, threshold):
    inputs = attribute_inputs(oracle, threshold=threshold, comparison=comparison)
    refuses("signed_attribute", inputs, assert_line("signed_attribute", "holds0 + holds1 + holds2 === 1"))


@pytest.mark.parametrize("comparison", [3, -1, 2**64])
def test_signed_attribute_refuses_an_unknown_comparison(oracle, comparison):
    inputs = attribute_inputs(oracle, threshold=700, comparison=comparison % BN254_R)  # -1: the field's r - 1
    refuses("signed_attribute", inputs, assert_line("signed_attribute", "is0.out + is1.out + is2.out === 1"))


def test_signed_attribute_refuses_a_threshold_of_2_to_the_64(oracle):
    refuses("signed_attribute", attribute_inputs(oracle, threshold=2**64, comparison=LE), in_template("Num2Bits"))


@pytest.mark.parametrize(
    "changes",
    [{"value": ATTRIBUTE_VALUE + 1}, {"attribute": ATTRIBUTE + 1}, {"sig_s": "1"}],
    ids=["another-value", "another-attribute", "forged"],
)
def test_signed_attribute_refuses_what_the_issuer_did_not_sign(oracle, changes):
    refuses("signed_attribute", attribute_inputs(oracle, **changes), in_template("ForceEqualIfEnabled"))


@pytest.mark.parametrize("part", ["sig_r8x", "issuer_ay"])
def test_signed_attribute_refuses_points_off_the_curve(oracle, part):
    inputs = attribute_inputs(oracle)
    inputs[part] = str(int(inputs[part]) + 1)
    refuses("signed_attribute", inputs, in_template("BabyCheck"))


def test_signed_attribute_refuses_a_signature_for_another_key(oracle):
    ax, ay = oracle["other_key"]
    inputs = attribute_inputs(oracle, issuer_ax=ax, issuer_ay=ay)
    refuses("signed_attribute", inputs, in_template("ForceEqualIfEnabled"))


# The witnesses, checked by snarkjs too


def true_statement(circuit_id: str, oracle: dict[str, Any]) -> dict[str, Any]:
    return {
        "age_at_least": lambda: age_inputs(oracle),
        "hash_preimage": lambda: {"preimage": PREIMAGE, "hash": oracle["hash"]},
        "range": lambda: range_inputs(oracle),
        "set_membership": lambda: membership_inputs(oracle),
        "signed_attribute": lambda: attribute_inputs(oracle),
    }[circuit_id]()


@pytest.mark.parametrize("circuit_id", IDS)
def test_snarkjs_finds_the_witness_of_a_true_statement_satisfies_the_r1cs(oracle, snarkjs, tmp_path, circuit_id):
    inputs = true_statement(circuit_id, oracle)
    wtns = witness_calculator((COMPILED / f"{circuit_id}.wasm").read_bytes()).calculate_wtns(inputs)
    (tmp_path / "witness.wtns").write_bytes(wtns)
    done = snarkjs("wtns", "check", COMPILED / f"{circuit_id}.r1cs", tmp_path / "witness.wtns")
    assert done.returncode == 0 and "WITNESS IS CORRECT" in done.stdout, done.stdout + done.stderr


@pytest.mark.parametrize("circuit_id", IDS)
def test_every_public_signal_is_bound_by_the_constraints(oracle, circuit_id):
    # a true statement's witness with any one public signal changed fails a constraint of the r1cs
    calculator = witness_calculator((COMPILED / f"{circuit_id}.wasm").read_bytes())
    values = calculator.calculate(true_statement(circuit_id, oracle))
    r1cs = read_r1cs(COMPILED / f"{circuit_id}.r1cs")
    check_constraints(r1cs, None, values)
    for index, name in enumerate(info(circuit_id)["public_signals"], 1):
        changed = values.copy()
        changed[index, 0] ^= 1  # the value plus or minus one
        assert first_unsatisfied(r1cs, changed) is not None, f"{name} is not bound"
