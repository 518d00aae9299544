"""`zapiki templates list|show|setup`, and which keys the service proves templates with: a development setup by
default, keys made from a powers of tau ahead of time (`zapiki templates setup --ptau`) once they exist, even where
the configuration names no `.ptau`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from zapiki import templates
from zapiki.cli import main
from zapiki.service import ZapikiService
from zapiki.template_keys import DEVELOPMENT, ptau_source


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_list_and_show_describe_every_template():
    listed = _run("templates", "list")
    assert listed.exit_code == 0
    assert [line.split()[0] for line in listed.output.splitlines()] == [t.id for t in templates.all_templates()]
    shown = _run("templates", "show", "range")
    assert shown.exit_code == 0 and shown.output.startswith("# Committed value in a range")
    described = json.loads(_run("templates", "show", "range", "--json").output)
    assert [s["name"] for s in described["public_signals"]] == ["commitment", "min", "max"]
    assert _run("templates", "show", "astrology").exit_code == 2


@pytest.mark.timeout(900)
def test_setup_makes_every_templates_development_keys_once(tmp_path):
    db = f"sqlite:///{tmp_path / 'z.db'}"
    first = _run("templates", "setup", "--db", db)
    assert first.exit_code == 0, first.output
    rows = [line.split(None, 2) for line in first.output.splitlines()]
    assert [r[0] for r in rows] == [t.id for t in templates.all_templates()]
    assert all(r[2] == DEVELOPMENT for r in rows)
    again = _run("templates", "setup", "--db", db)
    assert [line.split()[1] for line in again.output.splitlines()] == [r[1] for r in rows]  # the same keys


def test_setup_from_a_powers_of_tau_too_small_names_the_power_needed(tmp_path):
    from zapiki.systems.groth16 import dev_ptau

    (tmp_path / "pot4.ptau").write_bytes(dev_ptau(4))
    out = _run("templates", "setup", "--db", f"sqlite:///{tmp_path / 'z.db'}", "--ptau", str(tmp_path / "pot4.ptau"))
    assert out.exit_code == 2 and "power >= 13; this ptau has power 4" in out.output


def test_keys_made_from_a_ptau_ahead_of_time_are_used_where_none_is_configured(tmp_path):
    from zapiki.systems.groth16 import dev_ptau

    ptau = tmp_path / "pot9.ptau"
    ptau.write_bytes(dev_ptau(9))
    svc = ZapikiService.open(f"sqlite:///{tmp_path / 'z.db'}", dispatch=False)
    try:
        assert svc.settings.templates_ptau is None
        t = templates.get("hash_preimage")
        assert svc.template_keys.status(t) == {"setup": DEVELOPMENT, "development": True, "ready": False}
        made = svc.template_keys.circuit(t, ptau_source(ptau))  # what `zapiki templates setup --ptau` does
        label = "powers of tau pot9.ptau (2^9) + a phase-2 contribution by this service"
        assert svc.template_keys.status(t) == {"setup": label, "development": False, "ready": True}
        assert svc.template_keys.circuit(t)["id"] == made["id"]  # proofs use them, no development keys made
        out = svc.prove_template(svc.default_user_id, "hash_preimage", {"preimage": 1})
        proof = svc.proofs.get_proof(out["proof_id"])
        assert proof["circuit_id"] == made["id"] and proof["template"]["development_keys"] is False
    finally:
        svc.close()
