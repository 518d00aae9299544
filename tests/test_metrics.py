"""`GET /metrics`: Prometheus' text format, no key, counts only: jobs by status and queue, queue depth and the
oldest pending job's age, retries, timeouts, runs by outcome, proof generation times per system, workers."""

from __future__ import annotations

import time

import httpx
import pytest
from liveserver import LiveServer
from prometheus_client.parser import text_string_to_metric_families

from zapiki.api.metrics import Metrics

FINAL = ("completed", "failed", "cancelled")


def _scrape(url):
    resp = httpx.get(f"{url}/metrics", timeout=30)  # no key
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain")
    return resp.text, _samples(resp.text)


def _samples(text):
    """{(sample name, ((label, value), ...)): value} of every sample, as Prometheus parses them."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _one(samples, name, **labels):
    return samples[(name, tuple(sorted(labels.items())))]


def test_metrics_count_jobs_retries_timeouts_and_times_without_naming_anyone(db_url, make_service, until):
    svc = make_service(db_url)
    info, _ = svc.keys.create_key("metrics-user@example.com", tier="pro")
    user = info["user_id"]
    ids = [svc.create_proof(user, "commitment", f"m{i}", {"async": True})["job_id"] for i in range(3)]
    ids.append(svc.create_proof(user, "diagnostic", {"fail_attempts": 1}, {})["job_id"])  # one retry, then done
    ids.append(svc.create_proof(user, "diagnostic", {"sleep_s": 30}, {"timeout_s": 1, "priority": "low"})["job_id"])
    until(lambda: all(j["status"] in FINAL for j in svc.proofs.jobs_by_ids(ids, None)), timeout=120)
    server = LiveServer(svc)
    try:
        text, samples = _scrape(server.url)
    finally:
        server.stop()

    assert _one(samples, "zapiki_database_up") == 1
    assert _one(samples, "zapiki_jobs", status="completed", queue="normal") == 4
    assert _one(samples, "zapiki_jobs", status="failed", queue="low") == 1
    assert _one(samples, "zapiki_jobs", status="pending", queue="high") == 0  # every status and queue is there
    assert _one(samples, "zapiki_queue_depth", queue="normal") == 0
    assert _one(samples, "zapiki_queue_oldest_pending_age_seconds", queue="normal") == 0
    assert _one(samples, "zapiki_job_retries_total") == 1
    assert _one(samples, "zapiki_job_timeouts_total") == 1
    assert _one(samples, "zapiki_job_attempts_total", outcome="timeout") == 1
    assert _one(samples, "zapiki_job_attempts_total", outcome="failed") == 1
    assert _one(samples, "zapiki_job_attempts_total", outcome="completed") >= 4
    assert _one(samples, "zapiki_proof_generation_seconds_count", system="commitment") == 3
    assert _one(samples, "zapiki_proof_generation_seconds_count", system="diagnostic") == 1
    buckets = sorted(
        (float(dict(labels)["le"]), v)
        for (name, labels), v in samples.items()
        if name == "zapiki_proof_generation_seconds_bucket" and dict(labels)["system"] == "commitment"
    )
    counts = [v for _, v in buckets]
    assert counts == sorted(counts) and counts[-1] == 3 and buckets[-1][0] == float("inf")
    assert 0 < _one(samples, "zapiki_proof_generation_seconds_sum", system="commitment") < 60
    assert _one(samples, "zapiki_workers") == 1 and _one(samples, "zapiki_worker_threads") == 1
    # counts only: no email, user id, key, job or proof id
    assert "@" not in text and user not in text and svc.default_user_id not in text
    assert not any(job_id in text for job_id in ids)


def test_queue_depth_and_the_oldest_pending_age(sqlite_url, make_service):
    svc = make_service(sqlite_url, client=None)  # no cluster: the jobs stay pending
    for i in range(2):
        svc.create_proof(svc.default_user_id, "commitment", f"p{i}", {"async": True, "priority": "high"})
    time.sleep(1.2)
    samples = _samples(Metrics(svc).render().decode())
    assert _one(samples, "zapiki_queue_depth", queue="high") == 2
    assert _one(samples, "zapiki_jobs", status="pending", queue="high") == 2
    assert 1.0 <= _one(samples, "zapiki_queue_oldest_pending_age_seconds", queue="high") < 60
    assert _one(samples, "zapiki_queue_oldest_pending_age_seconds", queue="low") == 0
    assert _one(samples, "zapiki_workers") == 0


def test_a_scrape_reads_the_database_at_most_once_per_ttl_and_survives_it_being_down(
    sqlite_url, make_service, monkeypatch
):
    svc = make_service(sqlite_url, client=None)
    metrics = Metrics(svc, ttl_s=60)
    reads = []
    real = metrics.repo.snapshot
    monkeypatch.setattr(metrics.repo, "snapshot", lambda: reads.append(1) or real())
    first = metrics.render()
    assert metrics.render() == first and len(reads) == 1  # cached

    def down():
        raise OSError("database down")

    metrics = Metrics(svc, ttl_s=0)
    monkeypatch.setattr(metrics.repo, "snapshot", down)
    samples = _samples(metrics.render().decode())
    assert _one(samples, "zapiki_database_up") == 0 and _one(samples, "zapiki_workers") == 0
    assert not any(name == "zapiki_jobs" for name, _ in samples)


@pytest.mark.parametrize("path", ["/metrics"])
def test_metrics_is_not_part_of_the_openapi_document(path):
    from zapiki.api import route_table

    assert path not in [p for p, _ in route_table()]
