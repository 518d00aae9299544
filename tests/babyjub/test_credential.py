"""Credentials: attribute codes, the signed claim message, issuing and verifying, and the JSON formats."""

from __future__ import annotations

import copy
import json

import pytest

from zapiki.babyjub.credential import (
    Credential,
    attribute_code,
    claim_message,
    issue,
    key_file_json,
    key_from_json,
    public_key_from_json,
    public_key_to_json,
)
from zapiki.babyjub.curve import SUBORDER, pack_point
from zapiki.babyjub.eddsa import IssuerKey, Signature, verify
from zapiki.babyjub.poseidon import poseidon
from zapiki.errors import InputError

KEY = IssuerKey(bytes(range(32)))
OTHER = IssuerKey(b"\x07" * 32)
CRED = issue(KEY, "birth_date", 20000101)


# -- attribute codes and claim messages -------------------------------------------------------------------


def test_an_attribute_code_is_the_ascii_name_read_big_endian():
    assert attribute_code("a") == 0x61
    assert attribute_code("age") == 0x616765
    assert attribute_code("birth_date") == int.from_bytes(b"birth_date", "big")
    assert attribute_code("x" * 31) == int.from_bytes(b"x" * 31, "big")
    assert attribute_code("_0_9") == int.from_bytes(b"_0_9", "big")


@pytest.mark.parametrize("name", ["", "x" * 32, "Age", "birth-date", "café", "a b", "age\n", None, 5])
def test_attribute_names_are_1_to_31_characters_of_a_z_0_9_underscore(name):
    with pytest.raises(InputError, match=r"1\.\.31 characters of \[a-z0-9_\]"):
        attribute_code(name)


def test_the_claim_message_is_poseidon_of_code_and_value():
    assert claim_message("age", 30) == poseidon([attribute_code("age"), 30])
    assert claim_message("age", 2**64 - 1) == poseidon([attribute_code("age"), 2**64 - 1])
    assert claim_message("age", 30) != claim_message("agf", 30)


@pytest.mark.parametrize("value", [-1, 2**64, 1.0, "30", True, None])
def test_values_are_integers_below_2_to_the_64(value):
    with pytest.raises(InputError, match=r"0 <= value < 2\^64"):
        claim_message("age", value)
    with pytest.raises(InputError):
        issue(KEY, "age", value)


# -- issuing and verifying -----------------------------------------------------------------------------------


def test_an_issued_credential_verifies():
    assert CRED.verify()
    assert CRED.issuer == KEY.public_key
    assert CRED.message == claim_message("birth_date", 20000101)
    assert verify(KEY.public_key, CRED.message, CRED.signature)
    assert Credential.issue(KEY, "birth_date", 20000101) == CRED  # deterministic


@pytest.mark.parametrize(
    "changed",
    [
        {"value": 20000102},
        {"attribute": "birth_datf"},
        {"issuer": OTHER.public_key},
        {"signature": Signature(CRED.signature.r8, (CRED.signature.s + 1) % SUBORDER)},
        {"signature": Signature(CRED.signature.r8, CRED.signature.s + SUBORDER)},
        {"signature": OTHER.sign(claim_message("birth_date", 20000101))},
    ],
    ids=["value", "attribute", "issuer", "S + 1", "S + subOrder", "another issuer's signature"],
)
def test_a_changed_credential_does_not_verify(changed):
    fields = {"attribute": CRED.attribute, "value": CRED.value, "issuer": CRED.issuer, "signature": CRED.signature}
    assert not Credential(**(fields | changed)).verify()


def test_circomlibjs_verifies_an_issued_credential(circomlibjs):
    sig = CRED.signature
    ax, ay = CRED.issuer
    request = {"msg": str(CRED.message), "ax": str(ax), "ay": str(ay), "r8x": str(sig.r8[0]), "r8y": str(sig.r8[1])}
    answers = circomlibjs(
        {
            "poseidon": [[str(attribute_code("birth_date")), "20000101"]],
            "verify": [request | {"s": str(sig.s)}, request | {"s": str(sig.s + SUBORDER)}],
        }
    )
    assert answers["poseidon"] == [str(CRED.message)]
    assert answers["verify"] == [True, False]


# -- JSON ----------------------------------------------------------------------------------------------------


def test_the_credential_json_shape():
    data = CRED.to_json()
    assert json.loads(json.dumps(data)) == data
    assert data["attribute"] == "birth_date" and data["value"] == 20000101
    assert data["issuer"] == {
        "ax": str(KEY.public_key[0]),
        "ay": str(KEY.public_key[1]),
        "packed": pack_point(KEY.public_key).hex(),
    }
    assert data["signature"] == {
        "r8x": str(CRED.signature.r8[0]),
        "r8y": str(CRED.signature.r8[1]),
        "s": str(CRED.signature.s),
        "packed": CRED.signature.pack().hex(),
    }
    assert len(data["issuer"]["packed"]) == 64 and len(data["signature"]["packed"]) == 128
    assert Credential.from_json(data) == CRED
    assert Credential.from_json(json.loads(json.dumps(data))).verify()


