"""The proof templates: what each proves, the inputs it takes (a JSON Schema), and how those inputs become its
circuit's input signals. Each template's circuit is in ``circuits/`` (circom 2 + circomlib) and compiled in
``compiled/`` (``make templates``); its documentation in ``docs/<id>.md``.

A template's inputs go through two stages. :meth:`Template.validate` (at submission: a 422 naming the field)
checks them against the schema and fills in defaults. :meth:`Template.circuit_inputs` (in the job) checks the
statement itself and names the condition that does not hold — a false statement is an input error, never
retried — then maps the inputs to the circuit's signals.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from zapiki.errors import InputError, NotFound
from zapiki.templates import merkle
from zapiki.templates.values import (
    CREDENTIAL,
    DATE,
    FIELD,
    UINT64,
    date_int,
    date_text,
    field_element,
    today,
    uint64,
)

__all__ = ["CATEGORIES", "EXAMPLE_ISSUER_KEY", "Template", "all_templates", "get"]

CATEGORIES = {
    "identity": "Claims about a person, signed by an issuer",
    "finance": "Amounts and balances",
    "membership": "Belonging to a group",
    "cryptography": "Knowledge of secrets",
}
#: The private key of the examples' issuer: public knowledge, so its signatures prove nothing. Never use it.
EXAMPLE_ISSUER_KEY = hashlib.sha256(b"zapiki example issuer: public, never use").hexdigest()
COMPARISONS = {">=": 0, "<=": 1, "==": 2}


def _false(message: str) -> InputError:
    return InputError(f"false statement: {message}")


@dataclass(frozen=True)
class Template:
    """A statement Zapiki proves without the user writing a circuit.

    >>> t = get("hash_preimage")
    >>> t.category, [name for name, _ in t.public_signals]
    ('cryptography', ['hash'])
    >>> t.circuit_inputs(t.validate({"preimage": 42}))["preimage"]
    '42'
    """

    id: str
    category: str
    title: str
    summary: str
    input_schema: dict[str, Any]
    #: (name, meaning) of each public signal, in the circuit's order (snarkjs's public.json)
    public_signals: tuple[tuple[str, str], ...]
    _defaults: Callable[[dict[str, Any]], dict[str, Any]] = field(repr=False)
    _statement: Callable[[dict[str, Any]], dict[str, Any]] = field(repr=False)
    _example: Callable[[], dict[str, Any]] = field(repr=False)

    # -- files ------------------------------------------------------------------------------------------------
    def _file(self, suffix: str) -> bytes:
        return resources.files("zapiki.templates").joinpath("compiled", f"{self.id}{suffix}").read_bytes()

    @property
    def wasm(self) -> bytes:
        """The circuit's witness calculator (circom's wasm)."""
        return self._file(".wasm")

    @property
    def r1cs(self) -> bytes:
        """The circuit's constraints (circom's r1cs)."""
        return self._file(".r1cs")

    @functools.cached_property
    def circuit(self) -> dict[str, Any]:
        """The compiled circuit's facts: ``public_signals`` (names in order), ``constraints``, ``wires``, ..."""
        return json.loads(self._file(".json"))

    @functools.cached_property
    def circuit_sha256(self) -> str:
        """A digest of the compiled circuit (r1cs and wasm): keys are made per circuit."""
        return hashlib.sha256(hashlib.sha256(self.r1cs).digest() + hashlib.sha256(self.wasm).digest()).hexdigest()

    @functools.cached_property
    def docs(self) -> str:
        """The template's documentation (markdown)."""
        return resources.files("zapiki.templates").joinpath("docs", f"{self.id}.md").read_text("utf-8")

    @functools.cached_property
    def example(self) -> dict[str, Any]:
        """Inputs for which the statement holds."""
        return self._example()

    # -- inputs -----------------------------------------------------------------------------------------------
    def validate(self, inputs: Any) -> dict[str, Any]:  # noqa: ANN401
        """``inputs`` checked against the schema (InputError naming the field), with defaults filled in: what
        the job keeps."""
        import jsonschema

        if not isinstance(inputs, dict):
            raise InputError(f"inputs must be an object, not {type(inputs).__name__}")
        validator = jsonschema.Draft202012Validator(self.input_schema)
        errors = sorted(validator.iter_errors(inputs), key=lambda e: (len(e.absolute_path), list(e.absolute_path)))
        if errors:
            raise InputError(_describe(errors[0]))
        return self._defaults(dict(inputs))

    def circuit_inputs(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """The circuit's input signals (decimal strings) for validated ``inputs``; InputError ("false statement:
        ...") naming the condition that does not hold."""
        signals = self._statement(inputs)
        return {k: [str(x) for x in v] if isinstance(v, list) else str(v) for k, v in signals.items()}

    def named(self, public_inputs: list[Any]) -> dict[str, Any]:
        """The public signals by name (ints below 2^53 as numbers, larger ones as decimal strings)."""
        names = [name for name, _ in self.public_signals]
        if not isinstance(public_inputs, list) or len(public_inputs) != len(names):
            return {}
        out: dict[str, Any] = {}
        for name, value in zip(names, public_inputs, strict=True):
            n = int(value)
            out[name] = n if n < 2**53 else str(n)
        return out

    def describe(self, docs: bool = True) -> dict[str, Any]:
        """The template as the API shows it."""
        out = {
            "id": self.id,
            "category": self.category,
            "title": self.title,
            "summary": self.summary,
            "public_signals": [{"name": n, "meaning": m} for n, m in self.public_signals],
            "constraints": self.circuit.get("constraints"),
        }
        if docs:
            out |= {"input_schema": self.input_schema, "example": self.example, "docs": self.docs}
        return out


def _describe(error: Any) -> str:  # noqa: ANN401
    where = "inputs" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"{where}.{missing} is required"
    if error.validator == "additionalProperties":
        return f"{where}: {error.message}"
    if error.validator == "oneOf" and not schema.get("description"):  # set_membership's sources
        return f"{where}: give exactly one of set, leaves, or path with root"
    if error.validator == "enum" and list(error.absolute_path) == ["secret"]:
        return f"{where}: a plain set (inputs.set) has leaves Poseidon(value, 0): with a secret, send the leaves"
    what = schema.get("description")
    if error.validator in ("anyOf", "oneOf") and what:
        return f"{where} must be {what}, got {error.instance!r}"[:300]
    return f"{where}: {error.message}"[:300] + (f" ({what})" if what else "")


def _object(properties: dict[str, Any], required: list[str], **rules: Any) -> dict[str, Any]:  # noqa: ANN401
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
        **rules,
    }


