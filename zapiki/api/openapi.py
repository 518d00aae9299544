"""The OpenAPI 3.1 document of the API, served at /api/v1/openapi.json (checked against the server by
schemathesis in tests/api). It is built from the running configuration: the registered proof systems (each
with the input it accepts), the maximum timeout and the body limit, so the document describes exactly what
this server accepts.
"""

from __future__ import annotations

from typing import Any

from zapiki import __version__, systems
from zapiki.config import PRIORITIES, Settings
from zapiki.service import MAX_RETRIES_LIMIT
from zapiki.store.models import JobStatus

NULLABLE_STR = {"type": ["string", "null"]}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
ANY = {}  # any JSON value


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "required": True, "schema": {"type": "string"}}}
RATE_HEADERS = {
    "X-RateLimit-Limit": {"description": "Requests per minute of this key's tier", "schema": {"type": "string"}},
    "X-RateLimit-Remaining": {"description": "Requests left in the current minute", "schema": {"type": "string"}},
}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
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
    out = {str(c): _json(_ref("Error"), text[c]) for c in codes}
    if 429 in codes:
        out["429"]["headers"] = {**RETRY_AFTER, **RATE_HEADERS}
    if 503 in codes:
        out["503"]["headers"] = dict(RETRY_AFTER)
    return out


COMMON = (400, 401, 429, 503)
STATUSES = [s.value for s in JobStatus]
PAGING = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 1000000000, "default": 0}},
]
STATUS = {
    "name": "status",
    "in": "query",
    "schema": {"type": "string", "enum": ["", *STATUSES]},
    "description": "Only rows in this state (empty: any state)",
}
SYSTEM = {"name": "proof_system", "in": "query", "schema": {"type": "string"}}


def _id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


SCHEMAS: dict[str, Any] = {
    "Circuit": {
        "type": "object",
        "required": ["id", "name", "proof_system", "is_public", "status", "created_at"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "proof_system": {"type": "string"},
            "is_public": {"type": "boolean"},
            "status": {"type": "string", "enum": ["ready", "setting_up", "failed"]},
            "wasm_sha256": {"type": ["string", "null"]},
            "zkey_sha256": {"type": ["string", "null"]},
            "r1cs_sha256": {"type": ["string", "null"]},
            "verification_key": {"type": ["object", "null"]},
            "info": {"type": ["object", "null"]},
            "error_message": {"type": ["string", "null"]},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        },
    },
    "Proof": {
        "type": "object",
        # every field the seed shows is always present (null until known)
        "required": ["id", "status", "proof_system", "proof_data", "generation_time_ms", "created_at", "completed_at"],
        "properties": {
            "id": {"type": "string"},
            "status": {"type": "string", "enum": STATUSES},
            "proof_system": {"type": "string"},
            "circuit_id": NULLABLE_STR,
            "proof_data": {"type": ["object", "null"]},
            "public_inputs": ANY,
            "verification_key": ANY,
            "generation_time_ms": {"type": ["number", "null"]},
            "error_message": NULLABLE_STR,
            "created_at": {"type": "string", "format": "date-time"},
            "completed_at": NULLABLE_TIME,
        },
    },
    "Job": {
        "type": "object",
        # the seed's fields (always present, null until known), then the queue name and the attempt details
        "required": [
            "id",
            "user_id",
            "proof_id",
            "status",
            "priority",
            "retry_count",
            "max_retries",
            "error_message",
            "created_at",
            "started_at",
            "completed_at",
            "proof_system",
            "queue",
        ],
        "properties": {
            "id": {"type": "string"},
            "user_id": {"type": "string"},
            "proof_id": {"type": "string"},
            "proof_system": {"type": "string"},
            "status": {"type": "string", "enum": STATUSES},
            "queue": {"type": "string", "enum": list(PRIORITIES)},
            "priority": {"type": "integer", "description": "The queue as the seed's integer: high 2, normal 1, low 0"},
            "retry_count": {"type": "integer"},
            "max_retries": {"type": "integer"},
            "runs": {"type": "integer"},
            "timeout_s": {"type": "number"},
            "error_message": NULLABLE_STR,
            "worker": NULLABLE_STR,
            "next_attempt_at": NULLABLE_TIME,
            "created_at": {"type": "string", "format": "date-time"},
            "started_at": NULLABLE_TIME,
            "completed_at": NULLABLE_TIME,
        },
    },
    "Accepted": {
        "type": "object",
        "required": ["proof_id", "job_id", "status", "message"],
        "properties": {
            "proof_id": {"type": "string"},
            "job_id": {"type": "string"},
            "status": {"type": "string", "const": "pending"},
            "message": {"type": "string"},
        },
    },
}

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


