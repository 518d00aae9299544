"""Who an API key belongs to, and whether it may act now: the one gate the REST API and the dashboard both pass.

A key is looked up by its hash and the answer cached for `cache_s` seconds (a revoked key may work that much
longer); every request or dashboard action counts against the key's per-minute rate limit (one `RateLimiter`
per server process, shared by the API and the dashboard); an admin key's *scope* is every user (None), a user
key's its own user id.

>>> from zapiki.service import ZapikiService
>>> svc = ZapikiService.open("sqlite://", dispatch=False)
>>> from zapiki.api.ratelimit import RateLimiter
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
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from zapiki.config import Settings
from zapiki.errors import InputError, ZapikiError

if TYPE_CHECKING:  # zapiki.api imports this module: its rate limiter is imported when a Gate is made
    from zapiki.api.ratelimit import Decision, RateLimiter
    from zapiki.service import ZapikiService

__all__ = ["Gate", "RateLimited", "check_priority", "scope"]

MAX_CACHED_KEYS = 10_000


class RateLimited(ZapikiError):
    """The key used up its requests for this minute; `decision` says its limit and when to try again."""

    code = "rate_limited"

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
        from zapiki.api.ratelimit import RateLimiter

        self.service = service
        self.limiter = limiter or RateLimiter(service.settings.rate_limits)
        self.cache_s = cache_s
        self._cache: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._lock = threading.Lock()

    def cached(self, raw: str) -> tuple[bool, dict[str, Any] | None]:
        """(True, who) when the key was looked up less than `cache_s` ago, else (False, None): answered without
        the database (the API asks on its event loop)."""
        hit = self._cache.get(raw)
        if hit is not None and hit[0] > time.monotonic():
            return True, hit[1]
        return False, None

    def authenticate(self, raw: str) -> dict[str, Any] | None:
        """{user_id, email, tier, key_id, role} of a valid key, else None (unknown, revoked or empty)."""
        found, who = self.cached(raw)
        if found:
            return who
        now = time.monotonic()
        who = self.service.keys.authenticate(raw)
        with self._lock:
            if len(self._cache) > MAX_CACHED_KEYS:
                self._cache.clear()
            self._cache[raw] = (now + self.cache_s, who)
        return who

    def admit(self, who: dict[str, Any]) -> Decision:
        """Count one request (or dashboard action) of `who`'s key; RateLimited past its tier's limit."""
        decision = self.limiter.hit(who["key_id"], who["tier"])
        if not decision.allowed:
            raise RateLimited(decision)
        return decision
