"""Tornado handlers of the REST API. Each runs its database work on a thread pool (the event loop never
waits on the database), maps errors to JSON bodies with 4xx codes, and checks key, rate limit, body size and
content type before anything else."""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import tornado.web
from tornado.ioloop import IOLoop

from zapiki.api.errors import ApiError, to_api_error
from zapiki.api.ratelimit import RateLimiter
from zapiki.service import ZapikiService
from zapiki.store.models import JobStatus

log = logging.getLogger("zapiki.api")
JOB_STATUSES = {s.value for s in JobStatus}
ASYNC_MESSAGE = "Proof generation started. Poll /api/v1/proofs/{id} for status."


@dataclass
class ApiContext:
    service: ZapikiService
    limiter: RateLimiter
    executor: ThreadPoolExecutor
    max_body_bytes: int = 1 << 20
    max_upload_bytes: int = 256 << 20
    auth_cache_s: float = 2.0
    _auth_cache: dict[str, tuple[float, dict[str, Any] | None]] = field(default_factory=dict)

    def authenticate(self, raw: str) -> dict[str, Any] | None:
        now = time.monotonic()
        hit = self._auth_cache.get(raw)
        if hit is not None and hit[0] > now:
            return hit[1]
        who = self.service.keys.authenticate(raw)
        if len(self._auth_cache) > 10_000:
            self._auth_cache.clear()
        self._auth_cache[raw] = (now + self.auth_cache_s, who)
        return who


class BaseHandler(tornado.web.RequestHandler):
    auth_required = True
    upload = False  # multipart uploads get the larger body limit and no JSON content-type check

    def initialize(self, ctx: ApiContext) -> None:
        self.ctx = ctx
        self.user: dict[str, Any] | None = None

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")

    async def prepare(self) -> None:
        try:
            length = int(self.request.headers.get("Content-Length") or len(self.request.body or b""))
        except ValueError:
            raise ApiError(400, "bad_request", "invalid Content-Length header") from None
        limit = self.ctx.max_upload_bytes if self.upload else self.ctx.max_body_bytes
        if length > limit:
            raise ApiError(413, "payload_too_large", f"request body is {length} bytes; the limit is {limit}")
        if self.request.method in ("POST", "PUT", "PATCH") and self.request.body and not self.upload:
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
        who = await self.run(self.ctx.authenticate, raw)
        if who is None:
            raise ApiError(401, "unauthorized", "invalid or revoked API key", {"WWW-Authenticate": "Bearer"})
        decision = self.ctx.limiter.hit(who["key_id"], who["tier"])
        self.set_header("X-RateLimit-Limit", str(decision.limit))
        self.set_header("X-RateLimit-Remaining", str(decision.remaining))
        if not decision.allowed:
            raise ApiError(
                429,
                "rate_limited",
                f"rate limit of {decision.limit} requests per minute exceeded",
                {"Retry-After": str(decision.retry_after_s)},
            )
        self.user = who

    @property
    def user_id(self) -> str:
        assert self.user is not None
        return self.user["user_id"]

    async def run(self, fn: Any, *args: Any) -> Any:  # noqa: ANN401
        """Run blocking work (the database) on the pool."""
        return await IOLoop.current().run_in_executor(self.ctx.executor, fn, *args)

    def json_body(self) -> dict[str, Any]:
        try:
            body = json.loads(self.request.body or b"")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, "bad_json", f"request body is not valid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise ApiError(422, "invalid_input", "request body must be a JSON object")
        return body

    def send(self, payload: Any, status: int = 200) -> None:  # noqa: ANN401
        self.set_status(status)
        self.finish(json.dumps(payload, default=str))

    def query_int(self, name: str, default: int, lo: int, hi: int) -> int:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(422, "invalid_input", f"{name} must be an integer") from None
        if not lo <= value <= hi:
            raise ApiError(422, "invalid_input", f"{name} must be between {lo} and {hi}")
        return value

    def query_status(self) -> str | None:
        status = self.get_query_argument("status", None) or None
        if status is not None and status not in JOB_STATUSES:
            raise ApiError(422, "invalid_input", f"status must be one of {', '.join(sorted(JOB_STATUSES))}")
        return status

    def write_error(self, status_code: int, **kwargs: Any) -> None:  # noqa: ANN401
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, tornado.web.HTTPError):
            code = {404: "not_found", 405: "method_not_allowed"}.get(status_code, "http_error")
            message = exc.log_message or self._reason
        else:
            code, message = "internal_error", "internal server error"
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps({"error": {"code": code, "message": message}}))

    def _handle_request_exception(self, e: BaseException) -> None:
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
        if self.user is not None or err.status == 429:
            for h in ("X-RateLimit-Limit", "X-RateLimit-Remaining"):
                if h in self._headers_before_clear:
                    self.set_header(h, self._headers_before_clear[h])
        self.set_status(err.status)
        self.finish(json.dumps({"error": {"code": err.code, "message": err.message}}))

    def clear(self) -> None:
        self._headers_before_clear = dict(getattr(self, "_headers", {}) or {})
        super().clear()


