"""`POST /api/v1/verify` says whether this service made a proof, not merely whether it is well signed: a
commitment carrying a stranger's Ed25519 key and signature is not valid, and after a key rotation proofs
signed with the old key still are."""

from __future__ import annotations

import subprocess
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from zapiki.service import ZapikiService
from zapiki.systems.commitment import _message


def _forge(proof_data: dict) -> dict:
    """The same commitment, nonce and timestamp, signed by an outsider who puts their own key in the proof."""
    outsider = Ed25519PrivateKey.generate()
    signature = outsider.sign(_message(proof_data["commitment"], proof_data["timestamp"]))
    public = outsider.public_key().public_bytes_raw().hex()
    return {**proof_data, "public_key": public, "signature": signature.hex()}


def test_a_proof_signed_with_a_strangers_key_is_not_valid(api):
    made = api.alice.post("/api/v1/proofs", json={"proof_system": "commitment", "data": "mine"}).json()
    body = {"proof_system": "commitment", "public_inputs": made["public_inputs"]}
    assert api.alice.post("/api/v1/verify", json={**body, "proof": made["proof_data"]}).json() == {"valid": True}

    forged = _forge(made["proof_data"])
    for vk in (None, {"public_key": forged["public_key"]}, made["verification_key"]):
        r = api.alice.post("/api/v1/verify", json={**body, "proof": forged, "verification_key": vk})
        assert r.status_code == 200
        assert r.json()["valid"] is False and "not" in r.json()["reason"], r.json()
    # the genuine proof with a stranger's verification key beside it is not valid either
    stranger = {"public_key": forged["public_key"]}
    r = api.alice.post("/api/v1/verify", json={**body, "proof": made["proof_data"], "verification_key": stranger})
    assert r.json()["valid"] is False
    assert not api.service.verify("commitment", forged, made["public_inputs"])


def test_after_a_rotation_old_proofs_still_verify_and_new_ones_use_the_new_key(sqlite_url):
    first = ZapikiService.open(sqlite_url, dispatch=False)
    old = first.create_proof(first.default_user_id, "commitment", "before")
    first.close()
    out = subprocess.run(
        [sys.executable, "-m", "zapiki.cli", "keys", "rotate-signing-key", "--db", sqlite_url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and "new signing key" in out.stdout, out.stderr
    second = ZapikiService.open(sqlite_url, dispatch=False)
    try:
        new = second.create_proof(second.default_user_id, "commitment", "after")
        assert new["proof_data"]["public_key"] != old["proof_data"]["public_key"]
        assert new["proof_data"]["public_key"] in out.stdout
        for proof in (old, new):
            assert second.check("commitment", proof["proof_data"], proof["public_inputs"]) == (True, None)
        assert second.check("commitment", _forge(old["proof_data"]), old["public_inputs"])[0] is False
    finally:
        second.close()


def test_a_revoked_signing_key_no_longer_verifies(sqlite_url):
    first = ZapikiService.open(sqlite_url, dispatch=False)
    leaked = first.create_proof(first.default_user_id, "commitment", "signed with a key that leaked")
    first.close()
    out = subprocess.run(
        [sys.executable, "-m", "zapiki.cli", "keys", "rotate-signing-key", "--revoke-old", "--db", sqlite_url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    second = ZapikiService.open(sqlite_url, dispatch=False)
    try:
        valid, reason = second.check("commitment", leaked["proof_data"], leaked["public_inputs"])
        assert valid is False and "not signed by this service" in reason
        fresh = second.create_proof(second.default_user_id, "commitment", "new key")
        assert second.verify("commitment", fresh["proof_data"], fresh["public_inputs"])
    finally:
        second.close()