# The `data` each built-in system accepts, as variants of (data schema, extra option properties, required
# options). A system may instead carry an `openapi_input` attribute with such a list; others accept any data.
INPUT_VARIANTS: dict[str, list[tuple[dict[str, Any], dict[str, Any], list[str]]]] = {
    "commitment": [
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
    ],
    "diagnostic": [
        (
            {
                "type": "object",
                "properties": {"sleep_s": {"type": ["number", "boolean"], "minimum": 0}},
            },
            {},
            [],
        )
    ],
}


def _options(settings: Settings, extra: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "async": {"type": "boolean", "description": "Run as a job even if the system is fast"},
            "priority": {"type": "string", "enum": list(PRIORITIES), "default": "normal"},
            "timeout_s": {"type": "number", "exclusiveMinimum": 0, "maximum": settings.max_timeout_s},
            "max_retries": {"type": "integer", "minimum": 0, "maximum": MAX_RETRIES_LIMIT},
            **extra,
        },
    }
    if required:
        schema["required"] = required
    return schema


def proof_request(settings: Settings) -> dict[str, Any]:
    """POST /proofs bodies: one variant per registered system (and per input form it accepts)."""
    variants = []
    for name in systems.names():
        impl = systems.get(name)
        forms = getattr(impl, "openapi_input", None) or INPUT_VARIANTS.get(name) or [(ANY, {}, [])]
        needs_circuit = impl.capabilities.setup_required
        circuit = {"type": "string"} if needs_circuit else dict(NULLABLE_STR)
        circuit["description"] = "A registered circuit (404 if unknown)"
        for data, extra, required in forms:
            variant: dict[str, Any] = {
                "type": "object",
                "required": [
                    "proof_system",
                    "data",
                    *(["circuit_id"] if needs_circuit else []),
                    *(["options"] if required else []),
                ],
                "properties": {
                    "proof_system": {"type": "string", "const": name},
                    "data": data,
                    "circuit_id": circuit,
                    "options": _options(settings, extra, required),
                },
            }
            variants.append(variant)
    return {"anyOf": variants}


def batch_request(settings: Settings) -> dict[str, Any]:
    """POST /proofs/batch bodies: a ProofRequest variant with `items` (one input per job) in place of `data`."""
    variants = []
    for variant in proof_request(settings)["anyOf"]:
        props = dict(variant["properties"])
        data = props.pop("data")
        props["items"] = {"type": "array", "items": data, "minItems": 1, "maxItems": settings.max_batch_items}
        required = ["items" if r == "data" else r for r in variant["required"]]
        variants.append({**variant, "required": required, "properties": props})
    return {"anyOf": variants}


IDS_REQUEST = {
    "type": "object",
    "required": ["ids"],
    "properties": {"ids": {"type": "array", "items": {"type": "string"}, "maxItems": 1000}},
}


def verify_request() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["proof_system", "proof"],
        "properties": {
            "proof_system": {"type": "string", "enum": systems.names()},
            "proof": {"type": "object"},
            "public_inputs": ANY,
            "verification_key": ANY,
        },
    }


