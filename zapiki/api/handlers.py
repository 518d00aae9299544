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
from pydantic import BaseModel, ValidationError
from tornado.ioloop import IOLoop

from zapiki import schema
from zapiki.access import Gate, RateLimited, RateLimiter, check_priority, scope
from zapiki.api import openapi
from zapiki.api.errors import ApiError, to_api_error
from zapiki.api.openapi import Operation, operation
from zapiki.schema import ASYNC_MESSAGE, MAX_JSON_DEPTH
from zapiki.service import ZapikiService

log = logging.getLogger("zapiki.api")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
DRAIN_MAX_BYTES = 16 << 20  # a refused request's body up to this size is read and dropped, not cut off
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
        self._limit = ctx.service.settings.max_body_bytes
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
        settings = self.ctx.service.settings
        return settings.max_upload_bytes if self.upload else settings.max_body_bytes

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
        if not schema.could_be_id(value):
            raise ApiError(404, "not_found", f"{what} not found")
        return value

    def operation(self) -> Operation:
        """The operation (zapiki.api.openapi) of the method answering this request."""
        return getattr(self, self.request.method.lower()).__operation__

    def valid(self, model: type[BaseModel], value: Any, prefix: str = "") -> Any:  # noqa: ANN401
        """`value` validated by `model`; a 422 naming the first field at fault."""
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            raise ApiError(422, "invalid_input", schema.describe(exc, model, prefix)) from None

    def parsed_body(self, body: dict[str, Any] | None = None) -> Any:  # noqa: ANN401
        """The JSON body (or `body`), validated by the model this operation declares."""
        model = self.operation().request_model(self.ctx.service.settings)
        assert model is not None
        return self.valid(model, self.json_body() if body is None else body)

    def parsed_query(self) -> Any:  # noqa: ANN401
        """The query string, validated by the model this operation declares."""
        model = self.operation().query
        assert model is not None
        args = {k: self.get_query_argument(k, strip=False) for k in self.request.query_arguments}
        return self.valid(model, {k: v for k, v in args.items() if k in model.model_fields})

    def send(self, payload: Any, status: int = 200) -> None:  # noqa: ANN401
        """Answer `payload`, serialised by the model this operation declares for `status`."""
        model = self.operation().answers[status][0]
        self.set_status(status)
        if model is None:
            self.clear_header("Content-Type")
            self.finish()
            return
        body = schema.dump(model, payload) if model is not dict else payload
        self.finish(json.dumps(body))

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

    @operation(
        id="health",
        summary="Database and cluster reachability, worker count",
        public=True,
        answers={
            200: (schema.Health, "Database reachable (the cluster may not be: status degraded)"),
            503: (schema.Health, "Database unreachable"),
        },
    )
    async def get(self) -> None:
        health = await self.run(self.ctx.service.health)
        self.send(health, 200 if health["database"] == "ok" else 503)


class OpenApiHandler(BaseHandler):
    auth_required = False

    @operation(id="openapi", summary="This document", public=True, answers={200: (dict, "")})
    def get(self) -> None:
        if self.ctx.spec_json is None:
            from zapiki.api import route_table
            from zapiki.api.openapi import document

            self.ctx.spec_json = json.dumps(document(route_table(), self.ctx.service.settings))
        self.finish(self.ctx.spec_json)


class NotFoundHandler(BaseHandler):
    auth_required = False

    async def _check_headers(self) -> None:
        raise ApiError(404, "not_found", f"no such endpoint: {self.request.method} {self.request.path}")


class SystemsHandler(BaseHandler):
    @operation(
        id="listSystems",
        summary="Registered proof systems and their capabilities",
        answers={200: (schema.Systems, "Systems")},
    )
    async def get(self) -> None:
        self.send({"systems": await self.run(self.ctx.service.systems)})


class MeHandler(BaseHandler):
    @operation(
        id="getMe", summary="The key's user: user_id, email, tier, key_id", answers={200: (schema.Me, "The key's user")}
    )
    async def get(self) -> None:
        self.send(self.user)


