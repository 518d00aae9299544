"""Every request and response example of the seed's document (Zapiki's "Phase 2: Async Processing"), replayed
against a real server with a real cluster, on SQLite and on PostgreSQL: a client written against the original
Zapiki sends exactly these bodies and reads exactly these fields.

The seed's examples, in its order:
- POST /api/v1/proofs {"proof_system": "groth16", "data": {...}}  ->  {"proof_id", "status": "pending", "message"}
- GET /api/v1/proofs/{id} while processing  ->  {"id", "status": "processing", "created_at"}
- GET /api/v1/proofs/{id} when completed  ->  {"id", "status": "completed", "proof_data", "generation_time_ms",
  "completed_at"}
- GET /api/v1/jobs/{id}  ->  {"id", "user_id", "proof_id", "status", "priority", "retry_count", "max_retries",
  "created_at", "started_at", "completed_at"}
- GET /api/v1/jobs  ->  {"jobs": [{"id", "status", ...}], "limit": 20, "offset": 0}
- GET /api/v1/proofs?status=failed  ->  the failed proofs
- POST /api/v1/proofs {"proof_system": "commitment", "data": {"type": "string", "value": "test"},
  "options": {"async": true}}, then GET /api/v1/proofs/{id} and GET /api/v1/jobs/{job_id}
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "groth16" / "multiplier"
SEED_MESSAGE = "Proof generation started. Poll /api/v1/proofs/{id} for status."
SEED_JOB_FIELDS = {
    "id",
    "user_id",
    "proof_id",
    "status",
    "priority",
    "retry_count",
    "max_retries",
    "error_message",
    "created_at",
    "started_at",
    "completed_at",
}
SEED_PROOF_FIELDS = {"id", "status", "proof_data", "generation_time_ms", "created_at", "completed_at"}


def _time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, f"{value} has no time zone"
    return parsed


@pytest.fixture
def poll(until):
    """poll(client, path, done) -> the first body of GET path for which done(body) holds."""

    def _poll(client, path: str, done, timeout: float = 60.0) -> dict:
        def ready():
            body = client.get(path).json()
            return body if done(body) else None

        return until(ready, timeout, interval=0.05)

    return _poll


def _me(api) -> str:
    return api.service.keys.authenticate(api.keys["alice"])["user_id"]


def test_async_groth16_request_answers_202_with_the_seeds_body(api, poll):
    with open(FIXTURES / "circuit.wasm", "rb") as wasm, open(FIXTURES / "circuit.zkey", "rb") as zkey:
        up = api.alice.post(
            "/api/v1/circuits", data={"name": "multiplier"}, files={"wasm": wasm, "zkey": zkey}, timeout=300
        )
    assert up.status_code == 201, up.text
    r = api.alice.post(
        "/api/v1/proofs",
        json={
            "proof_system": "groth16",
            "data": json.loads((FIXTURES / "input.json").read_text()),
            "circuit_id": up.json()["id"],
        },
    )
    assert r.status_code == 202
    body = r.json()
    assert {"proof_id", "status", "message"} <= set(body)
    assert body["status"] == "pending" and body["message"] == SEED_MESSAGE
    done = poll(api.alice, f"/api/v1/proofs/{body['proof_id']}", lambda p: p["status"] == "completed", 300)
    assert SEED_PROOF_FIELDS <= set(done)
    assert done["proof_data"]["protocol"] == "groth16" and done["generation_time_ms"] > 0


def test_a_processing_proof_and_its_job_show_the_seeds_fields(api, poll):
    r = api.alice.post("/api/v1/proofs", json={"proof_system": "diagnostic", "data": {"sleep_s": 3}})
    assert r.status_code == 202
    proof_id, job_id = r.json()["proof_id"], r.json()["job_id"]

    processing = poll(api.alice, f"/api/v1/proofs/{proof_id}", lambda p: p["status"] == "processing")
    assert SEED_PROOF_FIELDS <= set(processing)
    assert processing["id"] == proof_id and processing["proof_data"] is None and processing["completed_at"] is None
    _time(processing["created_at"])

    job = api.alice.get(f"/api/v1/jobs/{job_id}").json()
    assert SEED_JOB_FIELDS <= set(job)
    assert job["id"] == job_id and job["user_id"] == _me(api) and job["proof_id"] == proof_id
    assert job["status"] == "processing"
    assert job["priority"] == 1 and isinstance(job["priority"], int)  # the seed's integer (normal)
    assert job["retry_count"] == 0 and job["max_retries"] == 3 and job["error_message"] is None
    assert _time(job["created_at"]) <= _time(job["started_at"]) and job["completed_at"] is None

    completed = poll(api.alice, f"/api/v1/proofs/{proof_id}", lambda p: p["status"] == "completed")
    assert isinstance(completed["proof_data"], dict) and completed["generation_time_ms"] >= 3000
    assert _time(completed["created_at"]) < _time(completed["completed_at"])
    job = api.alice.get(f"/api/v1/jobs/{job_id}").json()
    assert job["status"] == "completed" and _time(job["started_at"]) <= _time(job["completed_at"])


def test_the_job_list_has_the_seeds_envelope_and_fields(api):
    ids = [
        api.alice.post("/api/v1/proofs", json={"proof_system": "diagnostic", "data": {}}).json()["job_id"]
        for _ in range(3)
    ]
    r = api.alice.get("/api/v1/jobs")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"jobs", "limit", "offset"} and body["limit"] == 20 and body["offset"] == 0
    assert [j["id"] for j in body["jobs"]] == ids[::-1]  # newest first
    for job in body["jobs"]:
        assert SEED_JOB_FIELDS <= set(job) and job["user_id"] == _me(api)


def test_failed_proofs_are_listed_with_their_error(api, poll):
    bad = api.alice.post(
        "/api/v1/proofs", json={"proof_system": "diagnostic", "data": {"input_error": "no such input"}}
    ).json()
    api.alice.post("/api/v1/proofs", json={"proof_system": "diagnostic", "data": {}})
    poll(api.alice, f"/api/v1/proofs/{bad['proof_id']}", lambda p: p["status"] == "failed")
    r = api.alice.get("/api/v1/proofs", params={"status": "failed"})
    assert r.status_code == 200
    failed = r.json()["proofs"]
    assert [p["id"] for p in failed] == [bad["proof_id"]]
    assert "no such input" in failed[0]["error_message"] and failed[0]["completed_at"]
    job = api.alice.get(f"/api/v1/jobs/{bad['job_id']}").json()
    assert job["status"] == "failed" and job["retry_count"] == 0 and "no such input" in job["error_message"]


def test_the_seeds_async_commitment_commits_to_the_string_itself(api, poll):
    r = api.alice.post(
        "/api/v1/proofs",
        json={"proof_system": "commitment", "data": {"type": "string", "value": "test"}, "options": {"async": True}},
    )
    assert r.status_code == 202
    accepted = r.json()
    assert accepted["status"] == "pending" and accepted["message"] == SEED_MESSAGE

    proof = poll(api.alice, f"/api/v1/proofs/{accepted['proof_id']}", lambda p: p["status"] == "completed")
    assert SEED_PROOF_FIELDS <= set(proof)
    opened = proof["proof_data"]
    # a client of the seed opens the commitment as SHA-256("test" || nonce)
    assert hashlib.sha256(b"test" + bytes.fromhex(opened["nonce"])).hexdigest() == opened["commitment"]
    assert proof["public_inputs"] == {"data_type": "string", "data": "test"}

    job = api.alice.get(f"/api/v1/jobs/{accepted['job_id']}").json()
    assert SEED_JOB_FIELDS <= set(job)
    assert job["status"] == "completed" and job["proof_id"] == accepted["proof_id"] and job["user_id"] == _me(api)


@pytest.mark.parametrize(
    ("data", "committed"),
    [
        ({"type": "string", "value": "test"}, b"test"),
        ({"type": "bytes", "value": "00ff10"}, bytes.fromhex("00ff10")),
        ({"type": "json", "value": {"b": 1, "a": "x"}}, b'{"a":"x","b":1}'),
        ({"type": "json", "value": "test"}, b'"test"'),
    ],
)
def test_each_envelope_type_commits_to_its_documented_bytes(api, data, committed):
    r = api.alice.post("/api/v1/proofs", json={"proof_system": "commitment", "data": data})
    assert r.status_code == 201, r.text
    proof = r.json()["proof_data"]
    assert hashlib.sha256(committed + bytes.fromhex(proof["nonce"])).hexdigest() == proof["commitment"]


def test_the_older_forms_keep_working_and_data_type_turns_the_envelope_off(api):
    bare = api.alice.post("/api/v1/proofs", json={"proof_system": "commitment", "data": "test"}).json()
    assert bare["public_inputs"] == {"data_type": "string", "data": "test"}
    typed = api.alice.post(
        "/api/v1/proofs",
        json={"proof_system": "commitment", "data": "00ff", "options": {"data_type": "bytes"}},
    ).json()
    assert typed["public_inputs"] == {"data_type": "bytes", "data": "00ff"}
    # with options.data_type the value is taken as it is, even when it looks like an envelope
    literal = {"type": "string", "value": "test"}
    kept = api.alice.post(
        "/api/v1/proofs", json={"proof_system": "commitment", "data": literal, "options": {"data_type": "json"}}
    ).json()
    assert kept["public_inputs"] == {"data_type": "json", "data": literal}
    # an object with other keys beside type and value is plain JSON
    other = {"type": "string", "value": "test", "note": 1}
    plain = api.alice.post("/api/v1/proofs", json={"proof_system": "commitment", "data": other}).json()
    assert plain["public_inputs"] == {"data_type": "json", "data": other}


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"type": "xml", "value": "<a/>"}, "data.type"),
        ({"type": 7, "value": "x"}, "data.type"),
        ({"type": "string", "value": 12}, "data.value"),
        ({"type": "bytes", "value": "zz"}, "data.value"),
        ({"type": "bytes", "value": ["00"]}, "data.value"),
        ({"type": "json", "value": None}, "data.value"),
    ],
)
def test_a_malformed_envelope_is_a_422_naming_the_field(api, data, named):
    r = api.alice.post("/api/v1/proofs", json={"proof_system": "commitment", "data": data, "options": {"async": True}})
    assert r.status_code == 422
    assert named in r.json()["error"]["message"]
    assert api.alice.get("/api/v1/jobs").json()["jobs"] == []  # nothing was written


def test_the_openapi_document_shows_both_forms_and_every_seed_field(api):
    spec = api.client().get("/api/v1/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert SEED_JOB_FIELDS <= set(schemas["Job"]["required"])
    assert SEED_PROOF_FIELDS <= set(schemas["Proof"]["required"])
    text = json.dumps(spec)
    assert '"const": "string"' in text and '"required": ["type", "value"]' in text
