"""Per-key rate limits by tier: free 10/min and pro 1000/min by default, configurable; over the limit a
request answers 429 with Retry-After, and every authenticated answer carries X-RateLimit-Limit/Remaining."""

from __future__ import annotations

from zapiki.access import RateLimiter


def test_a_free_key_gets_ten_requests_a_minute_then_429(api_no_cluster):
    free = api_no_cluster.client(None, **{"X-API-Key": api_no_cluster.key("free@example.com", "free")})
    remaining = []
    for _ in range(10):
        r = free.get("/api/v1/proofs")
        assert r.status_code == 200 and r.headers["X-RateLimit-Limit"] == "10"
        remaining.append(int(r.headers["X-RateLimit-Remaining"]))
    assert remaining == list(range(9, -1, -1))

    r = free.get("/api/v1/proofs")
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert r.headers["X-RateLimit-Limit"] == "10" and r.headers["X-RateLimit-Remaining"] == "0"
    # a refused request does not extend the wait, and POSTs count the same as GETs
    assert free.post("/api/v1/proofs", json={"proof_system": "commitment", "data": "x"}).status_code == 429
    assert free.get("/api/v1/proofs").json()["error"]["code"] == "rate_limited"


def test_limits_are_per_key_and_tiers_differ(api_no_cluster):
    api = api_no_cluster
    free_a = api.client(None, **{"X-API-Key": api.key("a@example.com", "free")})
    free_b = api.client(None, **{"X-API-Key": api.key("b@example.com", "free")})
    for _ in range(10):
        free_a.get("/api/v1/systems")
    assert free_a.get("/api/v1/systems").status_code == 429
    assert free_b.get("/api/v1/systems").status_code == 200  # another key has its own window
    r = api.alice.get("/api/v1/systems")  # pro
    assert r.status_code == 200 and r.headers["X-RateLimit-Limit"] == "1000"
    enterprise = api.client(None, **{"X-API-Key": api.key("e@example.com", "enterprise")})
    assert enterprise.get("/api/v1/systems").headers["X-RateLimit-Limit"] == "1000000"


def test_limits_come_from_the_settings(sqlite_url, make_service, serve):
    import httpx

    svc = make_service(sqlite_url, client=None, rate_limits={"free": 2, "pro": 3, "enterprise": 5})
    server = serve(svc)
    _, raw = svc.keys.create_key("x@example.com", tier="free")
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {raw}"}) as c:
        assert [c.get("/api/v1/jobs").status_code for _ in range(3)] == [200, 200, 429]


def test_unauthenticated_requests_are_not_counted_against_a_key(api_no_cluster):
    api = api_no_cluster
    key = api.key("f@example.com", "free")
    anyone = api.client()
    for _ in range(20):
        assert anyone.get("/api/v1/jobs", headers={"X-API-Key": key + "x"}).status_code == 401
    assert anyone.get("/api/v1/jobs", headers={"X-API-Key": key}).headers["X-RateLimit-Remaining"] == "9"


def test_the_window_slides_a_minute():
    limiter = RateLimiter({"free": 2})
    assert [limiter.hit("k", "free", now=t).allowed for t in (0.0, 30.0, 59.0)] == [True, True, False]
    refused = limiter.hit("k", "free", now=59.0)
    assert refused.retry_after_s == 1 and refused.remaining == 0
    assert limiter.hit("k", "free", now=60.0).allowed  # the request at 0 s left the window
    assert not limiter.hit("k", "free", now=60.0).allowed
    assert limiter.hit("k", "unknown-tier", now=0.0).limit == 2  # unknown tiers get the free limit
