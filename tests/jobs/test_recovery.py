"""Nothing is lost when a process dies: the dispatching process (SIGKILL, then a new one starts) or a worker
(SIGKILL mid-job). Scheduler and workers here are plain `dask scheduler` / `dask worker` processes, each logging
to its own file, so the runs a job really had are counted from the workers' own log lines."""

import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from realprocs import audit_completions
from sqlalchemy import select

from zapiki.service import ZapikiService
from zapiki.store.models import Job, Proof

DASK = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
WORKER = [sys.executable, "-m", "distributed.cli.dask_worker"]


@pytest.fixture
def dask_cluster(tmp_path, free_port):
    """A scheduler and two single-thread workers without nannies (so SIGKILL really kills the worker)."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "ZAPIKI_DIAGNOSTICS": "1", "ZAPIKI_WARMUP": "0"}  # no kernel compiling competing for CPU
    procs = [
        subprocess.Popen(
            [*DASK, "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / "scheduler.log", "wb"),
        )
    ]
    workers = []
    for i in range(2):
        p = subprocess.Popen(
            [
                *WORKER,
                address,
                "--nthreads",
                "1",
                "--no-nanny",
                "--no-dashboard",
                "--name",
                f"w{i}",
                "--preload",
                "zapiki.jobs.preload",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / f"worker{i}.log", "wb"),
        )
        procs.append(p)
        workers.append(p)
    from distributed import Client

    client = Client(address, timeout=60)
    client.wait_for_workers(2, timeout=60)
    pids = client.run(os.getpid)  # {worker address: pid}
    yield client, address, pids
    client.close()
    for p in procs:
        p.kill()
        p.wait()


def _worker_runs(tmp_path, proof_id: str) -> int:
    """How many runs of this proof the workers logged (each run logs this line once, before it proves)."""
    logs = "".join(p.read_text(errors="replace") for p in tmp_path.glob("worker*.log"))
    return logs.count(f"Processing proof generation: {proof_id} (system: ")


def test_a_worker_killed_mid_job_loses_nothing(sqlite_url, settings, dask_cluster, until, tmp_path):
    client, _, pids = dask_cluster
    svc = ZapikiService.open(sqlite_url, client, settings)
    try:
        out = svc.create_proof(
            svc.default_user_id, "diagnostic", {"sleep_s": 4, "value": "survivor"}, {"max_retries": 2}
        )
        running = until(lambda: (j := svc.proofs.get_job(out["job_id"]))["worker"] and j, timeout=30)
        victim = running["worker"]
        os.kill(pids[victim], signal.SIGKILL)
        job = until(
            lambda: (j := svc.proofs.get_job(out["job_id"]))["status"] in ("completed", "failed") and j, timeout=60
        )
        assert job["status"] == "completed"
        assert job["worker"] != victim
        assert job["runs"] == 2 and job["retry_count"] == 1  # the re-run was counted against the budget
        assert svc.proofs.get_proof(out["proof_id"])["proof_data"]["value"] == "survivor"
        logs = "".join(p.read_text() for p in tmp_path.glob("worker*.log"))
        assert logs.count(f"Processing proof generation: {out['proof_id']} (system: diagnostic)") == 2
        assert f"Proof generation completed: {out['proof_id']} (took " in logs
    finally:
        svc.close()


def test_reruns_beyond_the_budget_fail_the_job(sqlite_url, settings, dask_cluster, until):
    client, _, pids = dask_cluster
    svc = ZapikiService.open(sqlite_url, client, settings)
    try:
        out = svc.create_proof(svc.default_user_id, "diagnostic", {"sleep_s": 30}, {"max_retries": 0})
        running = until(lambda: (j := svc.proofs.get_job(out["job_id"]))["worker"] and j, timeout=30)
        os.kill(pids[running["worker"]], signal.SIGKILL)
        job = until(
            lambda: (j := svc.proofs.get_job(out["job_id"]))["status"] in ("completed", "failed") and j, timeout=60
        )
        assert job["status"] == "failed" and "budget" in job["error_message"]
    finally:
        svc.close()


# -- a dispatcher dies --------------------------------------------------------------------------------------------

DISPATCHER = textwrap.dedent(
    """
    import sys, time
    from dataclasses import replace
    from distributed import Client
    from zapiki.config import Settings
    from zapiki.service import ZapikiService
    url, address, mode = sys.argv[1:4]
    settings = replace(Settings.load(env={}), lease_s=2.0, strict_priority=True, batch_size=25)
    svc = ZapikiService.open(url, Client(address), settings)
    user = svc.default_user_id
    if mode == "isolated":
        svc.submit_many(user, "diagnostic", [{"sleep_s": 1.2, "value": i} for i in range(6)], {})
    else:
        # two batches complete, then both workers are held by long jobs while the next batch waits in Dask
        svc.submit_many(user, "commitment", [f"early {i}" for i in range(50)], {})
        while svc.proofs.count_jobs() != {"completed": 50}:
            time.sleep(0.02)
        long = [{"sleep_s": 3.0, "value": i} for i in range(2)]
        held = [job for _, job in svc.submit_many(user, "diagnostic", long, {"priority": "high"})]
        # both long jobs running before the rest is written: Dask may first queue both on one worker (stealing
        # moves one soon), and a free worker would then run every later batch before the crash
        def both_running():
            return all(j["status"] == "processing" and j["worker"] for j in map(svc.proofs.get_job, held))
        deadline = time.monotonic() + 60
        while not both_running():
            if time.monotonic() > deadline:
                sys.exit("the two long jobs never ran at the same time")  # the test reads no 'submitted'
            time.sleep(0.02)
        svc.submit_many(user, "commitment", [f"late {i}" for i in range(100)], {})
    print("submitted", flush=True)
    time.sleep(3600)
    """
)


def _audit(engine) -> None:
    """Record, by database triggers (nothing in Zapiki can skip them), every change of a job's status, attempt
    token or run count (table `job_history`, in order), and every write of a proof's result (`result_writes`)."""
    cols = "job_id, old_status, status, old_token, token, dispatcher_id, runs, retry_count, updated_at"
    vals = (
        "NEW.id, OLD.status, NEW.status, OLD.attempt_token, NEW.attempt_token, NEW.dispatcher_id, NEW.runs, "
        "NEW.retry_count, NEW.updated_at"
    )
    if engine.dialect.name == "sqlite":
        changed = (
            "OLD.status IS NOT NEW.status OR OLD.attempt_token IS NOT NEW.attempt_token OR OLD.runs IS NOT NEW.runs"
        )
        statements = [
            "CREATE TABLE job_history (seq INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT, old_status TEXT, "
            "status TEXT, old_token TEXT, token TEXT, dispatcher_id TEXT, runs INTEGER, retry_count INTEGER, "
            "updated_at TEXT)",
            f"CREATE TRIGGER audit_job AFTER UPDATE ON jobs WHEN {changed} "
            f"BEGIN INSERT INTO job_history ({cols}) VALUES ({vals}); END",
        ]
    else:
        changed = (
            "OLD.status IS DISTINCT FROM NEW.status OR OLD.attempt_token IS DISTINCT FROM NEW.attempt_token "
            "OR OLD.runs IS DISTINCT FROM NEW.runs"
        )
        statements = [
            "CREATE TABLE job_history (seq BIGSERIAL PRIMARY KEY, job_id TEXT, old_status TEXT, status TEXT, "
            "old_token TEXT, token TEXT, dispatcher_id TEXT, runs INTEGER, retry_count INTEGER, "
            "updated_at TIMESTAMPTZ)",
            "CREATE FUNCTION audit_job() RETURNS trigger AS $$ BEGIN "
            f"INSERT INTO job_history ({cols}) VALUES ({vals}); RETURN NULL; END $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER audit_job AFTER UPDATE ON jobs FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION audit_job()",
        ]
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    audit_completions(engine)  # and `result_writes`


