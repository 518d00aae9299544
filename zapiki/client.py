"""The Python client, for notebooks and scripts: `zapiki.connect()`.

>>> import zapiki
>>> with zapiki.connect(db="sqlite://", scheduler=None, local_cluster=False) as zk:
...     proof = zk.prove("commitment", "hello")
...     zk.verify("commitment", proof)
True

With no arguments, `connect()` opens the embedded SQLite database of the configuration and starts a local
Dask cluster; `submit` then returns a `Job` whose `result()` waits for the proof.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from zapiki.config import Settings
from zapiki.errors import InputError, JobFailed
from zapiki.service import ZapikiService

FINAL = ("completed", "failed", "cancelled")
STATUSES = ("pending", "processing", "retrying", "completed", "failed", "cancelled")
# The seed's job fields first, then the queue name and the attempt details.
JOB_COLUMNS = [
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
    "proof_system",
    "queue",
    "runs",
    "worker",
    "next_attempt_at",
]
# The seed's proof fields first.
PROOF_COLUMNS = [
    "id",
    "status",
    "proof_data",
    "generation_time_ms",
    "created_at",
    "completed_at",
    "proof_system",
    "circuit_id",
    "public_inputs",
    "verification_key",
    "error_message",
]


def _text(name: str, value: Any, optional: bool = False) -> str | None:  # noqa: ANN401
    """`value` when it is a string (or None, when `optional`); else an InputError naming the argument."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise InputError(f"{name} must be a string, got {type(value).__name__}")
    return value


def _limit(value: Any) -> int | None:  # noqa: ANN401
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"limit must be a whole number >= 0 or None, got {value!r}")
    return value


def _status(value: Any) -> str | None:  # noqa: ANN401
    status = _text("status", value, optional=True)
    if status is not None and status not in STATUSES:
        raise InputError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    return status


def _timeout(value: Any) -> float | None:  # noqa: ANN401
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise InputError(f"timeout must be a number of seconds >= 0 or None, got {value!r}")
    return float(value)


def _file(name: str, value: Any) -> bytes | None:  # noqa: ANN401
    """A circuit file given as bytes or as a path."""
    if value is None or isinstance(value, bytes | bytearray | memoryview):
        return None if value is None else bytes(value)
    if not isinstance(value, str | os.PathLike):
        raise InputError(f"{name} must be bytes or a path to a file, got {type(value).__name__}")
    try:
        return Path(value).read_bytes()
    except (OSError, ValueError) as exc:
        raise InputError(f"{name}: cannot read {value!r}: {exc}") from exc


def _frame(rows: list[dict[str, Any]], columns: list[str], times: tuple[str, ...]) -> Any:  # noqa: ANN401
    import pandas as pd

    frame = pd.DataFrame(rows, columns=columns)
    for col in times:
        frame[col] = pd.to_datetime(frame[col], utc=True, format="ISO8601")
    return frame


def _result(proof: dict[str, Any]) -> dict[str, Any]:
    """A finished proof as the client hands it out."""
    out = {
        "id": proof["id"],
        "proof_system": proof["proof_system"],
        "status": proof["status"],
        "proof": proof["proof_data"],
        "public_inputs": proof["public_inputs"],
        "verification_key": proof["verification_key"],
        "generation_time_ms": proof["generation_time_ms"],
        "created_at": proof["created_at"],
        "completed_at": proof["completed_at"],
    }
    if proof["proof_system"] == "groth16":
        out["public_signals"] = proof["public_inputs"]
    return out


class Job:
    """A handle on one job; reads its state from the database each time it is asked.

    >>> # job = zk.submit("commitment", "x"); job.result(timeout=30)["proof"]["commitment"]
    """

    def __init__(self, client: Zapiki, job_id: str, proof_id: str) -> None:
        self._client = client
        self.id = job_id
        self.proof_id = proof_id

    def info(self) -> dict[str, Any]:
        """The job row: status, queue, retry_count, timestamps, error_message, ..."""
        return self._client.service.proofs.get_job(self.id)

    @property
    def status(self) -> str:
        return self.info()["status"]

    def done(self) -> bool:
        return self.status in FINAL

    def wait(self, timeout: float | None = None) -> Job:
        """Block until the job is completed, failed or cancelled (TimeoutError after `timeout` seconds)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.02
        while self.status not in FINAL:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {self.id} still {self.status} after {timeout} s")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)
        return self

    def result(self, timeout: float | None = None) -> dict[str, Any]:
        """The proof once the job completes; JobFailed (with the job's last error) if it failed."""
        info = self.wait(timeout).info()
        if info["status"] != "completed":
            raise JobFailed(f"job {self.id} {info['status']}: {info['error_message']}")
        return _result(self._client.service.proofs.get_proof(self.proof_id))

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.status}>"


