"""Proof templates in the notebook client: `zk.templates()` (a DataFrame) and `zk.template(id)` (its docs as the
notebook's display, `prove`, `submit`, `verify`, `solidity_verifier`) — every test runs on a direct connection
and over the REST API (`zapiki.connect(url, api_key=...)`), with the same results.

The fast templates (hash_preimage, 213 constraints; range, 560) carry most tests; age_at_least (an issuer-signed
birth date) is the one signed template proved here.
"""

from __future__ import annotations

import pandas as pd
import pytest
from clients import KINDS, open_client

from zapiki import templates
from zapiki.babyjub.credential import Credential
from zapiki.babyjub.eddsa import IssuerKey
from zapiki.errors import InputError, JobFailed, NotFound
from zapiki.formats.solidity import solidity_verifier
from zapiki.service import ZapikiService
from zapiki.template_keys import DEVELOPMENT

IDS = ["age_at_least", "range", "set_membership", "hash_preimage", "signed_attribute"]
TIMEOUT = 120  # seconds for one proof: the first one of a template makes its keys too


@pytest.fixture(params=KINDS)
def zk(request, sqlite_url, cluster, settings):
    service = ZapikiService.open(sqlite_url, cluster, settings)
    client, close = open_client(request.param, service, cluster)
    yield client
    close()
    service.close()


@pytest.fixture(params=KINDS)
def zk_both_databases(request, db_url, cluster, settings):
    """`zk` on SQLite and on PostgreSQL."""
    service = ZapikiService.open(db_url, cluster, settings)
    client, close = open_client(request.param, service, cluster)
    yield client
    close()
    service.close()


def _changed(proof: dict, index: int, value: str) -> dict:
    """The proof claiming another statement: its public signal ``index`` replaced by ``value``."""
    public = list(proof["public_inputs"])
    assert public[index] != value
    public[index] = value
    return {**proof, "public_inputs": public, "public_signals": public}


def test_the_catalogue_is_a_dataframe_saying_how_the_keys_are_made(zk):
    frame = zk.templates()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["id"]) == [t.id for t in templates.all_templates()] and sorted(frame["id"]) == sorted(IDS)
    assert list(frame.columns) == [
        "id", "category", "title", "summary", "public_signals", "constraints", "keys", "keys_ready",
    ]  # fmt: skip
    assert set(frame["keys"]) == {DEVELOPMENT} and "development" in DEVELOPMENT
    assert not frame["keys_ready"].any()  # a fresh service: no keys made yet
    assert (frame["constraints"] > 0).all()
    row = frame.set_index("id").loc["range"]
    assert row["category"] == "finance" and row["public_signals"] == ["commitment", "min", "max"]

    identity = zk.templates("identity")
    assert list(identity["id"]) == ["age_at_least", "signed_attribute"]
    assert set(identity["category"]) == {"identity"}
    with pytest.raises(InputError, match="category must be one of"):
        zk.templates("astrology")


def test_a_template_shows_its_docs_signals_keys_and_example(zk):
    t = zk.template("range")
    assert (t.id, t.category) == ("range", "finance")
    assert repr(t) == "<Template range (finance): Committed value in a range>"
    assert t.docs == templates.get("range").docs and t.example == templates.get("range").example
    assert t.input_schema["required"] == ["value", "salt", "min", "max"]
    assert [s["name"] for s in t.public_signals] == ["commitment", "min", "max"]
    md = t._repr_markdown_()
    assert md.startswith(t.docs)
    assert "development keys" in md and DEVELOPMENT in md
    assert "| `commitment` | Poseidon(value, salt) |" in md
    assert '"salt": "1234567890123456789"' in md  # the example, as JSON
    assert "development keys" in t._repr_html_()
    with pytest.raises(NotFound, match="age_at_least"):
        zk.template("astrology")


