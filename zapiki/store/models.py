"""SQLAlchemy 2 models: the database is the only source of truth for users, keys, circuits, proofs and jobs.

Ids are UUID4 strings; timestamps are timezone-aware UTC. `jobs.queue` ('high' | 'normal' | 'low') is what the
dispatcher picks by; `jobs.priority` is the same choice as an integer (2 / 1 / 0) as the seed had it.
"""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Now, timezone-aware UTC (the only clock the store writes)."""
    return datetime.now(UTC)


def new_id() -> str:
    """A fresh UUID4 string."""
    return str(uuid.uuid4())


class JobStatus(enum.StrEnum):
    """The states of a job; every move between them is written with its timestamp."""

    PENDING = "pending"  # waiting in its queue for a free slot on the cluster
    PROCESSING = "processing"  # dispatched to the cluster under an attempt token
    RETRYING = "retrying"  # an attempt failed; waits until next_attempt_at, then is pending again
    COMPLETED = "completed"  # finished; its proof is stored
    FAILED = "failed"  # failed for good (input error, or retries exhausted); error_message says why
    CANCELLED = "cancelled"  # cancelled by its owner before it ran


class CircuitStatus(enum.StrEnum):
    """The states of a registered circuit."""

    READY = "ready"  # its keys are stored: jobs may use it
    SETTING_UP = "setting_up"  # its setup runs in the background
    FAILED = "failed"  # its setup failed; error_message says why


OPEN_STATUSES = (JobStatus.PENDING, JobStatus.PROCESSING, JobStatus.RETRYING)
PRIORITY_VALUES = {"high": 2, "normal": 1, "low": 0}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite drops the zone; it is put back on load)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:  # noqa: ANN401
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:  # noqa: ANN401
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, datetime: UTCDateTime()}


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(32), default="free")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the key; the key is never stored
    prefix: Mapped[str] = mapped_column(String(16))  # first characters, to tell keys apart in listings
    tier: Mapped[str] = mapped_column(String(32), default="free")
    role: Mapped[str] = mapped_column(String(16), default="user", server_default="user")  # "user" | "admin"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()


class Blob(Base):
    """Content-addressed bytes (circuit wasm, proving keys): stored once, referenced by sha256."""

    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Circuit(Base):
    __tablename__ = "circuits"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    proof_system: Mapped[str] = mapped_column(String(64), default="groth16")
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(32), default="ready")
    wasm_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    zkey_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    r1cs_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    verification_key: Mapped[dict[str, Any] | None] = mapped_column()
    info: Mapped[dict[str, Any] | None] = mapped_column()
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Proof(Base):
    __tablename__ = "proofs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    proof_system: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), default=JobStatus.PENDING.value)
    circuit_id: Mapped[str | None] = mapped_column(ForeignKey("circuits.id", ondelete="SET NULL"))
    input: Mapped[dict[str, Any] | None] = mapped_column()  # {"data": ..., "options": {...}}
    proof_data: Mapped[dict[str, Any] | None] = mapped_column()
    public_inputs: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    verification_key: Mapped[dict[str, Any] | None] = mapped_column()
    error_message: Mapped[str | None] = mapped_column(Text)
    generation_time_ms: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (Index("ix_proofs_user_created", "user_id", "created_at"),)


class Job(Base):
    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    proof_id: Mapped[str] = mapped_column(ForeignKey("proofs.id", ondelete="CASCADE"), index=True)
    proof_system: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), default=JobStatus.PENDING.value)
    queue: Mapped[str] = mapped_column(String(16), default="normal")
    priority: Mapped[int] = mapped_column(Integer, default=1)
    retry_count: Mapped[int] = mapped_column(Integer, default=0)  # retries used (runs after the first)
    max_retries: Mapped[int] = mapped_column(Integer, default=3)
    runs: Mapped[int] = mapped_column(Integer, default=0)  # every run started on a worker, Dask re-runs included
    error_message: Mapped[str | None] = mapped_column(Text)
    timeout_s: Mapped[float] = mapped_column(Float, default=600.0)
    attempt_token: Mapped[str | None] = mapped_column(String(36), index=True)
    dispatcher_id: Mapped[str | None] = mapped_column(String(36))
    lease_until: Mapped[datetime | None] = mapped_column()
    deadline_at: Mapped[datetime | None] = mapped_column()
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    worker: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        Index("ix_jobs_pick", "status", "queue", "created_at"),
        Index(
            "ix_jobs_retrying",
            "next_attempt_at",
            sqlite_where=text("status = 'retrying'"),
            postgresql_where=text("status = 'retrying'"),
        ),
        Index("ix_jobs_user_created", "user_id", "created_at"),
        Index("ix_jobs_pick_user", "status", "queue", "user_id", "created_at"),
        Index("ix_jobs_status_user", "status", "user_id"),
        Index("ix_jobs_created", "created_at", "id"),
    )


class JobAttempt(Base):
    """One run of a job on a worker: opened when the worker announces the run, closed with its outcome
    ('completed', 'failed', 'timeout', 'lost': its worker died under it (charged), 'released': handed back unrun,
    'interrupted': our side cut it short: the scheduler went away, the dispatcher stopped or lost its lease)."""

    __tablename__ = "job_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)  # the job's run number (`jobs.runs` once this run was counted)
    token: Mapped[str | None] = mapped_column(String(36), index=True)
    worker: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)


class ServiceKey(Base):
    """Keys the service itself owns (the commitment signing key), created once and kept across restarts."""

    __tablename__ = "service_keys"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_key: Mapped[bytes] = mapped_column(LargeBinary)
    public_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RetiredServiceKey(Base):
    """The public half of a service key that was rotated out: proofs it signed still verify as the service's
    (the private half is gone)."""

    __tablename__ = "retired_service_keys"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64), index=True)
    public_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column()
    retired_at: Mapped[datetime] = mapped_column(default=utcnow)
