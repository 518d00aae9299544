"""Tornado handlers of the REST API. Each runs its database work on a thread pool (the event loop never
waits on the database), maps errors to JSON bodies with 4xx codes, and checks key, rate limit, body size and
content type before anything else."""

from __future__ import annotations

import json
import logging
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import tornado.web
from tornado.ioloop import IOLoop

from zapiki import systems
from zapiki.access import Gate, RateLimited, check_priority, scope
from zapiki.api.errors import ApiError, to_api_error
from zapiki.api.ratelimit import RateLimiter
from zapiki.errors import InputError, UnknownProofSystem
from zapiki.service import ZapikiService
from zapiki.store.models import JobStatus

log = logging.getLogger("zapiki.api")
JOB_STATUSES = {s.value for s in JobStatus}
ASYNC_MESSAGE = "Proof generation started. Poll /api/v1/proofs/{id} for status."
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
MAX_JSON_DEPTH = 64
DRAIN_MAX_BYTES = 16 << 20  # a refused request's body up to this size is read and dropped, not cut off
MAX_ID_LENGTH = 64
LOOKUP_MAX_IDS = 1_000  # ids in one jobs/lookup or proofs/lookup request
HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _raw_depth_ok(raw: bytes, limit: int) -> bool:
    """True when the JSON text `raw` nests no deeper than `limit`, checked on the bytes before parsing: the C
    parser recurses once per level, and a deep enough body would overflow a thread's stack."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return True
    depth = 0
    for match in _JSON_TOKENS.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return False
        elif token in (b"]", b"}"):
            depth -= 1
    return True


def _json_depth_ok(value: Any, limit: int) -> bool:  # noqa: ANN401
    """True when `value` nests no deeper than `limit` arrays/objects (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return True


@dataclass
class ApiContext:
    service: ZapikiService
    limiter: RateLimiter
    executor: ThreadPoolExecutor
    max_body_bytes: int = 1 << 20
    max_upload_bytes: int = 256 << 20
    max_batch_bytes: int = 32 << 20
    max_batch_items: int = 10_000
    auth_cache_s: float = 2.0
    spec_json: str | None = None  # the OpenAPI document, built on first request
    # key lookups and rate limits (zapiki.access), shared with the dashboard of the same server process
    gate: Gate = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.gate is None:
            self.gate = Gate(self.service, self.limiter, self.auth_cache_s)

    def cached(self, raw: str) -> tuple[bool, dict[str, Any] | None]:
        """(True, who) when the key was looked up less than `auth_cache_s` ago, else (False, None). Answered on
        the event loop, so a request with a recently seen key needs no trip to the thread pool to authenticate.
        The cost: a key revoked by another process keeps working for up to `auth_cache_s` seconds."""
        return self.gate.cached(raw)

    def authenticate(self, raw: str) -> dict[str, Any] | None:
        return self.gate.authenticate(raw)


@tornado.web.stream_request_body
class BaseHandler(tornado.web.RequestHandler):
    """Every check that needs only the headers (shutting down, method, size, content type, key, rate limit) runs
    in `prepare`, before a byte of the body is read: the body is streamed in afterwards (`data_received`), into
    memory up to the JSON limit, or to a private temporary file for uploads, and cut off at the limit."""

    auth_required = True
    upload = False  # multipart uploads get the larger body limit and no JSON content-type check

    def initialize(self, ctx: ApiContext) -> None:
        self.ctx = ctx
        self.user: dict[str, Any] | None = None
        self._body = bytearray()
        self._spool: Any = None  # uploads: a temporary file
        self._received = 0
        self._limit = ctx.max_body_bytes
        self._too_large = False
        self._early_error: ApiError | None = None

    def data_received(self, chunk: bytes) -> None:
        self._received += len(chunk)
        if self._early_error is not None:
            return  # refused already: the body is not kept
        if self._received > self._limit:
            self._too_large = True  # the rest is dropped; the handler answers 413
            return
        if self.upload:
            if self._spool is None:
                self._spool = tempfile.SpooledTemporaryFile(max_size=1 << 20, prefix="zapiki-upload-")
            self._spool.write(chunk)
        else:
            self._body += chunk

    def body_bytes(self) -> bytes:
        """The whole request body (after `prepare`, once it has arrived)."""
        if self._too_large:
            raise ApiError(413, "payload_too_large", f"request body is over the limit of {self._limit} bytes")
        if self._spool is not None:
            self._spool.seek(0)
            return self._spool.read()
        return bytes(self._body)

    def on_finish(self) -> None:
        if self._spool is not None:
            self._spool.close()

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")

    @classmethod
    def allowed_methods(cls) -> list[str]:
        """The HTTP methods this resource implements (listed in `Allow` on a 405)."""
        found = cls.__dict__.get("_allowed")
        if found is None:
            base = tornado.web.RequestHandler
            found = [m for m in METHODS if getattr(cls, m.lower()) is not getattr(base, m.lower())]
            cls._allowed = found
        return found

    async def prepare(self) -> None:
        try:
            await self._check_headers()
        except ApiError as err:
            length = int(self.request.headers.get("Content-Length") or 0) if err.status != 400 else 0
            if length > DRAIN_MAX_BYTES:
                raise  # answered now, and the connection closed: a large body is not read for a refused request
            # A body up to DRAIN_MAX_BYTES is read and dropped (never kept) before the error is sent, so that the
            # client reads the answer and the connection stays usable: answering first makes Tornado close it.
            self.request.connection.set_max_body_size(max(length, self._limit) + 1)
            self._early_error = err
            setattr(self, self.request.method.lower(), self._answer_early_error)

    async def _answer_early_error(self, *args: Any) -> None:  # noqa: ANN401
        raise self._early_error

    async def _check_headers(self) -> None:
        if self.ctx.service.stopping:
            raise ApiError(
                503, "shutting_down", "the service is shutting down; try again shortly", {"Retry-After": "5"}
            )
        if self.request.method not in self.allowed_methods():
            raise ApiError(
                405,
                "method_not_allowed",
                f"{self.request.method} is not allowed on {self.request.path}",
                {"Allow": ", ".join(self.allowed_methods())},
            )
        try:
            length = int(self.request.headers.get("Content-Length") or 0)
        except ValueError:
            raise ApiError(400, "bad_request", "invalid Content-Length header") from None
        limit = self._limit = self.body_limit()
        # a chunked body that runs past the limit is cut off by the connection itself
        self.request.connection.set_max_body_size(limit + 1)
        if length > limit:
            raise ApiError(413, "payload_too_large", f"request body is {length} bytes; the limit is {limit}")
        has_body = length > 0 or "chunked" in self.request.headers.get("Transfer-Encoding", "").lower()
        if self.request.method in ("POST", "PUT", "PATCH") and has_body and not self.upload:
            ctype = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if ctype != "application/json":
                raise ApiError(415, "unsupported_media_type", "send the request body as application/json")
        if self.auth_required:
            await self._authenticate()

    async def _authenticate(self) -> None:
        raw = self.request.headers.get("X-API-Key", "").strip()
        auth = self.request.headers.get("Authorization", "")
        if not raw and auth.lower().startswith("bearer "):
            raw = auth[7:].strip()
        if not raw:
            raise ApiError(
                401,
                "unauthorized",
                "missing API key: send X-API-Key or Authorization: Bearer",
                {"WWW-Authenticate": "Bearer"},
            )
        found, who = self.ctx.cached(raw)
        if not found:
            who = await self.run(self.ctx.authenticate, raw)
        if who is None:
            raise ApiError(401, "unauthorized", "invalid or revoked API key", {"WWW-Authenticate": "Bearer"})
        refused: RateLimited | None = None
        try:
            decision = self.ctx.gate.admit(who)  # the dashboard's actions count against the same limit
        except RateLimited as exc:
            decision, refused = exc.decision, exc
        self.set_header("X-RateLimit-Limit", str(decision.limit))
        self.set_header("X-RateLimit-Remaining", str(decision.remaining))
        if refused is not None:
            raise ApiError(429, refused.code, str(refused), {"Retry-After": str(decision.retry_after_s)})
        self.user = who

    def body_limit(self) -> int:
        """The most bytes this endpoint reads of a request body (413 beyond)."""
        return self.ctx.max_upload_bytes if self.upload else self.ctx.max_body_bytes

    @property
    def user_id(self) -> str:
        assert self.user is not None
        return self.user["user_id"]

    @property
    def scope(self) -> str | None:
        """Whose rows this key reads and acts on: its own user's, or every user's (None) for an admin key.
        What it creates is always its own user's (`user_id`)."""
        assert self.user is not None
        return scope(self.user)

    async def run(self, fn: Any, *args: Any) -> Any:  # noqa: ANN401
        """Run blocking work (the database) on the pool."""
        return await IOLoop.current().run_in_executor(self.ctx.executor, fn, *args)

    def json_body(self) -> dict[str, Any]:
        """The body as a JSON object: strict JSON (no NaN/Infinity, valid Unicode), nested at most 64 deep."""
        raw = self.body_bytes()
        if not _raw_depth_ok(raw, MAX_JSON_DEPTH):
            raise ApiError(400, "bad_json", f"request body is nested deeper than {MAX_JSON_DEPTH} levels")
        try:
            body = json.loads(raw, parse_constant=_reject_constant)
            # lone surrogates ("\ud800") parse but are not text: nothing downstream can encode them
            json.dumps(body, ensure_ascii=False).encode("utf-8")
        except RecursionError:
            raise ApiError(400, "bad_json", "request body is nested too deeply") from None
        except (ValueError, UnicodeError) as exc:
            raise ApiError(400, "bad_json", f"request body is not valid JSON: {exc}") from None
        if not _json_depth_ok(body, MAX_JSON_DEPTH):
            raise ApiError(400, "bad_json", f"request body is nested deeper than {MAX_JSON_DEPTH} levels")
        if not isinstance(body, dict):
            raise ApiError(422, "invalid_input", "request body must be a JSON object")
        return body

    def path_id(self, value: str, what: str) -> str:
        """An id from the path; one that cannot be an id (too long, control characters) is simply not found."""
        if len(value) > MAX_ID_LENGTH or any(ord(c) < 32 for c in value):
            raise ApiError(404, "not_found", f"{what} not found")
        return value

    def send(self, payload: Any, status: int = 200) -> None:  # noqa: ANN401
        self.set_status(status)
        self.finish(json.dumps(payload, default=str))

    def query_int(self, name: str, default: int, lo: int, hi: int) -> int:
        raw = self.get_query_argument(name, None, strip=False)
        if raw is None:
            return default
        try:
            if not raw.isascii() or not raw.lstrip("-").isdigit():
                raise ValueError(raw)
            value = int(raw)
        except ValueError:
            raise ApiError(422, "invalid_input", f"{name} must be an integer") from None
        if not lo <= value <= hi:
            raise ApiError(422, "invalid_input", f"{name} must be between {lo} and {hi}")
        return value

    def query_status(self) -> str | None:
        status = self.get_query_argument("status", None, strip=False)
        if status == "":  # ?status=&limit=20: no filter
            return None
        if status is not None and status not in JOB_STATUSES:
            raise ApiError(422, "invalid_input", f"status must be one of {', '.join(sorted(JOB_STATUSES))}")
        return status

    def write_error(self, status_code: int, **kwargs: Any) -> None:  # noqa: ANN401
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, tornado.web.HTTPError):
            code = HTTP_CODES.get(status_code, "http_error")
            message = exc.log_message or self._reason
        else:
            code, message = "internal_error", "internal server error"
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps({"error": {"code": code, "message": message}}))

    def _handle_request_exception(self, e: BaseException) -> None:
        if isinstance(e, tornado.web.HTTPError) and 400 <= e.status_code < 500:
            headers = {"Allow": ", ".join(self.allowed_methods())} if e.status_code == 405 else None
            message = e.log_message % e.args if e.log_message and e.args else (e.log_message or e.reason or "")
            e = ApiError(e.status_code, HTTP_CODES.get(e.status_code, "bad_request"), message or "bad request", headers)
        err = to_api_error(e)
        if err is None:
            log.exception("unhandled error on %s %s", self.request.method, self.request.path)
            super()._handle_request_exception(e)
            return
        if self._finished:
            return
        self.clear()
        self.set_default_headers()
        for k, v in err.headers.items():
            self.set_header(k, v)
        before = self._headers_before_clear  # HTTPHeaders: case-insensitive
        for h in ("X-RateLimit-Limit", "X-RateLimit-Remaining"):
            if before is not None and h in before:
                self.set_header(h, before[h])
        self.set_status(err.status)
        self.finish(json.dumps({"error": {"code": err.code, "message": err.message}}))

    def clear(self) -> None:
        self._headers_before_clear = getattr(self, "_headers", None)
        super().clear()


