"""The job table's state machine, as conditional SQL: every transition names the state it leaves (and, for a
running attempt, its attempt token), so two dispatchers never claim one job and a late result from a
superseded attempt changes nothing. Works the same on SQLite and PostgreSQL (UPDATE ... RETURNING).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from zapiki.store import bulk
from zapiki.store.models import Job, JobAttempt, JobStatus, Proof, User, utcnow

PENDING, PROCESSING, RETRYING = JobStatus.PENDING.value, JobStatus.PROCESSING.value, JobStatus.RETRYING.value
COMPLETED, FAILED, CANCELLED = JobStatus.COMPLETED.value, JobStatus.FAILED.value, JobStatus.CANCELLED.value


def _under_cap(s: Session, user_id: str, caps: Mapping[str, int]) -> bool:
    """True when `user_id` has fewer attempts in flight than the cap of their tier (no cap: always)."""
    if not caps:
        return True
    tier = s.execute(select(User.tier).where(User.id == user_id)).scalar() or "free"
    cap = int(caps.get(tier, 0) or 0)
    if cap <= 0:
        return True
    in_flight = s.execute(
        select(func.count(func.distinct(Job.attempt_token))).where(Job.status == PROCESSING, Job.user_id == user_id)
    ).scalar()
    return int(in_flight or 0) < cap


def _close_attempts(s: Session, at: datetime, outcome: str, error: str | None, *where: ColumnElement[bool]) -> None:
    """End the open `job_attempts` rows matching `where` (history only: the jobs table is what decides)."""
    s.execute(
        update(JobAttempt)
        .where(JobAttempt.finished_at.is_(None), *where)
        .values(finished_at=at, outcome=outcome, error=error)
    )


@dataclass(frozen=True)
class ClaimedJob:
    """A job taken for one attempt: what the worker needs to run it."""

    id: str
    proof_id: str
    system: str
    data: Any
    options: dict[str, Any]
    attempt: int
    timeout_s: float
    priority: int
    circuit_id: str | None
    user_id: str = ""


class JobRepository:
    """Job transitions for the dispatcher."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    # -- picking ---------------------------------------------------------------------------------------------
    def promote_due_retries(self, now: datetime | None = None) -> int:
        """retrying -> pending for every job whose next_attempt_at has come."""
        now = now or utcnow()
        with self.sessions.begin() as s:
            res = s.execute(
                update(Job)
                .where(Job.status == RETRYING, Job.next_attempt_at <= now)
                .values(status=PENDING, updated_at=now)
            )
            return res.rowcount or 0

    def non_empty_queues(self) -> dict[str, int]:
        """1 for each queue that has a pending job, else 0 (cheap: one indexed probe per queue)."""
        out = {}
        with self.sessions() as s:
            for q in ("high", "normal", "low"):
                hit = s.execute(select(Job.id).where(Job.status == PENDING, Job.queue == q).limit(1)).first()
                out[q] = 1 if hit else 0
        return out

    def claim(
        self,
        queue: str,
        token: str,
        dispatcher_id: str,
        lease_s: float,
        batchable: frozenset[str],
        batch_size: int,
        grace_s: float = 30.0,
        max_timeout_s: float = 600.0,
        after_user: str | None = None,
        caps: Mapping[str, int] | None = None,
    ) -> list[ClaimedJob]:
        """Take, for one attempt, the head of `queue` of the next user after `after_user` (users take turns
        within a queue, so one user's backlog never starves another's) who is under the in-flight cap of their
        tier (`caps`: attempts in flight per tier, 0 or absent for no cap): one job, or a run of up to
        `batch_size` jobs of one batchable (fast) system. Returns what was really claimed (possibly nothing)."""
        now = utcnow()
        with self.sessions.begin() as s:
            user = self._next_user(s, queue, after_user, caps or {})
            if user is None:
                return []
            head = (
                select(Job.id, Job.proof_system)
                .where(Job.status == PENDING, Job.queue == queue, Job.user_id == user)
                .order_by(Job.created_at, Job.id)
                .limit(batch_size)
            )
            if s.bind.dialect.name == "postgresql":
                head = head.with_for_update(skip_locked=True)
            rows = s.execute(head).all()
            if not rows:
                return []
            first_system = rows[0][1]
            if first_system in batchable:
                ids = []
                for job_id, system in rows:
                    if system != first_system:
                        break
                    ids.append(job_id)
            else:
                ids = [rows[0][0]]
            # The watchdog's deadline until the worker reports the real start (then: start + timeout + grace).
            # started_at is the dispatch time until then, so a processing job always shows one. Runs are counted
            # when the worker announces them (record_run), never here: a claim that never ran counts nothing.
            conn = s.connection()
            ts = bulk.timestamp
            statement = bulk.sql(
                conn,
                "UPDATE jobs SET status = ?, attempt_token = ?, dispatcher_id = ?, lease_until = ?, deadline_at = ?, "
                "worker = NULL, updated_at = ?, started_at = ? WHERE status = ? AND id IN ({in}) "
                "RETURNING id, proof_id, proof_system, retry_count, timeout_s, priority",
                len(ids),
            )
            params = [
                PROCESSING,
                token,
                dispatcher_id,
                ts(conn, now + timedelta(seconds=lease_s)),
                ts(conn, now + timedelta(seconds=2 * max_timeout_s + grace_s)),
                ts(conn, now),
                ts(conn, now),
                PENDING,
                *ids,
            ]
            claimed = conn.exec_driver_sql(statement, tuple(params)).all()
            if not claimed:
                return []
            proof_ids = [c[1] for c in claimed]
            proof_rows = conn.exec_driver_sql(
                bulk.sql(conn, "SELECT id, input, circuit_id FROM proofs WHERE id IN ({in})", len(proof_ids)),
                tuple(proof_ids),
            ).all()
            inputs = {r[0]: (bulk.loads(r[1]) or {}, r[2]) for r in proof_rows}
            jobs = [
                ClaimedJob(
                    id=job_id,
                    proof_id=proof_id,
                    system=system,
                    data=inputs[proof_id][0].get("data"),
                    options=inputs[proof_id][0].get("options") or {},
                    attempt=int(retry_count) + 1,
                    timeout_s=float(timeout_s),
                    priority=int(priority),
                    circuit_id=inputs[proof_id][1],
                    user_id=user,
                )
                for job_id, proof_id, system, retry_count, timeout_s, priority in claimed
            ]
            order = {job_id: i for i, job_id in enumerate(ids)}
            jobs.sort(key=lambda j: order[j.id])
            return jobs

    @staticmethod
    def _next_user(s: Session, queue: str, after: str | None, caps: Mapping[str, int]) -> str | None:
        """The first user after `after` (in id order, wrapping around) with a pending job in `queue` and room
        under their tier's cap; None when there is none. One index seek per user looked at."""
        cursor, wrapped, first = after, after is None, None
        while True:
            q = select(func.min(Job.user_id)).where(Job.status == PENDING, Job.queue == queue)
            if cursor is not None:
                q = q.where(Job.user_id > cursor)
            user = s.execute(q).scalar()
            if user is None:
                if wrapped:
                    return None
                wrapped, cursor = True, None
                continue
            if user == first:
                return None  # every user with pending jobs here is at their cap
            first = first or user
            if _under_cap(s, user, caps):
                return user
            cursor = user

    # -- running ---------------------------------------------------------------------------------------------
    def record_run(
        self, token: str, worker: str, at: datetime, timeout_s: float, grace_s: float, rerun: bool
    ) -> list[str]:
        """A run of the attempt started on `worker`, in one transaction: counted in `runs` and, for a Dask re-run
        after a worker died (`rerun`), charged as a used retry. Returns the ids of jobs whose budget this exhausts
        (the caller fails them)."""
        values: dict[str, Any] = dict(
            runs=Job.runs + 1,
            worker=worker,
            started_at=at,
            deadline_at=at + timedelta(seconds=timeout_s + grace_s),
            updated_at=utcnow(),
        )
        if rerun:
            values["retry_count"] = Job.retry_count + 1
        with self.sessions.begin() as s:
            rows = s.execute(
                update(Job)
                .where(Job.attempt_token == token, Job.status == PROCESSING)
                .values(**values)
                .returning(Job.id, Job.retry_count, Job.max_retries)
            ).all()
            if rows:  # the history: the run before a Dask re-run was lost with its worker; this run begins
                if rerun:
                    _close_attempts(
                        s, at, "lost", "the worker died; Dask ran the task again", JobAttempt.token == token
                    )
                started = select(Job.id, Job.runs, Job.attempt_token, Job.worker, Job.started_at).where(
                    Job.attempt_token == token, Job.status == PROCESSING
                )
                s.execute(
                    insert(JobAttempt).from_select(["job_id", "attempt", "token", "worker", "started_at"], started)
                )
            return [r.id for r in rows if r.retry_count > r.max_retries]

    def renew_leases(self, dispatcher_id: str, lease_s: float) -> None:
        now = utcnow()
        with self.sessions.begin() as s:
            s.execute(
                update(Job)
                .where(Job.dispatcher_id == dispatcher_id, Job.status == PROCESSING)
                .values(lease_until=now + timedelta(seconds=lease_s))
            )

    def reclaim_expired(self) -> int:
        """processing -> pending for jobs whose dispatcher stopped renewing its lease (it died); their runs in
        progress end as 'interrupted', uncharged."""
        return self._back_to_pending(Job.lease_until < utcnow(), outcome="interrupted")

    def release_held(self, dispatcher_id: str) -> int:
        """processing -> pending for every job `dispatcher_id` holds (it stops cleanly); uncharged, their runs in
        progress end as 'interrupted'."""
        return self._back_to_pending(Job.dispatcher_id == dispatcher_id, outcome="interrupted")

    def release_attempt(self, token: str, outcome: str = "released") -> int:
        """processing -> pending for the jobs of attempt `token`, uncharged: it never started (a draining worker
        handed it back, or the cluster lost it before it ran: 'released'), or the cluster, not the job, ended its
        run (the scheduler went away: 'interrupted')."""
        return self._back_to_pending(Job.attempt_token == token, outcome=outcome)

    def _back_to_pending(self, where: ColumnElement[bool], outcome: str) -> int:
        """The one 'back to pending, uncharged' transition for processing jobs matching `where`: the attempt is
        dropped (a late result of it changes nothing) and its open runs are closed with `outcome`."""
        now = utcnow()
        with self.sessions.begin() as s:
            rows = s.execute(
                update(Job)
                .where(Job.status == PROCESSING, where)
                .values(
                    status=PENDING, attempt_token=None, dispatcher_id=None, worker=None, started_at=None, updated_at=now
                )
                .returning(Job.id)
            ).all()
            ids = [r[0] for r in rows]
            for start in range(0, len(ids), 500):
                _close_attempts(s, now, outcome, None, JobAttempt.job_id.in_(ids[start : start + 500]))
            return len(ids)

    def held_tokens(self, dispatcher_id: str) -> set[str]:
        """Attempt tokens of the jobs `dispatcher_id` holds as processing."""
        with self.sessions() as s:
            rows = s.execute(
                select(Job.attempt_token).where(Job.dispatcher_id == dispatcher_id, Job.status == PROCESSING).distinct()
            ).all()
            return {r[0] for r in rows if r[0]}

    def overdue_tokens(self, dispatcher_id: str) -> list[str]:
        """Attempt tokens of this dispatcher's jobs that are past their deadline."""
        with self.sessions() as s:
            rows = s.execute(
                select(Job.attempt_token)
                .where(Job.dispatcher_id == dispatcher_id, Job.status == PROCESSING, Job.deadline_at < utcnow())
                .distinct()
            ).all()
            return [r[0] for r in rows if r[0]]

    # -- outcomes --------------------------------------------------------------------------------------------
    def complete(self, token: str, results: list[dict[str, Any]]) -> list[str]:
        """Store successful results of attempt `token`; returns the ids really completed (late ones ignored)."""
        if not results:
            return []
        now = utcnow()
        by_job = {r["job_id"]: r for r in results}
        with self.sessions.begin() as s:
            conn = s.connection()
            job_ids = list(by_job)
            done = conn.exec_driver_sql(
                bulk.sql(
                    conn,
                    "UPDATE jobs SET status = ?, completed_at = ?, updated_at = ?, error_message = NULL "
                    "WHERE attempt_token = ? AND status = ? AND id IN ({in}) RETURNING id, proof_id",
                    len(job_ids),
                ),
                (COMPLETED, bulk.timestamp(conn, now), bulk.timestamp(conn, now), token, PROCESSING, *job_ids),
            ).all()
            if done:  # the history: these runs ended well
                conn.exec_driver_sql(
                    bulk.sql(
                        conn,
                        "UPDATE job_attempts SET finished_at = ?, outcome = ? "
                        "WHERE token = ? AND finished_at IS NULL AND job_id IN ({in})",
                        len(done),
                    ),
                    (bulk.timestamp(conn, now), COMPLETED, token, *(d[0] for d in done)),
                )
            finished = bulk.timestamp(conn, now)
            bulk.executemany(
                conn,
                "UPDATE proofs SET status = ?, proof_data = ?, public_inputs = ?, verification_key = ?, "
                "generation_time_ms = ?, error_message = NULL, completed_at = ? WHERE id = ?",
                [
                    (
                        COMPLETED,
                        bulk.dumps(by_job[job_id]["proof_data"]),
                        bulk.dumps(by_job[job_id]["public_inputs"]),
                        bulk.dumps(by_job[job_id]["verification_key"]),
                        by_job[job_id]["took_ms"],
                        finished,
                        proof_id,
                    )
                    for job_id, proof_id in done
                ],
            )
            return [job_id for job_id, _ in done]

    def fail_attempt(
        self,
        token: str,
        job_id: str | None,
        kind: str,
        error: str,
        retry_delay: Any,  # noqa: ANN401
        retry_timeouts: bool = True,
    ) -> dict[str, str]:
        """An attempt failed. Input errors (and timeouts, unless `retry_timeouts`) fail for good; others retry
        while the budget lasts.

        `job_id` None means every job of the attempt. `retry_delay(n)` gives seconds before retry n.
        Returns {job_id: new status}.
        """
        now = utcnow()
        out: dict[str, str] = {}
        with self.sessions.begin() as s:
            q = select(Job.id, Job.proof_id, Job.retry_count, Job.max_retries).where(
                Job.attempt_token == token, Job.status == PROCESSING
            )
            if job_id is not None:
                q = q.where(Job.id == job_id)
            for row in s.execute(q).all():
                retryable = kind != "input" and (kind != "timeout" or retry_timeouts)
                if retryable and row.retry_count < row.max_retries:
                    n = row.retry_count + 1
                    values = dict(
                        status=RETRYING,
                        retry_count=n,
                        next_attempt_at=now + timedelta(seconds=float(retry_delay(n))),
                        error_message=error,
                        attempt_token=None,
                        dispatcher_id=None,
                        updated_at=now,
                    )
                    proof_values: dict[str, Any] = dict(error_message=error)
                else:
                    values = dict(status=FAILED, error_message=error, completed_at=now, updated_at=now)
                    proof_values = dict(status=FAILED, error_message=error, completed_at=now)
                s.execute(
                    update(Job)
                    .where(Job.id == row.id, Job.attempt_token == token, Job.status == PROCESSING)
                    .values(**values)
                )
                s.execute(update(Proof).where(Proof.id == row.proof_id).values(**proof_values))
                outcome = "timeout" if kind == "timeout" else "failed"
                _close_attempts(s, now, outcome, error, JobAttempt.token == token, JobAttempt.job_id == row.id)
                out[row.id] = values["status"]
        return out

    def fail_for_good(self, job_ids: list[str], error: str) -> None:
        now = utcnow()
        with self.sessions.begin() as s:
            rows = s.execute(
                update(Job)
                .where(Job.id.in_(job_ids), Job.status == PROCESSING)
                .values(status=FAILED, error_message=error, completed_at=now, updated_at=now)
                .returning(Job.proof_id)
            ).all()
            if rows:
                s.execute(
                    update(Proof)
                    .where(Proof.id.in_([r[0] for r in rows]))
                    .values(status=FAILED, error_message=error, completed_at=now)
                )
                _close_attempts(s, now, "failed", error, JobAttempt.job_id.in_(job_ids))

    def attempts(self, job_id: str) -> list[dict[str, Any]]:
        """Every run of job `job_id`, oldest first: {attempt, worker, started_at, finished_at, outcome, error}.
        A run not ended is 'running' while the job still runs under it, else 'interrupted' (its dispatcher
        stopped or lost its lease, and the job went back to pending)."""
        with self.sessions() as s:
            current = s.execute(select(Job.status, Job.attempt_token).where(Job.id == job_id)).first()
            rows = s.scalars(
                select(JobAttempt).where(JobAttempt.job_id == job_id).order_by(JobAttempt.attempt, JobAttempt.id)
            ).all()
        running = current is not None and current.status == PROCESSING
        out = []
        for a in rows:
            outcome = a.outcome
            if outcome is None:
                outcome = "running" if running and a.token == current.attempt_token else "interrupted"
            out.append(
                {
                    "attempt": a.attempt,
                    "worker": a.worker,
                    "started_at": a.started_at.isoformat() if a.started_at else None,
                    "finished_at": a.finished_at.isoformat() if a.finished_at else None,
                    "outcome": outcome,
                    "error": a.error,
                }
            )
        return out

    def counts(self) -> dict[tuple[str, str], int]:
        """{(status, queue): count} over all jobs."""
        with self.sessions() as s:
            rows = s.execute(select(Job.status, Job.queue, func.count()).group_by(Job.status, Job.queue)).all()
            return {(st, q): n for st, q, n in rows}