HEALTH = {
    "type": "object",
    "required": ["status", "database", "cluster", "workers"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "degraded"]},
        "database": {"type": "string", "enum": ["ok", "unreachable"]},
        "cluster": {"type": "string", "enum": ["ok", "unreachable"]},
        "workers": {"type": "integer", "minimum": 0},
    },
}
WORKERS = {
    "type": "object",
    "required": ["count", "threads"],
    "properties": {
        "count": {"type": "integer", "minimum": 0},
        "threads": {"type": "integer", "minimum": 0},
        "reachable": {"type": "boolean"},
    },
}
COUNT = {"type": "integer", "minimum": 0}
STATS = {
    "type": "object",
    "required": [
        "queues",
        "pending",
        "in_flight",
        "retrying",
        "completed",
        "failed",
        "cancelled",
        "success_rate",
        "processing_time",
        "workers",
    ],
    "properties": {
        "queues": {
            "type": "object",
            "required": list(PRIORITIES),
            "properties": {p: COUNT for p in PRIORITIES},
            "description": "Pending jobs per priority queue",
        },
        "pending": COUNT,
        "in_flight": COUNT,
        "retrying": COUNT,
        "completed": COUNT,
        "failed": COUNT,
        "cancelled": COUNT,
        "success_rate": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        "processing_time": {
            "type": "object",
            "description": "Per proof system, over its latest completed proofs",
            "additionalProperties": {
                "type": "object",
                "required": ["count", "p50_ms", "p95_ms"],
                "properties": {"count": COUNT, "p50_ms": {"type": "number"}, "p95_ms": {"type": "number"}},
            },
        },
        "workers": WORKERS,
    },
}
SYSTEMS = {
    "type": "object",
    "required": ["systems"],
    "properties": {
        "systems": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "capabilities"],
                "properties": {
                    "name": {"type": "string"},
                    "capabilities": {
                        "type": "object",
                        "required": ["async_only", "isolated", "typical_ms", "setup_required", "features"],
                        "properties": {
                            "async_only": {"type": "boolean"},
                            "isolated": {"type": "boolean"},
                            "typical_ms": {"type": "number"},
                            "setup_required": {"type": "boolean"},
                            "features": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
            },
        }
    },
}


