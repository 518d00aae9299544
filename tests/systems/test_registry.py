"""The proof-system registry: built-ins plus anything installed under the `zapiki.proof_systems` entry points."""

import sys
import textwrap

import pytest

from zapiki import systems


@pytest.fixture
def fake_distribution(tmp_path, monkeypatch):
    """An installed third-party package that declares a proof system through the entry-point group."""
    (tmp_path / "zapiki_echo.py").write_text(
        textwrap.dedent("""
        from zapiki.systems.base import Capabilities, ProofOutput

        class EchoSystem:
            name = "echo"
            capabilities = Capabilities(async_only=False, features=("echo",))

            def prepare_input(self, data, options):
                return data

            def generate(self, data, ctx):
                return ProofOutput({"echo": data}, data, None)

            def verify(self, proof, public_inputs, verification_key=None):
                return proof.get("echo") == public_inputs
    """)
    )
    info = tmp_path / "zapiki_echo-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: zapiki-echo\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[zapiki.proof_systems]\necho = zapiki_echo:EchoSystem\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(systems, "_loaded", False)
    yield
    systems._registry.pop("echo", None)
    sys.modules.pop("zapiki_echo", None)
    systems._loaded = False


def test_builtin_systems_are_registered_with_capabilities():
    assert "commitment" in systems.names()
    caps = systems.get("commitment").capabilities
    assert not caps.async_only and not caps.isolated


def test_a_third_party_system_is_found_through_its_entry_point(fake_distribution, sqlite_url):
    from zapiki.service import ZapikiService

    assert "echo" in systems.names()
    svc = ZapikiService.open(sqlite_url, dispatch=False)
    proof = svc.create_proof(svc.default_user_id, "echo", {"x": 1})
    assert proof["proof_data"] == {"echo": {"x": 1}}
    assert svc.verify("echo", proof["proof_data"], {"x": 1})
    assert {"name": "echo", "capabilities": systems.get("echo").capabilities.as_dict()} in svc.systems()
    svc.close()


def test_diagnostic_system_is_hidden_unless_enabled(monkeypatch):
    monkeypatch.setenv("ZAPIKI_DIAGNOSTICS", "0")
    assert "diagnostic" not in systems.names()
    monkeypatch.setenv("ZAPIKI_DIAGNOSTICS", "1")
    assert "diagnostic" in systems.names()