class HealthHandler(BaseHandler):
    auth_required = False

    async def get(self) -> None:
        health = await self.run(self.ctx.service.health)
        self.send(health, 200 if health["database"] == "ok" else 503)


class SystemsHandler(BaseHandler):
    async def get(self) -> None:
        self.send({"systems": await self.run(self.ctx.service.systems)})


class ProofsHandler(BaseHandler):
    async def post(self) -> None:
        body = self.json_body()
        system = body.get("proof_system")
        if not isinstance(system, str) or not system:
            raise ApiError(422, "invalid_input", "proof_system is required (a string)")
        if "data" not in body:
            raise ApiError(422, "invalid_input", "data is required")
        options = body.get("options") or {}
        if not isinstance(options, dict):
            raise ApiError(422, "invalid_input", "options must be an object")
        circuit_id = body.get("circuit_id")
        if circuit_id is not None and not isinstance(circuit_id, str):
            raise ApiError(422, "invalid_input", "circuit_id must be a string")
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
        proofs = await self.run(
            lambda: self.ctx.service.proofs.list_proofs(self.user_id, status, system, limit, offset)
        )
        self.send({"proofs": proofs, "limit": limit, "offset": offset})


class ProofHandler(BaseHandler):
    async def get(self, proof_id: str) -> None:
        self.send(await self.run(self.ctx.service.proofs.get_proof, proof_id, self.user_id))

    async def delete(self, proof_id: str) -> None:
        await self.run(self.ctx.service.proofs.delete_proof, proof_id, self.user_id)
        self.set_status(204)
        self.clear_header("Content-Type")
        self.finish()


class JobsHandler(BaseHandler):
    async def get(self) -> None:
        status = self.query_status()
        system = self.get_query_argument("proof_system", None) or None
        limit = self.query_int("limit", 20, 1, 100)
        offset = self.query_int("offset", 0, 0, 10**9)
        jobs = await self.run(lambda: self.ctx.service.proofs.list_jobs(self.user_id, status, system, limit, offset))
        self.send({"jobs": jobs, "limit": limit, "offset": offset})


class JobHandler(BaseHandler):
    async def get(self, job_id: str) -> None:
        self.send(await self.run(self.ctx.service.proofs.get_job, job_id, self.user_id))


class JobActionHandler(BaseHandler):
    async def post(self, job_id: str, action: str) -> None:
        repo = self.ctx.service.proofs
        fn = repo.cancel_job if action == "cancel" else repo.retry_job
        job = await self.run(fn, job_id, self.user_id)
        if action == "retry" and self.ctx.service.dispatcher is not None:
            self.ctx.service.dispatcher.wake()
        self.send(job)


class VerifyHandler(BaseHandler):
    async def post(self) -> None:
        body = self.json_body()
        system = body.get("proof_system")
        if not isinstance(system, str) or not system:
            raise ApiError(422, "invalid_input", "proof_system is required (a string)")
        if not isinstance(body.get("proof"), dict):
            raise ApiError(422, "invalid_input", "proof is required (an object)")
        valid = await self.run(
            self.ctx.service.verify, system, body["proof"], body.get("public_inputs"), body.get("verification_key")
        )
        self.send({"valid": bool(valid)})


class StatsHandler(BaseHandler):
    async def get(self) -> None:
        self.send(await self.run(self.ctx.service.stats))


class OpenApiHandler(BaseHandler):
    auth_required = False

    def get(self) -> None:
        from zapiki.api.openapi import spec

        self.send(spec())


class NotFoundHandler(BaseHandler):
    auth_required = False

    def prepare(self) -> None:  # type: ignore[override]
        raise ApiError(404, "not_found", f"no such endpoint: {self.request.method} {self.request.path}")
