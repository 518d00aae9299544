"""``zapiki issuer``: keygen, public, sign, verify (exit 0 valid, 1 invalid, 2 error), on the click group."""

from __future__ import annotations

import json
import os
import stat

import pytest
from click.testing import CliRunner

from zapiki.babyjub.credential import Credential, key_file_json, public_key_to_json
from zapiki.babyjub.eddsa import IssuerKey
from zapiki.cli_issuer import issuer

KEY = IssuerKey(bytes(range(32)))


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str):
        return CliRunner().invoke(issuer, [str(a) for a in args], catch_exceptions=False)

    return invoke


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "key.json"
    path.write_text(json.dumps(key_file_json(KEY)))
    path.chmod(0o600)
    return path


def test_keygen_writes_a_private_key_file_and_prints_the_public_key(run, tmp_path):
    result = run("keygen")
    assert result.exit_code == 0, result.output
    path = tmp_path / "issuer-key.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_text())
    key = IssuerKey.from_hex(data["private_key"])
    assert data["public_key"] == public_key_to_json(key.public_key)
    assert json.loads(result.stdout) == data["public_key"]


def test_keygen_is_0600_whatever_the_umask(run, tmp_path):
    old = os.umask(0)
    try:
        assert run("keygen", "--out", "k.json").exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "k.json").stat().st_mode) == 0o600


def test_keygen_never_overwrites(run, tmp_path):
    (tmp_path / "issuer-key.json").write_text("precious")
    result = run("keygen")
    assert result.exit_code == 2
    assert "already exists" in result.stderr and "Traceback" not in result.output
    assert (tmp_path / "issuer-key.json").read_text() == "precious"
    assert run("keygen", "--out", "other.json").exit_code == 0
    assert run("keygen", "--out", "other.json").exit_code == 2


def test_public_prints_the_public_key(run, key_file):
    result = run("public", key_file)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == public_key_to_json(KEY.public_key)
    assert "warning" not in result.stderr


def test_public_warns_about_a_key_file_others_can_read(run, key_file):
    key_file.chmod(0o644)
    result = run("public", key_file)
    assert result.exit_code == 0 and "readable by group or others" in result.stderr


def test_sign_prints_a_credential_that_verifies(run, key_file):
    result = run("sign", key_file, "--attribute", "birth_date", "--value", "20000101")
    assert result.exit_code == 0, result.output
    credential = Credential.from_json(json.loads(result.stdout))
    assert credential.verify()
    assert (credential.attribute, credential.value, credential.issuer) == ("birth_date", 20000101, KEY.public_key)


def test_sign_writes_out_and_verify_accepts_it(run, key_file, tmp_path):
    result = run("sign", key_file, "--attribute", "age", "--value", "42", "--out", "cred.json")
    assert result.exit_code == 0 and result.stdout == ""
    result = run("verify", tmp_path / "cred.json")
    assert result.exit_code == 0 and result.stdout.startswith("OK: the credential is valid (age = 42)")


def test_verify_says_invalid_with_exit_1(run, key_file, tmp_path):
    run("sign", key_file, "--attribute", "age", "--value", "42", "--out", "cred.json")
    data = json.loads((tmp_path / "cred.json").read_text())
    data["value"] = 43
    (tmp_path / "forged.json").write_text(json.dumps(data))
    result = run("verify", "forged.json")
    assert result.exit_code == 1 and result.stdout.startswith("INVALID")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read credential"),
        ("{", "is not JSON"),
        ("[]", "credential: expected a JSON object"),
        ('{"attribute": "age", "value": 1}', "issuer: missing"),
    ],
)
def test_verify_errors_exit_2(run, tmp_path, content, message):
    if content is not None:
        (tmp_path / "cred.json").write_text(content)
    result = run("verify", "cred.json")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--attribute", "Birth", "--value", "1"], "1..31 characters of [a-z0-9_]"),
        (["--attribute", "age", "--value", "-1"], "--value must be an integer"),
        (["--attribute", "age", "--value", "1e3"], "--value must be an integer"),
        (["--attribute", "age", "--value", str(2**64)], "0 <= value < 2^64"),
    ],
)
def test_sign_rejects_bad_input_with_exit_2(run, key_file, args, message):
    result = run("sign", key_file, *args)
    assert result.exit_code == 2 and message in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot read key file"), ("{}", "private_key: missing"), ('{"private_key": "00"}', "64 hex digits")],
)
def test_a_bad_key_file_is_an_error(run, tmp_path, content, message):
    if content is not None:
        (tmp_path / "bad.json").write_text(content)
    for args in (["public", "bad.json"], ["sign", "bad.json", "--attribute", "age", "--value", "1"]):
        result = run(*args)
        assert result.exit_code == 2 and message in result.stderr, result.output
