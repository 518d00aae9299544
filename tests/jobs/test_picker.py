"""Queue choice follows asynq: weighted 6/3/1 by default, strict as a switch, never starving a queue."""

import random
from collections import Counter

from zapiki.jobs.picker import pick_queue, plan_picks

WEIGHTS = {"high": 6, "normal": 3, "low": 1}


def test_weighted_shares_when_all_queues_are_full():
    rng = random.Random(7)
    picks = Counter(pick_queue({"high": 1, "normal": 1, "low": 1}, WEIGHTS, rng=rng) for _ in range(20_000))
    assert abs(picks["high"] / 20_000 - 0.6) < 0.02
    assert abs(picks["normal"] / 20_000 - 0.3) < 0.02
    assert abs(picks["low"] / 20_000 - 0.1) < 0.02


def test_weights_renormalise_over_the_non_empty_queues():
    rng = random.Random(8)
    picks = Counter(pick_queue({"high": 0, "normal": 1, "low": 1}, WEIGHTS, rng=rng) for _ in range(20_000))
    assert abs(picks["normal"] / 20_000 - 0.75) < 0.02
    assert picks["high"] == 0


def test_low_is_never_starved_by_a_long_high_backlog():
    picks = plan_picks({"high": 10_000, "normal": 0, "low": 5}, WEIGHTS, slots=300, rng=random.Random(1))
    assert picks.count("low") == 5  # all low jobs were served within the first 300 picks


def test_strict_mode_serves_the_highest_non_empty_queue():
    assert plan_picks({"high": 2, "normal": 2, "low": 1}, WEIGHTS, slots=5, strict=True) == [
        "high",
        "high",
        "normal",
        "normal",
        "low",
    ]


def test_empty_backlog_picks_nothing():
    assert pick_queue({}, WEIGHTS) is None
    assert plan_picks({"high": 1}, WEIGHTS, slots=3) == ["high"]
