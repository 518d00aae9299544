"""`commitment`: SHA-256(data ‖ 32-byte random nonce), signed by the service's Ed25519 key.

The proof is {commitment, nonce, signature, timestamp, public_key} (hex strings and an ISO timestamp); the
signature covers `zapiki-commitment-v1|<commitment>|<timestamp>`. Verifying checks the opening (data and
nonce give the commitment) and the signature under the public key.

>>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
>>> from zapiki.systems.base import ProveContext
>>> key = Ed25519PrivateKey.generate().private_bytes_raw()
>>> system = CommitmentSystem()
>>> data = system.prepare_input("hello", {})
>>> out = system.generate(data, ProveContext(secrets={SIGNING_KEY: key}))
>>> system.verify(out.proof_data, out.public_inputs, out.verification_key)
True
>>> system.verify(out.proof_data, {"data_type": "string", "data": "hellO"}, out.verification_key)
False
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from typing import Any, ClassVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from zapiki.errors import InputError
from zapiki.systems.base import Capabilities, ProofOutput, ProveContext

SIGNING_KEY = "commitment_signing_key"
DATA_TYPES = ("string", "json", "bytes")
MAX_DATA_BYTES = 1 << 20
_DOMAIN = b"zapiki-commitment-v1|"
_private_keys: dict[bytes, Ed25519PrivateKey] = {}


def canonical_bytes(data_type: str, value: Any) -> bytes:  # noqa: ANN401
    """The bytes that are committed to: UTF-8 text, canonical JSON (sorted keys, no spaces), or hex-decoded."""
    if data_type == "string":
        if not isinstance(value, str):
            raise InputError("data of type 'string' must be a JSON string")
        return value.encode("utf-8")
    if data_type == "json":
        try:
            text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
            return text.encode()
        except (TypeError, ValueError) as exc:
            raise InputError(f"data of type 'json' is not serialisable as JSON: {exc}") from exc
    if data_type == "bytes":
        if not isinstance(value, str):
            raise InputError("data of type 'bytes' must be a hex string")
        try:
            return bytes.fromhex(value.removeprefix("0x"))
        except ValueError as exc:
            raise InputError("data of type 'bytes' must be an even-length hex string") from exc
    raise InputError(f"unknown data_type {data_type!r}; expected one of {', '.join(DATA_TYPES)}")


def is_envelope(data: Any) -> bool:  # noqa: ANN401
    """True when `data` has the seed's envelope shape: a JSON object with exactly the keys `type` and `value`."""
    return isinstance(data, dict) and len(data) == 2 and "type" in data and "value" in data


def _json_kind(value: Any) -> str:  # noqa: ANN401
    kinds = ((bool, "a boolean"), (int | float, "a number"), (dict, "an object"), (list, "an array"))
    return next((name for kind, name in kinds if isinstance(value, kind)), type(value).__name__)


def split_envelope(data: Any) -> tuple[str | None, Any]:  # noqa: ANN401
    """(data_type, value) of the seed's envelope `{"type": "string" | "json" | "bytes", "value": ...}`, or
    (None, data) for any other shape. A malformed envelope is an InputError naming the field.

    >>> split_envelope({"type": "bytes", "value": "00ff"})
    ('bytes', '00ff')
    >>> split_envelope({"type": "string", "value": "x", "note": 1})
    (None, {'type': 'string', 'value': 'x', 'note': 1})
    """
    if not is_envelope(data):
        return None, data
    data_type, value = data["type"], data["value"]
    if data_type not in DATA_TYPES:
        raise InputError(f"data.type must be one of {', '.join(DATA_TYPES)}, got {data_type!r}")
    if value is None:
        raise InputError("data.value is required")
    if data_type in ("string", "bytes") and not isinstance(value, str):
        kind = "text" if data_type == "string" else "a hex string"
        raise InputError(f"data.value must be {kind} for data.type {data_type!r}, got {_json_kind(value)}")
    if data_type == "bytes":
        try:
            bytes.fromhex(value.removeprefix("0x"))
        except ValueError:
            raise InputError("data.value must be an even-length hex string for data.type 'bytes'") from None
    return data_type, value


def _message(commitment_hex: str, timestamp: str) -> bytes:
    return _DOMAIN + commitment_hex.encode() + b"|" + timestamp.encode()


def _signing_key(raw: bytes) -> Ed25519PrivateKey:
    key = _private_keys.get(raw)
    if key is None:
        key = _private_keys[raw] = Ed25519PrivateKey.from_private_bytes(raw)
    return key


NOT_NULL = {"not": {"type": "null"}}
# What bytes.fromhex accepts after an optional 0x: pairs of hex digits, ASCII whitespace between pairs.
HEX = {"type": "string", "pattern": "^(0x)?[ \\t\\n\\r\\v\\f]*([0-9a-fA-F]{2}[ \\t\\n\\r\\v\\f]*)*$"}
ABSENT = {"not": {}, "description": "must be left out"}
# Any object with exactly the keys "type" and "value" is read as the seed's envelope (see split_envelope).
ENVELOPE_SHAPE = {"type": "object", "required": ["type", "value"], "maxProperties": 2}


