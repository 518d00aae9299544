"""The chaos soak: a real deployment on this machine (a private PostgreSQL, a Dask scheduler, two supervised
workers, `zapiki serve`), a mixed load of two users over the REST API, and a driver that at seeded random
moments SIGKILLs or SIGTERMs a worker, kills and replaces the scheduler, SIGKILLs and restarts `zapiki serve`,
or restarts PostgreSQL. After each blow it measures how long until a new job completes. Then the load stops,
every acknowledged job must become final, a calm phase checks queue weights and per-user turns, and every
invariant of `zapiki.chaos.invariants` is checked against the database and its audit trail.

A soak needs PostgreSQL's server binaries and minutes: run one with ``python -m zapiki.chaos --seed 7`` or::

    report = run_soak(SoakOptions(seed=7, duration_s=180, folder=Path("/tmp/soak"),
                                  circuit=Path("tests/fixtures/groth16/multiplier")))
    for line in report.lines():
        print(line)

Its report names the seed that replays it, its figures and what it found:

>>> for line in Report(seed=7, figures={"blows": 12}).lines():
...     print(line)
chaos soak seed=7 (replay: python -m zapiki.chaos --seed 7)
  blows: 12
  every invariant holds
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
import sqlalchemy as sa

from zapiki.chaos import audit
from zapiki.chaos.invariants import Drain, Expectations, check, turns
from zapiki.chaos.load import PRIORITIES, UserLoad
from zapiki.chaos.processes import PrivatePostgres, Scheduler, Serve, SupervisedWorker, end, free_port

#: The blows and how often each is chosen.
ACTIONS = {"worker-sigkill": 3, "worker-sigterm": 2, "scheduler-kill": 1, "serve-kill": 2, "postgres-restart": 1}
WEIGHTS = {"high": 6, "normal": 3, "low": 1}
USERS = (("alice", "pro"), ("bob", "enterprise"))
CALM_JOBS = 8  # per user and queue in the calm phase


@dataclass
class SoakOptions:
    seed: int
    duration_s: float
    folder: Path
    circuit: Path  # a folder with circuit.wasm and circuit.zkey (a small circuit with inputs a and b)
    gap_s: tuple[float, float] = (3.0, 10.0)  # seconds between blows
    settle_s: float = 600.0
    pause_s: float = 0.4  # between one user's requests
    log: Any = None  # a callable taking a line; print by default


@dataclass
class Report:
    seed: int
    figures: dict[str, Any] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"chaos soak seed={self.seed} (replay: python -m zapiki.chaos --seed {self.seed})"]
        out += [f"  {k}: {v}" for k, v in self.figures.items()]
        out += [f"  VIOLATION {v}" for v in self.violations] or ["  every invariant holds"]
        return out


def _config(folder: Path, seed: int) -> Path:
    """The soak's config file: the shipped defaults with short retry delays, lease and timeouts, and a seeded
    queue choice (so the calm phase can replay it)."""
    path = folder / "config.yaml"
    config = {
        "distributed": {"scheduler": {"allowed-failures": 3, "work-stealing": True}},
        "zapiki": {
            "queues": {**WEIGHTS, "strict": False},
            "retry": {"max_retries": 3, "delays_s": [0, 0.5, 1], "timeouts": False},
            "timeout": {"default_s": 60, "max_s": 120},
            "users": {"max_in_flight": {"free": 2, "pro": 16, "enterprise": 0}},
            "in_flight_buffer": 1,
            "lease_s": 10,
            "shutdown_grace_s": 10,
            "random_seed": seed,
        },
    }
    path.write_text(json.dumps(config))  # JSON is YAML
    return path


class Soak:
    def __init__(self, opts: SoakOptions) -> None:
        self.opts = opts
        self.rng = random.Random(opts.seed)
        self.say = opts.log or (lambda line: print(line, flush=True))
        self.folder = opts.folder
        self.folder.mkdir(parents=True, exist_ok=True)
        os.environ["ZAPIKI_DIAGNOSTICS"] = "1"  # the calm phase writes diagnostic jobs from this process
        config = _config(self.folder, opts.seed)
        self.env = {
            **os.environ,
            "ZAPIKI_CONFIG": str(config),
            "DASK_CONFIG": str(config),
            "ZAPIKI_DIAGNOSTICS": "1",
            "ZAPIKI_WARMUP": "0",
            "ZAPIKI_WORKER_CACHE": str(self.folder / "worker-cache"),
        }
        self.pg: PrivatePostgres | None = None
        self.pg_folder: Path | None = None
        self.scheduler: Scheduler | None = None
        self.workers: list[SupervisedWorker] = []
        self.serve: Serve | None = None
        self.engine: sa.Engine | None = None
        self.keys: dict[str, str] = {}
        self.user_ids: dict[str, str] = {}
        self.loads: list[UserLoad] = []
        self.probes: set[str] = set()
        self.drains: list[Drain] = []
        self.blows: Counter[str] = Counter()
        self.recovery: dict[str, list[float]] = {}
        self.violations: list[str] = []

    # -- the deployment ----------------------------------------------------------------------------------------
    def start(self) -> None:
        from zapiki.service import ZapikiService

        # the server runs as `postgres` when we are root: its folder must not sit under a private one
        self.pg_folder = Path(tempfile.mkdtemp(prefix="zapiki-soak-pg-"))
        self.pg = PrivatePostgres(self.pg_folder / "pg", free_port())
        self.pg.start()
        svc = ZapikiService.open(self.pg.url, dispatch=False)
        try:
            audit.install(svc.engine)
            for name, tier in (*USERS, ("probe", "enterprise")):
                info, key = svc.keys.create_key(f"{name}@soak.example", tier=tier)
                self.keys[name], self.user_ids[name] = key, info["user_id"]
        finally:
            svc.close()
        self.engine = sa.create_engine(self.pg.url, pool_pre_ping=True)
        self.scheduler = Scheduler(self.folder, free_port(), self.env)
        self.scheduler.start()
        self.workers = [SupervisedWorker(self.folder, f"w{i}", self.scheduler.address, self.env) for i in (1, 2)]
        self.serve = Serve(self.folder, free_port(), self.pg.url, self.scheduler.address, self.env)
        self.serve.start()

    def stop(self) -> None:
        for load in self.loads:
            load.stop()
        if self.serve is not None:
            self.serve.stop()
        for w in self.workers:
            w.stop()
        if self.scheduler is not None:
            end(self.scheduler.proc)
        if self.engine is not None:
            self.engine.dispose()
        if self.pg is not None:
            try:
                self.pg.stop()
            except Exception as exc:  # noqa: BLE001 - already stopped
                self.say(f"postgres stop: {exc}")
            if self.pg_folder is not None:
                shutil.rmtree(self.pg_folder, ignore_errors=True)

    def _http(self, user: str) -> httpx.Client:
        assert self.serve is not None
        return httpx.Client(base_url=self.serve.url, headers={"X-API-Key": self.keys[user]}, timeout=15)

    def register_circuit(self) -> str:
        files = {
            "wasm": ("circuit.wasm", (self.opts.circuit / "circuit.wasm").read_bytes()),
            "zkey": ("circuit.zkey", (self.opts.circuit / "circuit.zkey").read_bytes()),
        }
        with self._http("alice") as client:
            r = client.post("/api/v1/circuits", data={"name": "soak", "is_public": "true"}, files=files)
        if r.status_code != 201:
            raise RuntimeError(f"registering the soak's circuit answered {r.status_code}: {r.text}")
        return str(r.json()["id"])

    # -- the blows ---------------------------------------------------------------------------------------------
    def _worker_address(self, name: str) -> str | None:
        from distributed import Client

        assert self.scheduler is not None
        try:
            with Client(self.scheduler.address, timeout=10) as c:
                workers = c.scheduler_info(n_workers=-1)["workers"]
        except Exception:  # noqa: BLE001 - the scheduler is restarting
            return None
        return next((a for a, w in workers.items() if w.get("name") == name), None)

    def blow(self, action: str) -> bool:
        """Deal one blow and bring back what it broke; False when it could not be dealt now (no live worker)."""
        assert self.scheduler is not None and self.serve is not None and self.pg is not None
        if action == "worker-sigkill":
            worker = self.rng.choice(self.workers)
            return worker.signal(signal.SIGKILL) is not None
        if action == "worker-sigterm":
            worker = self.rng.choice(self.workers)
            address = self._worker_address(worker.name)
            pid = worker.worker_pid()
            if address is None or pid is None:
                return False
            began = datetime.now(UTC)
            worker.signal(signal.SIGTERM)
            try:
                psutil.Process(pid).wait(timeout=180)
            except psutil.NoSuchProcess:
                pass
            except psutil.TimeoutExpired:
                self.violations.append(f"worker {worker.name} did not finish draining within 180 s")
            self.drains.append(Drain(address, began, datetime.now(UTC)))
            return True
        if action == "scheduler-kill":
            self.scheduler.kill()
            time.sleep(self.rng.uniform(0.5, 2.0))
            self.scheduler.start()
            return True
        if action == "serve-kill":
            self.serve.kill()
            time.sleep(self.rng.uniform(0.5, 2.0))
            self.serve.start()
            return True
        if action == "postgres-restart":
            self.pg.stop(self.rng.choice(("fast", "immediate")))
            time.sleep(self.rng.uniform(1.0, 4.0))
            self.pg.start()
            return True
        raise ValueError(action)

    def probe(self, timeout: float = 300.0) -> float | None:
        """Seconds until a new job is acknowledged and completed (None: not within `timeout`). The probe is a
        third user's high-priority job, so it measures the service coming back, not the load's backlog."""
        t0 = time.monotonic()
        options = {"async": True, "priority": "high"}
        body = {"proof_system": "commitment", "data": {"type": "string", "value": "probe"}, "options": options}
        job_id = None
        with self._http("probe") as client:
            while time.monotonic() - t0 < timeout:
                try:
                    if job_id is None:
                        r = client.post("/api/v1/proofs", json=body)
                        if r.status_code == 202:
                            job_id = r.json()["job_id"]
                            self.probes.add(job_id)
                    else:
                        r = client.get(f"/api/v1/jobs/{job_id}")
                        if r.status_code == 200 and r.json()["status"] == "completed":
                            return time.monotonic() - t0
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
        return None

    # -- the run -----------------------------------------------------------------------------------------------
    def chaos(self, circuit_id: str) -> None:
        assert self.serve is not None
        for name, _ in USERS:
            rng = random.Random(f"{self.opts.seed}-{name}")
            load = UserLoad(name, self.serve.url, self.keys[name], circuit_id, rng, self.opts.pause_s)
            self.loads.append(load)
            load.start()
        # every kind of blow once, in a seeded order, then a seeded weighted choice
        plan = list(ACTIONS)
        self.rng.shuffle(plan)
        deadline = time.monotonic() + self.opts.duration_s
        while time.monotonic() < deadline:
            time.sleep(self.rng.uniform(*self.opts.gap_s))
            action = plan.pop(0) if plan else self.rng.choices(list(ACTIONS), list(ACTIONS.values()))[0]
            if not self.blow(action):
                plan.insert(0, action)  # no live worker to hit just now: the same blow, a little later
                continue
            self.blows[action] += 1
            took = self.probe()
            if took is None:
                self.violations.append(f"no job completed within 300 s after {action}")
            else:
                self.recovery.setdefault(action, []).append(took)
            after = "no job completed" if took is None else f"a new job completed {took:.2f} s later"
            self.say(f"  {time.strftime('%H:%M:%S')} {action}: {after}")
        for load in self.loads:
            load.stop()
        for load in self.loads:
            load.join(30)

    def expected(self) -> Expectations:
        out = Expectations(acknowledged=set(self.probes))
        for load in self.loads:
            out.acknowledged |= load.expected.acknowledged
            out.input_errors |= load.expected.input_errors
        return out

    def settle(self, ids: set[str]) -> float:
        assert self.engine is not None
        t0 = time.monotonic()
        wanted = list(ids)
        while time.monotonic() - t0 < self.opts.settle_s:
            with self.engine.connect() as conn:
                open_ = 0
                for start in range(0, len(wanted), 1000):
                    open_ += conn.execute(
                        sa.text(
                            "SELECT count(*) FROM jobs WHERE id IN :ids AND status NOT IN "
                            "('completed', 'failed', 'cancelled')"
                        ).bindparams(sa.bindparam("ids", expanding=True)),
                        {"ids": wanted[start : start + 1000]},
                    ).scalar()
            if not open_:
                return time.monotonic() - t0
            time.sleep(1.0)
        self.violations.append(f"jobs still open {self.opts.settle_s} s after the load stopped")
        return time.monotonic() - t0

    def orphans(self) -> list[str]:
        """Attempt tasks the scheduler still holds once every job is final."""
        from distributed import Client

        assert self.scheduler is not None

        def open_tasks(dask_scheduler: Any) -> list[str]:  # noqa: ANN401
            busy = ("processing", "queued", "no-worker", "waiting")
            return [str(k) for k, ts in dask_scheduler.tasks.items() if ts.state in busy]

        with Client(self.scheduler.address, timeout=30) as c:
            return c.run_on_scheduler(open_tasks)

    def calm(self) -> tuple[list[str], dict[str, Any]]:
        """Weights and turns after the storm: with `zapiki serve` stopped, both users queue CALM_JOBS short jobs
        in each queue; a fresh `zapiki serve` (its queue choice seeded) then serves them. Until a queue runs
        dry, the queues it serves must be exactly the seeded weighted choice, and within each queue the users
        must take turns."""
        from zapiki.jobs.picker import pick_queue
        from zapiki.service import ZapikiService

        assert self.serve is not None and self.pg is not None
        self.serve.stop()
        svc = ZapikiService.open(self.pg.url, dispatch=False)
        ids: dict[str, tuple[str, str]] = {}
        try:
            for q in PRIORITIES:
                for name, _ in USERS:
                    items = [{"sleep_s": 0.05, "value": i} for i in range(CALM_JOBS)]
                    made = svc.submit_many(self.user_ids[name], "diagnostic", items, {"priority": q, "async": True})
                    ids.update({job_id: (q, name) for _, job_id in made})
        finally:
            svc.close()
        self.serve.start()
        self.settle(set(ids))
        trail = audit.changes(self.engine)  # type: ignore[arg-type]
        claims = sorted(
            (c["seq"], job_id)
            for job_id in ids
            for c in trail.get(job_id, [])
            if c["old_status"] == "pending" and c["new_status"] == "processing"
        )
        order = [ids[job_id] for _, job_id in claims]
        problems: list[str] = []
        if len(order) != len(ids):
            problems.append(f"calm phase: {len(order)} claims for {len(ids)} jobs (each should be claimed once)")
        # weights: the seeded choice, replayed, until the first queue runs dry
        rng = random.Random(self.opts.seed)
        left = Counter({q: CALM_JOBS * len(USERS) for q in PRIORITIES})
        expected_queues: list[str] = []
        while all(left[q] > 0 for q in PRIORITIES):
            q = pick_queue({q: 1 for q in PRIORITIES}, WEIGHTS, False, rng)
            assert q is not None
            expected_queues.append(q)
            left[q] -= 1
        served = [q for q, _ in order[: len(expected_queues)]]
        if served != expected_queues:
            problems.append(f"calm phase: queues served {served}, the weighted choice says {expected_queues}")
        # turns within each queue, while both users still wait there
        for q in PRIORITIES:
            users = [u for qq, u in order if qq == q]
            both = []
            remaining = Counter(u for u in users)
            for u in users:
                if all(remaining[n] > 0 for n, _ in USERS):
                    both.append(u)
                remaining[u] -= 1
            problems += [f"calm phase, queue {q}: {p}" for p in turns(both)]
        share = Counter(served)
        return problems, {"calm_claims": len(order), "calm_share": {q: share[q] for q in PRIORITIES}}

    def run(self) -> Report:
        report = Report(self.opts.seed)
        t_start = time.monotonic()
        self.say(f"chaos soak: seed {self.opts.seed}, {self.opts.duration_s:g} s of blows, in {self.folder}")
        try:
            self.start()
            circuit_id = self.register_circuit()
            self.chaos(circuit_id)
            expected = self.expected()
            settle_s = self.settle(expected.acknowledged)
            assert self.engine is not None
            from zapiki import systems

            groth16 = systems.get("groth16")
            trail = audit.changes(self.engine)
            bad, figures = check(
                self.engine, expected, trail, self.drains, lambda vk, pub, proof: groth16.verify(proof, pub, vk)
            )
            self.violations += bad
            orphans = self.orphans()
            self.violations += [f"Dask still holds task {k} after every job is final" for k in orphans]
            for load in self.loads:
                self.violations += load.server_errors
            calm_problems, calm_figures = self.calm()
            self.violations += calm_problems
            report.figures = {
                "seconds": round(time.monotonic() - t_start, 1),
                "blows": dict(self.blows),
                "recovery_s (mean/max)": {
                    k: f"{statistics.mean(v):.2f}/{max(v):.2f}" for k, v in sorted(self.recovery.items())
                },
                "drains": len(self.drains),
                "requests": dict(sum((load.statuses for load in self.loads), Counter())),
                "sent": dict(sum((load.sent for load in self.loads), Counter())),
                "cancels": sum(len(load.cancelled) for load in self.loads),
                "manual_retries": sum(len(load.retried) for load in self.loads),
                "settle_s": round(settle_s, 1),
                **figures,
                **calm_figures,
            }
        finally:
            self.stop()
        report.violations = self.violations
        return report


def run_soak(opts: SoakOptions) -> Report:
    """Run one soak (see the module's docstring) and return its figures and the violations found."""
    return Soak(opts).run()


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m zapiki.chaos", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=None, help="replay a soak (default: a new random seed)")
    parser.add_argument("--minutes", type=float, default=3.0, help="how long the blows go on")
    parser.add_argument("--folder", type=Path, default=None, help="logs and the database (default: a temporary one)")
    parser.add_argument(
        "--circuit", type=Path, default=Path("tests/fixtures/groth16/multiplier"), help="circuit.wasm + circuit.zkey"
    )
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    folder = args.folder or Path(tempfile.mkdtemp(prefix=f"zapiki-soak-{seed}-"))
    report = run_soak(SoakOptions(seed=seed, duration_s=args.minutes * 60, folder=folder, circuit=args.circuit))
    for line in report.lines():
        print(line)
    print(f"logs: {folder}")
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
