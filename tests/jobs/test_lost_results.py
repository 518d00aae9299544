"""An attempt that finished on the cluster but whose result cannot be fetched (the scheduler was killed before
the dispatcher read it, the worker holding it is gone) is not left processing until its timeout: its jobs run
again. Found by the scheduler-restart fault test, which once waited 180 s on such an attempt."""

from __future__ import annotations

import uuid

from zapiki.jobs.dispatcher import Dispatcher, _Attempt


def _refuse_to_load() -> None:
    raise RuntimeError("this result cannot be read here")


class _Unreadable:
    """Pickles on the worker; unpickling it on the client raises (as reading a result from a vanished peer)."""

    def __reduce__(self):  # noqa: ANN204
        return (_refuse_to_load, ())


def _unreadable_result() -> _Unreadable:
    return _Unreadable()


def test_a_finished_attempt_whose_result_cannot_be_read_runs_its_job_again(sqlite_url, cluster, make_service, until):
    store = make_service(sqlite_url, client=None)  # writes jobs, dispatches nothing
    [job_id] = [
        store.create_proof(store.default_user_id, "diagnostic", {"sleep_s": 0, "value": 1}, {"async": True})["job_id"]
    ]
    dispatcher = Dispatcher(store.settings, store.sessions, cluster, store.secrets)  # not started: driven here
    token = str(uuid.uuid4())
    claimed = dispatcher.repo.claim("normal", token, dispatcher.id, store.settings.lease_s, frozenset(), 1)
    assert [j.id for j in claimed] == [job_id]
    future = cluster.submit(_unreadable_result, pure=False)
    until(lambda: future.status == "finished", timeout=60)
    dispatcher.inflight[token] = _Attempt(future, [job_id], 60.0)

    dispatcher._handle_done(token, future)  # raised before, leaving the job processing and the attempt tracked

    assert token not in dispatcher.inflight
    job = store.proofs.get_job(job_id)
    # it ran (its start was never announced, but the task finished): that run is counted, then charged
    assert job["status"] in ("pending", "retrying") and (job["runs"], job["retry_count"]) == (1, 1), job
    assert "result lost" in (job["error_message"] or ""), job
    # and a running service then completes it
    runner = make_service(sqlite_url)
    until(lambda: runner.proofs.get_job(job_id)["status"] == "completed", timeout=120)


def _done() -> str:
    return "done"


def test_an_attempt_the_cluster_dropped_after_it_started_runs_again_uncharged(sqlite_url, cluster, make_service):
    """The scheduler went away under a running attempt (Dask cancels every future of a client that lost its
    scheduler): our crash, not the job's. Its run is closed as 'interrupted' and the job waits again, uncharged."""
    store = make_service(sqlite_url, client=None)
    job_id = store.create_proof(store.default_user_id, "diagnostic", {"value": 1}, {"max_retries": 0})["job_id"]
    dispatcher = Dispatcher(store.settings, store.sessions, cluster, store.secrets)  # not started: driven here
    token = str(uuid.uuid4())
    dispatcher.repo.claim("normal", token, dispatcher.id, store.settings.lease_s, frozenset(), 1)
    future = cluster.submit(_done, pure=False)
    future.result(timeout=60)
    dispatcher.inflight[token] = _Attempt(future, [job_id], 60.0)
    dispatcher._handle_start({"token": token, "worker": "tcp://w", "at": 0})  # the run was announced
    future.cancel()  # what the client does to every future when its scheduler is gone
    assert future.status == "cancelled"

    dispatcher._handle_done(token, future)

    job = store.proofs.get_job(job_id)
    assert (job["status"], job["runs"], job["retry_count"]) == ("pending", 1, 0), job
    assert [a["outcome"] for a in store.jobs.attempts(job_id)] == ["interrupted"]