class HealthHandler(BaseHandler):
    auth_required = False

    async def get(self) -> None:
        health = await self.run(self.ctx.service.health)
        self.send(health, 200 if health["database"] == "ok" else 503)


class SystemsHandler(BaseHandler):
    async def get(self) -> None:
        self.send({"systems": await self.run(self.ctx.service.systems)})


def job_request(handler: BaseHandler, body: dict[str, Any]) -> tuple[str, dict[str, Any], str | None]:
    """(proof_system, options, circuit_id) of a request that creates proofs, checked as every such request is."""
    system = body.get("proof_system")
    if not isinstance(system, str) or not system:
        raise ApiError(422, "invalid_input", "proof_system is required (a string)")
    options = body.get("options", {})
    if not isinstance(options, dict):
        raise ApiError(422, "invalid_input", "options must be an object")
    retries = options.get("max_retries")
    if isinstance(retries, float) and retries.is_integer():  # JSON has one number type: 2.0 is the integer 2
        options = {**options, "max_retries": int(retries)}
    check_priority(handler.ctx.service.settings, handler.user, options)  # InputError: 422, as the dashboard says
    circuit_id = body.get("circuit_id")
    if circuit_id is not None and not isinstance(circuit_id, str):
        raise ApiError(422, "invalid_input", "circuit_id must be a string")
    return system, options, circuit_id


