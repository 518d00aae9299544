"""Credentials for the proof templates: an issuer signs one attribute of a holder, ``(name, value)``, with
EdDSA-Poseidon, and a circuit later checks the signature without revealing the value.

The signed message is ``claim_message(attribute, value) = Poseidon(attribute_code(attribute), value)``, where an
attribute name (1..31 characters of ``[a-z0-9_]``) is coded as its ASCII bytes read big-endian, and the value
is an integer ``0 <= value < 2^64``.

JSON shapes (field elements are decimal strings, ``packed`` is lowercase hex, ``value`` is a JSON number)::

    credential: {"attribute": "birth_date", "value": 20000101,
                 "issuer": {"ax": "<decimal>", "ay": "<decimal>", "packed": "<64 hex>"},
                 "signature": {"r8x": "<decimal>", "r8y": "<decimal>", "s": "<decimal>", "packed": "<128 hex>"}}
    public key: the "issuer" object alone
    key file:   {"private_key": "<64 hex>", "public_key": {the "issuer" object}}

Reading JSON checks every field and raises InputError naming the first bad one (for instance
``signature.packed``); ``packed`` must agree with the coordinates beside it.

>>> from zapiki.babyjub.eddsa import IssuerKey
>>> cred = issue(IssuerKey(bytes(32)), "birth_date", 20000101)
>>> cred.verify(), Credential.from_json(cred.to_json()) == cred
(True, True)
>>> attribute_code("age")
6383461
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from zapiki.errors import InputError

from .curve import Point, in_curve, pack_point
from .eddsa import IssuerKey, Signature, verify
from .poseidon import R, poseidon

__all__ = [
    "MAX_VALUE",
    "Credential",
    "attribute_code",
    "claim_message",
    "issue",
    "key_file_json",
    "key_from_json",
    "public_key_from_json",
    "public_key_to_json",
]

#: Values are integers 0 <= value < MAX_VALUE = 2^64.
MAX_VALUE = 1 << 64
_NAME = re.compile(r"[a-z0-9_]{1,31}")
_DECIMAL = re.compile(r"(0|[1-9][0-9]*)")
_HEX = re.compile(r"[0-9a-fA-F]*")


def attribute_code(name: str) -> int:
    """The field element naming an attribute: its ASCII bytes read big-endian. Names are 1..31 characters of
    ``[a-z0-9_]`` (InputError otherwise).

    >>> attribute_code("a"), attribute_code("ab")
    (97, 24930)
    >>> attribute_code("Birth-Date")
    Traceback (most recent call last):
    ...
    zapiki.errors.InputError: attribute name 'Birth-Date' is not 1..31 characters of [a-z0-9_]
    """
    if not isinstance(name, str) or _NAME.fullmatch(name) is None:
        raise InputError(f"attribute name {name!r} is not 1..31 characters of [a-z0-9_]")
    return int.from_bytes(name.encode("ascii"), "big")


def _check_value(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_VALUE:
        raise InputError(f"attribute value must be an integer 0 <= value < 2^64, got {value!r}")
    return value


def claim_message(attribute: str, value: int) -> int:
    """The message an issuer signs: ``Poseidon(attribute_code(attribute), value)``, value an integer
    ``0 <= value < 2^64`` (InputError otherwise).

    >>> claim_message("age", 30) == poseidon([attribute_code("age"), 30])
    True
    >>> claim_message("age", -1)
    Traceback (most recent call last):
    ...
    zapiki.errors.InputError: attribute value must be an integer 0 <= value < 2^64, got -1
    """
    code = attribute_code(attribute)
    return poseidon([code, _check_value(value)])


# -- JSON helpers --------------------------------------------------------------------------------------------


def _name(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _field(obj: Any, key: str, where: str) -> Any:  # noqa: ANN401
    if not isinstance(obj, dict):
        raise InputError(f"{where or 'credential'}: expected a JSON object, got {type(obj).__name__}")
    if key not in obj:
        raise InputError(f"{_name(where, key)}: missing")
    return obj[key]


def _decimal(obj: Any, key: str, where: str, below: int) -> int:  # noqa: ANN401
    value = _field(obj, key, where)
    name = _name(where, key)
    if not isinstance(value, str) or _DECIMAL.fullmatch(value) is None:
        raise InputError(f"{name}: expected a decimal string")
    number = int(value)
    if number >= below:
        raise InputError(f"{name}: out of range")
    return number


def _packed(obj: Any, key: str, where: str, size: int) -> bytes:  # noqa: ANN401
    value = _field(obj, key, where)
    if not isinstance(value, str) or len(value) != 2 * size or _HEX.fullmatch(value) is None:
        raise InputError(f"{_name(where, key)}: expected {2 * size} hex digits")
    return bytes.fromhex(value)


def public_key_to_json(public_key: Point) -> dict[str, str]:
    """The "issuer" JSON object of a public key.

    >>> from zapiki.babyjub.curve import BASE8
    >>> sorted(public_key_to_json(BASE8))
    ['ax', 'ay', 'packed']
    """
    ax, ay = public_key
    return {"ax": str(ax), "ay": str(ay), "packed": pack_point((ax, ay)).hex()}


def public_key_from_json(obj: Any, where: str = "issuer") -> Point:  # noqa: ANN401
    """The public key of an "issuer" JSON object; InputError naming the field (prefixed with `where`) when it is
    malformed, off the curve, or its ``packed`` disagrees with ``ax``, ``ay``.

    >>> public_key_from_json({"ax": "1", "ay": "1", "packed": "00" * 32})
    Traceback (most recent call last):
    ...
    zapiki.errors.InputError: issuer: (ax, ay) is not a Baby Jubjub point
    """
    point = (_decimal(obj, "ax", where, R), _decimal(obj, "ay", where, R))
    packed = _packed(obj, "packed", where, 32)
    if not in_curve(point):
        raise InputError(f"{where}: (ax, ay) is not a Baby Jubjub point")
    if pack_point(point) != packed:
        raise InputError(f"{where}.packed: does not match ax, ay")
    return point


def _signature_to_json(sig: Signature) -> dict[str, str]:
    return {"r8x": str(sig.r8[0]), "r8y": str(sig.r8[1]), "s": str(sig.s), "packed": sig.pack().hex()}


def _signature_from_json(obj: Any) -> Signature:  # noqa: ANN401
    where = "signature"
    r8 = (_decimal(obj, "r8x", where, R), _decimal(obj, "r8y", where, R))
    s = _decimal(obj, "s", where, 1 << 256)
    packed = _packed(obj, "packed", where, 64)
    if not in_curve(r8):
        raise InputError(f"{where}: (r8x, r8y) is not a Baby Jubjub point")
    sig = Signature(r8, s)
    if sig.pack() != packed:
        raise InputError(f"{where}.packed: does not match r8x, r8y, s")
    return sig


def key_file_json(key: IssuerKey) -> dict[str, Any]:
    """The key file's JSON object: the private key (hex) and the public key.

    >>> sorted(key_file_json(IssuerKey(bytes(32))))
    ['private_key', 'public_key']
    """
    return {"private_key": key.hex(), "public_key": public_key_to_json(key.public_key)}


def key_from_json(obj: Any) -> IssuerKey:  # noqa: ANN401
    """The key of a key file's JSON object; InputError naming the field when it is malformed, or when its
    ``public_key`` (optional) is not the private key's.

    >>> key = IssuerKey(bytes(32))
    >>> key_from_json(key_file_json(key)).public_key == key.public_key
    True
    >>> key_from_json({"private_key": "00"})
    Traceback (most recent call last):
    ...
    zapiki.errors.InputError: private_key: expected 64 hex digits
    """
    if not isinstance(obj, dict):
        raise InputError(f"key file: expected a JSON object, got {type(obj).__name__}")
    key = IssuerKey(_packed(obj, "private_key", "", 32))
    if "public_key" in obj and public_key_from_json(obj["public_key"], "public_key") != key.public_key:
        raise InputError("public_key: is not the public key of private_key")
    return key


# -- credentials ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credential:
    """One signed attribute: ``attribute`` = ``value``, signed by the issuer whose public key is ``issuer``.

    >>> cred = Credential.issue(IssuerKey(bytes(32)), "age", 30)
    >>> cred.verify(), Credential(cred.attribute, 31, cred.issuer, cred.signature).verify()
    (True, False)
    """

    attribute: str
    value: int
    issuer: Point
    signature: Signature

    def __post_init__(self) -> None:
        attribute_code(self.attribute)
        _check_value(self.value)
        issuer = self.issuer
        if not (
            isinstance(issuer, tuple)
            and len(issuer) == 2
            and all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c < R for c in issuer)
        ):
            raise InputError("issuer: expected a pair of field elements (ax, ay)")
        if not isinstance(self.signature, Signature):
            raise InputError("signature: expected a Signature")

    @classmethod
    def issue(cls, key: IssuerKey, attribute: str, value: int) -> Credential:
        """Sign ``attribute`` = ``value`` with `key` (the same as :func:`issue`).

        >>> Credential.issue(IssuerKey(bytes(32)), "age", 30).value
        30
        """
        return cls(attribute, value, key.public_key, key.sign(claim_message(attribute, value)))

    @property
    def message(self) -> int:
        """The signed message, :func:`claim_message` of the attribute and value.

        >>> Credential.issue(IssuerKey(bytes(32)), "age", 30).message == claim_message("age", 30)
        True
        """
        return claim_message(self.attribute, self.value)

    def verify(self) -> bool:
        """Whether the signature is the issuer's over this attribute and value.

        >>> Credential.issue(IssuerKey(bytes(32)), "age", 30).verify()
        True
        """
        return verify(self.issuer, self.message, self.signature)

    def to_json(self) -> dict[str, Any]:
        """The credential's JSON object (see the module's docstring).

        >>> Credential.issue(IssuerKey(bytes(32)), "age", 30).to_json()["value"]
        30
        """
        return {
            "attribute": self.attribute,
            "value": self.value,
            "issuer": public_key_to_json(self.issuer),
            "signature": _signature_to_json(self.signature),
        }

    @classmethod
    def from_json(cls, obj: Any) -> Credential:  # noqa: ANN401
        """A credential from its JSON object; InputError naming the first bad field. ``value`` may also be a
        decimal string. The signature is not checked here: call :meth:`verify`.

        >>> Credential.from_json({"attribute": "age"})
        Traceback (most recent call last):
        ...
        zapiki.errors.InputError: value: missing
        """
        attribute = _field(obj, "attribute", "")
        if not isinstance(attribute, str) or _NAME.fullmatch(attribute) is None:
            raise InputError("attribute: expected a name of 1..31 characters of [a-z0-9_]")
        value = _field(obj, "value", "")
        if isinstance(value, str) and _DECIMAL.fullmatch(value) is not None:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_VALUE:
            raise InputError("value: expected an integer 0 <= value < 2^64")
        issuer = public_key_from_json(_field(obj, "issuer", ""), "issuer")
        signature = _signature_from_json(_field(obj, "signature", ""))
        return cls(attribute, value, issuer, signature)


def issue(key: IssuerKey, attribute: str, value: int) -> Credential:
    """Sign ``attribute`` = ``value`` with `key`: a credential for the holder.

    >>> issue(IssuerKey(bytes(32)), "age", 30).attribute
    'age'
    """
    return Credential.issue(key, attribute, value)
