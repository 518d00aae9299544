"""Key roles: a user key sees and acts on its own user's jobs, proofs and circuits only (another user's id is
404); an admin key (`zapiki keys create --admin`, or the key `zapiki serve` prints on its first start) sees and
acts on every user's, and what it creates is still its own user's."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from zapiki.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "groth16" / "multiplier"


def _admin(api) -> str:
    api.keys["root"] = api.service.keys.create_key("root@example.com", tier="pro", admin=True)[1]
    return api.keys["root"]


def _async(client, data):
    r = client.post("/api/v1/proofs", json={"proof_system": "commitment", "data": data, "options": {"async": True}})
    assert r.status_code == 202, r.text
    return r.json()


def test_a_user_key_gets_404_on_another_users_job_and_an_admin_key_gets_it(api_no_cluster):
    api = api_no_cluster
    _admin(api)
    root = api.client("root")
    alices = _async(api.alice, "alice's")
    bobs = _async(api.bob, "bob's")
    for path in (f"/api/v1/jobs/{alices['job_id']}", f"/api/v1/proofs/{alices['proof_id']}"):
        assert api.bob.get(path).status_code == 404
        assert api.alice.get(path).status_code == 200
        assert root.get(path).status_code == 200
    assert api.bob.post(f"/api/v1/jobs/{alices['job_id']}/cancel").status_code == 404

    listed = {j["id"] for j in root.get("/api/v1/jobs", params={"limit": 100}).json()["jobs"]}
    assert {alices["job_id"], bobs["job_id"]} <= listed
    assert {j["id"] for j in api.bob.get("/api/v1/jobs").json()["jobs"]} == {bobs["job_id"]}
    proofs = {p["id"] for p in root.get("/api/v1/proofs", params={"status": "pending"}).json()["proofs"]}
    assert {alices["proof_id"], bobs["proof_id"]} <= proofs

    ids = [alices["job_id"], bobs["job_id"]]
    assert {j["id"] for j in root.post("/api/v1/jobs/lookup", json={"ids": ids}).json()["jobs"]} == set(ids)
    assert [j["id"] for j in api.bob.post("/api/v1/jobs/lookup", json={"ids": ids}).json()["jobs"]] == [ids[1]]
    proof_ids = [alices["proof_id"], bobs["proof_id"]]
    found = root.post("/api/v1/proofs/lookup", json={"ids": proof_ids}).json()["proofs"]
    assert {p["id"] for p in found} == set(proof_ids)

    cancelled = root.post(f"/api/v1/jobs/{alices['job_id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert root.post(f"/api/v1/jobs/{alices['job_id']}/retry").json()["status"] == "pending"
    assert root.post(f"/api/v1/jobs/{alices['job_id']}/cancel").json()["status"] == "cancelled"
    assert root.delete(f"/api/v1/proofs/{alices['proof_id']}").status_code == 204
    assert api.alice.get(f"/api/v1/proofs/{alices['proof_id']}").status_code == 404


def test_what_an_admin_key_creates_is_its_own_users(api_no_cluster):
    api = api_no_cluster
    _admin(api)
    mine = _async(api.client("root"), "root's")
    job = api.service.proofs.get_job(mine["job_id"])
    root_user, _ = api.service.keys.get_or_create_user("root@example.com")
    assert job["user_id"] == root_user["id"]
    assert api.alice.get(f"/api/v1/jobs/{mine['job_id']}").status_code == 404


def test_an_admin_key_reads_and_deletes_another_users_private_circuit(api_no_cluster):
    api = api_no_cluster
    _admin(api)
    root = api.client("root")
    files = {k: (f"circuit.{k}", (FIXTURES / f"circuit.{k}").read_bytes()) for k in ("wasm", "zkey")}
    made = api.alice.post("/api/v1/circuits", data={"name": "alices-multiplier"}, files=files)
    assert made.status_code == 201, made.text
    circuit = made.json()["id"]
    assert api.bob.get(f"/api/v1/circuits/{circuit}").status_code == 404
    assert circuit not in {c["id"] for c in api.bob.get("/api/v1/circuits").json()["circuits"]}
    assert root.get(f"/api/v1/circuits/{circuit}").status_code == 200
    assert circuit in {c["id"] for c in root.get("/api/v1/circuits").json()["circuits"]}
    assert api.bob.delete(f"/api/v1/circuits/{circuit}").status_code == 404
    assert root.delete(f"/api/v1/circuits/{circuit}").status_code == 204
    assert api.alice.get(f"/api/v1/circuits/{circuit}").status_code == 404


def test_keys_create_admin_and_the_role_in_keys_list(sqlite_url):
    def cli(*args):
        result = CliRunner().invoke(main, [*args, "--db", sqlite_url], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    out = cli("keys", "create", "--email", "ops@example.com", "--admin")
    assert "role admin" in out
    admin_id = out.split()[1]
    user_id = cli("keys", "create", "--email", "dev@example.com").split()[1]
    rows = {line.split()[0]: line.split() for line in cli("keys", "list").splitlines()[1:]}
    assert rows[admin_id][4] == "admin" and rows[user_id][4] == "user"


def test_the_key_printed_on_the_first_start_is_an_admin_key(sqlite_url):
    from zapiki.server import first_start_key
    from zapiki.service import ZapikiService

    svc = ZapikiService.open(sqlite_url, dispatch=False)
    try:
        raw = first_start_key(svc)
        assert svc.keys.authenticate(raw)["role"] == "admin"
        assert first_start_key(svc) is None  # printed once
    finally:
        svc.close()


def test_upgrading_makes_the_existing_first_start_key_an_admin_key_and_others_user_keys(sqlite_url):
    from alembic import command

    from zapiki.store.db import alembic_config, create_engine_for, upgrade

    engine = create_engine_for(sqlite_url)
    cfg = alembic_config(engine)
    with engine.begin() as conn:  # a database of the release before roles
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, tier, created_at) VALUES "
                "('u1', 'admin@localhost', 'enterprise', '2026-01-01'), ('u2', 'x@example.com', 'pro', '2026-01-01')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO api_keys (id, user_id, name, key_hash, prefix, tier, created_at) VALUES "
                "('k1', 'u1', 'default', 'h1', 'zk_1', 'enterprise', '2026-01-01'), "
                "('k2', 'u2', NULL, 'h2', 'zk_2', 'pro', '2026-01-01')"
            )
        )
    upgrade(engine)
    with engine.connect() as conn:
        roles = dict(conn.execute(sa.text("SELECT id, role FROM api_keys")).all())
    engine.dispose()
    assert roles == {"k1": "admin", "k2": "user"}
