"""Real processes for the fault and shutdown tests: a `dask scheduler`, `dask worker --preload
zapiki.jobs.preload` processes (bare, or under `zapiki worker`, the supervisor `make run-worker` runs), each
logging to its own file, and helpers that read the jobs' fate from the database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

SCHEDULER = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
WORKER = [sys.executable, "-m", "distributed.cli.dask_worker"]
ENV = {**os.environ, "ZAPIKI_DIAGNOSTICS": "1", "ZAPIKI_WARMUP": "0"}
FINAL = ("completed", "failed", "cancelled")


ROOT = Path(__file__).resolve().parent.parent


class Cluster:
    """A scheduler and the workers a test starts, each logging to its own file."""

    def __init__(self, tmp_path, port: int, scheduler_env: dict[str, str] | None = None) -> None:
        self.tmp_path = tmp_path
        self.address = f"tcp://127.0.0.1:{port}"
        self.procs: list[subprocess.Popen] = []
        self.scheduler = self._start(
            [*SCHEDULER, "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            "scheduler",
            env={**ENV, **(scheduler_env or {})},
        )
        from distributed import Client

        self.client = Client(self.address, timeout=60)

    def _start(self, cmd: list[str], name: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.Popen:
        log = open(self.tmp_path / f"{name}.log", "wb")
        proc = subprocess.Popen(cmd, env=ENV if env is None else env, stdout=log, stderr=subprocess.STDOUT, **kwargs)
        proc.log_path = self.tmp_path / f"{name}.log"
        self.procs.append(proc)
        return proc

    def worker(self, name: str, nanny: bool = True, supervised: bool = False, wait: bool = True, **kwargs):
        """Start `dask worker ADDRESS --preload zapiki.jobs.preload` (one thread), or the same under the
        `zapiki worker` supervisor, and wait until it joined."""
        before = len(self.client.scheduler_info()["workers"])
        opts = [self.address, "--nthreads", "1", "--no-dashboard", "--name", name] + ([] if nanny else ["--no-nanny"])
        if supervised:
            cmd = [sys.executable, "-m", "zapiki.cli", "worker", *opts]
        else:
            cmd = [*WORKER, *opts, "--preload", "zapiki.jobs.preload"]
        proc = self._start(cmd, name, **kwargs)
        if wait:
            self.client.wait_for_workers(before + 1, timeout=60)
        return proc

    def address_of(self, name: str) -> str:
        return next(a for a, w in self.client.scheduler_info()["workers"].items() if w["name"] == name)

    def close(self) -> None:
        self.client.close()
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def audit_completions(engine) -> None:
    """Database triggers (nothing in Zapiki can skip them) that record every write of status 'completed' to a
    job (table `completions`: a job listed twice was completed twice) and every write of a result to a proof
    (table `result_writes`)."""
    import sqlalchemy as sa

    audits = [  # (table, column, audited table, watched column, condition)
        ("completions", "job_id", "jobs", "status", "NEW.status = 'completed'"),
        ("result_writes", "proof_id", "proofs", "proof_data", "NEW.proof_data IS NOT NULL"),
    ]
    statements = []
    for table, column, audited, watched, condition in audits:
        statements.append(f"CREATE TABLE {table} ({column} TEXT NOT NULL)")
        insert = f"INSERT INTO {table} ({column}) VALUES (NEW.id)"
        if engine.dialect.name == "sqlite":
            statements.append(
                f"CREATE TRIGGER audit_{table} AFTER UPDATE OF {watched} ON {audited} WHEN {condition} "
                f"BEGIN {insert}; END"
            )
        else:
            statements += [
                f"CREATE FUNCTION audit_{table}() RETURNS trigger AS $$ BEGIN {insert}; RETURN NULL; END $$ "
                "LANGUAGE plpgsql",
                f"CREATE TRIGGER audit_{table} AFTER UPDATE OF {watched} ON {audited} FOR EACH ROW "
                f"WHEN ({condition}) EXECUTE FUNCTION audit_{table}()",
            ]
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))


class Figures(dict):
    """What a fault test reports: jobs submitted, completed, failed, lost (not terminal), completed twice,
    runs per job (max and mean), and the time to recover."""

    def line(self) -> str:
        return " ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in self.items())


REPORTED: list[Figures] = []


def figures(engine, job_ids: list[str], scenario: str, recover_s: float | None = None) -> Figures:
    """The fate of `job_ids`, read from the database (and the completions audit), reported at the end of the
    test session."""
    import sqlalchemy as sa

    with engine.connect() as conn:
        rows = []
        for start in range(0, len(job_ids), 500):
            chunk = job_ids[start : start + 500]
            rows += conn.execute(
                sa.text("SELECT id, status, runs FROM jobs WHERE id IN :ids").bindparams(
                    sa.bindparam("ids", expanding=True)
                ),
                {"ids": chunk},
            ).all()
        completions = Counter(r[0] for r in conn.execute(sa.text("SELECT job_id FROM completions")))
    wanted = set(job_ids)
    audited = sum(n for job_id, n in completions.items() if job_id in wanted)
    twice = sum(1 for job_id, n in completions.items() if job_id in wanted and n > 1)
    statuses = [r[1] for r in rows]
    runs = [r[2] for r in rows] or [0]
    out = Figures(
        scenario=scenario,
        submitted=len(job_ids),
        completed=statuses.count("completed"),
        failed=statuses.count("failed"),
        lost=len(job_ids) - sum(statuses.count(s) for s in FINAL),
        completed_twice=int(twice or 0),
        audited=int(audited or 0),  # completions the trigger saw: equals `completed` when nothing ran twice
        max_runs=max(runs),
        mean_runs=sum(runs) / len(runs),
    )
    if recover_s is not None:
        out["recover_s"] = recover_s
    REPORTED.append(out)
    print(out.line())
    return out


def start_serve(tmp_path, db, port, *extra, migrate=True):
    """`zapiki serve` on `db` and `port` (a local cluster of one single-thread worker unless `extra` says
    otherwise), started in `tmp_path`; returns (process, banner) once it listens. A PostgreSQL `db` gets
    `--migrate` (serve refuses one behind the code's schema otherwise) unless `migrate` is False."""
    if migrate and not db.startswith("sqlite") and "--migrate" not in extra:
        extra = (*extra, "--migrate")
    cmd = [
        sys.executable,
        "-m",
        "zapiki.cli",
        "serve",
        "--port",
        str(port),
        "--db",
        db,
        "--n-workers",
        "1",
        "--threads-per-worker",
        "1",
        "--dask-dashboard-port",
        "0",
        *extra,
    ]
    env = {**os.environ, "ZAPIKI_WARMUP": "0"}
    # Its output goes to a file (a pipe nobody reads would fill up and stall the server); proc.log() reads it.
    log_path = tmp_path / f"serve-{port}-{time.monotonic_ns()}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    proc.log = lambda: log_path.read_text(errors="replace")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if "Launching server" in proc.log():
            return proc, proc.log()
        time.sleep(0.1)
    proc.kill()
    pytest.fail("zapiki serve did not start:\n" + proc.log())


def start_logged(cmd: list[str], log_path: Path, cwd=None, env=None) -> subprocess.Popen:
    """Start `cmd` in a session of its own with its output in `log_path` (proc.log() reads it); end it and
    everything it started with kill_tree()."""
    from zapiki.chaos.processes import spawn

    proc = spawn(cmd, log_path, ENV if env is None else env, cwd)
    proc.log = lambda: log_path.read_text(errors="replace")
    return proc


def wait_for_log(proc: subprocess.Popen, text: str, timeout: float) -> str:
    """proc's log once it holds `text`; fails the test (with the log) if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = proc.log()
        if text in log:
            return log
        if proc.poll() is not None:
            pytest.fail(f"exited with {proc.returncode} before printing {text!r}:\n{log}")
        time.sleep(0.1)
    pytest.fail(f"{text!r} not printed within {timeout} s:\n{proc.log()}")


def kill_tree(proc: subprocess.Popen, term_timeout: float = 0.0) -> None:
    """End `proc` and every process under it (also those in sessions of their own, such as the worker under
    `zapiki worker`): SIGTERM first and up to `term_timeout` s to exit, then SIGKILL."""
    from zapiki.chaos.processes import end

    end(proc, term_timeout)


def make_run_scheduler(tmp_path, certs: Path, port: int) -> tuple[subprocess.Popen, str]:
    """`make run-scheduler CERTS=certs SCHEDULER_PORT=port` (its dashboard on a free loopback port), started in
    the repository as the README says; returns (make's process, the tls:// address to connect to) once it
    listens. End it with kill_tree()."""
    cmd = ["make", "-s", "run-scheduler", f"CERTS={certs}", f"SCHEDULER_PORT={port}", "SCHEDULER_DASHBOARD=127.0.0.1:0"]
    proc = start_logged(cmd, tmp_path / f"scheduler-{port}.log", cwd=ROOT)
    try:
        wait_for_log(proc, "Scheduler at:", 120)
    except BaseException:
        kill_tree(proc)
        raise
    return proc, f"tls://127.0.0.1:{port}"
