"""Per-key rate limits: a sliding one-minute window of request times per API key (in this process).

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

DEFAULT_LIMITS = {"free": 10, "pro": 1000, "enterprise": 1_000_000}
WINDOW_S = 60.0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after_s: int


class RateLimiter:
    def __init__(self, limits: dict[str, int] | None = None) -> None:
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
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