# -- hash_preimage --------------------------------------------------------------------------------------------
def _poseidon(values: list[int]) -> int:
    from zapiki.babyjub.poseidon import poseidon

    return poseidon(values)


def _preimage_defaults(i: dict[str, Any]) -> dict[str, Any]:
    x = field_element(i["preimage"], "preimage")
    out = {"preimage": str(x)}
    if i.get("hash") is not None:
        out["hash"] = str(field_element(i["hash"], "hash"))
    return out


def _preimage_statement(i: dict[str, Any]) -> dict[str, Any]:
    h = _poseidon([int(i["preimage"])])
    if "hash" in i and int(i["hash"]) != h:
        raise _false("Poseidon(preimage) is not the given hash")
    return {"preimage": i["preimage"], "hash": h}


# -- range ----------------------------------------------------------------------------------------------------
def _range_defaults(i: dict[str, Any]) -> dict[str, Any]:
    out = {k: str(uint64(i[k], k)) for k in ("value", "min", "max")}
    out["salt"] = str(field_element(i["salt"], "salt"))
    if i.get("commitment") is not None:
        out["commitment"] = str(field_element(i["commitment"], "commitment"))
    return out


def _range_statement(i: dict[str, Any]) -> dict[str, Any]:
    value, lo, hi, salt = (int(i[k]) for k in ("value", "min", "max", "salt"))
    commitment = _poseidon([value, salt])
    if "commitment" in i and int(i["commitment"]) != commitment:
        raise _false("Poseidon(value, salt) is not the given commitment")
    if value < lo:
        raise _false(f"the value is below the minimum {lo}")
    if value > hi:
        raise _false(f"the value is above the maximum {hi}")
    return {"value": value, "salt": salt, "commitment": commitment, "min": lo, "max": hi}