def test_the_value_may_be_a_decimal_string():
    data = CRED.to_json() | {"value": "20000101"}
    assert Credential.from_json(data) == CRED


def _with(path: str, value: object) -> dict:
    data = copy.deepcopy(CRED.to_json())
    *parents, last = path.split(".")
    target = data
    for part in parents:
        target = target[part]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("attribute", _DELETE, "attribute: missing"),
        ("attribute", "Birth", "attribute: expected a name"),
        ("attribute", 5, "attribute: expected a name"),
        ("value", _DELETE, "value: missing"),
        ("value", -1, "value: expected an integer"),
        ("value", 2**64, "value: expected an integer"),
        ("value", 1.5, "value: expected an integer"),
        ("value", "0x10", "value: expected an integer"),
        ("value", True, "value: expected an integer"),
        ("issuer", _DELETE, "issuer: missing"),
        ("issuer", "abc", "issuer: expected a JSON object"),
        ("issuer.ax", _DELETE, "issuer.ax: missing"),
        ("issuer.ax", 5, "issuer.ax: expected a decimal string"),
        ("issuer.ax", "-5", "issuer.ax: expected a decimal string"),
        ("issuer.ax", "007", "issuer.ax: expected a decimal string"),
        ("issuer.ay", str(2**254), "issuer.ay: out of range"),
        ("issuer.ax", "1", "issuer: (ax, ay) is not a Baby Jubjub point"),
        ("issuer.packed", "00" * 32, "issuer.packed: does not match ax, ay"),
        ("issuer.packed", "zz" * 32, "issuer.packed: expected 64 hex digits"),
        ("issuer.packed", "00", "issuer.packed: expected 64 hex digits"),
        ("signature", [], "signature: expected a JSON object"),
        ("signature.r8x", _DELETE, "signature.r8x: missing"),
        ("signature.r8y", "12", "signature: (r8x, r8y) is not a Baby Jubjub point"),
        ("signature.s", "1", "signature.packed: does not match r8x, r8y, s"),
        ("signature.s", str(2**256), "signature.s: out of range"),
        ("signature.packed", "00" * 32, "signature.packed: expected 128 hex digits"),
    ],
)
def test_bad_credential_json_names_the_field(path, value, message):
    with pytest.raises(InputError) as err:
        Credential.from_json(_with(path, value))
    assert str(err.value).startswith(message)


@pytest.mark.parametrize("data", [None, [], "credential", 5])
def test_credential_json_is_an_object(data):
    with pytest.raises(InputError, match="credential: expected a JSON object"):
        Credential.from_json(data)


def test_public_key_json_alone_is_the_issuer_object():
    data = public_key_to_json(KEY.public_key)
    assert data == CRED.to_json()["issuer"]
    assert public_key_from_json(data) == KEY.public_key
    with pytest.raises(InputError, match="public_key.packed: does not match"):
        public_key_from_json(data | {"packed": pack_point(OTHER.public_key).hex()}, "public_key")


def test_key_file_json():
    data = key_file_json(KEY)
    assert data == {"private_key": bytes(range(32)).hex(), "public_key": public_key_to_json(KEY.public_key)}
    assert key_from_json(json.loads(json.dumps(data))).hex() == KEY.hex()
    assert key_from_json({"private_key": KEY.hex()}).public_key == KEY.public_key  # public_key is optional
    with pytest.raises(InputError, match="public_key: is not the public key of private_key"):
        key_from_json(data | {"public_key": public_key_to_json(OTHER.public_key)})
    with pytest.raises(InputError, match="private_key: missing"):
        key_from_json({"public_key": data["public_key"]})
    with pytest.raises(InputError, match="private_key: expected 64 hex digits"):
        key_from_json({"private_key": "xyz"})
    with pytest.raises(InputError, match="key file: expected a JSON object"):
        key_from_json([])


def test_credential_fields_are_checked_on_construction():
    with pytest.raises(InputError):
        Credential("Bad", 1, KEY.public_key, CRED.signature)
    with pytest.raises(InputError):
        Credential("age", -1, KEY.public_key, CRED.signature)
    with pytest.raises(InputError, match="issuer"):
        Credential("age", 1, (1, 2, 3), CRED.signature)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="signature"):
        Credential("age", 1, KEY.public_key, "sig")  # type: ignore[arg-type]