class JobBatch(list[Job]):
    """The jobs of one `submit_many`, in order; `wait()` shows a progress bar."""

    def __init__(self, client: Zapiki, jobs: Iterable[Job]) -> None:
        super().__init__(jobs)
        self._client = client

    def wait(self, timeout: float | None = None, progress: bool = True) -> JobBatch:
        from tqdm.auto import tqdm

        deadline = None if timeout is None else time.monotonic() + timeout
        open_ids = [j.id for j in self]
        with tqdm(total=len(self), disable=not progress, desc="proofs", unit="job") as bar:
            while open_ids:
                # Jobs of one queue finish roughly in order: look at the oldest open ones only.
                head = open_ids[:500]
                statuses = self._client.service.proofs.statuses(head)
                finished = {i for i in head if statuses.get(i) in FINAL}
                if finished:
                    open_ids = [i for i in open_ids if i not in finished]
                    bar.update(len(finished))
                    if len(finished) == len(head):
                        continue
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"{len(open_ids)} of {len(self)} jobs still open after {timeout} s")
                time.sleep(0.25)
        return self

    def results(self, timeout: float | None = None) -> list[dict[str, Any]]:
        self.wait(timeout, progress=False)
        return [j.result() for j in self]


class Zapiki:
    """A connection to a Zapiki database and (optionally) a Dask cluster that runs its jobs."""

    def __init__(
        self,
        service: ZapikiService,
        client: Any = None,
        cluster: Any = None,
        user_id: str | None = None,  # noqa: ANN401
    ) -> None:
        self.service = service
        self.dask_client = client
        self._cluster = cluster
        self.user_id = user_id or service.default_user_id

    # -- proving ---------------------------------------------------------------------------------------------
    def prove(
        self,
        system: str,
        data: Any,
        *,
        circuit: str | None = None,
        timeout: float | None = None,  # noqa: ANN401
        **options: Any,  # noqa: ANN401
    ) -> dict[str, Any]:
        """Prove now and return the proof (async-only systems are submitted and waited for)."""
        timeout = _timeout(timeout)
        impl_async = self.service.systems_by_name(system)["capabilities"]["async_only"]
        if impl_async:
            return self.submit(system, data, circuit=circuit, **options).result(timeout)
        proof = self.service.create_proof(self.user_id, system, data, options, self._circuit_id(circuit))
        return _result(proof)

    def submit(
        self,
        system: str,
        data: Any,
        *,
        priority: str = "normal",
        circuit: str | None = None,  # noqa: ANN401
        **options: Any,  # noqa: ANN401
    ) -> Job:
        """Create a job; returns at once with its handle."""
        _text("system", system)
        options = {**options, "priority": priority, "async": True}
        out = self.service.create_proof(self.user_id, system, data, options, self._circuit_id(circuit))
        return Job(self, out["job_id"], out["proof_id"])

    def submit_many(
        self,
        system: str,
        items: Iterable[Any],
        *,
        priority: str = "normal",
        circuit: str | None = None,  # noqa: ANN401
        progress: bool = True,
        chunk: int = 10_000,
        **options: Any,  # noqa: ANN401
    ) -> JobBatch:
        """Create one job per item (in chunks, with a progress bar); returns their handles in order."""
        from tqdm.auto import tqdm

        _text("system", system)
        try:
            items = list(items)
        except TypeError:
            raise InputError(f"items must be an iterable of inputs, got {type(items).__name__}") from None
        options = {**options, "priority": priority, "async": True}
        jobs: list[Job] = []
        circuit_id = self._circuit_id(circuit)
        with tqdm(total=len(items), disable=not progress, desc="submitted", unit="job") as bar:
            for start in range(0, len(items), chunk):
                part = items[start : start + chunk]
                ids = self.service.submit_many(self.user_id, system, part, options, circuit_id)
                jobs.extend(Job(self, job_id, proof_id) for proof_id, job_id in ids)
                bar.update(len(part))
        return JobBatch(self, jobs)

    def verify(
        self,
        system: str,
        proof: dict[str, Any],
        public_inputs: Any = None,
        verification_key: Any = None,  # noqa: ANN401
    ) -> bool:
        """Check a proof. `proof` may be what `prove`/`result()` returned (it carries its inputs and key)."""
        if isinstance(proof, dict) and "proof" in proof and "public_inputs" in proof:
            public_inputs = proof["public_inputs"] if public_inputs is None else public_inputs
            verification_key = proof.get("verification_key") if verification_key is None else verification_key
            proof = proof["proof"]
        return self.service.verify(system, proof, public_inputs, verification_key)

    def register_circuit(
        self,
        name: str,
        *,
        wasm: str | os.PathLike[str] | bytes,
        zkey: str | os.PathLike[str] | bytes | None = None,
        r1cs: str | os.PathLike[str] | bytes | None = None,
        public: bool = False,
    ) -> dict[str, Any]:
        """Register a circom circuit: its witness `.wasm` and its Groth16 `.zkey` — or its `.r1cs`, for a
        single-party development setup (not a ceremony). Returns the circuit with its id and verification key.
        """

        _text("name", name)
        wasm_bytes, zkey_bytes, r1cs_bytes = _file("wasm", wasm), _file("zkey", zkey), _file("r1cs", r1cs)
        if not isinstance(public, bool):
            raise InputError(f"public must be True or False, got {public!r}")
        return self.service.register_circuit(
            self.user_id, name, wasm=wasm_bytes or b"", zkey=zkey_bytes, r1cs=r1cs_bytes, is_public=public
        )

    def circuits(self) -> list[dict[str, Any]]:
        """The circuits you can use (yours and public ones)."""
        return self.service.circuits.list(self.user_id, limit=1000)

    def _circuit_id(self, circuit: str | dict[str, Any] | None) -> str | None:
        """The id of a circuit given by its name, its id, or what `register_circuit` returned."""
        if circuit is None:
            return None
        if isinstance(circuit, dict) and isinstance(circuit.get("id"), str):
            circuit = circuit["id"]
        if not isinstance(circuit, str):
            raise InputError(
                "circuit must be a circuit's name, its id or what register_circuit returned, "
                f"got {type(circuit).__name__}"
            )
        return self.service.find_circuit(circuit, self.user_id)["id"]

    # -- looking -----------------------------------------------------------------------------------------
    def job(self, job_id: str) -> Job:
        info = self.service.proofs.get_job(_text("job_id", job_id))
        return Job(self, info["id"], info["proof_id"])

    def jobs(self, status: str | None = None, system: str | None = None, limit: int | None = 1000) -> Any:  # noqa: ANN401
        """Jobs as a pandas DataFrame (newest first), columns as in JOB_COLUMNS (queue is 'high'|'normal'|'low')."""

        status, system, limit = _status(status), _text("system", system, optional=True), _limit(limit)
        rows = self.service.proofs.list_jobs(self.user_id, status=status, system=system, limit=limit)
        return _frame(rows, JOB_COLUMNS, ("created_at", "started_at", "completed_at", "next_attempt_at"))

    def proofs(self, status: str | None = None, system: str | None = None, limit: int | None = 1000) -> Any:  # noqa: ANN401
        """Proofs as a pandas DataFrame (newest first), columns as in PROOF_COLUMNS."""
        status, system, limit = _status(status), _text("system", system, optional=True), _limit(limit)
        rows = self.service.proofs.list_proofs(self.user_id, status=status, system=system, limit=limit)
        return _frame(rows, PROOF_COLUMNS, ("created_at", "completed_at"))

    def stats(self) -> dict[str, Any]:
        return self.service.stats()

    def systems(self) -> list[dict[str, Any]]:
        return self.service.systems()

    @property
    def dashboard_link(self) -> str | None:
        return getattr(self.dask_client, "dashboard_link", None)

    # -- life cycle ----------------------------------------------------------------------------------------
    def close(self) -> None:
        self.service.close()
        if self._cluster is not None:
            if self.dask_client is not None:
                self.dask_client.close()
            self._cluster.close()
        elif self.dask_client is not None:
            self.dask_client.close()

    def __enter__(self) -> Zapiki:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Zapiki db={self.service.engine.url!r} cluster={self.dashboard_link}>"


