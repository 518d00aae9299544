"""The OpenAPI 3.1 document, generated, never written by hand: paths from the route table, each operation from
its handler method's `@operation` (id, summary, body, query, answers, errors), the bodies' and answers' schemas
from the models in `zapiki.schema`, each proof system's input from the system itself (`input_forms`), and the
limits from the running configuration, so the document describes exactly what this server accepts. Served at
/api/v1/openapi.json and checked against the server by schemathesis (tests/api).

>>> from zapiki.api import route_table
>>> doc = document(route_table(), Settings())
>>> doc["paths"]["/api/v1/jobs/{id}"]["get"]["operationId"]
'getJob'
>>> doc["components"]["schemas"]["Job"]["required"][:3]
['id', 'user_id', 'proof_id']
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from zapiki import __version__, schema, systems
from zapiki.config import Settings

ModelFor = type[BaseModel] | Callable[[Settings], type[BaseModel]]
ERROR_TEXT = {
    400: "Malformed request (bad JSON, bad encoding)",
    401: "Missing or invalid API key",
    404: "Not found (or not yours)",
    409: "Not allowed in the current state",
    413: "Request body too large",
    415: "Request body is not application/json",
    422: "Invalid fields",
    429: "Rate limit exceeded",
    503: "Database unavailable",
}
COMMON_ERRORS = (400, 401, 429, 503)  # any operation that needs a key
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "required": True, "schema": {"type": "string"}}}
RATE_HEADERS = {
    "X-RateLimit-Limit": {"description": "Requests per minute of this key's tier", "schema": {"type": "string"}},
    "X-RateLimit-Remaining": {"description": "Requests left in the current minute", "schema": {"type": "string"}},
}
REF = "#/components/schemas/{model}"


class _JsonSchema(GenerateJsonSchema):
    """pydantic's JSON Schema, with a nullable simple type as `{"type": [T, "null"]}` (what the document has
    always said) rather than `anyOf`."""

    def nullable_schema(self, schema: Any) -> dict[str, Any]:  # noqa: ANN401
        inner = self.generate_inner(schema["schema"])
        if isinstance(inner.get("type"), str) and not {"enum", "const", "$ref"} & set(inner):
            return {**inner, "type": [inner["type"], "null"]}
        return super().nullable_schema(schema)


def model_schema(model: type[BaseModel], mode: str = "validation") -> dict[str, Any]:
    """One model's JSON Schema as the document shows it (no titles)."""
    return _inline(model.model_json_schema(mode=mode, schema_generator=_JsonSchema))


@dataclass(frozen=True)
class Operation:
    """What one handler method does, as the document states it. `body` and `answers` name models of
    `zapiki.schema` (`body` may be a function of the settings, for limits they carry); `body_schema` composes
    a body's schema instead (per-system variants); `summary` may name settings: `{s.max_batch_items}`."""

    id: str
    summary: str
    answers: dict[int, tuple[type[BaseModel] | type[dict] | type[str] | None, str]]
    errors: tuple[int, ...] = ()
    body: ModelFor | None = None
    body_schema: Callable[[Settings], dict[str, Any]] | None = None
    media: str = "application/json"
    query: type[BaseModel] | None = None
    public: bool = False  # no API key needed
    links: dict[int, dict[str, Any]] = field(default_factory=dict)

    def request_model(self, settings: Settings) -> type[BaseModel] | None:
        """The model a request's body is validated with."""
        body = self.body
        if body is None or isinstance(body, type):
            return body
        return body(settings)


