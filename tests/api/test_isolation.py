"""Two users: each sees only their own proofs and jobs. Another user's id answers exactly like an id that does
not exist (404, same body shape), and no list, filter or page ever shows another user's rows."""

from __future__ import annotations

import pytest


@pytest.fixture
def two_users(api_no_cluster):
    """alice owns a sync proof and a queued job; bob owns one queued job."""
    api = api_no_cluster
    sync = api.alice.post("/api/v1/proofs", json={"proof_system": "commitment", "data": "alice's"}).json()
    queued = api.alice.post("/api/v1/proofs", json={"proof_system": "diagnostic", "data": {"value": "a"}}).json()
    bobs = api.bob.post("/api/v1/proofs", json={"proof_system": "diagnostic", "data": {"value": "b"}}).json()
    return api, sync, queued, bobs


def _not_found(r):
    assert r.status_code == 404, r.text
    assert r.json()["error"]["code"] == "not_found"
    return r.json()["error"]["message"]


def test_another_users_proof_is_not_found_on_get_and_delete(two_users):
    api, sync, queued, _ = two_users
    for proof_id in (sync["id"], queued["proof_id"]):
        message = _not_found(api.bob.get(f"/api/v1/proofs/{proof_id}"))
        assert message == _not_found(api.bob.get(f"/api/v1/proofs/{proof_id[:-1]}0")).replace(
            f"{proof_id[:-1]}0", proof_id
        )  # indistinguishable from an id that does not exist
        _not_found(api.bob.delete(f"/api/v1/proofs/{proof_id}"))
        assert api.alice.get(f"/api/v1/proofs/{proof_id}").status_code == 200  # bob's delete did nothing


def test_another_users_job_is_not_found_on_get_cancel_and_retry(two_users):
    api, _, queued, bobs = two_users
    job_id = queued["job_id"]
    _not_found(api.bob.get(f"/api/v1/jobs/{job_id}"))
    _not_found(api.bob.post(f"/api/v1/jobs/{job_id}/cancel"))
    assert api.alice.get(f"/api/v1/jobs/{job_id}").json()["status"] == "pending"  # bob's cancel did nothing

    assert api.alice.post(f"/api/v1/jobs/{job_id}/cancel").status_code == 200
    _not_found(api.bob.post(f"/api/v1/jobs/{job_id}/retry"))
    assert api.alice.get(f"/api/v1/jobs/{job_id}").json()["status"] == "cancelled"  # bob's retry did nothing
    # and the other way round
    _not_found(api.alice.get(f"/api/v1/jobs/{bobs['job_id']}"))
    _not_found(api.alice.get(f"/api/v1/proofs/{bobs['proof_id']}"))


def test_lists_show_only_the_callers_rows_under_every_filter_and_page(two_users):
    api, sync, queued, bobs = two_users
    alice_proofs = {sync["id"], queued["proof_id"]}
    for params in ({}, {"status": "pending"}, {"proof_system": "diagnostic"}, {"limit": 100}, {"offset": 1}):
        seen = {p["id"] for p in api.alice.get("/api/v1/proofs", params=params).json()["proofs"]}
        assert seen <= alice_proofs and bobs["proof_id"] not in seen
        bob_seen = {p["id"] for p in api.bob.get("/api/v1/proofs", params=params).json()["proofs"]}
        assert bob_seen <= {bobs["proof_id"]}
        jobs = {j["id"] for j in api.alice.get("/api/v1/jobs", params=params).json()["jobs"]}
        assert jobs <= {queued["job_id"]}
        bob_jobs = {j["id"] for j in api.bob.get("/api/v1/jobs", params=params).json()["jobs"]}
        assert bob_jobs <= {bobs["job_id"]}
    assert {p["id"] for p in api.alice.get("/api/v1/proofs").json()["proofs"]} == alice_proofs
    assert [p["id"] for p in api.bob.get("/api/v1/proofs").json()["proofs"]] == [bobs["proof_id"]]
    assert [j["id"] for j in api.bob.get("/api/v1/jobs").json()["jobs"]] == [bobs["job_id"]]
    # a third user with a fresh key sees nothing at all
    carol = api.client(None, **{"X-API-Key": api.key("carol@example.com")})
    assert carol.get("/api/v1/proofs").json()["proofs"] == []
    assert carol.get("/api/v1/jobs").json()["jobs"] == []
    carol.close()


def test_two_keys_of_one_user_see_the_same_rows(two_users):
    api, sync, _, _ = two_users
    second = api.client(None, Authorization=f"Bearer {api.key('alice@example.com')}")
    assert second.get(f"/api/v1/proofs/{sync['id']}").status_code == 200
    assert len(second.get("/api/v1/proofs").json()["proofs"]) == 2
    second.close()