class StatsHandler(BaseHandler):
    @operation(
        id="getStats",
        summary="Queues, in flight, retrying, failed, processing times, success rate, workers",
        answers={200: (schema.Stats, "Stats")},
    )
    async def get(self) -> None:
        self.send(await self.run(self.ctx.service.stats))


def _open_proof_links(id_field: str, job: bool) -> dict[str, Any]:
    def link(op: str, field: str) -> dict[str, Any]:
        return {"operationId": op, "parameters": {"id": f"$response.body#/{field}"}}

    links = {"GetProof": link("getProof", id_field)}
    if job:
        links |= {"GetJob": link("getJob", "job_id"), "CancelJob": link("cancelJob", "job_id")}
        links |= {"RetryJob": link("retryJob", "job_id")}
    return links | {"DeleteProof": link("deleteProof", id_field)}


def _tier_checked(handler: BaseHandler, options: dict[str, Any]) -> dict[str, Any]:
    """The options of a request that creates proofs, checked for the key's tier (422, as the dashboard says)."""
    check_priority(handler.ctx.service.settings, handler.user, options)
    return options


class ProofsHandler(BaseHandler):
    @operation(
        id="createProof",
        summary="Create a proof (sync systems answer 201 with it, async ones 202 with a job)",
        body=schema.ProofRequest,
        body_schema=openapi.proof_request,
        answers={201: (schema.Proof, "Proof generated"), 202: (schema.Accepted, "Job created")},
        errors=(404, 413, 415, 422),
        links={201: _open_proof_links("id", job=False), 202: _open_proof_links("proof_id", job=True)},
    )
    async def post(self) -> None:
        req = self.parsed_body()
        options = _tier_checked(self, req.options)
        svc = self.ctx.service
        if req.template is not None:
            out = await self.run(
                lambda: svc.prove_template(
                    self.user_id, req.template, req.data, options, req.circuit_id, system=req.proof_system
                )
            )
        else:
            out = await self.run(svc.create_proof, self.user_id, req.proof_system, req.data, options, req.circuit_id)
        if "job_id" in out:
            self.set_header("Location", f"/api/v1/proofs/{out['proof_id']}")
            self.send({**out, "message": ASYNC_MESSAGE}, 202)
        else:
            self.set_header("Location", f"/api/v1/proofs/{out['id']}")
            self.send(out, 201)

    @operation(
        id="listProofs",
        summary="List your proofs",
        query=schema.ListQuery,
        answers={200: (schema.ProofPage, "Proofs")},
        errors=(422,),
    )
    async def get(self) -> None:
        q = self.parsed_query()
        status, system = q.status or None, q.proof_system or None
        proofs = await self.run(
            lambda: self.ctx.service.proofs.list_proofs(self.scope, status, system, q.limit, q.offset)
        )
        self.send({"proofs": proofs, "limit": q.limit, "offset": q.offset})


class BatchProofsHandler(BaseHandler):
    """Many jobs of one proof system in one request. All or nothing: one bad item fails the whole batch (422
    naming its index) and writes no job. Its own body limit (`api.max_batch_bytes`)."""

    def body_limit(self) -> int:
        return self.ctx.service.settings.max_batch_bytes

    @operation(
        id="createProofBatch",
        summary="Create one job per item, all or none (one bad item: 422 naming its index). Its own body limit: "
        "{s.max_batch_bytes} bytes; at most {s.max_batch_items} items",
        body=lambda settings: schema.batch_request(settings.max_batch_items),
        body_schema=openapi.batch_request,
        answers={202: (schema.BatchAccepted, "Jobs created")},
        errors=(404, 413, 415, 422),
    )
    async def post(self) -> None:
        req = self.parsed_body(await self.run(self.json_body))  # up to max_batch_bytes: parsed off the event loop
        options = _tier_checked(self, req.options)  # every item is a job, whatever options.async says
        svc = self.ctx.service
        ids = await self.run(svc.submit_many, self.user_id, req.proof_system, req.items, options, req.circuit_id)
        jobs = [{"job_id": job_id, "proof_id": proof_id, "status": "pending"} for proof_id, job_id in ids]
        self.send({"jobs": jobs, "count": len(jobs), "message": ASYNC_MESSAGE}, 202)


