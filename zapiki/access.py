"""Who an API key belongs to, and whether it may act now: the one gate the REST API and the dashboard both pass.

A key is looked up by its hash and the answer cached for `cache_s` seconds (a revoked key may work that much
longer); every request or dashboard action counts against the key's per-minute rate limit (one `RateLimiter`
per server process, shared by the API and the dashboard, a sliding one-minute window per key); an admin key's
*scope* is every user (None), a user key's its own user id.

>>> from zapiki.service import ZapikiService
>>> svc = ZapikiService.open("sqlite://", dispatch=False)
>>> gate = Gate(svc, RateLimiter({"free": 1}))
>>> _, raw = svc.keys.create_key("ada@example.com", tier="free")
>>> who = gate.authenticate(raw)
>>> who["role"], scope(who) == who["user_id"]
('user', True)
>>> gate.admit(who).remaining
0
>>> gate.admit(who)
Traceback (most recent call last):
...
zapiki.access.RateLimited: rate limit of 1 requests per minute exceeded
>>> check_priority(svc.settings, who, {"priority": "high"})
Traceback (most recent call last):
...
zapiki.errors.InputError: options.priority 'high' needs a key of tier pro or enterprise; this key is free
>>> svc.close()

The limiter alone, with its clock given:

>>> limiter = RateLimiter({"free": 2})
>>> [limiter.hit("k", "free", now=0.0).allowed for _ in range(3)]
[True, True, False]
>>> limiter.hit("k", "free", now=61.0).allowed
True
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cachetools import TTLCache

from zapiki.config import Settings
from zapiki.errors import InputError, ZapikiError

if TYPE_CHECKING:
    from zapiki.service import ZapikiService

__all__ = ["Decision", "Gate", "RateLimited", "RateLimiter", "check_priority", "scope"]

MAX_CACHED_KEYS = 10_000
WINDOW_S = 60.0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after_s: int


class RateLimiter:
    """Requests per key in the last minute, against the key's tier's limit (`api.rate_limits`; an unknown tier
    gets the free tier's)."""

    def __init__(self, limits: dict[str, int] | None = None) -> None:
        self.limits = {**Settings().rate_limits, **(limits or {})}
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key_id: str, tier: str, now: float | None = None) -> Decision:
        """Count one request of `key_id`; allowed while fewer than the tier's limit fell in the last minute."""
        now = time.monotonic() if now is None else now
        limit = self.limits.get(tier, self.limits["free"])
        with self._lock:
            window = self._hits.setdefault(key_id, deque())
            while window and window[0] <= now - WINDOW_S:
                window.popleft()
            if len(window) >= limit:
                retry = max(1, math.ceil(window[0] + WINDOW_S - now))
                return Decision(False, limit, 0, retry)
            window.append(now)
            return Decision(True, limit, limit - len(window), 0)


class RateLimited(ZapikiError):
    """The key used up its requests for this minute; `decision` says its limit and when to try again."""

    code = "rate_limited"
    http_status = 429

    def __init__(self, decision: Decision) -> None:
        super().__init__(f"rate limit of {decision.limit} requests per minute exceeded")
        self.decision = decision


def scope(who: dict[str, Any]) -> str | None:
    """The user whose rows `who` (an authenticated key) sees and acts on: its own, or None (every user's) for
    an admin key."""
    return None if who.get("role") == "admin" else who["user_id"]


def check_priority(settings: Settings, who: dict[str, Any] | None, options: dict[str, Any]) -> None:
    """InputError when `options` ask for the 'high' queue and `who`'s tier may not use it."""
    tiers = settings.high_priority_tiers
    if options.get("priority") == "high" and who is not None and who["tier"] not in tiers:
        raise InputError(f"options.priority 'high' needs a key of tier {' or '.join(tiers)}; this key is {who['tier']}")


class Gate:
    """Key lookups (cached) and per-key rate limits over one service; one per server process."""

    def __init__(self, service: ZapikiService, limiter: RateLimiter | None = None, cache_s: float = 2.0) -> None:
        self.service = service
        self.limiter = limiter or RateLimiter(service.settings.rate_limits)
        self.cache_s = cache_s
        self._cache: TTLCache[str, dict[str, Any] | None] = TTLCache(MAX_CACHED_KEYS, cache_s, timer=time.monotonic)
        self._lock = threading.Lock()

    def cached(self, raw: str) -> tuple[bool, dict[str, Any] | None]:
        """(True, who) when the key was looked up less than `cache_s` ago, else (False, None): answered without
        the database (the API asks on its event loop)."""
        with self._lock:
            if raw in self._cache:
                return True, self._cache[raw]
        return False, None

    def authenticate(self, raw: str) -> dict[str, Any] | None:
        """{user_id, email, tier, key_id, role} of a valid key, else None (unknown, revoked or empty)."""
        found, who = self.cached(raw)
        if found:
            return who
        who = self.service.keys.authenticate(raw)
        with self._lock:
            self._cache[raw] = who
        return who

    def admit(self, who: dict[str, Any]) -> Decision:
        """Count one request (or dashboard action) of `who`'s key; RateLimited past its tier's limit."""
        decision = self.limiter.hit(who["key_id"], who["tier"])
        if not decision.allowed:
            raise RateLimited(decision)
        return decision
