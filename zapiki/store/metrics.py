"""What `/metrics` counts, read in one go: counts and times only, never a user, key, input or proof.

`MetricsRepository.snapshot` runs four aggregate statements in one session: jobs by (status, queue) with the
retries they used (a GROUP BY the pick index covers), the oldest pending job per queue (an index range), runs by
outcome, and a histogram of the generation times of completed proofs per system (one pass, a conditional
count per bucket). Its callers cache it for a few seconds (`zapiki.api.metrics`).

>>> from zapiki.store.db import create_engine_for, session_factory, upgrade
>>> engine = create_engine_for("sqlite://")
>>> upgrade(engine)
>>> snap = MetricsRepository(session_factory(engine)).snapshot()
>>> snap.jobs, snap.retries, snap.oldest_pending, snap.attempts, snap.generation
({}, 0, {}, {}, {})
>>> engine.dispose()
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, sessionmaker

from zapiki.store.models import Job, JobAttempt, JobStatus, Proof, utcnow

__all__ = ["BUCKETS_S", "GenerationTimes", "MetricsRepository", "MetricsSnapshot"]

# Upper bounds (seconds) of the proof generation time histogram: commitments take milliseconds, Groth16 proofs
# of large circuits minutes (the longest allowed job runs 600 s by default).
BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


@dataclass(frozen=True)
class GenerationTimes:
    """Completed proofs of one system: how many took at most each bound (cumulative, in `BUCKETS_S` order), how
    many in all, and their total time in seconds."""

    buckets: tuple[int, ...]
    count: int
    sum_s: float


@dataclass(frozen=True)
class MetricsSnapshot:
    jobs: dict[tuple[str, str], int]  # (status, queue) -> jobs
    retries: int  # retries used, over every job
    oldest_pending: dict[str, datetime]  # queue -> created_at of its oldest pending job (queues with one)
    attempts: dict[str, int]  # outcome of finished runs -> runs ('completed', 'failed', 'timeout', 'lost', ...)
    generation: dict[str, GenerationTimes]  # proof system -> generation times of its completed proofs
    at: datetime = field(default_factory=utcnow)


class MetricsRepository:
    """The counts behind `/metrics`."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def snapshot(self, buckets_s: tuple[float, ...] = BUCKETS_S) -> MetricsSnapshot:
        """Every count `/metrics` shows, read in one session (see the module's docstring)."""
        ms = Proof.generation_time_ms
        done = Proof.status == JobStatus.COMPLETED.value
        with self.sessions() as s:
            rows = s.execute(
                select(Job.status, Job.queue, func.count(), func.coalesce(func.sum(Job.retry_count), 0)).group_by(
                    Job.status, Job.queue
                )
            ).all()
            oldest = s.execute(
                select(Job.queue, func.min(Job.created_at))
                .where(Job.status == JobStatus.PENDING.value)
                .group_by(Job.queue)
            ).all()
            outcomes = s.execute(
                select(JobAttempt.outcome, func.count())
                .where(JobAttempt.outcome.is_not(None))
                .group_by(JobAttempt.outcome)
            ).all()
            per_bucket = [func.sum(case((ms <= bound * 1000.0, 1), else_=0)) for bound in buckets_s]
            times = s.execute(
                select(Proof.proof_system, func.count(), func.coalesce(func.sum(ms), 0.0), *per_bucket)
                .where(done, ms.is_not(None))
                .group_by(Proof.proof_system)
            ).all()
        return MetricsSnapshot(
            jobs={(status, queue): int(n) for status, queue, n, _ in rows},
            retries=sum(int(r) for *_, r in rows),
            oldest_pending={queue: _aware(at) for queue, at in oldest if at is not None},
            attempts={outcome: int(n) for outcome, n in outcomes},
            generation={
                system: GenerationTimes(tuple(int(b or 0) for b in buckets), int(n), float(total) / 1000.0)
                for system, n, total, *buckets in times
            },
        )


def _aware(at: datetime) -> datetime:
    """A time read back from the database as UTC (SQLite hands back naive datetimes)."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
