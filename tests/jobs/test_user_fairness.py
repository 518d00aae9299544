"""Fair between users, not only between queues: users with pending jobs take turns within a queue, each user
has at most their tier's attempts in flight, and only pro and enterprise keys may use the high queue."""

from __future__ import annotations

import time

FINAL = ("completed", "failed", "cancelled")


def _user(svc, email, tier):
    info, _ = svc.keys.create_key(email, tier=tier)
    return info["user_id"]


def _submit(svc, user, n, sleep_s=0.05, queue="normal"):
    return [
        svc.create_proof(user, "diagnostic", {"sleep_s": sleep_s, "value": i}, {"priority": queue})["job_id"]
        for i in range(n)
    ]


def _wait(svc, until, ids, timeout=120):
    until(lambda: all(s in FINAL for s in svc.proofs.statuses(ids).values()), timeout=timeout)


def _start_order(svc, ids_by_user):
    jobs = [(svc.proofs.get_job(i), who) for who, ids in ids_by_user.items() for i in ids]
    return [who for job, who in sorted(jobs, key=lambda jw: jw[0]["started_at"])]


def test_a_big_backlog_does_not_starve_a_user_who_comes_later(db_url, make_service, until):
    svc = make_service(db_url)
    alice, bob = _user(svc, "alice@example.com", "pro"), _user(svc, "bob@example.com", "pro")
    first = _submit(svc, alice, 30)
    later = _submit(svc, bob, 5)
    _wait(svc, until, first + later)
    order = _start_order(svc, {"alice": first, "bob": later})
    last_bob = max(i for i, who in enumerate(order) if who == "bob")
    # taking turns, bob's five jobs start among the first dozen (first in, first out would put them last)
    assert last_bob < 14, order


def test_a_user_never_has_more_attempts_in_flight_than_their_tier_allows(db_url, make_service, until):
    svc = make_service(db_url, user_max_in_flight={"free": 1, "pro": 0, "enterprise": 0})
    free, pro = _user(svc, "free@example.com", "free"), _user(svc, "pro@example.com", "pro")
    capped = _submit(svc, free, 5, sleep_s=0.6)
    time.sleep(0.3)
    other = _submit(svc, pro, 1, sleep_s=0.1)
    most = 0
    while not all(s in FINAL for s in svc.proofs.statuses(capped + other).values()):
        statuses = svc.proofs.statuses(capped)
        most = max(most, sum(s == "processing" for s in statuses.values()))
        time.sleep(0.02)
    assert most == 1  # the free user's backlog held one slot, never two
    # the pro user's job got the other slot while the free user's backlog was still waiting
    started = {i: svc.proofs.get_job(i)["started_at"] for i in capped + other}
    assert started[other[0]] < sorted(started[i] for i in capped)[2]


def test_users_take_turns_inside_each_queue_while_the_queues_keep_their_weights(db_url, make_service, until):
    # Every job is written before any dispatcher runs (a service without a cluster only stores them): otherwise
    # a dispatcher could start alice's first jobs before bob's exist, and that is first come, not unfair.
    filler = make_service(db_url, client=None)
    alice, bob = _user(filler, "alice@example.com", "pro"), _user(filler, "bob@example.com", "pro")
    ids = {}
    for who, user in (("alice", alice), ("bob", bob)):
        for queue in ("high", "normal", "low"):
            ids[(who, queue)] = _submit(filler, user, 8, sleep_s=0.02, queue=queue)
    every = [i for part in ids.values() for i in part]
    assert set(filler.proofs.statuses(every).values()) == {"pending"}
    svc = make_service(db_url, random_seed=11)
    _wait(svc, until, every)
    for queue in ("high", "normal", "low"):
        order = _start_order(svc, {who: ids[(who, queue)] for who in ("alice", "bob")})
        # within a queue the two users alternate (the in-flight buffer may swap a neighbouring pair)
        assert abs(order[:8].count("alice") - order[:8].count("bob")) <= 2, (queue, order)
    high_first = [svc.proofs.get_job(i)["queue"] for i in every]
    starts = sorted((svc.proofs.get_job(i)["started_at"], q) for i, q in zip(every, high_first, strict=True))
    window = [q for _, q in starts[:16]]
    assert window.count("high") > window.count("normal") > window.count("low"), window
