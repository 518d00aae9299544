"""The service: one object that ties the database, the proof systems and the dispatcher together. The REST
API, the CLI, the dashboard and the Python client all call it; none of them touches the tables directly.

>>> svc = ZapikiService.open("sqlite://", dispatch=False)
>>> out = svc.create_proof(svc.default_user_id, "commitment", "hello")
>>> out["status"], svc.verify("commitment", out["proof_data"], out["public_inputs"], out["verification_key"])
('completed', True)
>>> svc.close()
"""

from __future__ import annotations

import hashlib
import logging
import statistics
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from distributed import Client
from sqlalchemy.engine import Engine

from zapiki import schema, systems, templates
from zapiki.config import PRIORITIES, Settings
from zapiki.errors import InputError, UnknownProofSystem
from zapiki.jobs.dispatcher import Dispatcher
from zapiki.jobs.execute import execute
from zapiki.store.circuits import CircuitRepository
from zapiki.store.db import create_engine_for, reachable, session_factory, upgrade
from zapiki.store.jobs import JobRepository
from zapiki.store.keys import DEFAULT_EMAIL, KeyRepository
from zapiki.store.proofs import ProofRepository
from zapiki.systems.base import CircuitSystem, ProveContext
from zapiki.systems.commitment import SIGNING_KEY
from zapiki.template_keys import TemplateKeys
from zapiki.witness.sandbox import probe as probe_wasm

log = logging.getLogger("zapiki.service")

#: The systems a template is proved with.
TEMPLATE_SYSTEMS = ("groth16", "plonk")


