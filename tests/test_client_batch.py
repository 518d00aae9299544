"""The client in a notebook: batches (wait, results, failed, to_dataframe, retry_failed, export), HTML reprs,
awaiting without blocking the event loop, circuits by name/id/object, and what a remote connection does with
a wrong key, an unreachable service or a stopped cell — on a direct connection and over HTTP alike."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from clients import KINDS, open_client

import zapiki
from zapiki.client.remote import RemoteBackend
from zapiki.errors import ConflictError, InputError, JobFailed, NotFound, ServiceUnavailable, Unauthorized
from zapiki.service import ZapikiService

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "groth16"


@pytest.fixture(params=KINDS)
def zk(request, sqlite_url, cluster, settings):
    service = ZapikiService.open(sqlite_url, cluster, settings)
    client, close = open_client(request.param, service, cluster)
    yield client
    close()
    service.close()


def test_a_batch_tells_what_finished_what_failed_and_why(zk):
    items = [{"value": i} for i in range(8)] + [{"input_error": "signal 'x' is missing"}]
    batch = zk.submit_many("diagnostic", items, progress=False)
    assert len(batch) == 9 and batch.wait(timeout=60) is batch
    assert batch.counts() == {"completed": 8, "failed": 1}
    failed = batch.failed()
    assert [j.id for j in failed] == [batch[8].id]
    with pytest.raises(JobFailed, match=r"1 of 9 jobs did not complete.*signal 'x' is missing"):
        batch.results()
    results = batch.results(skip_failed=True)
    assert [r["proof"]["value"] for r in results] == list(range(8))

    frame = batch.to_dataframe()
    assert list(frame["id"]) == [j.id for j in batch]  # the batch's order
    assert list(frame["status"]) == ["completed"] * 8 + ["failed"]
    assert frame.loc[8, "error_message"].endswith("signal 'x' is missing")
    assert (frame["duration_s"].iloc[:8] >= 0).all()

    again = batch.retry_failed()
    assert [j.id for j in again] == [batch[8].id]
    again.wait(timeout=60)
    assert again[0].info()["status"] == "failed"  # the same bad input fails again, with the same error


def test_reprs_show_status_counts_progress_and_where_it_is_connected(zk):
    batch = zk.submit_many("commitment", ["a", "b", "c"], progress=False).wait(timeout=60)
    page = batch._repr_html_()
    assert "3 jobs" in page and "completed" in page and '<progress value="3" max="3"' in page
    assert "3 completed" in repr(batch)
    job_page = batch[0]._repr_html_()
    assert batch[0].id in job_page and "#198754" in job_page  # completed is green
    failing = zk.submit("diagnostic", {"input_error": "<b>bad</b>"})
    failing.wait(timeout=60)
    shown = failing._repr_html_()
    assert "#dc3545" in shown and "&lt;b&gt;bad&lt;/b&gt;" in shown and "<b>bad" not in shown  # escaped
    client_page = zk._repr_html_()
    assert "workers" in client_page and "pending" in client_page and zk.user_id in client_page
    assert zk.backend.where in client_page and f'href="{zk.dashboard_link}"' in client_page


def test_awaiting_a_job_or_a_batch_keeps_the_event_loop_running(zk):
    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        job = await zk.submit("diagnostic", {"sleep_s": 0.5})
        batch = await zk.submit_many("commitment", ["x", "y"], progress=False)
        task.cancel()
        return job, batch, ticks

    job, batch, ticks = asyncio.run(main())
    assert job.status == "completed" and batch.counts() == {"completed": 2}
    assert ticks >= 20  # the loop kept turning while the job ran (0.5 s at 10 ms a tick, with room for noise)


def test_a_circuit_is_taken_by_name_id_or_what_register_circuit_returned(zk, tmp_path, snarkjs):
    fx = FIXTURES / "multiplier"
    circuit = zk.register_circuit("mult", wasm=fx / "circuit.wasm", zkey=(fx / "circuit.zkey").read_bytes())
    assert circuit["name"] == "mult" and circuit["verification_key"]["protocol"] == "groth16"
    assert zk.circuit("mult")["id"] == zk.circuit(circuit["id"])["id"] == zk.circuit(circuit)["id"]
    assert "mult" in [c["name"] for c in zk.circuits()]
    jobs = [
        zk.submit("groth16", {"a": 3, "b": 11}, circuit=circuit),
        zk.submit("groth16", {"a": 3, "b": 11}, circuit="mult"),
        zk.submit("groth16", {"a": 3, "b": 11}, circuit=circuit["id"]),
    ]
    assert [j.result(timeout=120)["public_signals"] for j in jobs] == [["33"]] * 3
    batch = zk.submit_many("groth16", [{"a": a, "b": 7} for a in range(2, 6)], circuit=circuit, progress=False)
    folders = batch.export(tmp_path / "proofs")
    assert [f.name for f in folders] == [j.id for j in batch]
    for folder in folders:  # the reference toolchain accepts every exported proof
        names = ("verification_key.json", "public.json", "proof.json")
        snarkjs("groth16", "verify", *(folder / n for n in names))
    assert json.loads((folders[0] / "public.json").read_text()) == ["14"]
    with pytest.raises(NotFound):
        zk.submit("groth16", {"a": 1, "b": 1}, circuit="no-such-circuit")
    with pytest.raises(InputError, match="circuit must be"):
        zk.submit("groth16", {"a": 1, "b": 1}, circuit=42)


def test_a_stopped_cell_leaves_whole_chunks_only(zk, monkeypatch):
    sent = []
    real = zk.backend.submit_many

    def interrupted(system, items, options, circuit):
        if len(sent) == 2:
            raise KeyboardInterrupt
        sent.append(real(system, items, options, circuit))
        return sent[-1]

    monkeypatch.setattr(zk.backend, "submit_many", interrupted)
    with pytest.raises(KeyboardInterrupt):
        zk.submit_many("commitment", [f"row {i}" for i in range(50)], chunk=10, progress=False)
    frame = zk.jobs(limit=None)
    assert len(frame) == 20  # two whole chunks, nothing of the third
    proofs = zk.proofs(limit=None)
    assert set(frame["proof_id"]) == set(proofs["id"])  # every job has its proof row


def test_a_remote_connection_names_what_is_wrong(sqlite_url, settings, monkeypatch):
    service = ZapikiService.open(sqlite_url, None, settings, dispatch=False)
    client, close = open_client("remote", service)
    url = client.backend.url
    try:
        with pytest.raises(Unauthorized, match="invalid or revoked API key"):
            zapiki.connect(url, api_key="zk_not_a_key")
        with pytest.raises(InputError, match="api_key is required"):
            zapiki.connect(url)
        with pytest.raises(InputError, match="scheduler= and certs= are for direct ones"):
            zapiki.connect(url, api_key="zk_x", scheduler="tcp://127.0.0.1:1")
        with pytest.raises(InputError, match="api_key= is for a remote connection"):
            zapiki.connect("sqlite://", api_key="zk_x")
        with pytest.raises(ServiceUnavailable, match="cannot reach Zapiki"):
            RemoteBackend("http://127.0.0.1:9", "zk_x", retry_for_s=0.5)
        with pytest.raises(InputError, match="cannot be sent as JSON"):
            client.submit("commitment", {"x": float("nan")})
        with pytest.raises(InputError, match="priority must be one of"):
            client.submit("commitment", "x", priority="urgent")
        # ZAPIKI_URL and ZAPIKI_API_KEY: connect() with no arguments goes there
        _, key = service.keys.create_key("env@example.com", tier="pro")
        monkeypatch.setenv("ZAPIKI_URL", url)
        monkeypatch.setenv("ZAPIKI_API_KEY", key)
        with zapiki.connect() as env_client:
            assert env_client.remote and env_client.user_id != client.user_id
            env_client.submit("commitment", "mine")
            assert len(env_client.jobs()) == 1 and len(client.jobs()) == 0  # each key sees its own jobs
    finally:
        close()
        service.close()


def test_ten_thousand_jobs_go_over_http_in_a_few_batch_requests(sqlite_url, settings):
    service = ZapikiService.open(sqlite_url, None, settings, dispatch=False)
    client, close = open_client("remote", service)
    requests = []
    client.backend.http.event_hooks["request"].append(lambda r: requests.append(r.url.path))
    try:
        batch = client.submit_many("commitment", [f"row {i}" for i in range(10_000)], progress=False)
        assert len(batch) == 10_000 and len({j.id for j in batch}) == 10_000
        assert requests.count("/api/v1/proofs/batch") == 5 and len(requests) <= 7
        with service.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM jobs")).scalar_one() == 10_000
    finally:
        close()
        service.close()


@pytest.mark.parametrize("kind", KINDS)
def test_a_pending_job_can_be_cancelled_and_run_again(kind, sqlite_url, settings):
    service = ZapikiService.open(sqlite_url, None, settings, dispatch=False)  # nothing runs: jobs stay pending
    client, close = open_client(kind, service)
    try:
        job = client.submit("commitment", "later")
        assert job.status == "pending"
        assert job.cancel().status == "cancelled"
        with pytest.raises(ConflictError):
            job.cancel()
        assert job.retry().status == "pending"
        with pytest.raises(ConflictError):
            job.retry()
        with pytest.raises(NotFound):
            client.job("no-such-job")
    finally:
        close()
        service.close()


def test_the_dashboard_views_show_inline_in_a_notebook(zk):
    import panel as pn

    pn.extension("tabulator")
    job = zk.submit("commitment", "shown inline")
    job.wait(timeout=60)
    if zk.remote:
        pane = zk.dashboard()
        assert f'href="{zk.dashboard_link}"' in pane.object  # the views run in the service: a link to them
        return
    tabs = zk.dashboard(live=False)
    assert list(tabs._names) == ["Jobs", "Job", "Submit", "Templates", "Cluster", "Metrics", "Circuits"]
    jobs = zk.dashboard("jobs", live=False)
    jobs.refresh(force=True)
    assert job.id in jobs.table.value["id"].tolist()
    with pytest.raises(InputError, match="view must be one of"):
        zk.dashboard("queues")