def operation(**fields: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:  # noqa: ANN401
    """Declare a handler method's operation (see `Operation`)."""

    def mark(method: Callable[..., Any]) -> Callable[..., Any]:
        method.__operation__ = Operation(**fields)  # type: ignore[attr-defined]
        return method

    return mark


def operations(handler: type) -> dict[str, Operation]:
    """{http method: Operation} of a handler class."""
    found = {}
    for method in ("get", "post", "put", "patch", "delete"):
        op = getattr(getattr(handler, method, None), "__operation__", None)
        if op is not None:
            found[method] = op
    return found


# -- request bodies composed per proof system --------------------------------------------------------------------
def _inline(schema_: Any) -> Any:  # noqa: ANN401
    """A schema without titles (pydantic adds one to every model and property; a document's names are its
    components' keys) and without the null defaults of fields that may be left out."""
    if isinstance(schema_, dict):
        # a default of null where null is not allowed (a field that may be left out) says nothing: dropped
        no_null = schema_.get("default", 0) is None and "null" not in str(schema_.get("type", "null"))
        return {
            k: _inline(v)
            for k, v in schema_.items()
            if not (k == "title" and isinstance(v, str)) and not (k == "default" and no_null)
        }
    if isinstance(schema_, list):
        return [_inline(v) for v in schema_]
    return schema_


def _input_forms(impl: Any) -> list[tuple[dict[str, Any], dict[str, Any], list[str]]]:  # noqa: ANN401
    """(data schema, the system's own option properties, required options) per input form a system accepts;
    one that declares none accepts any data."""
    return list(getattr(impl, "input_forms", None) or [({}, {}, [])])


def _variants(settings: Settings, data_key: str, data_schema: Callable[[dict[str, Any]], dict[str, Any]]) -> dict:
    base = model_schema(schema.ProofRequest)["properties"]
    options = model_schema(schema.job_options(settings.max_timeout_s))
    variants = []
    for name in systems.names():
        impl = systems.get(name)
        needs_circuit = impl.capabilities.setup_required
        circuit = {"type": "string"} if needs_circuit else dict(base["circuit_id"])
        circuit["description"] = base["circuit_id"]["description"]
        for data, extra, required in _input_forms(impl):
            opts = {**options, "properties": {**options["properties"], **extra}}
            if required:
                opts["required"] = list(required)
            variants.append(
                {
                    "type": "object",
                    "required": [
                        "proof_system",
                        data_key,
                        *(["circuit_id"] if needs_circuit else []),
                        *(["options"] if required else []),
                    ],
                    "properties": {
                        "proof_system": {"type": "string", "const": name},
                        data_key: data_schema(data),
                        "circuit_id": circuit,
                        "options": opts,
                    },
                }
            )
    return {"anyOf": variants}


def proof_request(settings: Settings) -> dict[str, Any]:
    """POST /proofs bodies: `ProofRequest`, one variant per registered system and input form it accepts."""
    return _variants(settings, "data", lambda data: data)


def batch_request(settings: Settings) -> dict[str, Any]:
    """POST /proofs/batch bodies: the same variants with `items` (one input per job) in place of `data`."""
    items = model_schema(schema.batch_request(settings.max_batch_items))["properties"]["items"]
    return _variants(settings, "items", lambda data: {**items, "items": data})


def verify_request(settings: Settings) -> dict[str, Any]:
    """POST /verify bodies: `VerifyRequest` with the registered systems' names."""
    body = model_schema(schema.VerifyRequest)
    body.pop("$defs", None)  # TemplateRef: a component of the document already (proofs' answers carry it)
    body = json.loads(json.dumps(body).replace('"#/$defs/', '"#/components/schemas/'))
    body["properties"]["proof_system"] = {"type": "string", "enum": systems.names()}
    return body


# -- the document ---------------------------------------------------------------------------------------------
def _content(ref: dict[str, Any], description: str, media: str = "application/json") -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": ref}}}


def _parameters(path: str, query: type[BaseModel] | None) -> list[dict[str, Any]]:
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", path)
    ]
    if query is not None:
        for name, prop in model_schema(query)["properties"].items():
            param = {"name": name, "in": "query", "schema": prop}
            if "description" in prop:
                param["description"] = prop.pop("description")
            params.append(param)
    return params


def _used_models(routes: list[tuple[str, type]], settings: Settings) -> list[tuple[type[BaseModel], str]]:
    """Every (model, mode) the operations name: bodies validate, answers serialise."""
    used: dict[tuple[type[BaseModel], str], None] = {(schema.Error, "serialization"): None}
    for _, handler in routes:
        for op in operations(handler).values():
            model = op.request_model(settings)
            if model is not None and op.body_schema is None:
                used[(model, "validation")] = None
            for answer, _ in op.answers.values():
                if isinstance(answer, type) and issubclass(answer, BaseModel):
                    used[(answer, "serialization")] = None
    return list(used)


def document(routes: list[tuple[str, type]], settings: Settings) -> dict[str, Any]:
    """The whole document for a route table (`zapiki.api.route_table()`: (path, handler class) pairs)."""
    refs, defs = models_json_schema(_used_models(routes, settings), ref_template=REF, schema_generator=_JsonSchema)
    components: dict[str, Any] = _inline(defs.get("$defs", {}))
    from zapiki.api.templates import shared_components

    components |= shared_components()
    paths: dict[str, dict[str, Any]] = {}
    for path, handler in routes:
        for method, op in operations(handler).items():
            out: dict[str, Any] = {"operationId": op.id, "summary": op.summary.format(s=settings)}
            if op.public:
                out["security"] = []
            params = _parameters(path, op.query)
            if params:
                out["parameters"] = params
            model = op.request_model(settings)
            if op.body_schema is not None:
                name = model.__name__ if model is not None else op.id
                if name in components:
                    raise ValueError(f"two schemas named {name!r}")
                components[name] = op.body_schema(settings)
                body = {"$ref": REF.format(model=name)}
            elif model is not None:
                body = dict(refs[(model, "validation")])
            if model is not None or op.body_schema is not None:
                out["requestBody"] = {"required": True, "content": {op.media: {"schema": body}}}
            responses: dict[str, Any] = {}
            for status, (answer, description) in op.answers.items():
                if answer is None:
                    responses[str(status)] = {"description": description}
                elif answer is dict:
                    responses[str(status)] = _content({"type": "object"}, description)
                elif answer is str:  # a text document (a Solidity source)
                    responses[str(status)] = _content({"type": "string"}, description, "text/plain")
                else:
                    responses[str(status)] = _content(dict(refs[(answer, "serialization")]), description)
                if status in op.links:
                    responses[str(status)]["links"] = op.links[status]
            for status in sorted({*op.errors, *(() if op.public else COMMON_ERRORS)}):
                answer = _content(dict(refs[(schema.Error, "serialization")]), ERROR_TEXT[status])
                if status == 429:
                    answer["headers"] = {**RETRY_AFTER, **RATE_HEADERS}
                elif status == 503:
                    answer["headers"] = dict(RETRY_AFTER)
                responses[str(status)] = answer
            out["responses"] = responses
            paths.setdefault(path, {})[method] = out
    body_note = f" Request bodies are limited to {settings.max_body_bytes} bytes (413)."
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Zapiki",
            "version": __version__,
            "description": "Zero-knowledge proofs as durable jobs." + body_note,
        },
        "servers": [{"url": "/"}],
        "security": [{"ApiKey": []}, {"Bearer": []}],
        "components": {
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "Bearer": {"type": "http", "scheme": "bearer"},
            },
            "schemas": components,
        },
        "paths": paths,
    }
