"""Read models of the dashboard: the few cheap statements its shared data source (`zapiki.dashboard.source`)
runs, each answering one question its views ask. Nothing here writes.

The dashboard polls, so every method is one statement (an index probe, a GROUP BY over an index, or a
LIMIT/OFFSET page), except `generation_times`, one LIMIT query per proof system. `scope` is a user id (that
user's rows only) or None (every user's: admin keys).

>>> from zapiki.store.db import create_engine_for, session_factory, upgrade
>>> engine = create_engine_for("sqlite://")
>>> upgrade(engine)
>>> views = DashboardViews(session_factory(engine))
>>> views.job_groups(), views.count_jobs(None, JobFilter(status="pending", system="commitment"))
([], 0)
>>> engine.dispose()
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, literal_column, select
from sqlalchemy.orm import Session, sessionmaker

from zapiki.store.models import Circuit, Job, JobStatus, Proof, User

__all__ = ["DashboardViews", "JobFilter"]

PENDING, PROCESSING, RETRYING = JobStatus.PENDING.value, JobStatus.PROCESSING.value, JobStatus.RETRYING.value
COMPLETED, FAILED = JobStatus.COMPLETED.value, JobStatus.FAILED.value


@dataclass(frozen=True)
class JobFilter:
    """What the jobs table shows: None means any."""

    status: str | None = None
    system: str | None = None
    queue: str | None = None


def _filtered(q: Select[Any], scope: str | None, flt: JobFilter) -> Select[Any]:
    """`q` limited to `scope`'s jobs that match `flt`."""
    if scope is not None:
        q = q.where(Job.user_id == scope)
    if flt.status:
        q = q.where(Job.status == flt.status)
    if flt.system:
        q = q.where(Job.proof_system == flt.system)
    if flt.queue:
        q = q.where(Job.queue == flt.queue)
    return q


def _minute_bucket(dialect: str) -> Any:  # noqa: ANN401
    """completed_at cut to the minute, as 'YYYY-MM-DD HH:MM' text (UTC)."""
    if dialect == "sqlite":  # stored as UTC text: 'YYYY-MM-DD HH:MM:SS.ffffff'
        return func.substr(Job.completed_at, 1, 16)
    return func.to_char(
        func.date_trunc("minute", Job.completed_at.op("AT TIME ZONE")(literal_column("'UTC'"))),
        "YYYY-MM-DD HH24:MI",
    )