def _envelope(data_type: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "value"],
        "additionalProperties": False,
        "properties": {"type": {"type": "string", "const": data_type}, "value": value},
    }


class CommitmentSystem:
    """Hash commitments signed by the service; fast, so batched on the cluster or run inside a request."""

    name: ClassVar[str] = "commitment"
    # Signed with the service's key of this name: the service verifies only against its own public keys.
    service_key: ClassVar[str] = SIGNING_KEY
    capabilities: ClassVar[Capabilities] = Capabilities(
        async_only=False, isolated=False, typical_ms=0.1, setup_required=False, features=DATA_TYPES
    )
    # The `data` it accepts (JSON Schema, for the API's document): (data, its own options, required options)
    # per form, by the rule of `prepare_input`.
    input_forms: ClassVar[list[tuple[dict[str, Any], dict[str, Any], list[str]]]] = [
        # the seed's envelope {"type", "value"} (options.data_type absent): "string" text, "bytes" hex, "json" any
        (
            {"oneOf": [_envelope("string", {"type": "string"}), _envelope("bytes", HEX), _envelope("json", NOT_NULL)]},
            {"data_type": ABSENT},
            [],
        ),
        # a bare value, data_type absent: text -> "string", anything else -> "json" (not an envelope's shape)
        ({"allOf": [NOT_NULL, {"not": ENVELOPE_SHAPE}]}, {"data_type": ABSENT}, []),
        # a bare value with an explicit data_type: "json" any JSON value (even envelope-shaped), "string" text,
        # "bytes" hex
        (NOT_NULL, {"data_type": {"type": "string", "const": "json"}}, ["data_type"]),
        ({"type": "string"}, {"data_type": {"type": "string", "const": "string"}}, ["data_type"]),
        (HEX, {"data_type": {"type": "string", "const": "bytes"}}, ["data_type"]),
    ]

    def prepare_input(self, data: Any, options: dict[str, Any]) -> dict[str, Any]:  # noqa: ANN401
        """{"data_type", "data"}, decided by one rule (`split_envelope` first):

        1. `options['data_type']` given: `data` is the bare value of that type, whatever its shape;
        2. else `data` shaped like the seed's envelope, an object with exactly the keys `type` and `value`:
           `value` of type `type`;
        3. else the type is guessed: 'string' for text, 'bytes' for Python bytes, 'json' for anything else.

        >>> CommitmentSystem().prepare_input({"type": "string", "value": "test"}, {})
        {'data_type': 'string', 'data': 'test'}
        >>> CommitmentSystem().prepare_input({"type": "string", "value": "test"}, {"data_type": "json"})
        {'data_type': 'json', 'data': {'type': 'string', 'value': 'test'}}
        """
        data_type = options.get("data_type")
        if data_type is None:
            data_type, data = split_envelope(data)
        if isinstance(data, bytes | bytearray | memoryview):
            data, data_type = bytes(data).hex(), data_type or "bytes"
        if data_type is None:
            data_type = "string" if isinstance(data, str) else "json"
        if data is None:
            raise InputError("data is required")
        size = len(canonical_bytes(data_type, data))
        if size > MAX_DATA_BYTES:
            raise InputError(f"data is {size} bytes; the limit is {MAX_DATA_BYTES}")
        return {"data_type": data_type, "data": data}

    def generate(self, data: dict[str, Any], ctx: ProveContext) -> ProofOutput:
        raw = ctx.secrets.get(SIGNING_KEY)
        if raw is None:
            raise RuntimeError("the commitment signing key is not available on this worker")
        key = _signing_key(raw)
        nonce = os.urandom(32)
        commitment = hashlib.sha256(canonical_bytes(data["data_type"], data["data"]) + nonce).hexdigest()
        timestamp = datetime.now(UTC).isoformat(timespec="microseconds")
        signature = key.sign(_message(commitment, timestamp))
        public_key = key.public_key().public_bytes_raw().hex()
        proof = {
            "commitment": commitment,
            "nonce": nonce.hex(),
            "signature": signature.hex(),
            "timestamp": timestamp,
            "public_key": public_key,
        }
        return ProofOutput(proof, data, {"algorithm": "ed25519", "public_key": public_key})

    def verify(self, proof: dict[str, Any], public_inputs: Any, verification_key: Any = None) -> bool:  # noqa: ANN401
        """True when data + nonce open the commitment and the signature is valid. The key is the
        verification key's `public_key` when given, else the one the proof carries."""
        try:
            if not isinstance(public_inputs, dict):
                public_inputs = self.prepare_input(public_inputs, {})
            data = canonical_bytes(public_inputs.get("data_type", "string"), public_inputs.get("data"))
            nonce = bytes.fromhex(proof["nonce"])
            commitment = proof["commitment"]
            if hashlib.sha256(data + nonce).hexdigest() != commitment:
                return False
            pk_hex = (verification_key or {}).get("public_key") if isinstance(verification_key, dict) else None
            public_key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(pk_hex or proof["public_key"]))
            public_key.verify(bytes.fromhex(proof["signature"]), _message(commitment, proof["timestamp"]))
            return True
        except InvalidSignature:
            return False
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"malformed commitment proof or inputs: {exc}") from exc
