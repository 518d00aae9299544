"""The API's shapes and limits, stated once: what a request may carry and what an answer holds.

The REST handlers validate request bodies and query strings with these models and serialise their answers
through them; the OpenAPI document (`zapiki.api.openapi`) is generated from them; the service checks job
options with `JobOptions`; the clients and the dashboard take field lists and limits from here.

>>> ProofRequest.model_validate({"proof_system": "commitment", "data": "hello"}).options
{}
>>> try:
...     IdsRequest.model_validate({"ids": "abc"})
... except ValidationError as exc:
...     print(describe(exc, IdsRequest))
ids is required (an array of id strings)
>>> try:
...     job_options(600.0).model_validate({"priority": "urgent", "timeout_s": 30})
... except ValidationError as exc:
...     print(describe(exc, prefix="options"))
options.priority must be one of 'high', 'normal' or 'low', got 'urgent'
>>> "retry_count" in JOB_FIELDS and "proof_data" in PROOF_FIELDS
True
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    create_model,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from zapiki.config import PRIORITIES
from zapiki.store.models import CircuitStatus, JobStatus
from zapiki.systems.base import Capabilities

__all__ = [
    "ASYNC_MESSAGE",
    "CIRCUIT_NAME_MAX",
    "JOB_FIELDS",
    "LOOKUP_MAX_IDS",
    "MAX_ID_LENGTH",
    "MAX_JSON_DEPTH",
    "MAX_RETRIES_LIMIT",
    "PAGE_MAX",
    "PROOF_FIELDS",
    "STATUSES",
    "ValidationError",
    "describe",
]

# -- limits ---------------------------------------------------------------------------------------------------
LOOKUP_MAX_IDS = 1_000  # ids in one jobs/lookup or proofs/lookup request
PAGE_MAX = 100  # rows in one page of a list
PAGE_DEFAULT = 20
OFFSET_MAX = 10**9
MAX_ID_LENGTH = 64  # a longer id in a path is simply not found
MAX_JSON_DEPTH = 64  # arrays/objects nested in a request body
MAX_RETRIES_LIMIT = 10  # options.max_retries
CIRCUIT_NAME_MAX = 200
ASYNC_MESSAGE = "Proof generation started. Poll /api/v1/proofs/{id} for status."

STATUSES = tuple(s.value for s in JobStatus)
Priority = Literal[PRIORITIES]  # type: ignore[valid-type]
Status = Literal[STATUSES]  # type: ignore[valid-type]
# How the clients and the dashboard colour each status (of jobs, and of circuits).
STATUS_COLOURS = {
    "pending": "#6c757d",
    "processing": "#0d6efd",
    "retrying": "#fd7e14",
    "completed": "#198754",
    "failed": "#dc3545",
    "cancelled": "#adb5bd",
    "ready": "#198754",
    "setting_up": "#0d6efd",
}
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


def _whole_number(value: Any) -> Any:  # noqa: ANN401
    """JSON has one number type: 2.0 is the integer 2."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _query_int(value: Any) -> Any:  # noqa: ANN401
    """A query string's integer: ASCII digits with an optional minus, nothing else ("5.0", " 5", "٥" are not)."""
    if isinstance(value, str):
        if not value.isascii() or not value.lstrip("-").isdigit() or len(value) > 20:
            raise ValueError("must be an integer")
        return int(value)
    return value


def could_be_id(value: str) -> bool:
    """False for a string that cannot be an id (too long, control characters): such an id is simply not found,
    without asking the database (PostgreSQL refuses NUL in text).

    >>> could_be_id("0b9f7c2e-1d2a-4c4e-9a51-5f1e2c3d4b5a"), could_be_id("a" + chr(0)), could_be_id("x" * 65)
    (True, False, False)
    """
    return len(value) <= MAX_ID_LENGTH and not any(ord(c) < 32 for c in value)


