"""What runs on a Dask worker: the attempt task, the worker plugin that carries the service's secrets, and
the warm-up used by `dask worker --preload zapiki.jobs.preload`.

A worker needs no database credentials and no shared file system: a task receives the job specs, shared
large inputs arrive as Dask data (sent once per worker), and results go back as the task's value.

The shared inputs are written to a private cache folder on the worker's disk, where the isolated prover processes
read them by path: `$ZAPIKI_WORKER_CACHE`, or `zapiki/worker` under `$XDG_CACHE_HOME` (default `~/.cache`). The
folder is created 0700 and refused (`TransientError`) unless it is owned by this user and closed to group and
others; each file is named by the SHA-256 of its content, written 0600 through a fresh temporary file
(`O_CREAT | O_EXCL`) renamed into place, and checked against its name before it is used (once per process while
it stays unchanged): a file whose content does not match is replaced from the data at hand.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import shutil
import stat
import threading
import time
from pathlib import Path
from typing import Any

from distributed import get_worker
from distributed.diagnostics.plugin import WorkerPlugin

from zapiki import systems
from zapiki.errors import TransientError
from zapiki.jobs.execute import execute
from zapiki.jobs.isolation import ChildPool
from zapiki.logs import configure
from zapiki.privatefiles import make_private_dirs, private_dir_problems, user_cache_dir
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
    """Worker log lines (`Processing proof generation: ...`) on stderr, in distributed's format, at
    ``$ZAPIKI_LOG_LEVEL`` (default INFO; `zapiki.connect()`'s local cluster sets WARNING: no per-job lines in a
    notebook's cells)."""
    configure()


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


_VERIFIED: set[tuple[str, int, int, int, int, int]] = set()  # (path, size, mtime_ns, ctime_ns, inode, device)
_VERIFIED_LOCK = threading.Lock()


def _cache_dir() -> Path:
    """This machine's private cache folder for shared inputs, created 0700 when missing; refused (with a
    `TransientError` naming it) unless it is a folder owned by this user with no group or other permission."""
    configured = os.environ.get("ZAPIKI_WORKER_CACHE")
    if configured:
        path = Path(configured).expanduser()
    else:
        try:
            path = user_cache_dir("worker")
        except (KeyError, RuntimeError) as exc:  # no home folder known
            raise TransientError(f"no worker cache folder: set ZAPIKI_WORKER_CACHE ({exc})") from exc
    path = Path(os.path.abspath(path))
    try:
        make_private_dirs(path)
    except OSError as exc:
        raise TransientError(f"worker cache folder {path} cannot be created: {exc}") from exc
    path = path.resolve()  # a link is followed once, here; the folder it leads to must itself be private
    try:
        problems = private_dir_problems(path)
    except OSError as exc:
        raise TransientError(f"worker cache folder {path} cannot be used: {exc}") from exc
    if problems:
        raise TransientError(
            f"worker cache folder {path} refused: {'; '.join(problems)}; fix it (chown, chmod 700) or point "
            "ZAPIKI_WORKER_CACHE at a private folder"
        )
    return path


def _file_sha256(fd: int) -> str:
    """The SHA-256 of an open file's content, read from its start."""
    digest = hashlib.sha256()
    os.lseek(fd, 0, os.SEEK_SET)
    while chunk := os.read(fd, 1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


def _stat_key(path: Path, st: os.stat_result) -> tuple[str, int, int, int, int, int]:
    return (str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def _verified(path: Path, digest: str) -> bool:
    """Whether the file at `path` holds content whose SHA-256 is `digest`: hashed once per process, and again
    only when its size, times, inode or device change. False when it is missing or not a regular file. A file
    that group or others may read is tightened to 0600 first."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(st.st_mode):
        return False
    with _VERIFIED_LOCK:
        if _stat_key(path, st) in _VERIFIED:
            return True
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) & 0o077:  # a file only this user may read
            os.fchmod(fd, 0o600)
            st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or _file_sha256(fd) != digest:
            return False
        after = os.fstat(fd)
        if (after.st_size, after.st_mtime_ns) != (st.st_size, st.st_mtime_ns):  # changed while it was read
            return False
    finally:
        os.close(fd)
    with _VERIFIED_LOCK:
        _VERIFIED.add(_stat_key(path, st))
    return True


def _write(folder: Path, digest: str, blob: bytes) -> Path:
    """Write `blob` as `folder/digest`: into a new 0600 temporary file (O_CREAT | O_EXCL), then renamed into
    place, so a reader sees the whole file or none, and two writers of one blob cannot corrupt it."""
    path = folder / digest
    tmp = folder / f".{digest}.{os.getpid()}.{os.urandom(8).hex()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(blob)
            inode = os.fstat(out.fileno()).st_ino
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        st = os.lstat(path)
        if st.st_ino == inode:  # still our copy, written from bytes whose hash is `digest`: known good
            with _VERIFIED_LOCK:
                _VERIFIED.add(_stat_key(path, st))
    return path


def materialise(resources: dict[str, dict[str, Any]] | None) -> dict[str, str]:
    """Write shared inputs ({name: {"sha256", "data"}}) to this machine's private cache, once per content hash
    (the file is named by it), and return {name: path}. A cached file is checked against its hash before it is
    used (once per process while it is unchanged); one that does not match is replaced from `data`."""
    paths: dict[str, str] = {}
    if not resources:
        return paths
    folder = _cache_dir()
    for name, item in resources.items():
        digest, blob = item["sha256"], item["data"]
        if not (isinstance(digest, str) and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)):
            digest = hashlib.sha256(blob).hexdigest()
        path = folder / digest
        if not _verified(path, digest):
            actual = hashlib.sha256(blob).hexdigest()
            if actual != digest:  # the data at hand is not what its hash says: keep it under its true name
                log.warning("shared input %s arrived with sha256 %s, not the announced %s", name, actual, digest)
                digest, path = actual, folder / actual
            if not _verified(path, digest):
                if os.path.lexists(path):
                    log.warning("cached file %s does not match its sha256; replacing it", path)
                path = _write(folder, digest, blob)
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
        job = spec["job_id"]
        log.info("Processing proof generation: %s (system: %s) [job %s]", spec["proof_id"], spec["system"], job)
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
            took = round(result["took_ms"])
            log.info("Proof generation completed: %s (took %d ms) [job %s]", spec["proof_id"], took, job)
        else:
            kind, error = result["kind"], result["error"]
            log.warning("Proof generation failed: %s (%s: %s) [job %s]", spec["proof_id"], kind, error, job)
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
