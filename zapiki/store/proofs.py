"""Proof and job rows as the service hands them out (plain dicts), with the owner check built into every read:
a user sees only their own rows (another user's id is simply not found)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from zapiki.errors import ConflictError, NotFound
from zapiki.store import bulk
from zapiki.store.jobs import CANCELLED, COMPLETED, FAILED, PENDING, RETRYING
from zapiki.store.models import PRIORITY_VALUES, Job, Proof, new_id, utcnow


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


def proof_dict(p: Proof, job_status: str | None = None) -> dict[str, Any]:
    """A proof row as handed out; until it is final its status is its job's (pending, processing, retrying)."""
    status = job_status if p.status == PENDING and job_status else p.status
    return {
        "id": p.id,
        "status": status,
        "proof_system": p.proof_system,
        "circuit_id": p.circuit_id,
        "proof_data": p.proof_data,
        "public_inputs": p.public_inputs,
        "verification_key": p.verification_key,
        "generation_time_ms": p.generation_time_ms,
        "error_message": p.error_message,
        "created_at": _iso(p.created_at),
        "completed_at": _iso(p.completed_at),
        **_template_fields(p),
    }


def _template_fields(p: Proof) -> dict[str, Any]:
    """A template proof's template (its id and how its keys were made) and its public signals by name."""
    options = (p.input or {}).get("options") or {} if isinstance(p.input, dict) else {}
    name = options.get("template")
    if not isinstance(name, str):
        return {"template": None, "named_signals": None}
    from zapiki import templates
    from zapiki.errors import NotFound

    setup = str(options.get("template_setup") or "")
    ref = {"id": name, "setup": setup, "development_keys": setup.startswith("development")}
    try:
        named = templates.get(name).named(p.public_inputs) if p.public_inputs is not None else None
    except NotFound:
        named = None
    return {"template": ref, "named_signals": named}


def job_dict(j: Job) -> dict[str, Any]:
    return {
        "id": j.id,
        "user_id": j.user_id,
        "proof_id": j.proof_id,
        "proof_system": j.proof_system,
        "status": j.status,
        "queue": j.queue,
        "priority": j.priority,
        "retry_count": j.retry_count,
        "max_retries": j.max_retries,
        "runs": j.runs,
        "timeout_s": j.timeout_s,
        "error_message": j.error_message,
        "worker": j.worker,
        "next_attempt_at": _iso(j.next_attempt_at),
        "created_at": _iso(j.created_at),
        "started_at": _iso(j.started_at),
        "completed_at": _iso(j.completed_at),
    }


