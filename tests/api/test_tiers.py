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


def test_a_circuit_over_the_tiers_limit_is_refused_from_its_headers(sqlite_url, make_service, serve):
    from pathlib import Path

    import httpx

    from zapiki.systems.groth16.limits import CircuitLimits

    small = CircuitLimits(max_constraints=1000, max_wires=1000, max_public=4)
    big = CircuitLimits(max_constraints=100_000, max_wires=100_000, max_public=16)
    service = make_service(sqlite_url, client=None, circuit_limits={"free": small, "pro": big})
    server = serve(service)
    fx = Path(__file__).resolve().parent.parent / "fixtures" / "groth16" / "poseidon_chain_8"  # 1,920 constraints
    files = {n: (fx / f"circuit.{n}").read_bytes() for n in ("wasm", "zkey", "r1cs")}
    for tier, expected in (("free", 422), ("pro", 201)):
        _, key = service.keys.create_key(f"{tier}@example.com", tier=tier)
        with httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=120) as client:
            r = client.post("/api/v1/circuits", data={"name": "chain"}, files=files)
            assert r.status_code == expected, r.text
            if expected == 422:
                assert "circuit too large" in r.json()["error"]["message"]
            # a development setup from the r1cs alone is refused on its header, before any setup work
            r = client.post(
                "/api/v1/circuits", data={"name": "setup"}, files={"wasm": files["wasm"], "r1cs": files["r1cs"]}
            )
            assert r.status_code == (422 if tier == "free" else 202), r.text