# -- set_membership -------------------------------------------------------------------------------------------
_LIST = {"type": "array", "items": FIELD, "minItems": 1, "maxItems": merkle.MAX_LEAVES}
_PATH = {
    "type": "object",
    "description": "the leaf's authentication path in a tree built elsewhere",
    "required": ["elements", "indices"],
    "properties": {
        "elements": {"type": "array", "items": FIELD, "minItems": merkle.DEPTH, "maxItems": merkle.DEPTH},
        "indices": {"type": "array", "items": {"enum": [0, 1]}, "minItems": merkle.DEPTH, "maxItems": merkle.DEPTH},
    },
    "additionalProperties": False,
}


def _members_defaults(i: dict[str, Any]) -> dict[str, Any]:
    given = [k for k in ("set", "leaves", "path") if k in i]
    if len(given) != 1:
        raise InputError("inputs: give exactly one of set (the members' values), leaves (the tree's leaves) or path")
    out: dict[str, Any] = {
        "value": str(field_element(i["value"], "value")),
        "secret": str(field_element(i.get("secret", 0), "secret")),
        "scope": str(field_element(i.get("scope", 0), "scope")),
    }
    if "root" in i:
        out["root"] = str(field_element(i["root"], "root"))
    if "set" in i:
        if int(out["secret"]):
            raise InputError("inputs.set gives leaves Poseidon(value, 0): with a secret, send the tree's leaves")
        out["set"] = [str(field_element(v, f"set[{n}]")) for n, v in enumerate(i["set"])]
    elif "leaves" in i:
        out["leaves"] = [str(field_element(v, f"leaves[{n}]")) for n, v in enumerate(i["leaves"])]
    else:
        if "root" not in i:
            raise InputError("inputs.root is required with a path")
        p = i["path"]
        out["path"] = {
            "elements": [str(field_element(v, f"path.elements[{n}]")) for n, v in enumerate(p["elements"])],
            "indices": [int(v) for v in p["indices"]],
        }
    return out


def _members_statement(i: dict[str, Any]) -> dict[str, Any]:
    value, secret, scope = int(i["value"]), int(i["secret"]), int(i["scope"])
    leaf = _poseidon([value, secret])
    if "path" in i:
        path = merkle.Path([int(v) for v in i["path"]["elements"]], list(i["path"]["indices"]))
        root = int(i["root"])
        if not merkle.verify_path(leaf, path, root):
            raise _false("the member's leaf Poseidon(value, secret) with this path does not hash to the root")
    else:
        leaves = [_poseidon([int(v), 0]) for v in i["set"]] if "set" in i else [int(v) for v in i["leaves"]]
        tree = merkle.MerkleTree(leaves)
        index = tree.index(leaf)
        if index is None:
            raise _false("the value (with this secret) is not in the set")
        root = tree.root
        if "root" in i and int(i["root"]) != root:
            raise _false("the set's Merkle root is not the given root")
        path = tree.path(index)
    return {
        "value": value, "secret": secret, "path_elements": path.elements, "path_indices": path.indices,
        "root": root, "scope": scope,
    }  # fmt: skip


# -- issuer-signed claims -------------------------------------------------------------------------------------
def _credential(i: dict[str, Any], attribute: str | None = None) -> Any:  # noqa: ANN401
    from zapiki.babyjub.credential import Credential

    cred = Credential.from_json(i["credential"])
    if attribute is not None and cred.attribute != attribute:
        raise InputError(f"inputs.credential is a {cred.attribute!r} claim; this template needs {attribute!r}")
    return cred


