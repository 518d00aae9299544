"""Every endpoint over real HTTP, on SQLite and on PostgreSQL: what a client sends and what it gets back."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

FINAL = ("completed", "failed", "cancelled")


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_health_needs_no_key_and_reports_database_cluster_and_workers(api):
    r = api.client().get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok", "cluster": "ok", "workers": 1}


def test_health_without_a_cluster_is_degraded_but_up(api_no_cluster):
    r = api_no_cluster.client().get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "degraded", "database": "ok", "cluster": "unreachable", "workers": 0}


def test_systems_lists_registered_systems_with_capabilities(api):
    r = api.alice.get("/api/v1/systems")
    assert r.status_code == 200
    systems = {s["name"]: s["capabilities"] for s in r.json()["systems"]}
    assert systems["commitment"]["async_only"] is False
    assert systems["commitment"]["features"] == ["string", "json", "bytes"]
    assert systems["diagnostic"]["async_only"] is True and systems["diagnostic"]["isolated"] is True


def test_sync_proof_is_created_with_201_and_can_be_fetched_and_verified(api):
    r = api.alice.post("/api/v1/proofs", json={"proof_system": "commitment", "data": "hello"})
    assert r.status_code == 201
    proof = r.json()
    assert r.headers["Location"] == f"/api/v1/proofs/{proof['id']}"
    assert proof["status"] == "completed" and proof["proof_system"] == "commitment"
    assert set(proof["proof_data"]) == {"commitment", "nonce", "signature", "timestamp", "public_key"}
    assert proof["public_inputs"] == {"data_type": "string", "data": "hello"}
    assert proof["generation_time_ms"] >= 0 and proof["error_message"] is None
    assert _ts(proof["created_at"]) <= _ts(proof["completed_at"])

    fetched = api.alice.get(f"/api/v1/proofs/{proof['id']}")
    assert fetched.status_code == 200 and fetched.json() == proof

    body = {k: proof[k] for k in ("proof_system", "public_inputs", "verification_key")}
    assert api.alice.post("/api/v1/verify", json={**body, "proof": proof["proof_data"]}).json() == {"valid": True}
    tampered = {**body, "proof": proof["proof_data"], "public_inputs": {"data_type": "string", "data": "hellO"}}
    assert api.alice.post("/api/v1/verify", json=tampered).json() == {
        "valid": False,
        "reason": "the proof does not verify",
    }


def test_a_malformed_proof_is_not_valid_rather_than_an_error(api):
    r = api.alice.post("/api/v1/verify", json={"proof_system": "commitment", "proof": {"nonce": 7}})
    assert r.status_code == 200
    assert r.json()["valid"] is False and "malformed" in r.json()["reason"]


def test_async_proof_answers_202_then_completes(api, until):
    r = api.alice.post(
        "/api/v1/proofs",
        json={
            "proof_system": "commitment",
            "data": {"amount": 10},
            "options": {"async": True, "priority": "high", "timeout_s": 30, "max_retries": 2},
        },
    )
    assert r.status_code == 202
    out = r.json()
    assert out == {
        "proof_id": out["proof_id"],
        "job_id": out["job_id"],
        "status": "pending",
        "message": "Proof generation started. Poll /api/v1/proofs/{id} for status.",
    }
    assert r.headers["Location"] == f"/api/v1/proofs/{out['proof_id']}"
    proof = until(lambda: (p := api.alice.get(f"/api/v1/proofs/{out['proof_id']}").json())["status"] in FINAL and p)
    assert proof["status"] == "completed" and proof["public_inputs"] == {"data_type": "json", "data": {"amount": 10}}
    job = api.alice.get(f"/api/v1/jobs/{out['job_id']}").json()
    assert job["status"] == "completed" and job["proof_id"] == out["proof_id"]
    assert job["queue"] == "high" and job["max_retries"] == 2 and job["timeout_s"] == 30


def test_async_only_system_always_answers_202(api_no_cluster):
    r = api_no_cluster.alice.post("/api/v1/proofs", json={"proof_system": "diagnostic", "data": {"value": 1}})
    assert r.status_code == 202 and r.json()["status"] == "pending"
    proof = api_no_cluster.alice.get(f"/api/v1/proofs/{r.json()['proof_id']}").json()
    assert proof["status"] == "pending" and proof["proof_data"] is None


def test_proof_list_filters_by_status_and_system_and_pages(api_no_cluster):
    alice = api_no_cluster.alice
    done = [alice.post("/api/v1/proofs", json={"proof_system": "commitment", "data": f"d{i}"}).json() for i in range(3)]
    queued = alice.post("/api/v1/proofs", json={"proof_system": "diagnostic", "data": {}}).json()

    everything = alice.get("/api/v1/proofs").json()
    assert everything["limit"] == 20 and everything["offset"] == 0
    assert [p["id"] for p in everything["proofs"]] == [queued["proof_id"], *[p["id"] for p in reversed(done)]]

    completed = alice.get("/api/v1/proofs", params={"status": "completed"}).json()["proofs"]
    assert {p["id"] for p in completed} == {p["id"] for p in done}
    pending = alice.get("/api/v1/proofs", params={"status": "pending", "proof_system": "diagnostic"}).json()
    assert [p["id"] for p in pending["proofs"]] == [queued["proof_id"]]
    assert alice.get("/api/v1/proofs", params={"status": "failed"}).json()["proofs"] == []

    page = alice.get("/api/v1/proofs", params={"proof_system": "commitment", "limit": 2, "offset": 1}).json()
    assert page["limit"] == 2 and page["offset"] == 1
    assert [p["id"] for p in page["proofs"]] == [done[1]["id"], done[0]["id"]]


def test_delete_removes_a_proof_and_its_job(api_no_cluster):
    alice = api_no_cluster.alice
    sync = alice.post("/api/v1/proofs", json={"proof_system": "commitment", "data": "x"}).json()
    queued = alice.post("/api/v1/proofs", json={"proof_system": "diagnostic", "data": {}}).json()

    r = alice.delete(f"/api/v1/proofs/{sync['id']}")
    assert r.status_code == 204 and r.content == b""
    assert alice.get(f"/api/v1/proofs/{sync['id']}").status_code == 404
    assert alice.delete(f"/api/v1/proofs/{sync['id']}").status_code == 404

    assert alice.delete(f"/api/v1/proofs/{queued['proof_id']}").status_code == 204
    assert alice.get(f"/api/v1/jobs/{queued['job_id']}").status_code == 404
    assert alice.get("/api/v1/jobs").json()["jobs"] == []


def test_jobs_list_get_cancel_and_retry(api_no_cluster):
    alice = api_no_cluster.alice
    ids = [
        alice.post("/api/v1/proofs", json={"proof_system": "diagnostic", "data": {"value": i}}).json() for i in range(3)
    ]
    listed = alice.get("/api/v1/jobs").json()
    assert listed["limit"] == 20 and listed["offset"] == 0
    assert [j["id"] for j in listed["jobs"]] == [o["job_id"] for o in reversed(ids)]
    assert alice.get("/api/v1/jobs", params={"limit": 1, "offset": 2}).json()["jobs"][0]["id"] == ids[0]["job_id"]
    # the issue's own example: an empty status is no filter
    assert alice.get("/api/v1/jobs?status=&limit=20&offset=0").json() == listed

    job_id = ids[0]["job_id"]
    job = alice.get(f"/api/v1/jobs/{job_id}").json()
    assert job["status"] == "pending" and job["retry_count"] == 0 and job["queue"] == "normal"

    cancelled = alice.post(f"/api/v1/jobs/{job_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert alice.get(f"/api/v1/proofs/{ids[0]['proof_id']}").json()["status"] == "cancelled"
    again = alice.post(f"/api/v1/jobs/{job_id}/cancel")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert [j["id"] for j in alice.get("/api/v1/jobs", params={"status": "cancelled"}).json()["jobs"]] == [job_id]

    retried = alice.post(f"/api/v1/jobs/{job_id}/retry")
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    assert alice.get(f"/api/v1/proofs/{ids[0]['proof_id']}").json()["status"] == "pending"
    not_failed = alice.post(f"/api/v1/jobs/{ids[1]['job_id']}/retry")
    assert not_failed.status_code == 409

    # a job waiting between attempts can be cancelled too; a running one cannot, nor can its proof be deleted
    _set_job_status(api_no_cluster.service, ids[1]["job_id"], "retrying")
    assert alice.post(f"/api/v1/jobs/{ids[1]['job_id']}/cancel").json()["status"] == "cancelled"
    _set_job_status(api_no_cluster.service, ids[2]["job_id"], "processing")
    assert alice.get(f"/api/v1/proofs/{ids[2]['proof_id']}").json()["status"] == "processing"
    assert alice.post(f"/api/v1/jobs/{ids[2]['job_id']}/cancel").status_code == 409
    busy = alice.delete(f"/api/v1/proofs/{ids[2]['proof_id']}")
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "conflict"


def _set_job_status(service, job_id: str, status: str) -> None:
    """Put a job in a state only the dispatcher reaches (there is no cluster in these tests)."""
    with service.engine.begin() as conn:
        conn.execute(sa.text("UPDATE jobs SET status = :s WHERE id = :i"), {"s": status, "i": job_id})


def test_a_failed_job_is_retried_with_a_fresh_budget(api, until):
    alice = api.alice
    out = alice.post(
        "/api/v1/proofs",
        json={"proof_system": "diagnostic", "data": {"fail_attempts": 1}, "options": {"max_retries": 0}},
    ).json()
    failed = until(lambda: (j := alice.get(f"/api/v1/jobs/{out['job_id']}").json())["status"] in FINAL and j)
    assert failed["status"] == "failed" and "attempt 1" in failed["error_message"] and failed["runs"] == 1
    assert alice.get("/api/v1/proofs", params={"status": "failed"}).json()["proofs"][0]["id"] == out["proof_id"]

    retried = alice.post(f"/api/v1/jobs/{out['job_id']}/retry").json()
    assert retried["status"] == "pending" and retried["retry_count"] == 0 and retried["error_message"] is None
    # it runs again from a fresh budget (attempt 1 again, so this deterministic job fails the same way)
    again = until(
        lambda: (j := alice.get(f"/api/v1/jobs/{out['job_id']}").json())["runs"] == 2 and j["status"] in FINAL and j
    )
    assert again["status"] == "failed"


def test_stats_report_queues_in_flight_retrying_failed_timing_success_and_workers(api_no_cluster):
    alice = api_no_cluster.alice
    for i in range(3):
        alice.post("/api/v1/proofs", json={"proof_system": "commitment", "data": i})
    alice.post("/api/v1/proofs", json={"proof_system": "diagnostic", "data": {}, "options": {"priority": "low"}})
    alice.post("/api/v1/proofs", json={"proof_system": "diagnostic", "data": {}, "options": {"priority": "high"}})
    r = alice.get("/api/v1/stats")
    assert r.status_code == 200
    stats = r.json()
    assert stats["queues"] == {"high": 1, "normal": 0, "low": 1} and stats["pending"] == 2
    assert (stats["in_flight"], stats["retrying"], stats["failed"], stats["cancelled"]) == (0, 0, 0, 0)
    assert stats["processing_time"]["commitment"]["count"] == 3
    assert 0 <= stats["processing_time"]["commitment"]["p50_ms"] <= stats["processing_time"]["commitment"]["p95_ms"]
    assert stats["success_rate"] is None  # no job has finished: sync proofs are not jobs
    assert stats["workers"] == {"count": 0, "threads": 0}


def test_openapi_document_is_served_without_a_key_and_lists_every_route(api):
    r = api.client().get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {
        "/health",
        "/api/v1/openapi.json",
        "/api/v1/systems",
        "/api/v1/me",
        "/api/v1/proofs",
        "/api/v1/proofs/batch",
        "/api/v1/proofs/lookup",
        "/api/v1/proofs/{id}",
        "/api/v1/jobs",
        "/api/v1/jobs/lookup",
        "/api/v1/jobs/{id}",
        "/api/v1/jobs/{id}/cancel",
        "/api/v1/jobs/{id}/retry",
        "/api/v1/verify",
        "/api/v1/stats",
        "/api/v1/circuits",
        "/api/v1/circuits/{id}",
        "/api/v1/circuits/{id}/verifier.sol",
        "/api/v1/templates",
        "/api/v1/templates/categories",
        "/api/v1/templates/{id}",
        "/api/v1/templates/{id}/verifier.sol",
        *(f"/api/v1/templates/{t}/generate" for t in ("age_at_least", "range", "set_membership", "hash_preimage")),
        "/api/v1/templates/signed_attribute/generate",
    }
    systems = {v["properties"]["proof_system"]["const"] for v in doc["components"]["schemas"]["ProofRequest"]["anyOf"]}
    # every registered system, each with the input it accepts
    assert systems == {s["name"] for s in api.alice.get("/api/v1/systems").json()["systems"]} >= {"commitment"}
    verify = doc["components"]["schemas"]["VerifyRequest"]["properties"]["proof_system"]["enum"]
    assert set(verify) == systems
