"""The dashboard's actions go through the API's own gate and service calls: the same checks, the same messages,
and the same per-key rate limit (no browser needed)."""

from __future__ import annotations

import httpx
import pytest
from liveserver import LiveServer

from zapiki.dashboard.actions import Actions, message
from zapiki.service import ZapikiService


@pytest.fixture
def served(sqlite_url):
    """A service (no cluster: jobs stay pending) and its REST API on loopback."""
    svc = ZapikiService.open(sqlite_url, dispatch=False)
    server = LiveServer(svc)
    yield svc, server
    server.stop()
    svc.close()


def _as(served, email, tier):
    """(an HTTP client of a new key, the dashboard's actions of the same key through the API's gate)."""
    svc, server = served
    _, raw = svc.keys.create_key(email, tier=tier)
    gate = server.patterns[0][2]["ctx"].gate  # the API's: key cache and rate limiter
    client = httpx.Client(base_url=server.url, headers={"X-API-Key": raw}, timeout=30)
    return client, Actions(svc, gate, gate.authenticate(raw))


def _api_message(response):
    assert 400 <= response.status_code < 500, response.text
    return response.json()["error"]["message"]


def _dashboard_message(action):
    with pytest.raises(Exception) as caught:
        action()
    return message(caught.value)


def test_a_form_shows_the_message_the_api_gives_for_the_same_bad_input(served):
    client, me = _as(served, "prover@example.com", "pro")
    job = client.post("/api/v1/proofs", json={"proof_system": "commitment", "data": "x", "options": {"async": True}})
    client.post(f"/api/v1/jobs/{job.json()['job_id']}/cancel")
    cases = [
        ({"proof_system": "nope", "data": 1}, lambda: me.submit("nope", 1)),
        (
            {"proof_system": "commitment", "data": "x", "options": {"timeout_s": -1}},
            lambda: me.submit("commitment", "x", timeout_s=-1),
        ),
        (
            {"proof_system": "commitment", "data": "zz", "options": {"data_type": "bytes"}},
            lambda: me.submit("commitment", "zz", data_type="bytes"),
        ),
        (
            {"proof_system": "groth16", "data": {"a": 1}, "circuit_id": "missing"},
            lambda: me.submit("groth16", {"a": 1}, circuit_id="missing"),
        ),
    ]
    for body, action in cases:
        assert _dashboard_message(action) == _api_message(client.post("/api/v1/proofs", json=body))
    cancelled = job.json()["job_id"]
    api = _api_message(client.post(f"/api/v1/jobs/{cancelled}/cancel"))
    assert _dashboard_message(lambda: me.cancel(cancelled)) == api and "only pending or retrying" in api
    assert _dashboard_message(lambda: me.retry("no-such-job")) == _api_message(
        client.post("/api/v1/jobs/no-such-job/retry")
    )


def test_the_high_queue_needs_the_same_tier_from_the_page_as_from_the_api(served):
    client, me = _as(served, "free@example.com", "free")
    body = {"proof_system": "commitment", "data": "x", "options": {"priority": "high", "async": True}}
    api = _api_message(client.post("/api/v1/proofs", json=body))
    assert _dashboard_message(lambda: me.submit("commitment", "x", priority="high")) == api
    assert "'high' needs a key of tier pro or enterprise" in api


def test_the_pages_actions_count_against_the_keys_rate_limit_of_the_api(served):
    client, me = _as(served, "free@example.com", "free")  # 10 requests a minute
    for i in range(5):
        assert client.get("/api/v1/jobs").status_code == 200
        me.submit("commitment", f"from the page {i}")
    refused = client.get("/api/v1/jobs")
    assert refused.status_code == 429
    assert _dashboard_message(lambda: me.submit("commitment", "one more")) == _api_message(refused)


def test_an_admin_key_acts_on_every_users_jobs_from_the_page_and_creates_its_own(served):
    svc, _ = served
    _, alice = _as(served, "alice@example.com", "pro")
    _, bob = _as(served, "bob@example.com", "pro")
    root = Actions.for_user(svc)  # a notebook's operator: as an admin key
    job = alice.submit("commitment", "alice's")["job_id"]
    assert _dashboard_message(lambda: bob.cancel(job)) == f"job {job} not found"
    assert root.cancel(job)["status"] == "cancelled"
    mine = root.submit("commitment", "the operator's")["job_id"]
    assert svc.proofs.get_job(mine)["user_id"] == svc.default_user_id


def test_the_views_build_in_a_notebook_for_the_operator_or_one_user(served):
    from zapiki.dashboard import views

    svc, _ = served
    _, alice = _as(served, "alice@example.com", "pro")
    alice.submit("commitment", "alice's")
    svc.submit_many(svc.default_user_id, "commitment", ["a", "b"], {"async": True})
    operator = views(svc, live=False)
    assert set(operator) == {"jobs", "job", "submit", "templates", "cluster", "metrics", "circuits"}
    assert len(operator["jobs"].rows) == 3 and "user" in operator["jobs"].table.value.columns
    mine = views(svc, alice.user_id, live=False)
    assert [r["user"] for r in mine["jobs"].rows] == ["alice@example.com"]
    assert mine["cluster"].counters["pending normal"].value == 1
    mine["jobs"].ctx.open_job(mine["jobs"].rows[0]["id"])  # a row's click shows the job in the job view
    assert mine["job"].job["status"] == "pending"