def spec(settings: Settings | None = None, max_body_bytes: int | None = None) -> dict[str, Any]:
    """The whole document, for `settings` (default: the configured ones)."""
    settings = settings or Settings.load()
    body_note = f" Request bodies are limited to {max_body_bytes or settings.max_body_bytes} bytes (413)."
    secured = [{"ApiKey": []}, {"Bearer": []}]
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Zapiki",
            "version": __version__,
            "description": "Zero-knowledge proofs as durable jobs." + body_note,
        },
        "servers": [{"url": "/"}],
        "security": secured,
        "components": {
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "Bearer": {"type": "http", "scheme": "bearer"},
            },
            "schemas": {
                **SCHEMAS,
                "ProofRequest": proof_request(settings),
                "BatchRequest": batch_request(settings),
                "VerifyRequest": verify_request(),
            },
        },
        "paths": {
            "/health": {
                "get": {
                    "summary": "Database and cluster reachability, worker count",
                    "security": [],
                    "responses": {
                        "200": _json(HEALTH, "Database reachable (the cluster may not be: status degraded)"),
                        "503": _json(HEALTH, "Database unreachable"),
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {"summary": "This document", "security": [], "responses": {"200": _json({"type": "object"}, "")}}
            },
            "/api/v1/systems": {
                "get": {
                    "summary": "Registered proof systems and their capabilities",
                    "responses": {
                        "200": _json(SYSTEMS, "Systems"),
                        **_errors(*COMMON),
                    },
                }
            },
            "/api/v1/proofs": {
                "post": {
                    "summary": "Create a proof (sync systems answer 201 with it, async ones 202 with a job)",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("ProofRequest")}},
                    },
                    "responses": {
                        "201": _json(_ref("Proof"), "Proof generated"),
                        "202": _json(_ref("Accepted"), "Job created"),
                        **_errors(400, 404, 413, 415, 422, *COMMON),
                    },
                },
                "get": {
                    "summary": "List your proofs",
                    "parameters": [STATUS, SYSTEM, *PAGING],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["proofs", "limit", "offset"],
                                "properties": {
                                    "proofs": {"type": "array", "items": _ref("Proof")},
                                    "limit": {"type": "integer"},
                                    "offset": {"type": "integer"},
                                },
                            },
                            "Proofs",
                        ),
                        **_errors(422, *COMMON),
                    },
                },
            },
            "/api/v1/proofs/batch": {
                "post": {
                    "summary": "Create one job per item, all or none (one bad item: 422 naming its index). Its own "
                    f"body limit: {settings.max_batch_bytes} bytes; at most {settings.max_batch_items} items",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("BatchRequest")}},
                    },
                    "responses": {
                        "202": _json(
                            {
                                "type": "object",
                                "required": ["jobs", "count", "message"],
                                "properties": {
                                    "jobs": {
                                        "type": "array",
                                        "description": "In the items' order",
                                        "items": {
                                            "type": "object",
                                            "required": ["proof_id", "job_id", "status"],
                                            "properties": {
                                                "proof_id": {"type": "string"},
                                                "job_id": {"type": "string"},
                                                "status": {"type": "string", "const": "pending"},
                                            },
                                        },
                                    },
                                    "count": {"type": "integer", "minimum": 1},
                                    "message": {"type": "string"},
                                },
                            },
                            "Jobs created",
                        ),
                        **_errors(400, 404, 413, 415, 422, *COMMON),
                    },
                }
            },
            "/api/v1/proofs/lookup": {
                "post": {
                    "summary": "Your proofs among these ids (unknown ids are left out)",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": IDS_REQUEST}}},
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["proofs"],
                                "properties": {"proofs": {"type": "array", "items": _ref("Proof")}},
                            },
                            "Proofs",
                        ),
                        **_errors(400, 413, 415, 422, *COMMON),
                    },
                }
            },
            "/api/v1/proofs/{id}": {
                "get": {
                    "summary": "One proof",
                    "parameters": [_id("id")],
                    "responses": {"200": _json(_ref("Proof"), "The proof"), **_errors(404, *COMMON)},
                },
                "delete": {
                    "summary": "Delete a proof and its job",
                    "parameters": [_id("id")],
                    "responses": {"204": {"description": "Deleted"}, **_errors(404, 409, *COMMON)},
                },
            },
            "/api/v1/jobs": {
                "get": {
                    "summary": "List your jobs",
                    "parameters": [STATUS, SYSTEM, *PAGING],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["jobs", "limit", "offset"],
                                "properties": {
                                    "jobs": {"type": "array", "items": _ref("Job")},
                                    "limit": {"type": "integer"},
                                    "offset": {"type": "integer"},
                                },
                            },
                            "Jobs",
                        ),
                        **_errors(422, *COMMON),
                    },
                }
            },
            "/api/v1/jobs/lookup": {
                "post": {
                    "summary": "Your jobs among these ids (unknown ids are left out): a batch's progress in one call",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": IDS_REQUEST}}},
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["jobs"],
                                "properties": {"jobs": {"type": "array", "items": _ref("Job")}},
                            },
                            "Jobs",
                        ),
                        **_errors(400, 413, 415, 422, *COMMON),
                    },
                }
            },
            "/api/v1/jobs/{id}": {
                "get": {
                    "summary": "One job",
                    "parameters": [_id("id")],
                    "responses": {"200": _json(_ref("Job"), "The job"), **_errors(404, *COMMON)},
                }
            },
            "/api/v1/jobs/{id}/cancel": {
                "post": {
                    "summary": "Cancel a pending or retrying job",
                    "parameters": [_id("id")],
                    "responses": {"200": _json(_ref("Job"), "Cancelled"), **_errors(404, 409, *COMMON)},
                }
            },
            "/api/v1/jobs/{id}/retry": {
                "post": {
                    "summary": "Run a failed or cancelled job again",
                    "parameters": [_id("id")],
                    "responses": {"200": _json(_ref("Job"), "Pending again"), **_errors(404, 409, *COMMON)},
                }
            },
            "/api/v1/verify": {
                "post": {
                    "summary": "Verify a proof",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("VerifyRequest")}},
                    },
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["valid"],
                                "properties": {
                                    "valid": {"type": "boolean"},
                                    "reason": {
                                        "type": "string",
                                        "description": "Why the proof is not valid (present when it is not)",
                                    },
                                },
                            },
                            "Verdict (a malformed proof is not valid)",
                        ),
                        **_errors(400, 413, 415, 422, *COMMON),
                    },
                }
            },
            "/api/v1/circuits": {
                "post": {
                    "summary": "Upload a circom circuit: wasm + zkey (201), or wasm + r1cs for a development setup "
                    "that runs in the background (202; single party, not a ceremony)",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["name", "wasm"],
                                    "properties": {
                                        "name": {"type": "string", "minLength": 1, "maxLength": 200},
                                        "is_public": {"type": "string", "enum": ["true", "false"]},
                                        "wasm": {"type": "string", "format": "binary"},
                                        "zkey": {"type": "string", "format": "binary"},
                                        "r1cs": {"type": "string", "format": "binary"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _json(_ref("Circuit"), "Circuit registered"),
                        "202": _json(_ref("Circuit"), "Circuit registered; its setup is running"),
                        **_errors(400, 413, 415, 422, *COMMON),
                    },
                },
                "get": {
                    "summary": "List your circuits and public ones",
                    "parameters": PAGING,
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["circuits", "limit", "offset"],
                                "properties": {
                                    "circuits": {"type": "array", "items": _ref("Circuit")},
                                    "limit": {"type": "integer"},
                                    "offset": {"type": "integer"},
                                },
                            },
                            "Circuits",
                        ),
                        **_errors(400, 422, *COMMON),
                    },
                },
            },
            "/api/v1/circuits/{id}": {
                "get": {
                    "summary": "One circuit, with its verification key",
                    "parameters": [_id("id")],
                    "responses": {"200": _json(_ref("Circuit"), "The circuit"), **_errors(400, 404, *COMMON)},
                },
                "delete": {
                    "summary": "Delete your circuit (not while jobs still need it)",
                    "parameters": [_id("id")],
                    "responses": {"204": {"description": "Deleted"}, **_errors(400, 404, 409, *COMMON)},
                },
            },
            "/api/v1/me": {
                "get": {
                    "summary": "The key's user: user_id, email, tier, key_id",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["user_id", "email", "tier", "key_id"],
                                "properties": {
                                    "user_id": {"type": "string"},
                                    "email": {"type": "string"},
                                    "tier": {"type": "string"},
                                    "key_id": {"type": "string"},
                                    "role": {"type": "string"},
                                },
                            },
                            "The key's user",
                        ),
                        **_errors(*COMMON),
                    },
                }
            },
            "/api/v1/stats": {
                "get": {
                    "summary": "Queues, in flight, retrying, failed, processing times, success rate, workers",
                    "responses": {"200": _json(STATS, "Stats"), **_errors(*COMMON)},
                }
            },
        },
    }
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            op["operationId"] = OPERATION_IDS[(method, path)]
    responses = doc["paths"]["/api/v1/proofs"]["post"]["responses"]
    responses["201"]["links"] = {
        "GetProof": {"operationId": "getProof", "parameters": {"id": "$response.body#/id"}},
        "DeleteProof": {"operationId": "deleteProof", "parameters": {"id": "$response.body#/id"}},
    }
    responses["202"]["links"] = {
        "GetProof": {"operationId": "getProof", "parameters": {"id": "$response.body#/proof_id"}},
        "GetJob": {"operationId": "getJob", "parameters": {"id": "$response.body#/job_id"}},
        "CancelJob": {"operationId": "cancelJob", "parameters": {"id": "$response.body#/job_id"}},
        "RetryJob": {"operationId": "retryJob", "parameters": {"id": "$response.body#/job_id"}},
        "DeleteProof": {"operationId": "deleteProof", "parameters": {"id": "$response.body#/proof_id"}},
    }
    return doc


