"""The REST API (`/api/v1/...` and `/health`), served by Tornado handlers beside the Panel dashboard.

>>> # pn.serve(apps, extra_patterns=routes(service, settings))
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


def routes(service: ZapikiService, settings: Settings | None = None) -> list[tuple[str, Any, dict[str, Any]]]:
    """Tornado URL patterns of the API, all sharing one context (service, rate limiter, thread pool)."""
    settings = settings or service.settings
    ctx = h.ApiContext(
        service=service,
        limiter=RateLimiter(settings.rate_limits),
        executor=ThreadPoolExecutor(max_workers=16, thread_name_prefix="zapiki-api"),
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    kw = {"ctx": ctx}
    table: list[tuple[str, Any]] = [
        (r"/health", h.HealthHandler),
        (r"/api/v1/openapi.json", h.OpenApiHandler),
        (r"/api/v1/systems", h.SystemsHandler),
        (r"/api/v1/proofs", h.ProofsHandler),
        (rf"/api/v1/proofs/{ID}", h.ProofHandler),
        (r"/api/v1/jobs", h.JobsHandler),
        (rf"/api/v1/jobs/{ID}", h.JobHandler),
        (rf"/api/v1/jobs/{ID}/(cancel|retry)", h.JobActionHandler),
        (r"/api/v1/verify", h.VerifyHandler),
        (r"/api/v1/stats", h.StatsHandler),
        (r"/api/v1/circuits", c.CircuitsHandler),
        (rf"/api/v1/circuits/{ID}", c.CircuitHandler),
        (r"/api/v1/.*", h.NotFoundHandler),
    ]
    return [(pattern, handler, kw) for pattern, handler in table]