def _signature_signals(cred: Any) -> dict[str, Any]:  # noqa: ANN401
    if not cred.verify():
        raise _false("the issuer's signature on the credential does not verify")
    (ax, ay), (r8x, r8y), s = cred.issuer, cred.signature.r8, cred.signature.s
    return {"issuer_ax": ax, "issuer_ay": ay, "sig_r8x": r8x, "sig_r8y": r8y, "sig_s": s}


def _age_defaults(i: dict[str, Any]) -> dict[str, Any]:
    return {"credential": i["credential"], "min_age": int(i["min_age"]), "today": date_int(i.get("today", today()))}


def _age_statement(i: dict[str, Any]) -> dict[str, Any]:
    cred = _credential(i, "birth_date")
    born, min_age, on = int(cred.value), int(i["min_age"]), int(i["today"])
    signals = _signature_signals(cred)
    if born + min_age * 10000 > on:
        raise _false(f"the holder is younger than {min_age} on {date_text(on)}")
    return {**signals, "min_age": min_age, "today": on, "birth_date": born}


def _attribute_defaults(i: dict[str, Any]) -> dict[str, Any]:
    return {
        "credential": i["credential"],
        "comparison": i["comparison"],
        "threshold": str(uint64(i["threshold"], "threshold")),
    }


def _attribute_statement(i: dict[str, Any]) -> dict[str, Any]:
    from zapiki.babyjub.credential import attribute_code

    cred = _credential(i)
    value, threshold, op = int(cred.value), int(i["threshold"]), i["comparison"]
    signals = _signature_signals(cred)
    holds = {">=": value >= threshold, "<=": value <= threshold, "==": value == threshold}[op]
    if not holds:
        raise _false(f"the credential's {cred.attribute} is not {op} {threshold}")
    return {
        **signals, "attribute": attribute_code(cred.attribute), "threshold": threshold,
        "comparison": COMPARISONS[op], "value": value,
    }  # fmt: skip


def _example_credential(attribute: str, value: int) -> dict[str, Any]:
    from zapiki.babyjub.credential import Credential
    from zapiki.babyjub.eddsa import IssuerKey

    return Credential.issue(IssuerKey.from_hex(EXAMPLE_ISSUER_KEY), attribute, value).to_json()


