"""`commitment`: SHA-256(data ‖ nonce) signed with the service's persistent Ed25519 key."""

import hashlib

import pytest

from zapiki import systems
from zapiki.errors import InputError, UnknownProofSystem
from zapiki.service import ZapikiService


@pytest.fixture
def service(sqlite_url):
    svc = ZapikiService.open(sqlite_url, dispatch=False)
    yield svc
    svc.close()


@pytest.mark.parametrize(
    ("data", "options", "committed"),
    [
        ("hello", {}, b"hello"),
        ({"b": 1, "a": [1, 2]}, {}, b'{"a":[1,2],"b":1}'),
        ("00ff10", {"data_type": "bytes"}, bytes.fromhex("00ff10")),
        ("ünïcode", {"data_type": "string"}, "ünïcode".encode()),
    ],
)
def test_commitment_opens_to_the_data_and_nonce(service, data, options, committed):
    proof = service.create_proof(service.default_user_id, "commitment", data, options)
    body = proof["proof_data"]
    assert set(body) == {"commitment", "nonce", "signature", "timestamp", "public_key"}
    assert len(bytes.fromhex(body["nonce"])) == 32
    assert hashlib.sha256(committed + bytes.fromhex(body["nonce"])).hexdigest() == body["commitment"]
    assert service.verify("commitment", body, proof["public_inputs"], proof["verification_key"])


def test_two_commitments_to_the_same_data_differ(service):
    a = service.create_proof(service.default_user_id, "commitment", "same")
    b = service.create_proof(service.default_user_id, "commitment", "same")
    assert a["proof_data"]["commitment"] != b["proof_data"]["commitment"]


@pytest.mark.parametrize("field", ["commitment", "nonce", "signature", "timestamp"])
def test_tampering_with_any_field_fails_verification(service, field):
    proof = service.create_proof(service.default_user_id, "commitment", "x")
    body = dict(proof["proof_data"])
    if field == "timestamp":
        body[field] = body[field].replace("20", "19", 1)
    else:
        value = bytearray.fromhex(body[field])
        value[0] ^= 1
        body[field] = value.hex()
    assert not service.verify("commitment", body, proof["public_inputs"], proof["verification_key"])


def test_wrong_data_or_foreign_key_fails_verification(service):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    proof = service.create_proof(service.default_user_id, "commitment", "x")
    assert not service.verify("commitment", proof["proof_data"], {"data_type": "string", "data": "y"})
    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw().hex()
    assert not service.verify("commitment", proof["proof_data"], proof["public_inputs"], {"public_key": other})


def test_signing_key_survives_a_restart(sqlite_url):
    first = ZapikiService.open(sqlite_url, dispatch=False)
    proof = first.create_proof(first.default_user_id, "commitment", "kept")
    first.close()
    second = ZapikiService.open(sqlite_url, dispatch=False)
    again = second.create_proof(second.default_user_id, "commitment", "kept")
    assert again["proof_data"]["public_key"] == proof["proof_data"]["public_key"]
    assert second.verify("commitment", proof["proof_data"], proof["public_inputs"], again["verification_key"])
    second.close()


@pytest.mark.parametrize(
    ("data", "options", "message"),
    [
        ("zz", {"data_type": "bytes"}, "hex"),
        (123, {"data_type": "string"}, "string"),
        ("x", {"data_type": "xml"}, "data_type"),
        (None, {}, "required"),
        ("x" * (1 << 20 + 1), {}, "limit"),
    ],
)
def test_bad_input_is_named(service, data, options, message):
    with pytest.raises(InputError, match=message):
        service.create_proof(service.default_user_id, "commitment", data, options)


def test_unknown_system_is_an_input_error():
    with pytest.raises(UnknownProofSystem, match="available"):
        systems.get("nope")


def test_a_proof_that_cannot_be_read_is_not_valid_and_says_why(service):
    valid, reason = service.check("commitment", {"nonce": "zz"}, {"data_type": "string", "data": "x"})
    assert valid is False and "public_key" in reason
    assert service.verify("commitment", {"nonce": "zz"}, {"data_type": "string", "data": "x"}) is False
