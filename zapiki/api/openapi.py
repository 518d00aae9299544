"""The OpenAPI 3.1 document of the API, served at /api/v1/openapi.json (checked against the server by
schemathesis in CI)."""

from __future__ import annotations

from typing import Any

from zapiki import __version__

NULLABLE_STR = {"type": ["string", "null"]}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
ANY = {}  # any JSON value


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "Malformed request (bad JSON)",
        401: "Missing or invalid API key",
        404: "Not found (or not yours)",
        409: "Not allowed in the current state",
        413: "Request body too large",
        415: "Request body is not application/json",
        422: "Invalid fields",
        429: "Rate limit exceeded",
        503: "Database unavailable",
    }
    return {str(c): _json(_ref("Error"), text[c]) for c in codes}


COMMON = (401, 429, 503)
PAGING = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}},
    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 1000000000, "default": 0}},
]
STATUS = {
    "name": "status",
    "in": "query",
    "schema": {"type": "string", "enum": ["pending", "processing", "retrying", "completed", "failed", "cancelled"]},
}
SYSTEM = {"name": "proof_system", "in": "query", "schema": {"type": "string"}}


def _id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


SCHEMAS: dict[str, Any] = {
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
        "required": ["id", "status", "proof_system", "created_at"],
        "properties": {
            "id": {"type": "string"},
            "status": {"type": "string"},
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
        "required": [
            "id",
            "proof_id",
            "proof_system",
            "status",
            "queue",
            "priority",
            "retry_count",
            "max_retries",
            "created_at",
        ],
        "properties": {
            "id": {"type": "string"},
            "proof_id": {"type": "string"},
            "proof_system": {"type": "string"},
            "status": {"type": "string"},
            "queue": {"type": "string", "enum": ["high", "normal", "low"]},
            "priority": {"type": "integer"},
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
    "ProofRequest": {
        "type": "object",
        "required": ["proof_system", "data"],
        "properties": {
            "proof_system": {"type": "string"},
            "data": ANY,
            "circuit_id": {"type": "string"},
            "options": {
                "type": "object",
                "properties": {
                    "async": {"type": "boolean"},
                    "priority": {"type": "string", "enum": ["high", "normal", "low"]},
                    "timeout_s": {"type": "number", "exclusiveMinimum": 0},
                    "max_retries": {"type": "integer", "minimum": 0, "maximum": 10},
                    "data_type": {"type": "string", "enum": ["string", "json", "bytes"]},
                },
            },
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
    "VerifyRequest": {
        "type": "object",
        "required": ["proof_system", "proof"],
        "properties": {
            "proof_system": {"type": "string"},
            "proof": {"type": "object"},
            "public_inputs": ANY,
            "verification_key": ANY,
        },
    },
}


def spec() -> dict[str, Any]:
    """The whole document."""
    secured = [{"ApiKey": []}, {"Bearer": []}]
    return {
        "openapi": "3.1.0",
        "info": {"title": "Zapiki", "version": __version__, "description": "Zero-knowledge proofs as durable jobs."},
        "servers": [{"url": "/"}],
        "security": secured,
        "components": {
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "Bearer": {"type": "http", "scheme": "bearer"},
            },
            "schemas": SCHEMAS,
        },
        "paths": {
            "/health": {
                "get": {
                    "summary": "Database and cluster reachability, worker count",
                    "security": [],
                    "responses": {
                        "200": _json({"type": "object"}, "Healthy or degraded"),
                        "503": _json({"type": "object"}, "Database unreachable"),
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
                        "200": _json(
                            {"type": "object", "required": ["systems"], "properties": {"systems": {"type": "array"}}},
                            "Systems",
                        ),
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
                            {"type": "object", "required": ["valid"], "properties": {"valid": {"type": "boolean"}}},
                            "Verdict",
                        ),
                        **_errors(400, 413, 415, 422, *COMMON),
                    },
                }
            },
            "/api/v1/stats": {
                "get": {
                    "summary": "Queues, in flight, retrying, failed, processing times, success rate, workers",
                    "responses": {"200": _json({"type": "object"}, "Stats"), **_errors(*COMMON)},
                }
            },
        },
    }