class DashboardViews:
    """What the dashboard reads, one method per question (no writes)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def change_marker(self) -> tuple[Any, ...]:
        """A tuple that changes whenever anything the dashboard shows may have changed, in one statement of
        index probes: the newest job's creation time, the number of pending, processing and retrying jobs, the
        latest update among running (processing, retrying) ones, and the circuits' count, newest creation time
        and number of setups in progress."""

        def scalar(q: Select[Any]) -> Any:  # noqa: ANN401
            return q.scalar_subquery()

        q = select(
            scalar(select(func.max(Job.created_at))),
            *(scalar(select(func.count()).where(Job.status == st)) for st in (PENDING, PROCESSING, RETRYING)),
            scalar(select(func.max(Job.updated_at)).where(Job.status.in_((PROCESSING, RETRYING)))),
            scalar(select(func.count()).select_from(Circuit)),
            scalar(select(func.max(Circuit.created_at))),
            scalar(select(func.count()).where(Circuit.status == "setting_up")),
        )
        with self.sessions() as s:
            return tuple(s.execute(q).one())

    def job_groups(self) -> list[tuple[str, str, str, int]]:
        """(user_id, status, queue, count) over all jobs: one GROUP BY (an index-only scan), a few rows however
        many jobs there are. Every count the dashboard shows without a system filter is summed from these."""
        q = select(Job.user_id, Job.status, Job.queue, func.count()).group_by(Job.status, Job.queue, Job.user_id)
        with self.sessions() as s:
            return [(user_id, status, queue, int(n)) for user_id, status, queue, n in s.execute(q)]

    def count_jobs(self, scope: str | None, flt: JobFilter) -> int:
        """How many of `scope`'s jobs match `flt` (one COUNT)."""
        q = _filtered(select(func.count()).select_from(Job), scope, flt)
        with self.sessions() as s:
            return int(s.execute(q).scalar() or 0)

    def jobs_page(self, scope: str | None, flt: JobFilter, limit: int, offset: int) -> list[dict[str, Any]]:
        """`scope`'s jobs matching `flt`, newest first, rows `offset` to `offset + limit` (one LIMIT/OFFSET
        query along the creation-time index), each with its circuit's name (None without one) and its user's
        email: {id, proof_system, circuit, queue, status, runs, retry_count, worker, created_at, started_at,
        completed_at, error_message, email}."""
        q = (
            select(
                Job.id,
                Job.proof_system,
                Circuit.name.label("circuit"),
                Job.queue,
                Job.status,
                Job.runs,
                Job.retry_count,
                Job.worker,
                Job.created_at,
                Job.started_at,
                Job.completed_at,
                Job.error_message,
                User.email,
            )
            .select_from(Job)
            .join(Proof, Proof.id == Job.proof_id)
            .outerjoin(Circuit, Circuit.id == Proof.circuit_id)
            .join(User, User.id == Job.user_id)
        )
        q = _filtered(q, scope, flt).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit).offset(offset)
        with self.sessions() as s:
            return [dict(r._mapping) for r in s.execute(q)]

    def newest_input(self, scope: str | None, circuit_id: str) -> dict[str, Any] | None:
        """The input object ({"data": ..., "options": ...}) of the newest proof on circuit `circuit_id` that
        `scope` owns (any user's for None); None when there is none."""
        q = select(Proof.input).where(Proof.circuit_id == circuit_id)
        if scope is not None:
            q = q.where(Proof.user_id == scope)
        q = q.order_by(Proof.created_at.desc()).limit(1)
        with self.sessions() as s:
            rows = s.execute(q).all()
        return (rows[0][0] or {}) if rows else None

    def running_jobs(self, limit: int = 5000) -> list[tuple[str, str, str, str]]:
        """(worker, job_id, user_id, proof_system) of the jobs processing on a known worker, longest running
        first (at most `limit`)."""
        q = (
            select(Job.worker, Job.id, Job.user_id, Job.proof_system)
            .where(Job.status == PROCESSING, Job.worker.is_not(None))
            .order_by(Job.started_at)
            .limit(limit)
        )
        with self.sessions() as s:
            return [tuple(r) for r in s.execute(q)]

    def finished_per_minute(self, scope: str | None, since: datetime, minutes: int) -> list[tuple[datetime, int, int]]:
        """(minute, completed, failed) of `scope`'s jobs for each of `minutes` minutes from `since` (a whole
        minute, UTC): one query grouped by minute and status."""
        done = (COMPLETED, FAILED)
        with self.sessions() as s:
            bucket = _minute_bucket(s.get_bind().dialect.name)
            q = select(bucket, Job.status, func.count()).where(Job.completed_at >= since, Job.status.in_(done))
            if scope is not None:
                q = q.where(Job.user_id == scope)
            rows = s.execute(q.group_by(bucket, Job.status)).all()
        counts: dict[str, list[int]] = {}
        for minute, status, n in rows:
            counts.setdefault(str(minute)[:16], [0, 0])[0 if status == COMPLETED else 1] += n
        out = []
        for i in range(minutes):
            t = since + timedelta(minutes=i)
            c = counts.get(t.strftime("%Y-%m-%d %H:%M"), [0, 0])
            out.append((t, c[0], c[1]))
        return out

    def generation_times(
        self, scope: str | None, systems: Iterable[str], limit: int = 1000
    ) -> dict[str, dict[str, float]]:
        """{system: {count, p50_ms, p95_ms}} over the newest `limit` completed proofs of `scope` of each of
        `systems` (one LIMIT query per system; a system without any is left out)."""
        out = {}
        with self.sessions() as s:
            for system in systems:
                q = select(Proof.generation_time_ms).where(
                    Proof.proof_system == system,
                    Proof.status == COMPLETED,
                    Proof.generation_time_ms.is_not(None),
                )
                if scope is not None:
                    q = q.where(Proof.user_id == scope)
                times = sorted(r[0] for r in s.execute(q.order_by(Proof.created_at.desc()).limit(limit)))
                if times:
                    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
                    out[system] = {"count": len(times), "p50_ms": statistics.median(times), "p95_ms": p95}
        return out
