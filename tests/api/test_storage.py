"""Bounded storage: a user's circuit files count against their tier's quota, and the files of a deleted
circuit go when no other circuit uses them."""

from __future__ import annotations

from pathlib import Path

import httpx
import sqlalchemy as sa

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "groth16"


def _files(name):
    return {n: (FIXTURES / name / f"circuit.{n}").read_bytes() for n in ("wasm", "zkey")}


def _blobs(service) -> set[str]:
    with service.engine.connect() as conn:
        return {r[0] for r in conn.execute(sa.text("SELECT sha256 FROM blobs"))}


def test_a_users_files_count_against_the_quota_of_their_tier(sqlite_url, make_service, serve):
    mult = _files("multiplier")
    quota = sum(len(b) for b in mult.values()) + 1000  # room for the multiplier, not for the bigger chain
    service = make_service(sqlite_url, client=None, storage_quota_bytes={"free": quota, "pro": 0})
    server = serve(service)
    _, key = service.keys.create_key("small@example.com", tier="free")
    with httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=120) as client:
        assert client.post("/api/v1/circuits", data={"name": "m"}, files=mult).status_code == 201
        # the same files again hold no new bytes
        assert client.post("/api/v1/circuits", data={"name": "m2"}, files=mult).status_code == 201
        r = client.post("/api/v1/circuits", data={"name": "chain"}, files=_files("poseidon_chain_8"))
        assert r.status_code == 422 and "storage quota" in r.json()["error"]["message"]


def test_a_deleted_circuits_files_go_unless_another_circuit_uses_them(sqlite_url, make_service, serve):
    service = make_service(sqlite_url, client=None)
    server = serve(service)
    _, key = service.keys.create_key("owner@example.com", tier="pro")
    with httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=120) as client:
        ids = [
            client.post("/api/v1/circuits", data={"name": f"m{i}"}, files=_files("multiplier")).json()["id"]
            for i in range(2)
        ]
        chain = client.post("/api/v1/circuits", data={"name": "c"}, files=_files("poseidon_chain_8")).json()["id"]
        before = _blobs(service)
        assert len(before) == 4  # two files for the multiplier (shared by both), two for the chain
        assert client.delete(f"/api/v1/circuits/{chain}").status_code == 204
        assert len(_blobs(service)) == 2
        assert client.delete(f"/api/v1/circuits/{ids[0]}").status_code == 204
        assert len(_blobs(service)) == 2  # still used by the other multiplier circuit
        assert client.delete(f"/api/v1/circuits/{ids[1]}").status_code == 204
        assert _blobs(service) == set()
