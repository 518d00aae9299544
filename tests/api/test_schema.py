"""The API's one schema (zapiki.schema) against what the service really hands out, the messages its 422s
carry, and the document generated from it."""

from __future__ import annotations

import json

import pytest

from zapiki import schema, templates
from zapiki.api import route_table
from zapiki.api.openapi import document
from zapiki.config import Settings
from zapiki.service import ZapikiService


@pytest.fixture
def service():
    svc = ZapikiService.open("sqlite://", None, dispatch=False)
    yield svc
    svc.close()


def test_every_field_the_service_hands_out_is_in_its_model(service):
    _, raw = service.keys.create_key("ada@example.com", tier="pro")
    who = service.keys.authenticate(raw)
    job = service.create_proof(who["user_id"], "commitment", "hello", {"async": True})
    proof = service.create_proof(who["user_id"], "commitment", "hello")
    assert set(service.proofs.get_job(job["job_id"])) == set(schema.Job.model_fields)
    assert set(service.proofs.get_proof(proof["id"])) == set(schema.Proof.model_fields)
    assert set(proof) == set(schema.Proof.model_fields)
    assert set(service.stats()) == set(schema.Stats.model_fields)
    assert set(service.health()) == set(schema.Health.model_fields)
    for system in service.systems():
        dumped = schema.dump(schema.System, system)
        assert dumped == json.loads(json.dumps(system)), "a capability the model does not list would be dropped"
    assert set(schema.Me.model_fields) <= set(who)


@pytest.mark.parametrize(
    ("model", "value", "prefix", "message"),
    [
        (schema.IdsRequest, {"ids": "abc"}, "", "ids is required (an array of id strings)"),
        (schema.IdsRequest, {"ids": [1]}, "", "ids is required (an array of id strings)"),
        (schema.IdsRequest, {"ids": ["a"] * 1001}, "", "ids has 1001 entries; the limit is 1000"),
        (schema.ProofRequest, {"data": 1}, "", "proof_system is required (a string: a registered proof system's"),
        (schema.ProofRequest, {"proof_system": "x", "data": 1, "circuit_id": 5}, "", "circuit_id must be a string"),
        (schema.ProofRequest, {"proof_system": "x", "data": 1, "options": []}, "", "options must be an object"),
        (schema.ProofRequest, {"proof_system": "x"}, "", "data is required"),
        (schema.job_options(600), {"timeout_s": 601}, "options", "options.timeout_s must be a positive number"),
        (schema.job_options(600), {"max_retries": True}, "options", "options.max_retries must be an integer from 0"),
        (schema.job_options(600), {"async": "yes"}, "options", "options.async must be true or false"),
        (schema.job_options(600), {"priority": "urgent"}, "options", "options.priority must be one of 'high'"),
        (schema.ListQuery, {"limit": "0"}, "", "limit must be an integer from 1 to 100"),
        (schema.ListQuery, {"limit": "5.0"}, "", "limit must be an integer"),
        (schema.ListQuery, {"limit": "9" * 5000}, "", "limit must be an integer"),
        (schema.CircuitUpload, {"name": "c", "wasm": b"w"}, "", "send the file 'zkey' (optionally with 'r1cs')"),
    ],
)
def test_a_422_names_the_field_and_what_it_must_be(model, value, prefix, message):
    with pytest.raises(schema.ValidationError) as caught:
        model.model_validate(value)
    assert schema.describe(caught.value, model, prefix).startswith(message)


def test_json_has_one_number_type_and_no_other_coercions():
    options = schema.job_options(600)
    assert options.model_validate({"max_retries": 2.0}).max_retries == 2
    assert options.model_validate({"timeout_s": 5}).timeout_s == 5.0
    for bad in ({"max_retries": "2"}, {"max_retries": 2.5}, {"timeout_s": True}, {"async": 1}, {"run_async": 1}):
        if "run_async" in bad:  # the Python name of `async` is not an option of its own: kept, not read
            assert options.model_validate(bad).run_async is False
            continue
        with pytest.raises(schema.ValidationError):
            options.model_validate(bad)


def test_the_document_is_generated_whole():
    doc = document(route_table(), Settings())
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids)) == 26 + len(templates.all_templates())  # one proof operation per template
    text = json.dumps(doc)
    refs = {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}
    assert refs <= set(doc["components"]["schemas"]), "a $ref without its schema"
    assert '"title"' not in json.dumps(doc["components"]["schemas"]["Job"])
    # the limits come from the configuration the server runs with
    small = document(route_table(), Settings(max_batch_items=7, max_timeout_s=30))
    batch = small["components"]["schemas"]["BatchRequest"]["anyOf"][0]["properties"]
    assert batch["items"]["maxItems"] == 7 and batch["options"]["properties"]["timeout_s"]["maximum"] == 30