class ProofsHandler(BaseHandler):
    async def post(self) -> None:
        body = self.json_body()
        system, options, circuit_id = job_request(self, body)
        if "data" not in body:
            raise ApiError(422, "invalid_input", "data is required")
        out = await self.run(self.ctx.service.create_proof, self.user_id, system, body["data"], options, circuit_id)
        if "job_id" in out:
            self.set_header("Location", f"/api/v1/proofs/{out['proof_id']}")
            self.send({**out, "message": ASYNC_MESSAGE}, 202)
        else:
            self.set_header("Location", f"/api/v1/proofs/{out['id']}")
            self.send(out, 201)

    async def get(self) -> None:
        status = self.query_status()
        system = self.get_query_argument("proof_system", None) or None
        limit = self.query_int("limit", 20, 1, 100)
        offset = self.query_int("offset", 0, 0, 10**9)
        proofs = await self.run(lambda: self.ctx.service.proofs.list_proofs(self.scope, status, system, limit, offset))
        self.send({"proofs": proofs, "limit": limit, "offset": offset})


class ProofHandler(BaseHandler):
    async def get(self, proof_id: str) -> None:
        proof_id = self.path_id(proof_id, "proof")
        self.send(await self.run(self.ctx.service.proofs.get_proof, proof_id, self.scope))

    async def delete(self, proof_id: str) -> None:
        proof_id = self.path_id(proof_id, "proof")
        await self.run(self.ctx.service.proofs.delete_proof, proof_id, self.scope)
        self.set_status(204)
        self.clear_header("Content-Type")
        self.finish()


