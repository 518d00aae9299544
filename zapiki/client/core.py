"""`Zapiki`, the client, and `connect()`, which picks how it reaches the service.

The client's methods are the same whichever way it is connected: directly (the database, and a Dask cluster
that runs the jobs) or remotely (a `zapiki serve`'s REST API and an API key).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from zapiki.client import args, html
from zapiki.client.jobs import JOB_COLUMNS, JOB_TIMES, PROOF_COLUMNS, PROOF_TIMES, Job, JobBatch, frame, result_of
from zapiki.client.templates import Template
from zapiki.errors import InputError


class Zapiki:
    """A connection to Zapiki, acting as one user. Made by `zapiki.connect()`.

    >>> import zapiki
    >>> with zapiki.connect(db="sqlite://", local_cluster=False) as zk:
    ...     zk.verify("commitment", zk.prove("commitment", "hello"))
    True
    """

    def __init__(
        self,
        service: Any,  # noqa: ANN401
        client: Any = None,  # noqa: ANN401
        cluster: Any = None,  # noqa: ANN401
        user_id: str | None = None,
    ) -> None:
        """`Zapiki(backend)`, or `Zapiki(service, dask_client, cluster, user_id)` for a direct connection."""
        from zapiki.client.local import LocalBackend
        from zapiki.client.remote import RemoteBackend

        if isinstance(service, LocalBackend | RemoteBackend):
            self.backend = service
        else:
            self.backend = LocalBackend(service, client, cluster, user_id)

    @property
    def remote(self) -> bool:
        """True when connected over the REST API."""
        return self.backend.kind == "remote"

    @property
    def service(self) -> Any:  # noqa: ANN401
        """The `ZapikiService` of a direct connection (None over the REST API)."""
        return getattr(self.backend, "service", None)

    @property
    def dask_client(self) -> Any:  # noqa: ANN401
        """The Dask client of a direct connection with a cluster (None otherwise)."""
        return self.backend.dask_client

    @property
    def user_id(self) -> str:
        return self.backend.user_id

    # -- proving ---------------------------------------------------------------------------------------------
    def prove(
        self,
        system: str,
        data: Any,  # noqa: ANN401
        *,
        circuit: str | dict[str, Any] | None = None,
        timeout: float | None = None,
        **options: Any,  # noqa: ANN401
    ) -> dict[str, Any]:
        """Prove now and return the proof (jobs of async-only systems such as groth16 are submitted and waited for)."""
        timeout = args.timeout(timeout)
        args.text("system", system)
        if self.backend.capabilities(system)["async_only"]:
            return self.submit(system, data, circuit=circuit, **options).result(timeout)
        return result_of(self.backend.create_proof(system, data, options, args.circuit_ref(circuit)))

    def submit(
        self,
        system: str,
        data: Any,  # noqa: ANN401
        *,
        priority: str = "normal",
        circuit: str | dict[str, Any] | None = None,
        **options: Any,  # noqa: ANN401
    ) -> Job:
        """Create a job; returns at once with its handle."""
        args.text("system", system)
        options = {**options, "priority": args.priority(priority), "async": True}
        out = self.backend.create_proof(system, data, options, args.circuit_ref(circuit))
        return Job(self, out["job_id"], out["proof_id"])

    def submit_many(
        self,
        system: str,
        items: Iterable[Any],
        *,
        priority: str = "normal",
        circuit: str | dict[str, Any] | None = None,
        progress: bool = True,
        chunk: int = 10_000,
        **options: Any,  # noqa: ANN401
    ) -> JobBatch:
        """Create one job per item, in chunks (each chunk is written whole or not at all; over HTTP it is sent in
        batch requests), with a progress bar. Returns the jobs' handles in order.

        Interrupted (Ctrl-C, a stopped cell), the chunks already written stay and run; none is half written."""
        from tqdm.auto import tqdm

        args.text("system", system)
        if isinstance(items, str | bytes | dict) or not isinstance(items, Iterable):
            raise InputError(f"items must be an iterable of inputs (a list), got {type(items).__name__}")
        items = list(items)
        if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
            raise InputError(f"chunk must be a whole number >= 1, got {chunk!r}")
        options = {**options, "priority": args.priority(priority), "async": True}
        circuit_ref = args.circuit_ref(circuit)
        if circuit_ref is not None:
            circuit_ref = self.backend.find_circuit(circuit_ref)["id"]
        jobs: list[Job] = []
        with tqdm(total=len(items), disable=not progress, desc="submitted", unit="job") as bar:
            for start in range(0, len(items), chunk):
                part = items[start : start + chunk]
                ids = self.backend.submit_many(system, part, options, circuit_ref)
                jobs.extend(Job(self, job_id, proof_id) for proof_id, job_id in ids)
                bar.update(len(part))
        return JobBatch(self, jobs)

    def verify(
        self,
        system: str,
        proof: dict[str, Any],
        public_inputs: Any = None,  # noqa: ANN401
        verification_key: Any = None,  # noqa: ANN401
    ) -> bool:
        """Check a proof. `proof` may be what `prove`/`result()` returned (it carries its inputs and key); a
        proof that cannot be read is not valid (False)."""
        args.text("system", system)
        if isinstance(proof, dict) and "proof" in proof and "public_inputs" in proof:
            public_inputs = proof["public_inputs"] if public_inputs is None else public_inputs
            verification_key = proof.get("verification_key") if verification_key is None else verification_key
            proof = proof["proof"]
        if not isinstance(proof, dict):
            raise InputError(f"proof must be a dict (a proof or what prove returned), got {type(proof).__name__}")
        return self.backend.verify(system, proof, public_inputs, verification_key)

    # -- templates ---------------------------------------------------------------------------------------------
    def templates(self, category: str | None = None) -> Any:  # noqa: ANN401
        """The proof templates as a pandas DataFrame: id, category, title, summary, public signals, constraints and
        how the service's keys for each are made."""
        import pandas as pd

        rows = [
            {
                "id": t["id"], "category": t["category"], "title": t["title"], "summary": t["summary"],
                "public_signals": [s["name"] for s in t["public_signals"]], "constraints": t["constraints"],
                "keys": t["keys"]["setup"], "keys_ready": t["keys"]["ready"],
            }
            for t in self.backend.templates(args.text("category", category, optional=True))
        ]  # fmt: skip
        columns = ["id", "category", "title", "summary", "public_signals", "constraints", "keys", "keys_ready"]
        return pd.DataFrame(rows, columns=columns)

    def template(self, template_id: str) -> Template:
        """One template: its docs (the notebook shows them), schema, example, and `prove(inputs)`."""
        return Template(self, self.backend.template(args.text("template_id", template_id)))

    # -- circuits ----------------------------------------------------------------------------------------------
    def register_circuit(
        self,
        name: str,
        *,
        wasm: str | os.PathLike[str] | bytes,
        zkey: str | os.PathLike[str] | bytes | None = None,
        r1cs: str | os.PathLike[str] | bytes | None = None,
        public: bool = False,
        system: str = "groth16",
    ) -> dict[str, Any]:
        """Register a circom circuit: its witness `.wasm` and its `.zkey` — or its `.r1cs`, for a setup by the
        service (Groth16: single-party development keys, not a ceremony; PLONK, `system="plonk"`: from the
        service's powers of tau). Returns the circuit with its id and verification key; pass it (or its name or
        id) as `circuit=`."""
        args.text("name", name)
        wasm_bytes, zkey_bytes, r1cs_bytes = args.file("wasm", wasm), args.file("zkey", zkey), args.file("r1cs", r1cs)
        if wasm_bytes is None:
            raise InputError("wasm is required (the circuit's witness calculator, bytes or a path)")
        if not isinstance(public, bool):
            raise InputError(f"public must be True or False, got {public!r}")
        system = args.text("system", system)
        return self.backend.register_circuit(name, wasm_bytes, zkey_bytes, r1cs_bytes, public, system)

    def circuits(self) -> list[dict[str, Any]]:
        """The circuits you can use (yours and public ones)."""
        return self.backend.circuits()

    def circuit(self, circuit: str | dict[str, Any]) -> dict[str, Any]:
        """One circuit, by its name, its id, or what `register_circuit` returned."""
        return self.backend.find_circuit(args.circuit_ref(circuit))

    # -- looking -----------------------------------------------------------------------------------------
    def job(self, job_id: str) -> Job:
        info = self.backend.get_job(args.text("job_id", job_id))
        return Job(self, info["id"], info["proof_id"])

    def jobs(self, status: str | None = None, system: str | None = None, limit: int | None = 1000) -> Any:  # noqa: ANN401
        """Jobs as a pandas DataFrame (newest first), columns as in JOB_COLUMNS (queue is 'high'|'normal'|'low')."""
        status, system, limit = args.status(status), args.text("system", system, optional=True), args.limit(limit)
        return frame(self.backend.list_jobs(status, system, limit), JOB_COLUMNS, JOB_TIMES)

    def proofs(self, status: str | None = None, system: str | None = None, limit: int | None = 1000) -> Any:  # noqa: ANN401
        """Proofs as a pandas DataFrame (newest first), columns as in PROOF_COLUMNS."""
        status, system, limit = args.status(status), args.text("system", system, optional=True), args.limit(limit)
        return frame(self.backend.list_proofs(status, system, limit), PROOF_COLUMNS, PROOF_TIMES)

    def stats(self) -> dict[str, Any]:
        """Queue sizes, in flight, retrying, completed, failed, processing times per system, workers."""
        return self.backend.stats()

    def systems(self) -> list[dict[str, Any]]:
        return self.backend.systems()

    @property
    def dashboard_link(self) -> str | None:
        """The Dask dashboard of a direct connection's cluster; the Zapiki dashboard of a remote one."""
        return self.backend.dashboard_link

    def dashboard(self, view: str | None = None, live: bool = True) -> Any:  # noqa: ANN401
        """The dashboard's views inline in a notebook (run `pn.extension("tabulator")` first): all of them in tabs,
        or one of "jobs", "job", "submit", "templates", "cluster", "metrics", "circuits", showing what this
        connection's user may see and refreshing every second (`live`). Over HTTP the views need the service's own
        database: a remote connection returns a link to the service's dashboard instead."""
        import panel as pn

        names = ("jobs", "job", "submit", "templates", "cluster", "metrics", "circuits")
        if view is not None and view not in names:
            raise InputError(f"view must be one of {', '.join(names)} or None, got {view!r}")
        if self.service is None:
            link = html.link(self.dashboard_link or "")
            return pn.pane.HTML(f"The views run in the service: open its dashboard at {link}")
        from zapiki.dashboard import views

        made = views(self.service, self.user_id, live=live)
        if view is not None:
            return made[view]
        return pn.Tabs(*((v.title, v) for v in made.values()), sizing_mode="stretch_width")

    # -- life cycle ----------------------------------------------------------------------------------------
    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> Zapiki:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Zapiki {self.backend.kind} {self.backend.where} user={self.user_id}>"

    def _repr_html_(self) -> str:
        try:
            stats, error = self.stats(), None
        except Exception as exc:  # a repr never raises: it says what is wrong instead
            stats, error = None, f"{type(exc).__name__}: {exc}"
        return html.connection(self.backend.kind, self.backend.where, self.user_id, stats, self.dashboard_link, error)