def connect(
    db: str | None = None,
    scheduler: str | None = None,
    *,
    certs: str | os.PathLike[str] | None = None,
    config: str | None = None,
    n_workers: int | None = None,
    threads_per_worker: int | None = None,
    local_cluster: bool = True,
    dispatch: bool = True,
) -> Zapiki:
    """Connect to a Zapiki database (default: the configured one, embedded SQLite) and a Dask scheduler
    (default: start a local cluster; `local_cluster=False` for none, proving only synchronously).

    A private cluster's `tls://` scheduler needs `certs`, a folder made by `zapiki cluster certs` holding at
    least ``ca.pem``, ``client.pem`` and ``client-key.pem``. The local cluster is private by itself: TLS with
    temporary credentials held in memory."""
    from distributed import Client, LocalCluster

    security = None
    if certs is not None:
        from zapiki.cluster_security import role_files, security_from

        if not (scheduler or "").startswith("tls://"):
            raise InputError(f"certs= needs a tls:// scheduler address, not {scheduler!r}")
        role_files(certs, "client")
        security = security_from(certs)
    settings = Settings.load(config)
    settings.apply_dask_config()
    cluster = None
    if scheduler:
        client = Client(scheduler, security=security)
    elif local_cluster:
        cluster = LocalCluster(
            n_workers=n_workers or settings.n_workers,
            threads_per_worker=threads_per_worker or settings.worker_concurrency,
            processes=True,
            security=True,
        )
        client = Client(cluster)
    else:
        client = None
    try:
        service = ZapikiService.open(db, client, settings, dispatch=dispatch)
    except Exception:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
        raise
    return Zapiki(service, client, cluster)