class JobsHandler(BaseHandler):
    async def get(self) -> None:
        status = self.query_status()
        system = self.get_query_argument("proof_system", None) or None
        limit = self.query_int("limit", 20, 1, 100)
        offset = self.query_int("offset", 0, 0, 10**9)
        jobs = await self.run(lambda: self.ctx.service.proofs.list_jobs(self.scope, status, system, limit, offset))
        self.send({"jobs": jobs, "limit": limit, "offset": offset})


class JobHandler(BaseHandler):
    async def get(self, job_id: str) -> None:
        job_id = self.path_id(job_id, "job")
        self.send(await self.run(self.ctx.service.proofs.get_job, job_id, self.scope))


class JobActionHandler(BaseHandler):
    async def post(self, job_id: str, action: str) -> None:
        job_id = self.path_id(job_id, "job")
        svc = self.ctx.service
        fn = svc.cancel_job if action == "cancel" else svc.retry_job
        self.send(await self.run(fn, job_id, self.scope))


class VerifyHandler(BaseHandler):
    """{"valid": true} or {"valid": false, "reason"}: a proof that cannot even be read is not valid; only an
    unknown proof system or a malformed request is an error."""

    async def post(self) -> None:
        body = self.json_body()
        system = body.get("proof_system")
        if not isinstance(system, str) or not system:
            raise ApiError(422, "invalid_input", "proof_system is required (a string)")
        if not isinstance(body.get("proof"), dict):
            raise ApiError(422, "invalid_input", "proof is required (an object)")
        systems.get(system)  # UnknownProofSystem -> 422
        try:
            valid, reason = await self.run(
                self.ctx.service.check, system, body["proof"], body.get("public_inputs"), body.get("verification_key")
            )
        except UnknownProofSystem:
            raise
        except InputError as exc:
            self.send({"valid": False, "reason": str(exc)})
            return
        except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
            log.warning("verifier of %s raised %s on a malformed proof", system, type(exc).__name__)
            self.send({"valid": False, "reason": f"malformed proof or inputs: {type(exc).__name__}"})
            return
        self.send({"valid": True} if valid else {"valid": False, "reason": reason})