def connect(
    db: str | None = None,
    scheduler: str | None = None,
    *,
    api_key: str | None = None,
    certs: str | os.PathLike[str] | None = None,
    config: str | None = None,
    n_workers: int | None = None,
    threads_per_worker: int | None = None,
    local_cluster: bool = True,
    dispatch: bool = True,
) -> Zapiki:
    """Connect to Zapiki.

    - `connect("http://host:8000", api_key="zk_...")` (or `ZAPIKI_URL` and `ZAPIKI_API_KEY` in the environment,
      with no arguments): over the REST API of a running `zapiki serve`; no database or Dask access needed.
    - `connect()`: the configured database (embedded SQLite by default) and a local Dask cluster started here
      (`local_cluster=False` for none: synchronous proofs only).
    - `connect(db=URL, scheduler="tls://host:8786", certs=DIR)`: a database and an existing cluster. A private
      cluster's `tls://` scheduler needs `certs`, a folder made by `zapiki cluster certs` holding at least
      ``ca.pem``, ``client.pem`` and ``client-key.pem``.
    """
    if db is not None and not isinstance(db, str):
        raise InputError(f"db must be a database URL or an http(s):// address, got {type(db).__name__}")
    if db is None and scheduler is None and os.environ.get("ZAPIKI_URL"):
        db = os.environ["ZAPIKI_URL"]
    if db is not None and db.startswith(("http://", "https://")):
        from zapiki.client.remote import RemoteBackend

        if scheduler is not None or certs is not None:
            raise InputError("a remote connection takes an api_key only: scheduler= and certs= are for direct ones")
        return Zapiki(RemoteBackend(db, api_key if api_key is not None else os.environ.get("ZAPIKI_API_KEY", "")))
    if api_key is not None:
        raise InputError("api_key= is for a remote connection: pass the service's http(s):// address first")
    return _connect_direct(db, scheduler, certs, config, n_workers, threads_per_worker, local_cluster, dispatch)


def _connect_direct(
    db: str | None,
    scheduler: str | None,
    certs: str | os.PathLike[str] | None,
    config: str | None,
    n_workers: int | None,
    threads_per_worker: int | None,
    local_cluster: bool,
    dispatch: bool,
) -> Zapiki:
    from distributed import Client, LocalCluster

    from zapiki.config import Settings
    from zapiki.service import ZapikiService

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
            preload=["zapiki.jobs.preload"],  # as `zapiki serve`'s workers: warm kernels, graceful drain
            security=True,
            # The workers write to this process's stderr, which a notebook shows in the cell: keep their per-job
            # lines (`Processing proof generation ...`) out of it, warnings only, unless ZAPIKI_LOG_LEVEL says
            # otherwise. (`zapiki serve`, `zapiki worker` and `dask worker` keep logging every job.)
            env={"ZAPIKI_LOG_LEVEL": os.environ.get("ZAPIKI_LOG_LEVEL") or "WARNING"},
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