def _utc(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def _history(engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM job_history ORDER BY seq")).mappings().all()
    return [{**r, "updated_at": _utc(r["updated_at"])} for r in rows]


def _result_writes(engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT proof_id, count(*) FROM result_writes GROUP BY proof_id")).all()
    return {proof_id: n for proof_id, n in rows}


def _jobs(service) -> dict[str, Job]:
    with service.sessions() as s:
        return {j.id: j for j in s.scalars(select(Job))}


def _proofs(service) -> dict[str, Proof]:
    with service.sessions() as s:
        return {p.id: p for p in s.scalars(select(Proof))}


def _crash_a_dispatcher(db_url, address, mode, until, ready):
    """Start a dispatching process that submits the `mode` workload, wait until `ready(jobs)` holds for the
    rows it wrote, SIGKILL it (no clean-up: its running jobs keep their expiring leases), and return a reader
    service and the job rows as the crash left them."""
    reader = ZapikiService.open(db_url, dispatch=False)  # the schema exists before any job is written
    _audit(reader.engine)
    proc = subprocess.Popen([sys.executable, "-c", DISPATCHER, db_url, address, mode], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"submitted"
        until(lambda: ready(_jobs(reader).values()), timeout=30)
    finally:
        proc.kill()
        proc.wait()
    return reader, _jobs(reader)


def _check_recovery(svc, reader, crashed: dict[str, Job], crash_seq: int, tmp_path) -> None:
    """Every job completed once; a job the crash interrupted went back to pending only after its lease expired
    and was dispatched afresh (new attempt token, this dispatcher, no retry charged); each ran exactly as often
    as the workers logged, and one run more than before the crash unless it had completed before it."""
    final = _jobs(reader)
    assert set(final) == set(crashed)
    history = [h for h in _history(reader.engine) if h["seq"] > crash_seq]
    writes = _result_writes(reader.engine)
    for job_id, before in crashed.items():
        after = final[job_id]
        moves = [h for h in history if h["job_id"] == job_id and h["old_status"] != h["status"]]
        path = [(h["old_status"], h["status"]) for h in moves]
        assert after.status == "completed" and after.retry_count == 0, (job_id, after.status, after.error_message)
        assert writes.get(after.proof_id) == 1, (job_id, writes.get(after.proof_id))  # the result written once
        assert after.runs == _worker_runs(tmp_path, after.proof_id), (job_id, after.runs, before.status)
        if before.status == "completed":  # finished before the crash: left exactly as it was
            assert path == [] and after.runs == before.runs == 1
            assert (after.attempt_token, after.completed_at) == (before.attempt_token, before.completed_at)
            continue
        assert after.runs == before.runs + 1, (job_id, before.status, before.runs, after.runs)
        assert after.attempt_token not in (None, before.attempt_token)
        assert after.dispatcher_id == svc.dispatcher.id
        if before.status == "processing":  # back to pending once its lease ran out, then a fresh dispatch
            assert path == [("processing", "pending"), ("pending", "processing"), ("processing", "completed")], path
            released, claimed, completed = moves
            assert released["token"] is None and released["dispatcher_id"] is None
            assert released["updated_at"] > _utc(before.lease_until)
        else:
            assert before.status == "pending"
            assert path == [("pending", "processing"), ("processing", "completed")], path
            claimed, completed = moves
        assert claimed["token"] == completed["token"] == after.attempt_token
        assert claimed["dispatcher_id"] == svc.dispatcher.id


@pytest.mark.parametrize("mode", ["isolated", "batch"])
def test_a_killed_dispatcher_is_replaced_and_every_job_completes_once(
    db_url, settings, dask_cluster, until, tmp_path, mode
):
    """isolated: six diagnostic jobs, two running and one waiting in Dask at the crash. batch: commitment jobs
    interrupted mid-batch: 50 completed, a batch of 25 claimed and waiting in Dask behind two long jobs that
    hold both workers, 75 not yet claimed."""
    client, address, _ = dask_cluster
    if mode == "isolated":
        total, values = 6, list(range(6))

        def ready(jobs):  # both workers run a job (its start written), a third attempt waits in Dask
            running = [j for j in jobs if j.status == "processing" and j.runs == 1]
            return len(running) == 2 and sum(j.status == "processing" for j in jobs) == 3
    else:
        total, values = 152, None

        def ready(jobs):
            running = [j for j in jobs if j.proof_system == "diagnostic" and j.status == "processing" and j.worker]
            waiting = [j for j in jobs if j.proof_system == "commitment" and j.status == "processing"]
            return len(running) == 2 and len(waiting) == 25

    reader, crashed = _crash_a_dispatcher(db_url, address, mode, until, ready)
    try:
        crash_seq = max((h["seq"] for h in _history(reader.engine)), default=0)
        states = {s: sum(j.status == s for j in crashed.values()) for s in ("completed", "processing", "pending")}
        assert sum(states.values()) == total and states["processing"] >= 3 and states["pending"] >= 3, states
        svc = ZapikiService.open(db_url, client, replace(settings, lease_s=2.0))
        try:
            until(lambda: svc.proofs.count_jobs() == {"completed": total}, timeout=60)
            _check_recovery(svc, reader, crashed, crash_seq, tmp_path)
            proofs = _proofs(reader)
            if values is not None:
                assert sorted(p.proof_data["value"] for p in proofs.values()) == values
            else:
                for job in _jobs(reader).values():
                    p = proofs[job.proof_id]
                    assert svc.verify(p.proof_system, p.proof_data, p.public_inputs, p.verification_key)
        finally:
            svc.close()
    finally:
        reader.close()
