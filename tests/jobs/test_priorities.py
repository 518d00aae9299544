"""Queue priorities: the weighted rule itself (zapiki.jobs.picker) over many seeds, and the dispatcher following
it under saturation (one worker thread, no in-flight buffer, equal backlogs in the three queues), where
Settings.random_seed makes the order of service reproducible."""

import random
from collections import Counter
from datetime import datetime

import pytest

from zapiki.jobs.picker import pick_queue, plan_picks

WEIGHTS = {"high": 6, "normal": 3, "low": 1}
SEEDS = range(40)


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _shares(picks) -> dict[str, float]:
    counts = Counter(picks)
    return {q: counts[q] / len(picks) for q in ("high", "normal", "low")}


@pytest.mark.parametrize(
    "backlog, expected",
    [
        ({"high": 1, "normal": 1, "low": 1}, {"high": 0.6, "normal": 0.3, "low": 0.1}),
        ({"high": 0, "normal": 1, "low": 1}, {"high": 0.0, "normal": 0.75, "low": 0.25}),
        ({"high": 1, "normal": 0, "low": 1}, {"high": 6 / 7, "normal": 0.0, "low": 1 / 7}),
        ({"high": 1, "normal": 1, "low": 0}, {"high": 2 / 3, "normal": 1 / 3, "low": 0.0}),
        ({"high": 0, "normal": 0, "low": 1}, {"high": 0.0, "normal": 0.0, "low": 1.0}),
    ],
    ids=["all", "no-high", "no-normal", "no-low", "only-low"],
)
def test_weighted_shares_over_many_seeds(backlog, expected):
    """Each seed's 2,000 choices are within 0.05 of weight / total weight of the non-empty queues (about 4.5
    standard deviations at most), and all 80,000 together within 0.01."""
    pooled = []
    for seed in SEEDS:
        rng = random.Random(seed)
        picks = [pick_queue(backlog, WEIGHTS, rng=rng) for _ in range(2000)]
        shares = _shares(picks)
        for q, share in expected.items():
            assert abs(shares[q] - share) <= 0.05, (seed, shares)
        pooled += picks
    shares = _shares(pooled)
    for q, share in expected.items():
        assert abs(shares[q] - share) <= 0.01, shares


def test_low_is_served_early_whatever_the_seed():
    """Behind long high and normal backlogs, five low jobs are all served within the first 200 picks (about 20
    are expected: a low job waits, it is never starved), for every seed."""
    for seed in SEEDS:
        picks = plan_picks({"high": 10_000, "normal": 10_000, "low": 5}, WEIGHTS, slots=200, rng=random.Random(seed))
        assert picks.count("low") == 5, seed


def test_strict_choice_ignores_the_weights_and_the_random_source():
    for seed in SEEDS:
        rng = random.Random(seed)
        for backlog, first in [
            ({"high": 1, "normal": 1, "low": 1}, "high"),
            ({"high": 0, "normal": 1, "low": 1}, "normal"),
            ({"high": 0, "normal": 0, "low": 1}, "low"),
        ]:
            assert pick_queue(backlog, {"high": 1, "normal": 9, "low": 90}, strict=True, rng=rng) == first


def _served(url, make_service, until, n_per_queue, **overrides) -> list[dict]:
    """The jobs in the order the dispatcher served them, once all 3 x n_per_queue completed (one slot on the
    cluster, so each job completes before the next is chosen)."""
    from zapiki.service import ZapikiService

    writer = ZapikiService.open(url, dispatch=False)  # the backlog is in the database before dispatching starts
    for queue in ("low", "normal", "high"):  # low submitted first: order of arrival must not matter
        writer.submit_many(
            writer.default_user_id, "diagnostic", [{"value": i} for i in range(n_per_queue)], {"priority": queue}
        )
    writer.close()
    svc = make_service(url, in_flight_buffer=0, **overrides)
    total = 3 * n_per_queue
    until(lambda: svc.proofs.count_jobs() == {"completed": total}, timeout=120)
    jobs = svc.proofs.list_jobs(None, limit=None)
    assert len(jobs) == total and {(j["runs"], j["retry_count"]) for j in jobs} == {(1, 0)}
    served = sorted(jobs, key=lambda j: _ts(j["completed_at"]))
    for a, b in zip(served, served[1:], strict=False):  # one at a time: each started after the previous completed
        assert _ts(a["completed_at"]) <= _ts(b["started_at"]), (a, b)
    for queue in ("high", "normal", "low"):  # first in, first out within a queue
        mine = [j for j in served if j["queue"] == queue]
        assert mine == sorted(mine, key=lambda j: (_ts(j["created_at"]), j["id"])), queue
    return served


@pytest.mark.parametrize("seed", [2026, 7])
def test_weighted_dispatch_follows_the_seeded_choice(db_url, make_service, until, seed):
    """The order of service is exactly the weighted rule's choices from random.Random(random_seed) over the
    backlog (so a seed reproduces a run), and a low job is served while high ones still wait."""
    served = [j["queue"] for j in _served(db_url, make_service, until, 20, random_seed=seed)]
    expected = plan_picks({"high": 20, "normal": 20, "low": 20}, WEIGHTS, slots=60, rng=random.Random(seed))
    assert served == expected
    last_high = len(served) - 1 - served[::-1].index("high")
    assert "low" in served[:last_high]  # served before the last high job


def test_strict_mode_drains_high_before_normal_before_low(sqlite_url, make_service, until):
    served = [j["queue"] for j in _served(sqlite_url, make_service, until, 8, strict_priority=True)]
    assert served == ["high"] * 8 + ["normal"] * 8 + ["low"] * 8


@pytest.mark.parametrize("var", ["QUEUE_HIGH_PRIORITY", "QUEUE_NORMAL_PRIORITY", "QUEUE_LOW_PRIORITY"])
def test_queue_weights_come_from_the_environment(var, tmp_path):
    from zapiki.config import Settings

    queue = var.split("_")[1].lower()
    config = tmp_path / "zapiki.yaml"
    config.write_text("zapiki:\n  queues:\n    high: 5\n    normal: 4\n    low: 2\n")
    assert Settings.load(config, env={}).queue_weights == {"high": 5, "normal": 4, "low": 2}
    # the variable overrides that queue's weight from the file, and only that one
    assert Settings.load(config, env={var: "9"}).queue_weights == {"high": 5, "normal": 4, "low": 2, queue: 9}
    assert Settings.load(env={var: "9"}).queue_weights[queue] == 9
