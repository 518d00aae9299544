"""The notebook client: `zapiki.connect()` with prove, verify, submit, submit_many and jobs() — every test runs
twice, on a direct connection and over the REST API (`zapiki.connect(url, api_key=...)`), with the same
results."""

import pandas as pd
import pytest
from clients import KINDS, open_client

import zapiki
from zapiki.errors import InputError, JobFailed
from zapiki.service import ZapikiService


@pytest.fixture(params=KINDS)
def zk(request, db_url, cluster, settings):
    service = ZapikiService.open(db_url, cluster, settings)
    client, close = open_client(request.param, service, cluster)
    yield client
    close()
    service.close()


def test_prove_and_verify_synchronously(zk):
    proof = zk.prove("commitment", {"amount": 10})
    assert proof["status"] == "completed" and proof["proof"]["commitment"]
    assert zk.verify("commitment", proof)
    tampered = {**proof, "public_inputs": {"data_type": "json", "data": {"amount": 11}}}
    assert not zk.verify("commitment", tampered)


def test_submit_returns_a_job_whose_result_is_the_proof(zk):
    job = zk.submit("commitment", "later", priority="high")
    assert job.status in ("pending", "processing", "completed")
    result = job.result(timeout=30)
    assert result["proof_system"] == "commitment" and zk.verify("commitment", result)
    info = job.info()
    assert info["queue"] == "high" and info["status"] == "completed"


def test_a_failed_job_raises_with_its_error(zk):
    job = zk.submit("diagnostic", {"input_error": "no such signal 'x'"})
    with pytest.raises(JobFailed, match="no such signal"):
        job.result(timeout=30)


def test_result_times_out_while_the_job_is_running(zk):
    job = zk.submit("diagnostic", {"sleep_s": 2})
    with pytest.raises(TimeoutError):
        job.result(timeout=0.2)
    assert job.result(timeout=30)["proof"]["attempt"] == 1


def test_submit_many_keeps_order_and_every_job(zk):
    batch = zk.submit_many("commitment", [f"row {i}" for i in range(300)], priority="low", progress=False)
    results = batch.results(timeout=60)
    assert len(results) == 300
    assert [r["public_inputs"]["data"] for r in results[:3]] == ["row 0", "row 1", "row 2"]


def test_jobs_is_a_dataframe_with_queue_names(zk):
    zk.submit("commitment", "a", priority="high").wait(30)
    zk.submit("commitment", "b", priority="low").wait(30)
    frame = zk.jobs()
    assert isinstance(frame, pd.DataFrame)
    seed = [
        "id",
        "user_id",
        "proof_id",
        "status",
        "priority",
        "retry_count",
        "max_retries",
        "error_message",
        "created_at",
        "started_at",
        "completed_at",
    ]
    assert list(frame.columns[: len(seed)]) == seed
    assert {"proof_system", "queue", "runs", "worker"} <= set(frame.columns)
    assert set(frame["user_id"]) == {zk.user_id}
    assert sorted(frame["priority"]) == [0, 2]
    assert set(frame["queue"]) == {"high", "low"}
    assert list(zk.jobs(status="completed", system="commitment")["status"].unique()) == ["completed"]
    assert zk.jobs(system="diagnostic").empty
    assert str(frame["created_at"].dtype).startswith("datetime64")


def test_proofs_is_a_dataframe_with_the_seed_fields(zk):
    zk.submit("commitment", {"type": "string", "value": "seed"}).wait(30)
    frame = zk.proofs(status="completed")
    seed = ["id", "status", "proof_data", "generation_time_ms", "created_at", "completed_at"]
    assert list(frame.columns[: len(seed)]) == seed
    row = frame.iloc[0]
    assert row["status"] == "completed" and row["proof_data"]["commitment"]
    assert row["public_inputs"] == {"data_type": "string", "data": "seed"}
    assert str(frame["completed_at"].dtype).startswith("datetime64")


def test_bad_input_raises_before_anything_runs(zk):
    with pytest.raises(InputError):
        zk.submit("commitment", "x", priority="urgent")
    with pytest.raises(InputError, match="unknown proof system"):
        zk.prove("plonk-but-not-yet", "x")


def test_connect_without_a_cluster_still_proves_synchronously(sqlite_url):
    with zapiki.connect(db=sqlite_url, local_cluster=False) as client:
        assert client.verify("commitment", client.prove("commitment", b"\x00\x01"))
        assert "commitment" in [s["name"] for s in client.systems()]
