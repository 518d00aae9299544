"""POST /api/v1/proofs/batch (many jobs in one request, all or none), POST /api/v1/jobs/lookup and
/api/v1/proofs/lookup (a batch's progress in one call), and GET /api/v1/me — over real HTTP, both databases."""

from __future__ import annotations

import json

import sqlalchemy as sa
from conftest import wait_until

FINAL = ("completed", "failed", "cancelled")


def _job_count(api) -> int:
    with api.service.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM jobs")).scalar_one()


def test_a_batch_creates_one_job_per_item_in_order_and_they_run(api):
    r = api.alice.post(
        "/api/v1/proofs/batch",
        json={"proof_system": "commitment", "items": [f"row {i}" for i in range(50)], "options": {"priority": "low"}},
    )
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["count"] == 50 and len(body["jobs"]) == 50
    ids = [j["job_id"] for j in body["jobs"]]

    def finished():
        rows = api.alice.post("/api/v1/jobs/lookup", json={"ids": ids}).json()["jobs"]
        return rows if len(rows) == 50 and all(row["status"] in FINAL for row in rows) else None

    rows = wait_until(finished, timeout=60)
    assert {row["queue"] for row in rows} == {"low"} and {row["status"] for row in rows} == {"completed"}
    proof_ids = [j["proof_id"] for j in body["jobs"]]
    proofs = api.alice.post("/api/v1/proofs/lookup", json={"ids": proof_ids}).json()["proofs"]
    by_id = {p["id"]: p for p in proofs}
    assert [by_id[pid]["public_inputs"]["data"] for pid in proof_ids[:3]] == ["row 0", "row 1", "row 2"]


def test_one_bad_item_refuses_the_whole_batch_naming_its_index(api):
    before = _job_count(api)
    r = api.alice.post(
        "/api/v1/proofs/batch",
        json={"proof_system": "commitment", "items": ["a", "b", {"type": "bytes", "value": "zz"}], "options": {}},
    )
    assert r.status_code == 422
    assert r.json()["error"]["message"].startswith("items[2]:")
    assert _job_count(api) == before


def test_a_batch_is_checked_like_a_single_proof_request(api):
    free = api.client()
    free.headers["X-API-Key"] = api.key("free@example.com", "free")
    cases = [
        ({"proof_system": "commitment", "items": []}, api.alice, 422, "items is required"),
        ({"proof_system": "commitment", "items": "abc"}, api.alice, 422, "items is required"),
        ({"items": ["a"]}, api.alice, 422, "proof_system is required"),
        ({"proof_system": "nope", "items": ["a"]}, api.alice, 422, "unknown proof system"),
        ({"proof_system": "groth16", "items": [{}], "circuit_id": "missing"}, api.alice, 404, "not found"),
        ({"proof_system": "commitment", "items": ["a"], "options": {"priority": "high"}}, free, 422, "tier"),
    ]
    for body, who, status, words in cases:
        r = who.post("/api/v1/proofs/batch", json=body)
        assert r.status_code == status, (body, r.text)
        assert words in r.json()["error"]["message"], (body, r.text)


def test_a_batch_has_its_own_limits(db_url, make_service, serve):
    service = make_service(db_url, client=None, max_batch_items=5, max_batch_bytes=4000, max_body_bytes=1000)
    server = serve(service)
    _, key = service.keys.create_key("limits@example.com", tier="pro")
    import httpx

    with httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=30) as http:
        too_many = http.post("/api/v1/proofs/batch", json={"proof_system": "commitment", "items": ["x"] * 6})
        assert too_many.status_code == 422 and "limit is 5" in too_many.json()["error"]["message"]
        # larger than the ordinary body limit (1000) but within the batch's (4000): accepted
        big = {"proof_system": "commitment", "items": ["y" * 500] * 5}
        assert len(json.dumps(big)) > 1000
        assert http.post("/api/v1/proofs/batch", json=big).status_code == 202
        assert http.post("/api/v1/proofs", json={"proof_system": "commitment", "data": "y" * 1500}).status_code == 413
        huge = {"proof_system": "commitment", "items": ["z" * 900] * 5}
        r = http.post("/api/v1/proofs/batch", json=huge)
        assert r.status_code == 413 and "limit is 4000" in r.json()["error"]["message"]


def test_lookups_show_only_the_callers_rows(api):
    mine = api.alice.post("/api/v1/proofs/batch", json={"proof_system": "commitment", "items": ["a", "b"]}).json()
    ids = [j["job_id"] for j in mine["jobs"]]
    assert len(api.alice.post("/api/v1/jobs/lookup", json={"ids": ids}).json()["jobs"]) == 2
    assert api.bob.post("/api/v1/jobs/lookup", json={"ids": ids}).json()["jobs"] == []
    proof_ids = [j["proof_id"] for j in mine["jobs"]]
    assert api.bob.post("/api/v1/proofs/lookup", json={"ids": proof_ids}).json()["proofs"] == []
    assert api.alice.post("/api/v1/jobs/lookup", json={"ids": ["nope", "x" * 500]}).json()["jobs"] == []
    for bad in ({}, {"ids": "a"}, {"ids": [1, 2]}, {"ids": ["a"] * 1001}):
        r = api.alice.post("/api/v1/jobs/lookup", json=bad)
        assert r.status_code == 422 and "ids" in r.json()["error"]["message"], bad


def test_me_names_the_keys_user(api):
    r = api.alice.get("/api/v1/me")
    assert r.status_code == 200
    me = r.json()
    assert me["email"] == "alice@example.com" and me["tier"] == "pro" and me["user_id"]
    assert api.client().get("/api/v1/me").status_code == 401