class StatsHandler(BaseHandler):
    async def get(self) -> None:
        self.send(await self.run(self.ctx.service.stats))


class OpenApiHandler(BaseHandler):
    auth_required = False

    def get(self) -> None:
        if self.ctx.spec_json is None:
            from zapiki.api.openapi import spec

            self.ctx.spec_json = json.dumps(spec(self.ctx.service.settings, self.ctx.max_body_bytes))
        self.finish(self.ctx.spec_json)


class NotFoundHandler(BaseHandler):
    auth_required = False

    async def _check_headers(self) -> None:
        raise ApiError(404, "not_found", f"no such endpoint: {self.request.method} {self.request.path}")


class MeHandler(BaseHandler):
    """Who the key belongs to: {user_id, email, tier, key_id} (what clients need to label their rows)."""

    async def get(self) -> None:
        assert self.user is not None
        self.send({k: self.user[k] for k in ("user_id", "email", "tier", "key_id", "role") if k in self.user})


class BatchProofsHandler(BaseHandler):
    """Many jobs of one proof system in one request: {"proof_system", "items": [data, ...], "options",
    "circuit_id"} -> 202 {"jobs": [{"job_id", "proof_id"}, ...]} in the items' order. All or nothing: one bad
    item fails the whole batch (422 naming its index) and writes no job. Its own body limit
    (`api.max_batch_bytes`) and at most `api.max_batch_items` items."""

    def body_limit(self) -> int:
        return self.ctx.max_batch_bytes

    async def post(self) -> None:
        body = await self.run(self.json_body)  # up to max_batch_bytes: parsed off the event loop
        system, options, circuit_id = job_request(self, body)
        items = body.get("items")
        if not isinstance(items, list) or not items:
            raise ApiError(422, "invalid_input", "items is required (a non-empty array of inputs)")
        if len(items) > self.ctx.max_batch_items:
            raise ApiError(
                422, "invalid_input", f"items has {len(items)} entries; the limit is {self.ctx.max_batch_items}"
            )
        options = {**options, "async": True}
        ids = await self.run(self.ctx.service.submit_many, self.user_id, system, items, options, circuit_id)
        jobs = [{"job_id": job_id, "proof_id": proof_id, "status": "pending"} for proof_id, job_id in ids]
        self.send({"jobs": jobs, "count": len(jobs), "message": ASYNC_MESSAGE}, 202)


def _lookup_ids(handler: BaseHandler) -> list[str]:
    body = handler.json_body()
    ids = body.get("ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ApiError(422, "invalid_input", "ids is required (an array of id strings)")
    if len(ids) > LOOKUP_MAX_IDS:
        raise ApiError(422, "invalid_input", f"ids has {len(ids)} entries; the limit is {LOOKUP_MAX_IDS}")
    return [i for i in ids if len(i) <= MAX_ID_LENGTH]


class JobsLookupHandler(BaseHandler):
    """{"ids": [...]} -> {"jobs": [...]}: the jobs among these ids the key may see (its own; an admin key's: any
    user's), unknown ones left out."""

    async def post(self) -> None:
        ids = _lookup_ids(self)
        self.send({"jobs": await self.run(self.ctx.service.proofs.jobs_by_ids, ids, self.scope)})


class ProofsLookupHandler(BaseHandler):
    """{"ids": [...]} -> {"proofs": [...]}: the proofs among these ids the key may see (its own; an admin key's:
    any user's), unknown ones left out."""

    async def post(self) -> None:
        ids = _lookup_ids(self)
        self.send({"proofs": await self.run(self.ctx.service.proofs.proofs_by_ids, ids, self.scope)})
