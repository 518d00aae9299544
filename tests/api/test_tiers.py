"""What a key's tier allows over the API."""

from __future__ import annotations


def test_only_pro_and_enterprise_keys_may_use_the_high_queue(api_no_cluster):
    api = api_no_cluster
    free = api.client(None, **{"X-API-Key": api.key("cheap@example.com", "free")})
    body = {"proof_system": "commitment", "data": "x", "options": {"async": True, "priority": "high"}}
    r = free.post("/api/v1/proofs", json=body)
    assert r.status_code == 422 and "high" in r.json()["error"]["message"]
    assert free.get("/api/v1/jobs").json()["jobs"] == []
    assert free.post("/api/v1/proofs", json={**body, "options": {"async": True}}).status_code == 202
    assert api.alice.post("/api/v1/proofs", json=body).status_code == 202  # pro
