"""What runs on a Dask worker: the attempt task, the worker plugin that carries the service's secrets, and
the warm-up used by `dask worker --preload zapiki.jobs.preload`.

A worker needs no database credentials and no shared file system: a task receives the job specs, shared
large inputs arrive as Dask data (sent once per worker and cached), and results go back as the task's value.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from distributed import get_worker
from distributed.diagnostics.plugin import WorkerPlugin

from zapiki import systems
from zapiki.jobs.execute import execute
from zapiki.jobs.isolation import ChildPool
from zapiki.systems.base import ProveContext

log = logging.getLogger("zapiki.worker")
START_TOPIC = "zapiki-start"


class _WorkerState:
    def __init__(self) -> None:
        self.secrets: dict[str, dict[str, bytes]] = {}  # per service: {secrets_id: {name: secret}}
        self.pool: ChildPool | None = None
        self.lock = threading.Lock()

    def child_pool(self) -> ChildPool:
        with self.lock:
            if self.pool is None:
                self.pool = ChildPool()
            return self.pool


STATE = _WorkerState()


def configure_logging() -> None:
    """Worker log lines (`Processing proof generation: ...`) at INFO on stderr, in distributed's format."""
    logger = logging.getLogger("zapiki")
    logger.setLevel(logging.INFO)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s - %(name)s - %(levelname)s - %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False


def secrets_id(secrets: dict[str, bytes]) -> str:
    """A short name for one service's secrets (several services may share a cluster, each with its own keys).

    >>> secrets_id({"commitment_signing_key": b"k"}) == secrets_id({"commitment_signing_key": b"k"})
    True
    """
    digest = hashlib.sha256()
    for name in sorted(secrets):
        digest.update(name.encode() + b"\0" + secrets[name] + b"\0")
    return digest.hexdigest()[:16]


class ZapikiWorkerPlugin(WorkerPlugin):
    """Hands one service's secrets (the commitment signing key) to every worker, including later joiners. Each
    service's plugin has its own name, so a second service on the same cluster adds its secrets beside the
    first's instead of replacing them; registering the same secrets again changes nothing (idempotent).

    >>> plugin = ZapikiWorkerPlugin({"commitment_signing_key": b"..."})
    >>> plugin.name.startswith("zapiki-")
    True
    """

    idempotent = True

    def __init__(self, secrets: dict[str, bytes]) -> None:
        self.secrets = dict(secrets)
        self.secrets_id = secrets_id(self.secrets)
        self.name = f"zapiki-{self.secrets_id}"

    def setup(self, worker: Any) -> None:  # noqa: ANN401
        configure_logging()
        STATE.secrets[self.secrets_id] = dict(self.secrets)
        STATE.child_pool()

    def teardown(self, worker: Any) -> None:  # noqa: ANN401
        # The provers stay: they serve every service's jobs, and die with the worker process anyway.
        STATE.secrets.pop(self.secrets_id, None)


def _cache_dir() -> Path:
    path = Path(os.environ.get("ZAPIKI_WORKER_CACHE", Path(tempfile.gettempdir()) / "zapiki-worker-cache"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def materialise(resources: dict[str, dict[str, Any]] | None) -> dict[str, str]:
    """Write shared inputs ({name: {"sha256", "data"}}) to this machine's cache, once per content hash (the
    file is named by it), and return {name: path}."""
    paths: dict[str, str] = {}
    for name, item in (resources or {}).items():
        digest, blob = item["sha256"], item["data"]
        if not (isinstance(digest, str) and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)):
            digest = hashlib.sha256(blob).hexdigest()
        path = _cache_dir() / digest
        if not path.exists():
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(blob)
            os.replace(tmp, path)
        paths[name] = str(path)
    return paths


def run_attempt(token: str, packed_specs: bytes, resources: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The Dask task: run one attempt of each job in `specs` (one isolated job, or a batch of fast ones).

    The specs travel pickled (`pack_specs`), so Dask does not walk every job's input looking for futures.

    Each spec: {job_id, proof_id, system, data, attempt, timeout_s, options, secrets_id}. Announces its start on the
    `zapiki-start` topic (so the dispatcher counts Dask's own re-runs), then returns
    {"token", "worker", "started", "results": [result dict per job, with job_id]}.
    """
    started = time.time()
    try:
        worker = get_worker()
        address = worker.address
        worker.log_event(START_TOPIC, {"token": token, "worker": address, "at": started})
    except ValueError:  # run outside a worker (tests, the service's own inline path)
        address = "local"
    specs = pickle.loads(packed_specs)
    paths = materialise(resources)
    results = []
    for spec in specs:
        log.info("Processing proof generation: %s (system: %s)", spec["proof_id"], spec["system"])
        ctx = ProveContext(
            secrets=STATE.secrets.get(spec.get("secrets_id", ""), {}),
            attempt=spec["attempt"],
            deadline=time.time() + float(spec["timeout_s"]),
            resources=paths,
            options=spec.get("options") or {},
        )
        try:
            capabilities = systems.get(spec["system"]).capabilities
        except Exception as exc:  # unknown system on this worker: an input error, named
            results.append({"job_id": spec["job_id"], "ok": False, "kind": "input", "error": str(exc), "took_ms": 0})
            continue
        if capabilities.isolated:
            result = STATE.child_pool().run(spec["system"], spec["data"], ctx, capabilities.uses_kernels)
        else:
            result = execute(spec["system"], spec["data"], ctx)
        result["job_id"] = spec["job_id"]
        if result["ok"]:
            log.info("Proof generation completed: %s (took %d ms)", spec["proof_id"], round(result["took_ms"]))
        else:
            log.warning("Proof generation failed: %s (%s: %s)", spec["proof_id"], result["kind"], result["error"])
        results.append(result)
    return {"token": token, "worker": address, "started": started, "results": results}


def pack_specs(specs: list[dict[str, Any]]) -> bytes:
    """The job specs of one attempt as one opaque value for the task."""
    return pickle.dumps(specs, protocol=pickle.HIGHEST_PROTOCOL)


def stop_provers() -> None:
    """Kill this worker's isolated prover processes (their running attempts end at once; new ones start fresh
    children). Run on every worker by `zapiki serve` as it stops, after handing its running jobs back."""
    if STATE.pool is not None:
        STATE.pool.close()


def warm_worker(nthreads: int) -> None:
    """Start and warm one isolated child per thread, so the first proof on a fresh worker pays no start-up."""
    STATE.child_pool().warmup(nthreads)
