"""The REST API (`/api/v1/...` and `/health`), served by Tornado handlers beside the Panel dashboard.

One route table (`route_table`) names each path and its handler; each handler method declares its operation
(`zapiki.api.openapi.operation`), from which the OpenAPI document is generated.

>>> [path for path, _ in route_table()][:3]
['/health', '/api/v1/openapi.json', '/api/v1/systems']
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from zapiki.access import RateLimiter
from zapiki.api import circuits as c
from zapiki.api import handlers as h
from zapiki.api import templates as t
from zapiki.config import Settings
from zapiki.service import ZapikiService


def route_table() -> list[tuple[str, type]]:
    """(path, handler class) of every endpoint, in matching order; `{id}` is a path parameter."""
    return [
        ("/health", h.HealthHandler),
        ("/api/v1/openapi.json", h.OpenApiHandler),
        ("/api/v1/systems", h.SystemsHandler),
        ("/api/v1/me", h.MeHandler),
        ("/api/v1/proofs", h.ProofsHandler),
        ("/api/v1/proofs/batch", h.BatchProofsHandler),
        ("/api/v1/proofs/lookup", h.ProofsLookupHandler),
        ("/api/v1/proofs/{id}", h.ProofHandler),
        ("/api/v1/jobs", h.JobsHandler),
        ("/api/v1/jobs/lookup", h.JobsLookupHandler),
        ("/api/v1/jobs/{id}", h.JobHandler),
        ("/api/v1/jobs/{id}/cancel", h.CancelJobHandler),
        ("/api/v1/jobs/{id}/retry", h.RetryJobHandler),
        ("/api/v1/verify", h.VerifyHandler),
        ("/api/v1/stats", h.StatsHandler),
        ("/api/v1/circuits", c.CircuitsHandler),
        ("/api/v1/circuits/{id}", c.CircuitHandler),
        ("/api/v1/circuits/{id}/verifier.sol", t.CircuitVerifierHandler),
        ("/api/v1/templates", t.TemplatesHandler),
        ("/api/v1/templates/categories", t.TemplateCategoriesHandler),
        ("/api/v1/templates/{id}", t.TemplateHandler),
        ("/api/v1/templates/{id}/verifier.sol", t.TemplateVerifierHandler),
        *t.template_routes(),  # one per template: each body's schema is its template's
    ]


def api_context(service: ZapikiService, settings: Settings | None = None) -> h.ApiContext:
    """The context the API's handlers share: service, key gate (lookups and rate limiter), thread pool.
    `ctx.gate` is handed to the dashboard, so that its actions count against the same per-key limits."""
    settings = settings or service.settings
    return h.ApiContext(
        service=service,
        limiter=RateLimiter(settings.rate_limits),
        executor=ThreadPoolExecutor(max_workers=16, thread_name_prefix="zapiki-api"),
    )


def routes(
    service: ZapikiService, settings: Settings | None = None, ctx: h.ApiContext | None = None
) -> list[tuple[str, Any, dict[str, Any]]]:
    """Tornado URL patterns of the API, all sharing one context (`ctx`, or a new `api_context`); any other
    /api/v1 path is a JSON 404; /metrics is the Prometheus text format (`zapiki.api.metrics`)."""
    from zapiki.api.metrics import Metrics, MetricsHandler

    ctx = ctx or api_context(service, settings)
    kw = {"ctx": ctx}
    table = [(re.sub(r"{\w+}", "([^/]+)", path), handler) for path, handler in route_table()]
    table.append((r"/api/v1/.*", h.NotFoundHandler))
    out: list[tuple[str, Any, dict[str, Any]]] = [(pattern, handler, kw) for pattern, handler in table]
    # Not in route_table(): the OpenAPI document describes the JSON API, and /metrics answers text/plain to
    # Prometheus (no key, counts only).
    out.append((r"/metrics", MetricsHandler, {"ctx": ctx, "metrics": Metrics(service)}))
    return out
