"""API keys: random (32 bytes), shown once, stored only as a SHA-256 hash and looked up by it; managed with
`zapiki keys create/list/revoke`, and a revoked key stops working."""

from __future__ import annotations

import base64
import hashlib
import sys

import sqlalchemy as sa
from click.testing import CliRunner

from zapiki.cli import main


def _cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_keys_create_list_revoke_through_the_cli(db_url, api_no_cluster, until):
    api = api_no_cluster
    out = _cli("keys", "create", "--email", "dana@example.com", "--tier", "pro", "--name", "laptop", "--db", db_url)
    raw = out.strip().splitlines()[-1]
    key_id = out.split()[1]
    assert raw.startswith("zk_") and len(base64.urlsafe_b64decode(raw[3:] + "=")) == 32
    assert "tier pro" in out and "Shown once" in out

    listing = _cli("keys", "list", "--db", db_url)
    row = next(line for line in listing.splitlines() if line.startswith(key_id))
    assert row.split()[1:5] == [raw[:10], "dana@example.com", "pro", "user"] and len(row.split()) == 6  # not revoked
    assert raw not in listing  # the key itself is never shown again

    # only the hash is stored, and it is how the key is found
    with sa.create_engine(db_url).connect() as conn:
        stored = conn.execute(sa.text("SELECT key_hash, prefix FROM api_keys WHERE id = :i"), {"i": key_id}).one()
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest() and stored.prefix == raw[:10]

    dana = api.client(None, Authorization=f"Bearer {raw}")
    assert dana.get("/api/v1/proofs").status_code == 200
    assert "revoked" in _cli("keys", "revoke", key_id, "--db", db_url)
    # the API caches a key lookup for 2 s, so a revocation from another process takes effect within that
    until(lambda: dana.get("/api/v1/proofs").status_code == 401, timeout=4)
    revoked_row = next(line for line in _cli("keys", "list", "--db", db_url).splitlines() if line.startswith(key_id))
    assert len(revoked_row.split()) == 7  # the revoked column is filled in


def test_revoke_by_prefix_and_unknown_key_errors(sqlite_url):
    out = _cli("keys", "create", "--email", "eve@example.com", "--db", sqlite_url)
    raw = out.strip().splitlines()[-1]
    assert "tier free" in out  # a new user's default tier
    assert "revoked" in _cli("keys", "revoke", raw[:10], "--db", sqlite_url)
    result = CliRunner().invoke(main, ["keys", "revoke", "zk_nothing", "--db", sqlite_url])
    assert result.exit_code != 0


def test_the_command_line_entry_point_exits_2_with_a_message_on_errors(sqlite_url, monkeypatch, capsys):
    import pytest

    from zapiki.cli import run

    monkeypatch.setattr(sys, "argv", ["zapiki", "keys", "create", "--email", "f@example.com", "--db", sqlite_url])
    run()
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("zk_")
    monkeypatch.setattr(sys, "argv", ["zapiki", "keys", "revoke", "zk_nope", "--db", sqlite_url])
    with pytest.raises(SystemExit) as exit_:
        run()
    assert exit_.value.code == 2 and "no API key 'zk_nope'" in capsys.readouterr().err
