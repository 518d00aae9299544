"""Jobs that cannot succeed, over HTTP: inputs the circuit rejects, a missing circuit, a circuit deleted or
another user's: each a clear 4xx at once, or a job that fails at once with the reason and is never retried."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "groth16" / "multiplier"


def _upload(client, name="multiplier"):
    with open(FIXTURES / "circuit.wasm", "rb") as wasm, open(FIXTURES / "circuit.zkey", "rb") as zkey:
        r = client.post("/api/v1/circuits", data={"name": name}, files={"wasm": wasm, "zkey": zkey}, timeout=300)
    assert r.status_code == 201, r.text
    return r.json()["id"]


@pytest.mark.parametrize(
    ("inputs", "named"),
    [
        ({"a": 3}, "missing input signals"),  # a signal missing (a circom wasm knows inputs by hash, not name)
        ({"a": 3, "b": "eleven"}, "b"),  # not a number
        ({"a": [3, 4], "b": 11}, "a"),  # too many values for a scalar signal
    ],
)
def test_inputs_the_circuit_rejects_fail_the_job_at_once_and_are_not_retried(api, until, inputs, named):
    circuit = _upload(api.alice)
    r = api.alice.post("/api/v1/proofs", json={"proof_system": "groth16", "data": inputs, "circuit_id": circuit})
    if r.status_code == 422:  # refused before a job was made: fine, if it names the signal
        assert named in r.json()["error"]["message"]
        return
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    job = until(
        lambda: (j := api.alice.get(f"/api/v1/jobs/{job_id}").json())["status"] in ("failed", "completed") and j,
        timeout=300,
    )
    assert job["status"] == "failed" and job["retry_count"] == 0 and job["runs"] == 1, job
    assert named in job["error_message"]


def test_a_missing_or_another_users_circuit_answers_404_and_stores_nothing(api):
    mine = _upload(api.alice)
    for client, circuit in ((api.alice, "no-such-circuit"), (api.bob, mine)):
        r = client.post(
            "/api/v1/proofs", json={"proof_system": "groth16", "data": {"a": 1, "b": 2}, "circuit_id": circuit}
        )
        assert r.status_code == 404 and "circuit" in r.json()["error"]["message"]
        assert client.get("/api/v1/jobs").json()["jobs"] == []


def test_a_circuit_with_open_jobs_cannot_be_deleted_and_a_deleted_one_is_not_found(api_no_cluster):
    api = api_no_cluster  # no cluster: the job stays pending
    circuit = _upload(api.alice)
    r = api.alice.post(
        "/api/v1/proofs", json={"proof_system": "groth16", "data": {"a": 1, "b": 2}, "circuit_id": circuit}
    )
    assert r.status_code == 202
    busy = api.alice.delete(f"/api/v1/circuits/{circuit}")
    assert busy.status_code == 409 and "open jobs" in busy.json()["error"]["message"]
    assert api.alice.post(f"/api/v1/jobs/{r.json()['job_id']}/cancel").status_code == 200
    assert api.alice.delete(f"/api/v1/circuits/{circuit}").status_code == 204
    again = api.alice.post(
        "/api/v1/proofs", json={"proof_system": "groth16", "data": {"a": 1, "b": 2}, "circuit_id": circuit}
    )
    assert again.status_code == 404 and "circuit" in again.json()["error"]["message"]