_ISSUER = (("issuer_ax", "the issuer's public key, x"), ("issuer_ay", "the issuer's public key, y"))
_TEMPLATES = (
    Template(
        id="age_at_least",
        category="identity",
        title="Age at least",
        summary="The holder of an issuer-signed birth date is at least min_age years old on a given day",
        input_schema=_object(
            {
                "credential": CREDENTIAL,
                "min_age": {"type": "integer", "minimum": 0, "maximum": 150, "description": "an age in years"},
                "today": {**DATE, "description": "the day the age is counted on (default: today, UTC)"},
            },
            ["credential", "min_age"],
        ),
        public_signals=(
            *_ISSUER,
            ("min_age", "the minimum age, in years"),
            ("today", "the day the age is counted on, YYYYMMDD"),
        ),
        _defaults=_age_defaults,
        _statement=_age_statement,
        _example=lambda: {
            "credential": _example_credential("birth_date", 20000101),
            "min_age": 18,
            "today": "2026-12-05",
        },  # fmt: skip
    ),
    Template(
        id="range",
        category="finance",
        title="Committed value in a range",
        summary="A value committed to as Poseidon(value, salt) lies in [min, max] (64-bit)",
        input_schema=_object(
            {
                "value": UINT64,
                "salt": {**FIELD, "description": "a random secret that hides the value (keep it)"},
                "min": UINT64,
                "max": UINT64,
                "commitment": {**FIELD, "description": "Poseidon(value, salt), checked when given"},
            },
            ["value", "salt", "min", "max"],
        ),
        public_signals=(
            ("commitment", "Poseidon(value, salt)"),
            ("min", "the lower bound"),
            ("max", "the upper bound"),
        ),
        _defaults=_range_defaults,
        _statement=_range_statement,
        _example=lambda: {"value": 42, "salt": "1234567890123456789", "min": 18, "max": 120},
    ),
    Template(
        id="set_membership",
        category="membership",
        title="Member of a set",
        summary="A private value belongs to a Poseidon Merkle tree of depth 20 (public root), with a nullifier "
        "per scope",
        input_schema=_object(
            {
                "value": FIELD,
                "secret": {**FIELD, "description": "the member's secret (default 0: a plain set of values)"},
                "scope": {**FIELD, "description": "what the nullifier is for (default 0)"},
                "set": {**_LIST, "description": "the members' values (leaves Poseidon(value, 0))"},
                "leaves": {**_LIST, "description": "the tree's leaves, Poseidon(value, secret) of each member"},
                "path": _PATH,
                "root": {**FIELD, "description": "the tree's root (required with a path; checked when given)"},
            },
            ["value"],
            oneOf=[
                {"required": ["set"], "properties": {"leaves": False, "path": False}},
                {"required": ["leaves"], "properties": {"set": False, "path": False}},
                {"required": ["path", "root"], "properties": {"set": False, "leaves": False}},
            ],
            **{"if": {"required": ["set"]}, "then": {"properties": {"secret": {"enum": [0, "0"]}}}},
        ),
        public_signals=(
            ("nullifier", "Poseidon(secret, scope): the same for every proof of one member in one scope"),
            ("root", "the Merkle root of the set"),
            ("scope", "what the nullifier is for"),
        ),
        _defaults=_members_defaults,
        _statement=_members_statement,
        _example=lambda: {"value": 3, "set": [1, 2, 3, 5, 8, 13]},
    ),
    Template(
        id="hash_preimage",
        category="cryptography",
        title="Hash preimage",
        summary="Knowledge of x with Poseidon(x) = hash",
        input_schema=_object(
            {"preimage": {**FIELD, "description": "the secret x"}, "hash": {**FIELD, "description": "Poseidon(x)"}},
            ["preimage"],
        ),
        public_signals=(("hash", "Poseidon(preimage)"),),
        _defaults=_preimage_defaults,
        _statement=_preimage_statement,
        _example=lambda: {"preimage": "123456789"},
    ),
    Template(
        id="signed_attribute",
        category="identity",
        title="Signed attribute compared with a threshold",
        summary="An issuer-signed attribute is >=, <= or == a public threshold",
        input_schema=_object(
            {
                "credential": CREDENTIAL,
                "comparison": {"enum": list(COMPARISONS), "description": 'one of ">=", "<=", "=="'},
                "threshold": UINT64,
            },
            ["credential", "comparison", "threshold"],
        ),
        public_signals=(
            *_ISSUER,
            ("attribute", "the attribute's name as a number (its ASCII bytes, big-endian)"),
            ("threshold", "the threshold"),
            ("comparison", "0: >=, 1: <=, 2: =="),
        ),
        _defaults=_attribute_defaults,
        _statement=_attribute_statement,
        _example=lambda: {
            "credential": _example_credential("income", 85000),
            "comparison": ">=",
            "threshold": 50000,
        },  # fmt: skip
    ),
)
_BY_ID = {t.id: t for t in _TEMPLATES}


def all_templates(category: str | None = None) -> list[Template]:
    """The templates, optionally of one category."""
    return [t for t in _TEMPLATES if category is None or t.category == category]


def get(template_id: str) -> Template:
    """The template ``template_id``; NotFound naming the known ones otherwise."""
    try:
        return _BY_ID[template_id]
    except (KeyError, TypeError):
        raise NotFound(f"template {template_id!r} not found (templates: {', '.join(_BY_ID)})") from None
