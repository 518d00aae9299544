"""Weighted fairness measured under saturation: one worker thread, equal backlogs in the three queues."""

from collections import Counter
from dataclasses import replace

import pytest


def _first_completions(url, make_service, until, n_per_queue, first, **overrides):
    from zapiki.service import ZapikiService

    writer = ZapikiService.open(url, dispatch=False)  # the backlog is in the database before dispatching starts
    for queue in ("low", "normal", "high"):  # low submitted first: order of arrival must not matter
        writer.submit_many(writer.default_user_id, "diagnostic", [{"sleep_s": 0.01}] * n_per_queue, {"priority": queue})
    writer.close()
    svc = make_service(url, **overrides)
    total = 3 * n_per_queue
    until(lambda: svc.proofs.count_jobs().get("completed", 0) >= first, timeout=120)
    jobs = [j for j in svc.proofs.list_jobs(None, status="completed", limit=None)]
    jobs.sort(key=lambda j: j["completed_at"])
    assert len(jobs) <= total
    return Counter(j["queue"] for j in jobs[:first])


def test_weighted_first_completions_are_near_6_3_1(db_url, make_service, until):
    counts = _first_completions(
        db_url, make_service, until, n_per_queue=40, first=50, in_flight_buffer=0, random_seed=2026
    )
    assert 0.45 <= counts["high"] / 50 <= 0.75, counts
    assert 0.15 <= counts["normal"] / 50 <= 0.45, counts
    assert 1 <= counts["low"] <= 12, counts  # served, not starved, and well below the others


def test_strict_mode_drains_high_before_normal_before_low(sqlite_url, make_service, until):
    counts = _first_completions(sqlite_url, make_service, until, 8, 12, in_flight_buffer=0, strict_priority=True)
    assert counts == Counter({"high": 8, "normal": 4}), counts


@pytest.mark.parametrize("var", ["QUEUE_HIGH_PRIORITY", "QUEUE_LOW_PRIORITY"])
def test_queue_weights_come_from_the_environment(var):
    from zapiki.config import Settings

    s = Settings.load(env={var: "9"})
    assert s.queue_weights[var.split("_")[1].lower()] == 9
    assert replace(s, strict_priority=True).strict_priority