class ZapikiService:
    """Proofs, jobs, keys and stats over one database, optionally dispatching jobs to a Dask cluster."""

    def __init__(self, settings: Settings, engine: Engine, client: Client | None = None, dispatch: bool = True) -> None:
        self.settings = settings
        self.engine = engine
        self.sessions = session_factory(engine)
        self.proofs = ProofRepository(self.sessions)
        self.jobs = JobRepository(self.sessions)
        self.keys = KeyRepository(self.sessions)
        self.circuits = CircuitRepository(self.sessions)
        self.template_keys = TemplateKeys(self)
        self._circuit_blobs: dict[str, dict[str, str]] = {}
        self._setup_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zapiki-setup")
        self.circuits.fail_interrupted_setups()
        self.client = client
        self.secrets = {SIGNING_KEY: self.keys.service_key(SIGNING_KEY)}
        # The default user (the notebook client's, the first-start key's) is the operator: no in-flight cap.
        user, _ = self.keys.get_or_create_user(DEFAULT_EMAIL, name="default", tier="enterprise")
        if user["tier"] != "enterprise":
            self.keys.set_tier(user["id"], "enterprise")
        self.default_user_id: str = user["id"]
        self.dispatcher: Dispatcher | None = None
        self.stopping = False  # set by shutdown(): the API answers 503 while the service stops
        if dispatch and client is not None:
            self.dispatcher = Dispatcher(settings, self.sessions, client, self.secrets, self._resources).start()

    @classmethod
    def open(
        cls,
        db: str | None = None,
        client: Client | None = None,
        settings: Settings | None = None,
        dispatch: bool = True,
        migrate: bool = True,
    ) -> ZapikiService:
        """Open (and, with `migrate`, upgrade) the database at `db` (default: the configured URL) and start
        dispatching to `client`'s cluster when one is given."""
        settings = settings or Settings.load()
        engine = create_engine_for(db or settings.database_url)
        try:
            if migrate:
                upgrade(engine)
            return cls(settings, engine, client, dispatch=dispatch)
        except BaseException:
            engine.dispose()
            raise

    def _resources(self, jobs: list[Any]) -> Any:  # noqa: ANN401
        """Large inputs of an attempt's jobs: a circuit's wasm and proving key, by content hash."""
        wanted: dict[str, Any] = {}
        for job in jobs:
            if job.circuit_id is None:
                continue
            blobs = self._circuit_blobs.get(job.circuit_id)
            if blobs is None:
                c = self.circuits.get(job.circuit_id)
                # the r1cs, when the circuit has one, lets the prover name the first unsatisfied constraint
                blobs = {k: c[f"{k}_sha256"] for k in ("wasm", "zkey", "r1cs") if c.get(f"{k}_sha256")}
                self._circuit_blobs[job.circuit_id] = blobs
            for name, sha in blobs.items():
                wanted[name] = (sha, lambda sha=sha: self.circuits.blob(sha))
        return wanted or None

    def shutdown(self, grace_s: float | None = None) -> tuple[int, int]:
        """Begin a clean stop: the API answers 503 from now on (`stopping`), the dispatcher takes no new job and
        waits up to `grace_s` (default: the configured `shutdown_grace_s`) for the running ones, then hands the
        rest back to pending. Returns (attempts finished meanwhile, attempts handed back)."""
        self.stopping = True
        if self.dispatcher is None:
            return 0, 0
        grace = self.settings.shutdown_grace_s if grace_s is None else grace_s
        running = len(self.dispatcher.inflight)
        log.info("shutting down: waiting up to %.0f s for %d running attempts", grace, running)
        dispatcher, self.dispatcher = self.dispatcher, None
        try:
            finished, handed_back = dispatcher.finish(grace)
        except Exception:  # never leave a stop half-done: what was not released is reclaimed when its lease ends
            log.exception("shutting down the dispatcher failed; its jobs return to pending when their leases end")
            return 0, 0
        log.info("shut down: %d attempts finished, %d handed back to pending", finished, handed_back)
        return finished, handed_back

    def close(self) -> None:
        self._setup_pool.shutdown(wait=False, cancel_futures=True)
        if self.dispatcher is not None:
            self.dispatcher.stop()
            self.dispatcher = None
        self.engine.dispose()

    # -- proofs ----------------------------------------------------------------------------------------------
    def _options(self, options: dict[str, Any] | None) -> dict[str, Any]:
        """`options` checked (`zapiki.schema.JobOptions`), with the service's defaults filled in."""
        if options is None:
            options = {}
        if not isinstance(options, dict):
            raise InputError("options must be an object")
        try:
            checked = schema.job_options(self.settings.max_timeout_s).model_validate(options)
        except schema.ValidationError as exc:
            raise InputError(schema.describe(exc, prefix="options")) from None
        opts = checked.model_dump(by_alias=True)
        if opts["timeout_s"] is None:
            opts["timeout_s"] = self.settings.default_timeout_s
        if opts["max_retries"] is None:
            opts["max_retries"] = self.settings.max_retries
        return opts

    def create_proof(
        self,
        user_id: str,
        system: str,
        data: Any,  # noqa: ANN401
        options: dict[str, Any] | None = None,
        circuit_id: str | None = None,
    ) -> dict[str, Any]:
        """Sync systems return the stored proof; async ones (or options.async) return
        {proof_id, job_id, status: 'pending'} at once."""
        impl = systems.get(system)
        opts = self._options(options)
        circuit_id = self._proof_circuit(impl, opts, user_id, circuit_id)
        prepared = impl.prepare_input(data, opts)
        if impl.capabilities.async_only or opts["async"]:
            [(proof_id, job_id)] = self.submit_many(user_id, system, [prepared], opts, circuit_id, prepared=True)
            return {"proof_id": proof_id, "job_id": job_id, "status": "pending"}
        ctx = ProveContext(secrets=self.secrets, options=opts)
        result = execute(system, prepared, ctx)
        if not result["ok"]:
            if result["kind"] == "input":
                raise InputError(result["error"])
            raise RuntimeError(result["error"])
        return self.proofs.add_completed(user_id, system, prepared, _stored_options(opts), result, circuit_id)

    def submit_many(
        self,
        user_id: str,
        system: str,
        items: list[Any],
        options: dict[str, Any] | None = None,
        circuit_id: str | None = None,
        prepared: bool = False,
    ) -> list[tuple[str, str]]:
        """Create one pending job per item (validated first: nothing is written if any item is bad)."""
        impl = systems.get(system)
        opts = self._options(options)
        if not prepared:  # create_proof checked it already
            circuit_id = self._proof_circuit(impl, opts, user_id, circuit_id)
        if not prepared:
            items = [_prepare(impl, i, item, opts) for i, item in enumerate(items)]
        stored = _stored_options(opts)
        ids = self.proofs.add_jobs(
            user_id,
            system,
            [(item, stored) for item in items],
            opts["priority"],
            opts["max_retries"],
            opts["timeout_s"],
            circuit_id,
        )
        if self.dispatcher is not None:
            self.dispatcher.wake()
        return ids

    def _proof_circuit(self, impl: Any, opts: dict[str, Any], user_id: str, circuit_id: str | None) -> str | None:  # noqa: ANN401
        """The checked circuit a proof of `user_id` uses: a template's own circuit (private to the templates: the
        template's option is the permission), or the one given."""
        circuit_id = self._template_circuit(impl, opts, circuit_id)
        return self._check_circuit(impl, None if opts.get("template") else user_id, circuit_id)

    def _template_circuit(self, impl: Any, opts: dict[str, Any], circuit_id: str | None) -> str | None:  # noqa: ANN401
        """With ``options.template``: the template's circuit (its keys made on first use), recorded in `opts`
        with the keys' setup; the circuit given otherwise."""
        name = opts.get("template")
        if name is None:
            opts.pop("template_setup", None)  # only the service says what a template's keys are
            return circuit_id
        if not isinstance(name, str):
            raise InputError("options.template must be a template's id (a string)")
        template = templates.get(name)
        if impl.name not in TEMPLATE_SYSTEMS:
            raise InputError(f"templates are proved with groth16 or plonk, not {impl.name}")
        circuit = self.template_keys.circuit(template, system=impl.name)
        if circuit_id is not None and circuit_id != circuit["id"]:
            raise InputError(f"a {template.id} proof uses the template's own circuit, not circuit {circuit_id}")
        opts["template_setup"] = circuit["info"]["setup"]
        return circuit["id"]

    # -- templates -------------------------------------------------------------------------------------------
    def templates(self, category: str | None = None) -> list[dict[str, Any]]:
        """The proof templates (optionally of one category), without their schemas and docs."""
        if category is not None and category not in templates.CATEGORIES:
            raise InputError(f"category must be one of {', '.join(templates.CATEGORIES)}, got {category!r}")
        chosen = templates.all_templates(category)
        return [{**t.describe(docs=False), "keys": self.template_keys.status(t)} for t in chosen]

    def template(self, template_id: str) -> dict[str, Any]:
        """One template: its input schema, an example, its documentation, its public signals and its keys."""
        t = templates.get(template_id)
        return {**t.describe(), "keys": self.template_keys.status(t)}

    def prove_template(
        self,
        user_id: str,
        template_id: str,
        inputs: Any,  # noqa: ANN401
        options: dict[str, Any] | None = None,
        circuit_id: str | None = None,
        system: str = "groth16",
    ) -> dict[str, Any]:
        """Start a proof of a template's statement with `system` (groth16, or plonk from the service's powers of
        tau): {proof_id, job_id, status: 'pending'}. Inputs that do not fit the template's schema are refused here
        (InputError naming the field); a false statement fails the job."""
        templates.get(template_id)  # NotFound first
        if system not in TEMPLATE_SYSTEMS:
            raise InputError(f"templates are proved with groth16 or plonk, not {system!r}")
        opts = {} if options is None else dict(options) if isinstance(options, dict) else options
        if isinstance(opts, dict):  # anything else is refused by create_proof, naming options
            opts["template"] = template_id
            opts["async"] = True  # a template proof is always a job
        return self.create_proof(user_id, system, inputs, opts, circuit_id)

    def template_verifier(self, template_id: str) -> str:
        """A Solidity verifier of the template's proofs made with this deployment's keys (made if missing)."""
        from zapiki.formats.solidity import solidity_verifier

        return solidity_verifier(self.template_keys.circuit(templates.get(template_id))["verification_key"])

    def circuit_verifier(self, circuit_id: str, user_id: str | None = None) -> str:
        """A Solidity verifier of a Groth16 circuit's proofs (InputError for another system or no key yet)."""
        from zapiki.formats.solidity import solidity_verifier

        circuit = self.circuits.get(circuit_id, user_id)
        if circuit["proof_system"] != "groth16":
            raise InputError(f"circuit {circuit_id} is a {circuit['proof_system']} circuit: verifiers are for groth16")
        if circuit["status"] != "ready" or not circuit.get("verification_key"):
            raise InputError(f"circuit {circuit_id} has no verification key yet ({circuit['status']})")
        return solidity_verifier(circuit["verification_key"])

    def _check_circuit(self, impl: Any, user_id: str, circuit_id: str | None) -> str | None:  # noqa: ANN401
        """The circuit a proof needs: required by systems that need a setup, visible to the user, ready, and
        made for that system."""
        if circuit_id is None:
            if impl.capabilities.setup_required:
                raise InputError(f"proof system {impl.name!r} needs a circuit_id (register the circuit first)")
            return None
        if not isinstance(circuit_id, str):
            raise InputError("circuit_id must be a string")
        circuit = self.circuits.get(circuit_id, user_id)
        if circuit["proof_system"] != impl.name:
            raise InputError(f"circuit {circuit_id} is for {circuit['proof_system']}, not {impl.name}")
        if circuit["status"] != "ready":
            raise InputError(f"circuit {circuit_id} is not ready ({circuit['status']}): {circuit['error_message']}")
        return circuit_id

    # -- jobs ------------------------------------------------------------------------------------------------
    def cancel_job(self, job_id: str, user_id: str | None = None) -> dict[str, Any]:
        """Cancel a pending or retrying job of `user_id` (None: any user's); ConflictError in any other state."""
        return self.proofs.cancel_job(job_id, user_id)

    def retry_job(self, job_id: str, user_id: str | None = None) -> dict[str, Any]:
        """Give a failed or cancelled job of `user_id` (None: any user's) a fresh retry budget, and dispatch it."""
        job = self.proofs.retry_job(job_id, user_id)
        if self.dispatcher is not None:
            self.dispatcher.wake()
        return job

    # -- circuits --------------------------------------------------------------------------------------------
    def register_circuit(
        self,
        user_id: str,
        name: str,
        *,
        wasm: bytes,
        zkey: bytes | None = None,
        r1cs: bytes | None = None,
        is_public: bool = False,
        proof_system: str = "groth16",
        tier: str | None = None,
    ) -> dict[str, Any]:
        """Store a circom circuit — its witness wasm and its proving key (plus, optionally, its r1cs, so that an
        unsatisfied witness is reported with the first failing constraint), or its wasm and r1cs for a
        setup run here — and return it with its id and verification key. The files and keys are the proof
        system's business (`zapiki.systems.base.CircuitSystem`)."""
        name = _circuit_name(name)
        impl = _circuit_system(proof_system)
        if not wasm:
            raise InputError("the circuit's .wasm is required")
        if zkey is None and r1cs is None:
            raise InputError("send a .zkey (proving key, optionally with its .r1cs), or a .r1cs (development setup)")
        self._check_quota(user_id, tier, wasm, zkey, r1cs)
        # The wasm is a stranger's code: it is checked and probed in a bounded child process, never run here.
        # FormatError for a file that is not circom's witness calculator, before any key work.
        wasm_info = probe_wasm(wasm, self.settings.wasm)
        # a key's tier bounds the circuit, checked on the files' headers before any work is sized by them
        limits = self.settings.circuit_limits.get(tier) if tier else None
        zkey, vkey, info = impl.circuit_keys(wasm_info, zkey=zkey, r1cs=r1cs, limits=limits, **self._ptau(impl))
        return self.circuits.create(
            user_id,
            name,
            proof_system=proof_system,
            is_public=bool(is_public),
            status="ready",
            wasm_sha256=self.circuits.put_blob(wasm),
            zkey_sha256=self.circuits.put_blob(zkey),
            r1cs_sha256=self.circuits.put_blob(r1cs) if r1cs is not None else None,
            verification_key=vkey,
            info=info,
        )

    def start_circuit_setup(
        self,
        user_id: str,
        name: str,
        *,
        wasm: bytes,
        r1cs: bytes,
        is_public: bool = False,
        tier: str | None = None,
        proof_system: str = "groth16",
    ) -> dict[str, Any]:
        """Register a circuit from its r1cs with its setup running in the background: returns at once with
        status 'setting_up'; the circuit becomes 'ready' (or 'failed' with the reason) when done."""
        name = _circuit_name(name)
        impl = _circuit_system(proof_system)
        if not wasm or not r1cs:
            raise InputError("the circuit's .wasm and .r1cs are both required for a setup")
        self._check_quota(user_id, tier, wasm, r1cs)
        # both readable, and of one circuit, before the setup starts (the wasm probed away from this process)
        wasm_info = probe_wasm(wasm, self.settings.wasm)
        limits = self.settings.circuit_limits.get(tier) if tier else None
        impl.check_circuit(wasm_info, zkey=None, r1cs=r1cs, limits=limits, **self._ptau(impl))
        circuit = self.circuits.create(
            user_id,
            name,
            proof_system=proof_system,
            is_public=bool(is_public),
            status="setting_up",
            wasm_sha256=self.circuits.put_blob(wasm),
            r1cs_sha256=self.circuits.put_blob(r1cs),
            info={"setup": self._setup_label(impl)},
        )

        def _setup() -> None:
            try:
                zkey, vkey, info = impl.circuit_keys(wasm_info, zkey=None, r1cs=r1cs, limits=limits, **self._ptau(impl))
                # merged into the info as it is now (the dashboard may have recorded the input names meanwhile)
                now = self.circuits.get(circuit["id"])["info"] or {}
                self.circuits.update(
                    circuit["id"],
                    zkey_sha256=self.circuits.put_blob(zkey),
                    verification_key=vkey,
                    info={**now, **info},
                    status="ready",
                )
            except Exception as exc:
                log.warning("setup of circuit %s failed: %s", circuit["id"], exc)
                self.circuits.update(circuit["id"], status="failed", error_message=f"setup failed: {exc}")

        self._setup_pool.submit(_setup)
        return circuit

    def _ptau(self, impl: Any) -> dict[str, Any]:  # noqa: ANN401
        """The powers of tau a system with a universal setup is handed (`plonk.ptau`)."""
        return {"ptau": self.settings.plonk_ptau} if getattr(impl, "uses_ptau", False) else {}

    def _setup_label(self, impl: Any) -> str:  # noqa: ANN401
        """How a setup run here makes a circuit's keys, as the circuit shows it while the setup runs."""
        return impl.setup_label(**self._ptau(impl))

    def _check_quota(self, user_id: str, tier: str | None, *files: bytes | None) -> None:
        """InputError when storing `files` would take the user past their tier's storage quota."""
        quota = self.settings.storage_quota_bytes.get(tier, 0) if tier else 0
        if quota <= 0:
            return
        used, held = self.circuits.storage_used(user_id)
        new = sum(len(f) for f in files if f is not None and hashlib.sha256(f).hexdigest() not in held)
        if used + new > quota:
            raise InputError(
                f"storage quota exceeded: your circuits hold {used} bytes, these files add {new}, "
                f"the quota of a {tier} key is {quota} bytes (delete circuits you no longer need)"
            )

    def delete_circuit(self, circuit_id: str, user_id: str | None = None) -> None:
        """Delete a circuit (see CircuitRepository.delete) and forget its files here."""
        self.circuits.delete(circuit_id, user_id)
        self._circuit_blobs.pop(circuit_id, None)

    def find_circuit(self, id_or_name: str, user_id: str | None = None) -> dict[str, Any]:
        return self.circuits.find(id_or_name, user_id)

    def verify(self, system: str, proof: Any, public_inputs: Any, verification_key: Any = None) -> bool:  # noqa: ANN401
        """True when `proof` is valid (and, for systems the service signs, signed by this service)."""
        return self.check(system, proof, public_inputs, verification_key)[0]

    def check(
        self,
        system: str,
        proof: Any,  # noqa: ANN401
        public_inputs: Any,  # noqa: ANN401
        verification_key: Any = None,  # noqa: ANN401
        template: str | None = None,
    ) -> tuple[bool, str | None]:
        """(valid, reason when not). A proof that cannot even be read is not valid (its reason says why); only
        an unknown proof system is an error (UnknownProofSystem). A system whose proofs the service signs
        (`service_key`, e.g. commitment) verifies only against the service's own public keys, the current and
        the rotated-out ones: a proof carrying a stranger's key is not valid, however well it is signed. With
        `template`, the proof is checked against this service's keys for that template (a proof made with any
        other key is not valid as that template's proof)."""
        impl = systems.get(system)
        try:
            if template is not None:
                keys = self.template_keys.verification_keys(templates.get(template), system)
                if not keys:
                    return False, f"this service has no keys for template {template!r} yet"
                if verification_key is not None and verification_key not in keys:
                    return False, f"the verification key is not this service's key for template {template!r}"
                for key in keys:
                    valid, reason = self._check(impl, proof, public_inputs, key)
                    if valid:
                        return True, None
                return False, reason
            return self._check(impl, proof, public_inputs, verification_key)
        except UnknownProofSystem:
            raise
        except InputError as exc:
            return False, str(exc)
        except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
            log.warning("verifier of %s raised %s on a malformed proof", system, type(exc).__name__)
            return False, f"malformed proof or inputs: {type(exc).__name__}"

    def _check(self, impl: Any, proof: Any, public_inputs: Any, verification_key: Any) -> tuple[bool, str | None]:  # noqa: ANN401
        if not isinstance(proof, dict):
            raise InputError("proof must be an object")
        key_name = getattr(impl, "service_key", None)
        if key_name:
            claimed = proof.get("public_key")
            if not isinstance(claimed, str):
                raise InputError("malformed proof: public_key must be a hex string")
            given = verification_key.get("public_key") if isinstance(verification_key, dict) else None
            if given is not None and given != claimed:
                return False, "the verification key's public_key is not the one the proof carries"
            if claimed not in self.keys.service_public_keys(key_name):
                return False, "not signed by this service: the proof's public_key is not one of the service's keys"
            verification_key = {"public_key": claimed}
        if impl.verify(proof, public_inputs, verification_key):
            return True, None
        return False, "the proof does not verify"

    # -- introspection ---------------------------------------------------------------------------------------
    def systems(self) -> list[dict[str, Any]]:
        return [self.systems_by_name(n) for n in systems.names()]

    def systems_by_name(self, name: str) -> dict[str, Any]:
        """{name, capabilities} of one system; UnknownProofSystem if there is none."""
        return {"name": name, "capabilities": systems.get(name).capabilities.as_dict()}

    def workers(self) -> dict[str, Any]:
        if self.client is None:
            return {"count": 0, "threads": 0}
        try:
            nthreads = self.client.nthreads()
        except Exception:
            return {"count": 0, "threads": 0, "reachable": False}
        return {"count": len(nthreads), "threads": sum(nthreads.values()), "reachable": True}

    def health(self) -> dict[str, Any]:
        db_ok = reachable(self.engine)
        workers = self.workers()
        cluster_ok = self.client is not None and workers.get("reachable", False)
        return {
            "status": "ok" if db_ok and cluster_ok else "degraded",
            "database": "ok" if db_ok else "unreachable",
            "cluster": "ok" if cluster_ok else "unreachable",
            "workers": workers["count"],
        }

    def stats(self) -> dict[str, Any]:
        """Queue sizes per priority, in flight, retrying, failed; p50/p95 per system; success rate; workers."""
        counts = self.jobs.counts()
        by_status: dict[str, int] = {}
        for (status, _), n in counts.items():
            by_status[status] = by_status.get(status, 0) + n
        queues = {q: counts.get(("pending", q), 0) for q in PRIORITIES}
        timing = {}
        for system, times in self.proofs.timing().items():
            if times:
                ordered = sorted(times)
                timing[system] = {
                    "count": len(ordered),
                    "p50_ms": statistics.median(ordered),
                    "p95_ms": ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))],
                }
        done, failed = by_status.get("completed", 0), by_status.get("failed", 0)
        return {
            "queues": queues,
            "pending": sum(queues.values()),
            "in_flight": by_status.get("processing", 0),
            "retrying": by_status.get("retrying", 0),
            "completed": done,
            "failed": failed,
            "cancelled": by_status.get("cancelled", 0),
            "success_rate": (done / (done + failed)) if done + failed else None,
            "processing_time": timing,
            "workers": self.workers(),
        }


def _prepare(impl: Any, index: int, item: Any, opts: dict[str, Any]) -> Any:  # noqa: ANN401
    """One item of a batch, prepared; an InputError names the item's index."""
    try:
        return impl.prepare_input(item, opts)
    except InputError as exc:
        raise type(exc)(f"items[{index}]: {exc}") from exc


def _circuit_system(name: str) -> CircuitSystem:
    """The proof system `name`, if it takes registered circuits; InputError otherwise."""
    impl = systems.get(name)
    if not isinstance(impl, CircuitSystem):
        raise InputError(f"proof system {name!r} takes no circuits")
    return impl


def _circuit_name(name: Any) -> str:  # noqa: ANN401
    if not isinstance(name, str) or not name.strip() or len(name) > schema.CIRCUIT_NAME_MAX:
        raise InputError(f"name must be a non-empty string of at most {schema.CIRCUIT_NAME_MAX} characters")
    return name.strip()


def _stored_options(opts: dict[str, Any]) -> dict[str, Any]:
    """Options kept with the input (those the prover may use), not scheduling ones."""
    return {k: v for k, v in opts.items() if k not in ("priority", "timeout_s", "max_retries", "async")}