INSERT_PROOF = (
    "INSERT INTO proofs (id, user_id, proof_system, status, circuit_id, input, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
INSERT_JOB = (
    "INSERT INTO jobs (id, user_id, proof_id, proof_system, status, queue, priority, retry_count, max_retries, runs, "
    "timeout_s, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class ProofRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def add_completed(
        self,
        user_id: str,
        system: str,
        data: Any,
        options: dict[str, Any],
        result: dict[str, Any],  # noqa: ANN401
        circuit_id: str | None = None,
    ) -> dict[str, Any]:
        """Store a proof generated synchronously (no job row). A Core insert: this is on the path of every
        synchronous request, and the ORM's unit of work costs more than the insert itself."""
        now = utcnow()
        row = {
            "id": new_id(),
            "user_id": user_id,
            "proof_system": system,
            "status": COMPLETED,
            "circuit_id": circuit_id,
            "input": {"data": data, "options": options},
            "proof_data": result["proof_data"],
            "public_inputs": result["public_inputs"],
            "verification_key": result["verification_key"],
            "generation_time_ms": result["took_ms"],
            "created_at": now,
            "completed_at": now,
        }
        with self.sessions.begin() as s:
            s.execute(insert(Proof.__table__), [row])
        return proof_dict(Proof(**row))

    def add_jobs(
        self,
        user_id: str,
        system: str,
        items: list[tuple[Any, dict[str, Any]]],
        queue: str,
        max_retries: int,
        timeout_s: float,
        circuit_id: str | None = None,
    ) -> list[tuple[str, str]]:
        """Insert a pending proof and job for each (data, options); returns [(proof_id, job_id)] in order.
        Rows get strictly increasing created_at, so each queue is served first in, first out."""
        now = utcnow()
        proof_ids, job_ids = bulk.new_ids(len(items)), bulk.new_ids(len(items))
        priority = PRIORITY_VALUES[queue]
        with self.sessions.begin() as s:
            conn = s.connection()
            proofs, jobs = [], []
            for i, (data, options) in enumerate(items):
                created = bulk.timestamp(conn, now + timedelta(microseconds=i))
                pid, jid = proof_ids[i], job_ids[i]
                proofs.append(
                    (pid, user_id, system, PENDING, circuit_id, bulk.dumps({"data": data, "options": options}), created)
                )
                jobs.append(
                    (
                        jid,
                        user_id,
                        pid,
                        system,
                        PENDING,
                        queue,
                        priority,
                        0,
                        max_retries,
                        0,
                        timeout_s,
                        created,
                        created,
                    )
                )
            for start in range(0, len(proofs), 5000):
                bulk.executemany(conn, INSERT_PROOF, proofs[start : start + 5000])
                bulk.executemany(conn, INSERT_JOB, jobs[start : start + 5000])
        return list(zip(proof_ids, job_ids, strict=True))

    def get_proof(self, proof_id: str, user_id: str | None = None) -> dict[str, Any]:
        with self.sessions() as s:
            row = s.execute(
                select(Proof, Job.status).outerjoin(Job, Job.proof_id == Proof.id).where(Proof.id == proof_id)
            ).first()
            if row is None or (user_id is not None and row[0].user_id != user_id):
                raise NotFound(f"proof {proof_id} not found")
            return proof_dict(row[0], row[1])

    def get_job(self, job_id: str, user_id: str | None = None) -> dict[str, Any]:
        with self.sessions() as s:
            j = s.get(Job, job_id) if isinstance(job_id, str) else None
            if j is None or (user_id is not None and j.user_id != user_id):
                raise NotFound(f"job {job_id} not found")
            return job_dict(j)

    def job_for_proof(self, proof_id: str) -> dict[str, Any] | None:
        with self.sessions() as s:
            j = s.scalars(select(Job).where(Job.proof_id == proof_id).order_by(Job.created_at.desc())).first()
            return job_dict(j) if j else None

    def list_proofs(
        self,
        user_id: str | None,
        status: str | None = None,
        system: str | None = None,
        limit: int | None = 20,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        live = case((Proof.status == PENDING, func.coalesce(Job.status, Proof.status)), else_=Proof.status)
        q = select(Proof, Job.status).outerjoin(Job, Job.proof_id == Proof.id)
        if user_id is not None:
            q = q.where(Proof.user_id == user_id)
        if status:
            q = q.where(live == status)
        if system:
            q = q.where(Proof.proof_system == system)
        q = q.order_by(Proof.created_at.desc(), Proof.id).limit(limit).offset(offset)
        with self.sessions() as s:
            return [proof_dict(p, job_status) for p, job_status in s.execute(q)]

    def list_jobs(
        self,
        user_id: str | None,
        status: str | None = None,
        system: str | None = None,
        limit: int | None = 20,
        offset: int = 0,
        queue: str | None = None,
    ) -> list[dict[str, Any]]:
        q = select(Job)
        if user_id is not None:
            q = q.where(Job.user_id == user_id)
        if status:
            q = q.where(Job.status == status)
        if system:
            q = q.where(Job.proof_system == system)
        if queue:
            q = q.where(Job.queue == queue)
        q = q.order_by(Job.created_at.desc(), Job.id).offset(offset)
        if limit is not None:
            q = q.limit(limit)
        with self.sessions() as s:
            return [job_dict(j) for j in s.scalars(q)]

    def delete_proof(self, proof_id: str, user_id: str | None = None) -> None:
        """Delete a proof and its job; a proof whose job is still running cannot be deleted."""
        with self.sessions.begin() as s:
            p = s.get(Proof, proof_id)
            if p is None or (user_id is not None and p.user_id != user_id):
                raise NotFound(f"proof {proof_id} not found")
            running = s.scalars(select(Job).where(Job.proof_id == proof_id, Job.status == "processing")).first()
            if running is not None:
                raise ConflictError(f"proof {proof_id} is being generated; cancel or wait for job {running.id}")
            s.execute(delete(Job).where(Job.proof_id == proof_id))
            s.delete(p)

    def cancel_job(self, job_id: str, user_id: str | None = None) -> dict[str, Any]:
        """pending | retrying -> cancelled."""
        self.get_job(job_id, user_id)
        now = utcnow()
        with self.sessions.begin() as s:
            row = s.execute(
                update(Job)
                .where(Job.id == job_id, Job.status.in_([PENDING, RETRYING]))
                .values(status=CANCELLED, completed_at=now, updated_at=now, error_message="cancelled")
                .returning(Job.proof_id)
            ).first()
            if row is None:
                status = s.get(Job, job_id).status
                raise ConflictError(f"job {job_id} is {status}; only pending or retrying jobs can be cancelled")
            s.execute(update(Proof).where(Proof.id == row[0]).values(status=CANCELLED, error_message="cancelled"))
        return self.get_job(job_id, user_id)

    def retry_job(self, job_id: str, user_id: str | None = None) -> dict[str, Any]:
        """failed | cancelled -> pending, with a fresh retry budget."""
        self.get_job(job_id, user_id)
        now = utcnow()
        with self.sessions.begin() as s:
            row = s.execute(
                update(Job)
                .where(Job.id == job_id, Job.status.in_([FAILED, CANCELLED]))
                .values(
                    status=PENDING,
                    retry_count=0,
                    error_message=None,
                    completed_at=None,
                    next_attempt_at=None,
                    updated_at=now,
                )
                .returning(Job.proof_id)
            ).first()
            if row is None:
                status = s.get(Job, job_id).status
                raise ConflictError(f"job {job_id} is {status}; only failed or cancelled jobs can be retried")
            s.execute(
                update(Proof).where(Proof.id == row[0]).values(status=PENDING, error_message=None, completed_at=None)
            )
        return self.get_job(job_id, user_id)

    def jobs_by_ids(self, job_ids: list[str], user_id: str | None = None) -> list[dict[str, Any]]:
        """The rows of these jobs (those visible to `user_id`), in no particular order; unknown ids are left out."""
        out: list[dict[str, Any]] = []
        with self.sessions() as s:
            for start in range(0, len(job_ids), 900):
                q = select(Job).where(Job.id.in_(job_ids[start : start + 900]))
                if user_id is not None:
                    q = q.where(Job.user_id == user_id)
                out.extend(job_dict(j) for j in s.scalars(q))
        return out

    def proofs_by_ids(self, proof_ids: list[str], user_id: str | None = None) -> list[dict[str, Any]]:
        """The rows of these proofs (those visible to `user_id`), in no particular order; unknown ids left out."""
        out: list[dict[str, Any]] = []
        with self.sessions() as s:
            for start in range(0, len(proof_ids), 900):
                q = (
                    select(Proof, Job.status)
                    .outerjoin(Job, Job.proof_id == Proof.id)
                    .where(Proof.id.in_(proof_ids[start : start + 900]))
                )
                if user_id is not None:
                    q = q.where(Proof.user_id == user_id)
                out.extend(proof_dict(p, job_status) for p, job_status in s.execute(q))
        return out

    def statuses(self, job_ids: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        with self.sessions() as s:
            for start in range(0, len(job_ids), 900):
                chunk = job_ids[start : start + 900]
                out.update(dict(s.execute(select(Job.id, Job.status).where(Job.id.in_(chunk))).all()))
        return out

    def timing(self, limit: int = 1000) -> dict[str, list[float]]:
        """Recent generation times (ms) per proof system, newest first."""
        with self.sessions() as s:
            systems = [r[0] for r in s.execute(select(Proof.proof_system).distinct())]
            out = {}
            for system in systems:
                rows = s.execute(
                    select(Proof.generation_time_ms)
                    .where(
                        Proof.proof_system == system, Proof.status == COMPLETED, Proof.generation_time_ms.is_not(None)
                    )
                    .order_by(Proof.completed_at.desc())
                    .limit(limit)
                ).all()
                out[system] = [r[0] for r in rows]
            return out

    def count_jobs(self, user_id: str | None = None) -> dict[str, int]:
        q = select(Job.status, func.count()).group_by(Job.status)
        if user_id is not None:
            q = q.where(Job.user_id == user_id)
        with self.sessions() as s:
            return dict(s.execute(q).all())