OPERATION_IDS = {
    ("get", "/health"): "health",
    ("get", "/api/v1/openapi.json"): "openapi",
    ("get", "/api/v1/systems"): "listSystems",
    ("post", "/api/v1/proofs"): "createProof",
    ("post", "/api/v1/proofs/batch"): "createProofBatch",
    ("post", "/api/v1/proofs/lookup"): "lookupProofs",
    ("post", "/api/v1/jobs/lookup"): "lookupJobs",
    ("get", "/api/v1/me"): "getMe",
    ("get", "/api/v1/proofs"): "listProofs",
    ("get", "/api/v1/proofs/{id}"): "getProof",
    ("delete", "/api/v1/proofs/{id}"): "deleteProof",
    ("get", "/api/v1/jobs"): "listJobs",
    ("get", "/api/v1/jobs/{id}"): "getJob",
    ("post", "/api/v1/jobs/{id}/cancel"): "cancelJob",
    ("post", "/api/v1/jobs/{id}/retry"): "retryJob",
    ("post", "/api/v1/verify"): "verifyProof",
    ("get", "/api/v1/stats"): "getStats",
    ("post", "/api/v1/circuits"): "createCircuit",
    ("get", "/api/v1/circuits"): "listCircuits",
    ("get", "/api/v1/circuits/{id}"): "getCircuit",
    ("delete", "/api/v1/circuits/{id}"): "deleteCircuit",
}
