"""The REST API (`/api/v1/...` and `/health`), served by Tornado handlers beside the Panel dashboard.

>>> # ctx = api_context(service)   # one per server process: its Gate (keys, rate limits) is the dashboard's too
>>> # pn.serve(apps, extra_patterns=routes(service, settings, ctx))
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from zapiki.api import circuits as c
from zapiki.api import handlers as h
from zapiki.api.ratelimit import RateLimiter
from zapiki.config import Settings
from zapiki.service import ZapikiService

ID = r"([^/]+)"


def api_context(service: ZapikiService, settings: Settings | None = None) -> h.ApiContext:
    """The context the API's handlers share: service, key gate (lookups and rate limiter), thread pool, limits.
    `ctx.gate` is handed to the dashboard, so that its actions count against the same per-key limits."""
    settings = settings or service.settings
    return h.ApiContext(
        service=service,
        limiter=RateLimiter(settings.rate_limits),
        executor=ThreadPoolExecutor(max_workers=16, thread_name_prefix="zapiki-api"),
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        max_batch_bytes=settings.max_batch_bytes,
        max_batch_items=settings.max_batch_items,
    )


def routes(
    service: ZapikiService, settings: Settings | None = None, ctx: h.ApiContext | None = None
) -> list[tuple[str, Any, dict[str, Any]]]:
    """Tornado URL patterns of the API, all sharing one context (`ctx`, or a new `api_context`)."""
    ctx = ctx or api_context(service, settings)
    kw = {"ctx": ctx}
    table: list[tuple[str, Any]] = [
        (r"/health", h.HealthHandler),
        (r"/api/v1/openapi.json", h.OpenApiHandler),
        (r"/api/v1/systems", h.SystemsHandler),
        (r"/api/v1/me", h.MeHandler),
        (r"/api/v1/proofs", h.ProofsHandler),
        (r"/api/v1/proofs/batch", h.BatchProofsHandler),
        (r"/api/v1/proofs/lookup", h.ProofsLookupHandler),
        (rf"/api/v1/proofs/{ID}", h.ProofHandler),
        (r"/api/v1/jobs", h.JobsHandler),
        (r"/api/v1/jobs/lookup", h.JobsLookupHandler),
        (rf"/api/v1/jobs/{ID}", h.JobHandler),
        (rf"/api/v1/jobs/{ID}/(cancel|retry)", h.JobActionHandler),
        (r"/api/v1/verify", h.VerifyHandler),
        (r"/api/v1/stats", h.StatsHandler),
        (r"/api/v1/circuits", c.CircuitsHandler),
        (rf"/api/v1/circuits/{ID}", c.CircuitHandler),
        (r"/api/v1/.*", h.NotFoundHandler),
    ]
    return [(pattern, handler, kw) for pattern, handler in table]