QueryInt = Annotated[int, BeforeValidator(_query_int), Field(strict=True)]
Text = Annotated[str, Field(strict=True)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


# -- requests -------------------------------------------------------------------------------------------------
# A field's description says what it must be: the API's document shows it, and a 422 quotes it
# ("items is required (a non-empty array of inputs, one per job)", "options.timeout_s must be ...").
class JobOptions(BaseModel):
    """How a job runs. Unset fields take the service's defaults; other keys are the proof system's own options
    (kept with the input, e.g. commitment's `data_type`)."""

    model_config = ConfigDict(extra="allow")

    run_async: Annotated[bool, Field(strict=True)] = Field(
        False, alias="async", description="true or false: run as a job even if the system is fast"
    )
    priority: Priority = "normal"
    timeout_s: Annotated[float, Field(strict=True, gt=0)] | None = Field(
        None, description="a positive number of seconds an attempt may run (default: the service's)"
    )
    max_retries: (
        Annotated[int, Field(strict=True, ge=0, le=MAX_RETRIES_LIMIT), BeforeValidator(_whole_number)] | None
    ) = Field(
        None,
        description=f"an integer from 0 to {MAX_RETRIES_LIMIT}: retries after a failed attempt",
    )


@functools.cache
def _job_options(max_timeout_s: float) -> type[JobOptions]:
    timeout = Annotated[float, Field(strict=True, gt=0, le=max_timeout_s)] | None
    described = Field(None, description=f"a positive number of seconds, at most {max_timeout_s:g}, an attempt may run")
    return create_model("JobOptions", __base__=JobOptions, __doc__=JobOptions.__doc__, timeout_s=(timeout, described))


def job_options(max_timeout_s: float) -> type[JobOptions]:
    """`JobOptions` with this service's longest timeout (one class per value)."""
    return _job_options(float(max_timeout_s))


class _JobRequest(BaseModel):
    """What every request that creates proofs carries besides its input."""

    proof_system: Text = Field(min_length=1, description="a string: a registered proof system's name")
    options: dict[str, Any] = Field(
        default_factory=dict, description="an object: priority, timeout_s, max_retries, async, the system's own"
    )
    circuit_id: Text | None = Field(None, description="a string: a registered circuit's id (404 if unknown)")


class ProofRequest(_JobRequest):
    """POST /api/v1/proofs. `data`'s form and the system's own options are each system's (`input_forms`);
    with `template`, `data` is the template's inputs (and `proof_system` may be left out: groth16)."""

    data: Any = Field(description="the input (its form is the proof system's, or the template's)")
    template: Text | None = Field(None, description="a string: a proof template's id (404 if unknown)")

    @model_validator(mode="before")
    @classmethod
    def _template_system(cls, value: Any) -> Any:  # noqa: ANN401
        if isinstance(value, dict) and value.get("template") is not None and "proof_system" not in value:
            value = {**value, "proof_system": "groth16"}  # templates are proved with groth16
        return value


@functools.cache
def batch_request(max_batch_items: int) -> type[BaseModel]:
    """POST /api/v1/proofs/batch: a ProofRequest with `items` (one input per job) in place of `data`."""
    items = Field(min_length=1, max_length=max_batch_items, description="a non-empty array of inputs, one per job")
    return create_model("BatchRequest", __base__=_JobRequest, items=(list[Any], items))


class IdsRequest(BaseModel):
    """POST /api/v1/jobs/lookup and /api/v1/proofs/lookup."""

    ids: list[Text] = Field(max_length=LOOKUP_MAX_IDS, description="an array of id strings")


class TemplateRef(_Model):
    """The template a proof is of, and its keys' setup (a development setup is not a ceremony)."""

    id: str
    setup: str
    development_keys: bool


class VerifyRequest(BaseModel):
    """POST /api/v1/verify: a proof with its public inputs and verification key, or a template proof checked
    against this service's key for the template (`template`: its id, or the `template` object of a proof
    answer). A proof answer may be posted as it is: its `proof_data` is taken as `proof`."""

    proof_system: Text = Field(min_length=1, description="a string: a registered proof system's name")
    proof: dict[str, Any] = Field(description="an object")
    public_inputs: Any = None
    verification_key: Any = None
    template: Text | TemplateRef | None = Field(
        None, description="a proof template's id (or a proof answer's template): verify with this service's key for it"
    )

    @model_validator(mode="before")
    @classmethod
    def _from_proof_answer(cls, value: Any) -> Any:  # noqa: ANN401
        if isinstance(value, dict) and "proof" not in value and "proof_data" in value:
            value = {**value, "proof": value["proof_data"]}
        if isinstance(value, dict) and value.get("template") is not None and "proof_system" not in value:
            value = {**value, "proof_system": "groth16"}
        return value

    @property
    def template_id(self) -> str | None:
        """The template's id, however it was given."""
        return self.template.id if isinstance(self.template, TemplateRef) else self.template


class PageQuery(BaseModel):
    """?limit=&offset= of a list."""

    limit: QueryInt = Field(PAGE_DEFAULT, ge=1, le=PAGE_MAX, description=f"an integer from 1 to {PAGE_MAX}")
    offset: QueryInt = Field(0, ge=0, le=OFFSET_MAX, description=f"an integer from 0 to {OFFSET_MAX}")


class _ListFilter(BaseModel):
    status: Literal[("", *STATUSES)] = Field("", description="Only rows in this state (empty: any state)")  # type: ignore[valid-type]
    proof_system: Annotated[str, StringConstraints(strip_whitespace=True)] = ""


class ListQuery(PageQuery, _ListFilter):
    """?status=&proof_system=&limit=&offset= of the proofs and jobs lists (the filters first)."""


def _form_bool(value: Any) -> Any:  # noqa: ANN401
    if value is None:
        return False
    if isinstance(value, str):
        word = value.strip().lower() or "false"
        if word in ("true", "1"):
            return True
        if word in ("false", "0"):
            return False
        raise ValueError("must be true or false")
    return value


Binary = Annotated[bytes, WithJsonSchema({"type": "string", "format": "binary"})]


class CircuitUpload(BaseModel):
    """POST /api/v1/circuits (multipart/form-data): the witness wasm with a zkey (Groth16: optionally the r1cs, so
    a failing constraint is named), or with the r1cs alone for a setup here (Groth16: a development setup;
    PLONK: from the service's powers of tau)."""

    name: Text = Field(
        min_length=1, max_length=CIRCUIT_NAME_MAX, description=f"a name of 1 to {CIRCUIT_NAME_MAX} characters"
    )
    is_public: Annotated[
        bool,
        BeforeValidator(_form_bool),
        WithJsonSchema({"type": "string", "enum": ["true", "false"]}),
    ] = Field(False, json_schema_extra={"default": "false"})
    proof_system: Literal["groth16", "plonk"] = Field(
        "groth16", description="groth16 or plonk: the system the circuit is proved with (its zkey's)"
    )
    wasm: Binary = Field(description="a file: the circuit's witness calculator")
    zkey: Binary | SkipJsonSchema[None] = None
    r1cs: Binary | SkipJsonSchema[None] = None

    @model_validator(mode="after")
    def _keys_or_constraints(self) -> CircuitUpload:
        if self.zkey is None and self.r1cs is None:
            raise ValueError("send the file 'zkey' (optionally with 'r1cs'), or 'r1cs' alone")
        return self


# -- answers --------------------------------------------------------------------------------------------------
class Proof(_Model):
    """A proof: the seed's fields first, always present (null until known), then the rest."""

    id: str
    status: Status
    proof_data: dict[str, Any] | None
    generation_time_ms: float | None
    created_at: Timestamp
    completed_at: Timestamp | None
    proof_system: str
    circuit_id: str | None
    public_inputs: Any
    verification_key: Any
    error_message: str | None
    template: TemplateRef | None = Field(description="A template proof's template and how its keys were made")
    named_signals: dict[str, Any] | None = Field(description="A template proof's public signals by name")


class TemplateKeys(_Model):
    """How a template's keys are (or will be) made in this deployment."""

    setup: str = Field(description="Where the keys come from; a development setup is single party, not a ceremony")
    development: bool
    ready: bool = Field(description="Whether the keys exist (else they are made on the first proof, in seconds)")


class PublicSignal(_Model):
    name: str
    meaning: str


class TemplateSummary(_Model):
    """A proof template in a list."""

    id: str
    category: str
    title: str
    summary: str
    public_signals: list[PublicSignal]
    constraints: int | None
    keys: TemplateKeys


class Template(TemplateSummary):
    """A proof template: its inputs' JSON Schema, an example, its documentation (markdown)."""

    input_schema: dict[str, Any]
    example: dict[str, Any]
    docs: str


class Templates(_Model):
    templates: list[TemplateSummary]


class Category(_Model):
    id: str
    description: str
    templates: int


class Categories(_Model):
    categories: list[Category]


class TemplateProofRequest(BaseModel):
    """POST /api/v1/templates/{id}/generate."""

    inputs: dict[str, Any] = Field(description="an object: the template's inputs (its input_schema)")
    proof_system: Literal["groth16", "plonk"] = Field(
        "groth16", description="groth16, or plonk (keys from the service's powers of tau)"
    )
    options: dict[str, Any] = Field(default_factory=dict, description="an object: priority, timeout_s, max_retries")


class Job(_Model):
    """A job: the seed's fields, then the queue's name and the attempts' details."""

    id: str
    user_id: str
    proof_id: str
    status: Status
    priority: int = Field(description="The queue as the seed's integer: high 2, normal 1, low 0")
    retry_count: int
    max_retries: int
    error_message: str | None
    created_at: Timestamp
    started_at: Timestamp | None
    completed_at: Timestamp | None
    proof_system: str
    queue: Priority
    runs: int
    timeout_s: float
    worker: str | None
    next_attempt_at: Timestamp | None


class Circuit(_Model):
    """A registered circuit as the API shows it (no owner id)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    name: str
    proof_system: str
    is_public: bool
    status: Literal[tuple(s.value for s in CircuitStatus)]  # type: ignore[valid-type]
    wasm_sha256: str | None
    zkey_sha256: str | None
    r1cs_sha256: str | None
    verification_key: dict[str, Any] | None
    info: dict[str, Any] | None
    error_message: str | None
    created_at: Timestamp


class Accepted(_Model):
    proof_id: str
    job_id: str
    status: Literal["pending"]
    message: str


class Queued(_Model):
    proof_id: str
    job_id: str
    status: Literal["pending"]


class BatchAccepted(_Model):
    jobs: list[Queued] = Field(description="In the items' order")
    count: int = Field(ge=1)
    message: str


class ProofPage(_Model):
    proofs: list[Proof]
    limit: int
    offset: int


class JobPage(_Model):
    jobs: list[Job]
    limit: int
    offset: int


class CircuitPage(_Model):
    circuits: list[Circuit]
    limit: int
    offset: int


class FoundProofs(_Model):
    proofs: list[Proof]


class FoundJobs(_Model):
    jobs: list[Job]


class Verdict(_Model):
    """A malformed proof is not valid: only an unknown proof system or a malformed request is an error."""

    valid: bool
    reason: str | SkipJsonSchema[None] = Field(None, description="Why the proof is not valid (present when it is not)")


class Health(_Model):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unreachable"]
    cluster: Literal["ok", "unreachable"]
    workers: int = Field(ge=0)


class Workers(_Model):
    count: int = Field(ge=0)
    threads: int = Field(ge=0)
    reachable: bool | SkipJsonSchema[None] = None


class Queues(_Model):
    """Pending jobs per priority queue."""

    high: int = Field(ge=0)
    normal: int = Field(ge=0)
    low: int = Field(ge=0)


class Timing(_Model):
    count: int = Field(ge=0)
    p50_ms: float
    p95_ms: float


class Stats(_Model):
    queues: Queues
    pending: int = Field(ge=0)
    in_flight: int = Field(ge=0)
    retrying: int = Field(ge=0)
    completed: int = Field(ge=0)
    failed: int = Field(ge=0)
    cancelled: int = Field(ge=0)
    success_rate: float | None = Field(ge=0, le=1)
    processing_time: dict[str, Timing] = Field(description="Per proof system, over its latest completed proofs")
    workers: Workers


class System(_Model):
    name: str
    capabilities: Capabilities


class Systems(_Model):
    systems: list[System]


class Me(_Model):
    user_id: str
    email: str
    tier: str
    key_id: str
    role: str | SkipJsonSchema[None] = None


class ErrorDetail(_Model):
    code: str
    message: str


class Error(_Model):
    """Every 4xx/5xx answer: {"error": {"code", "message"}}, the message naming the field at fault."""

    error: ErrorDetail


JOB_FIELDS = tuple(Job.model_fields)  # the seed's first: the order of the client's DataFrame columns
PROOF_FIELDS = tuple(Proof.model_fields)
JOB_TIMES = tuple(name for name in JOB_FIELDS if name.endswith("_at"))
PROOF_TIMES = tuple(name for name in PROOF_FIELDS if name.endswith("_at"))


def dump(model: type[BaseModel], value: Any) -> dict[str, Any]:  # noqa: ANN401
    """`value` (a dict from the service) as `model` says the API shows it: checked, and only its fields."""
    return model.model_validate(value).model_dump(mode="json", by_alias=True, exclude_unset=True)


# -- error messages -------------------------------------------------------------------------------------------
_WRONG = ("missing", "too_short", "string_too_short", "dict_type", "list_type", "model_type", "string_type")
_WRONG += ("int_type", "float_type", "bool_type", "bytes_type", "int_from_float", "bool_parsing", "int_parsing")
_OUT_OF_RANGE = ("greater_than", "greater_than_equal", "less_than", "less_than_equal", "string_too_long")


def describe(exc: ValidationError, model: type[BaseModel] | None = None, prefix: str = "") -> str:
    """One message for the first problem in `exc`, naming the field and quoting what it must be (the field's
    description in `model`): "items is required (a non-empty array of inputs, one per job)", "circuit_id must be
    a string: ...", "ids has 1001 entries; the limit is 1000", "options.priority must be one of ..."."""
    error = exc.errors(include_url=False)[0]
    where = [str(p) for p in error["loc"]]
    kind, ctx = error["type"], error.get("ctx") or {}
    fields = {(f.alias or n): f for n, f in model.model_fields.items()} if model is not None else {}
    field = fields.get(where[0]) if where else None
    hint = field.description if field is not None else None
    path = [*([prefix] if prefix else []), *where]
    name = ".".join(path[: len(path) - len(where) + 1]) or "request body"
    if kind == "too_long" and len(where) == 1:
        return f"{name} has {ctx.get('actual_length')} entries; the limit is {ctx.get('max_length')}"
    if kind == "literal_error":
        return f"{'.'.join(path)} must be one of {ctx.get('expected')}, got {error['input']!r}"
    if kind == "value_error":
        message = str(ctx.get("error", error["msg"]))
        return f"{name} {message}" if where else message
    if hint and (kind in _WRONG or kind in _OUT_OF_RANGE):
        if kind == "missing" or (kind in _WRONG and field is not None and field.is_required()):
            return f"{name} is required ({hint})"
        return f"{name} must be {hint}"
    return f"{'.'.join(path)}: {error['msg']}"