def test_prove_names_the_signals_and_verify_refuses_a_changed_one(zk_both_databases):
    zk = zk_both_databases
    t = zk.template("range")
    proof = t.prove(t.example, timeout=TIMEOUT)
    assert proof["status"] == "completed" and proof["proof_system"] == "groth16"
    assert proof["template"] == {"id": "range", "setup": DEVELOPMENT, "development_keys": True}
    assert list(proof["named_signals"]) == ["commitment", "min", "max"]
    assert proof["named_signals"]["min"] == 18 and proof["named_signals"]["max"] == 120
    assert [str(v) for v in proof["named_signals"].values()] == proof["public_inputs"] == proof["public_signals"]
    assert t.verify(proof) is True
    assert t.verify(_changed(proof, 2, "100")) is False  # "the value is at most 100": not what was proved
    assert t.verify(_changed(proof, 0, str(int(proof["public_inputs"][0]) + 1))) is False  # another commitment
    assert zk.template("hash_preimage").verify(proof) is False  # not a proof of another template
    assert zk.templates().set_index("id").loc["range", "keys_ready"]  # made with the first proof


def test_submit_returns_a_job_and_a_false_statement_fails_it_naming_the_condition(zk):
    t = zk.template("hash_preimage")
    job = t.submit({"preimage": 99}, priority="high")
    assert job.info()["queue"] == "high"
    proof = job.result(timeout=TIMEOUT)
    assert proof["named_signals"] == {"hash": proof["public_inputs"][0]}  # above 2^53: a decimal string
    assert t.verify(proof)

    false = t.submit({"preimage": 7, "hash": 8})
    with pytest.raises(JobFailed, match=r"false statement: Poseidon\(preimage\) is not the given hash"):
        false.result(timeout=TIMEOUT)
    above = zk.template("range").submit({"value": 121, "salt": 5, "min": 18, "max": 120})
    with pytest.raises(JobFailed, match="false statement: the value is above the maximum 120"):
        above.result(timeout=TIMEOUT)
    assert above.info()["retry_count"] == 0  # an input error: not retried


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"salt": 1, "min": 0, "max": 9}, "inputs.value is required"),
        ({"value": "ten", "salt": 1, "min": 0, "max": 9}, "inputs.value must be an integer from 0 to 2^64 - 1"),
        ({"value": 1, "salt": 1, "min": 0, "max": 9, "colour": "red"}, "inputs: Additional properties"),
    ],
)
def test_inputs_that_do_not_fit_the_schema_raise_naming_the_field_before_any_job(zk, inputs, message):
    t = zk.template("range")
    with pytest.raises(InputError, match="^" + message.replace("^", r"\^")):
        t.submit(inputs)
    with pytest.raises(InputError, match=r"^inputs\.value must be an integer from 0 to 2\^64 - 1"):
        t.prove({"value": -1, "salt": 1, "min": 0, "max": 9})
    assert zk.jobs().empty


def test_solidity_verifier_is_the_services_key_for_the_template(zk):
    t = zk.template("hash_preimage")
    source = t.solidity_verifier()
    assert isinstance(source, str)
    assert "pragma solidity" in source and "function verifyProof" in source
    assert "uint256[1] calldata _pubSignals" in source  # the hash
    proof = t.prove({"preimage": 5}, timeout=TIMEOUT)
    assert source == solidity_verifier(proof["verification_key"])  # the key the service proves with
    assert "uint256[3] calldata _pubSignals" in zk.template("range").solidity_verifier()


def test_a_signed_template_age_at_least(zk):
    issuer = IssuerKey.generate()
    adult = Credential.issue(issuer, "birth_date", 20000101).to_json()
    t = zk.template("age_at_least")
    proof = t.prove({"credential": adult, "min_age": 18, "today": "2026-12-05"}, timeout=TIMEOUT)
    ax, ay = issuer.public_key
    assert proof["named_signals"] == {"issuer_ax": str(ax), "issuer_ay": str(ay), "min_age": 18, "today": 20261205}
    assert proof["template"] == {"id": "age_at_least", "setup": DEVELOPMENT, "development_keys": True}
    assert t.verify(proof) is True
    assert t.verify(_changed(proof, 2, "21")) is False  # "at least 21": not what was proved
    other = IssuerKey.generate().public_key
    assert t.verify(_changed(proof, 0, str(other[0]))) is False  # signed by another issuer: not what was proved

    minor = Credential.issue(issuer, "birth_date", 20100101).to_json()
    job = t.submit({"credential": minor, "min_age": 18, "today": 20261205})
    with pytest.raises(JobFailed, match="false statement: the holder is younger than 18 on 2026-12-05"):
        job.result(timeout=TIMEOUT)
    with pytest.raises(InputError, match="inputs.min_age"):
        t.submit({"credential": adult, "min_age": 200})