class ProofsLookupHandler(BaseHandler):
    @operation(
        id="lookupProofs",
        summary="Your proofs among these ids (unknown ids are left out)",
        body=schema.IdsRequest,
        answers={200: (schema.FoundProofs, "Proofs")},
        errors=(413, 415, 422),
    )
    async def post(self) -> None:
        ids = [i for i in self.parsed_body().ids if schema.could_be_id(i)]
        self.send({"proofs": await self.run(self.ctx.service.proofs.proofs_by_ids, ids, self.scope)})


class ProofHandler(BaseHandler):
    @operation(id="getProof", summary="One proof", answers={200: (schema.Proof, "The proof")}, errors=(404,))
    async def get(self, proof_id: str) -> None:
        proof_id = self.path_id(proof_id, "proof")
        self.send(await self.run(self.ctx.service.proofs.get_proof, proof_id, self.scope))

    @operation(
        id="deleteProof", summary="Delete a proof and its job", answers={204: (None, "Deleted")}, errors=(404, 409)
    )
    async def delete(self, proof_id: str) -> None:
        proof_id = self.path_id(proof_id, "proof")
        await self.run(self.ctx.service.proofs.delete_proof, proof_id, self.scope)
        self.send(None, 204)


class JobsHandler(BaseHandler):
    @operation(
        id="listJobs",
        summary="List your jobs",
        query=schema.ListQuery,
        answers={200: (schema.JobPage, "Jobs")},
        errors=(422,),
    )
    async def get(self) -> None:
        q = self.parsed_query()
        status, system = q.status or None, q.proof_system or None
        jobs = await self.run(lambda: self.ctx.service.proofs.list_jobs(self.scope, status, system, q.limit, q.offset))
        self.send({"jobs": jobs, "limit": q.limit, "offset": q.offset})


class JobsLookupHandler(BaseHandler):
    @operation(
        id="lookupJobs",
        summary="Your jobs among these ids (unknown ids are left out): a batch's progress in one call",
        body=schema.IdsRequest,
        answers={200: (schema.FoundJobs, "Jobs")},
        errors=(413, 415, 422),
    )
    async def post(self) -> None:
        ids = [i for i in self.parsed_body().ids if schema.could_be_id(i)]
        self.send({"jobs": await self.run(self.ctx.service.proofs.jobs_by_ids, ids, self.scope)})


class JobHandler(BaseHandler):
    @operation(id="getJob", summary="One job", answers={200: (schema.Job, "The job")}, errors=(404,))
    async def get(self, job_id: str) -> None:
        job_id = self.path_id(job_id, "job")
        self.send(await self.run(self.ctx.service.proofs.get_job, job_id, self.scope))


class CancelJobHandler(BaseHandler):
    @operation(
        id="cancelJob",
        summary="Cancel a pending or retrying job",
        answers={200: (schema.Job, "Cancelled")},
        errors=(404, 409),
    )
    async def post(self, job_id: str) -> None:
        job_id = self.path_id(job_id, "job")
        self.send(await self.run(self.ctx.service.cancel_job, job_id, self.scope))


class RetryJobHandler(BaseHandler):
    @operation(
        id="retryJob",
        summary="Run a failed or cancelled job again",
        answers={200: (schema.Job, "Pending again")},
        errors=(404, 409),
    )
    async def post(self, job_id: str) -> None:
        job_id = self.path_id(job_id, "job")
        self.send(await self.run(self.ctx.service.retry_job, job_id, self.scope))


class VerifyHandler(BaseHandler):
    @operation(
        id="verifyProof",
        summary="Verify a proof",
        body=schema.VerifyRequest,
        body_schema=openapi.verify_request,
        answers={200: (schema.Verdict, "Verdict (a malformed proof is not valid)")},
        errors=(404, 413, 415, 422),
    )
    async def post(self) -> None:
        req = self.parsed_body()
        svc = self.ctx.service
        valid, reason = await self.run(
            svc.check, req.proof_system, req.proof, req.public_inputs, req.verification_key, req.template_id
        )
        self.send({"valid": True} if valid else {"valid": False, "reason": reason})
