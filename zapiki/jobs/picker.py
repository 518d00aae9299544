"""Which queue to serve next: asynq's weighted (or strict) priority, as a pure function.

Weighted: each queue name is repeated `weight` times, the list is shuffled, and the first non-empty queue in
that order is served; with 6/3/1 and all queues non-empty that gives high 6/10, normal 3/10, low 1/10, and a
non-empty queue with a positive weight is never starved. Strict: the highest non-empty queue, always.

>>> import random
>>> pick_queue({"high": 0, "normal": 2, "low": 5}, {"high": 6, "normal": 3, "low": 1}, strict=True)
'normal'
>>> pick_queue({"high": 0, "normal": 0, "low": 0}, {"high": 6, "normal": 3, "low": 1}) is None
True
"""

from __future__ import annotations

import random
from collections.abc import Mapping

ORDER = ("high", "normal", "low")


def pick_queue(
    backlog: Mapping[str, int], weights: Mapping[str, int], strict: bool = False, rng: random.Random | None = None
) -> str | None:
    """The queue to take the next job from, given how many jobs wait in each; None when all are empty."""
    non_empty = [q for q in ORDER if backlog.get(q, 0) > 0]
    if not non_empty:
        return None
    if strict:
        return non_empty[0]
    # Equivalent to asynq's shuffle-and-take-first: a queue wins with probability weight / total weight.
    total = sum(max(weights.get(q, 0), 0) for q in non_empty)
    if total <= 0:
        return non_empty[0]
    x = (rng or random).random() * total
    for q in non_empty:
        x -= max(weights.get(q, 0), 0)
        if x < 0:
            return q
    return non_empty[-1]


def plan_picks(
    backlog: Mapping[str, int],
    weights: Mapping[str, int],
    slots: int,
    strict: bool = False,
    rng: random.Random | None = None,
) -> list[str]:
    """The queues to serve for the next `slots` free slots, each pick taking one job off its queue."""
    left = dict(backlog)
    picks: list[str] = []
    for _ in range(slots):
        q = pick_queue(left, weights, strict, rng)
        if q is None:
            break
        picks.append(q)
        left[q] -= 1
    return picks
