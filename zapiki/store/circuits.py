"""Circuits and the content-addressed blobs (wasm, proving keys, r1cs) they are made of.

A circuit is visible to its owner, and to everyone when `is_public`; another user's private circuit is simply
not found. Blobs are stored once per sha256, however many circuits share them.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from zapiki.errors import ConflictError, NotFound
from zapiki.store.models import OPEN_STATUSES, Blob, Circuit, Job, Proof, new_id, utcnow


def circuit_dict(c: Circuit) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "proof_system": c.proof_system,
        "is_public": c.is_public,
        "status": c.status,
        "wasm_sha256": c.wasm_sha256,
        "zkey_sha256": c.zkey_sha256,
        "r1cs_sha256": c.r1cs_sha256,
        "verification_key": c.verification_key,
        "info": c.info,
        "error_message": c.error_message,
        "created_at": c.created_at.isoformat(),
        "user_id": c.user_id,
    }


class CircuitRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def put_blob(self, data: bytes) -> str:
        """Store `data` once; returns its sha256."""
        digest = hashlib.sha256(data).hexdigest()
        with self.sessions.begin() as s:
            if s.get(Blob, digest) is None:
                s.add(Blob(sha256=digest, size=len(data), data=data))
        return digest

    def blob(self, digest: str) -> bytes:
        with self.sessions() as s:
            b = s.get(Blob, digest)
            if b is None:
                raise NotFound(f"blob {digest} not found")
            return bytes(b.data)

    def create(self, user_id: str, name: str, **fields: Any) -> dict[str, Any]:  # noqa: ANN401
        with self.sessions.begin() as s:
            fields.setdefault("id", new_id())  # a given id: one made from content (a template's circuit)
            c = Circuit(user_id=user_id, name=name, created_at=utcnow(), **fields)
            s.add(c)
            s.flush()
            return circuit_dict(c)

    def update(self, circuit_id: str, **fields: Any) -> dict[str, Any]:  # noqa: ANN401
        with self.sessions.begin() as s:
            c = s.get(Circuit, circuit_id)
            if c is None:
                raise NotFound(f"circuit {circuit_id} not found")
            for k, v in fields.items():
                setattr(c, k, v)
            s.flush()
            return circuit_dict(c)

    def fail_interrupted_setups(self) -> int:
        """Setups that were running when the service stopped will not finish: mark them failed."""
        with self.sessions.begin() as s:
            rows = s.scalars(select(Circuit).where(Circuit.status == "setting_up")).all()
            for c in rows:
                c.status = "failed"
                c.error_message = "setup interrupted by a restart; upload the circuit again"
            return len(rows)

    def get(self, circuit_id: str, user_id: str | None = None) -> dict[str, Any]:
        """The circuit if `user_id` may use it (its own, or public); NotFound otherwise."""
        with self.sessions() as s:
            valid = isinstance(circuit_id, str) and len(circuit_id) <= 36 and "\x00" not in circuit_id
            c = s.get(Circuit, circuit_id) if valid else None
            if c is None or (user_id is not None and c.user_id != user_id and not c.is_public):
                raise NotFound(f"circuit {circuit_id} not found")
            return circuit_dict(c)

    def find(self, id_or_name: str, user_id: str | None = None) -> dict[str, Any]:
        """By id, else by name: the caller's newest circuit of that name, else the newest public one."""
        try:
            return self.get(id_or_name, user_id)
        except NotFound:
            pass
        with self.sessions() as s:
            q = select(Circuit).where(Circuit.name == id_or_name)
            if user_id is not None:
                q = q.where(or_(Circuit.user_id == user_id, Circuit.is_public.is_(True)))
            rows = s.scalars(q.order_by(Circuit.created_at.desc())).all()
            own = [c for c in rows if c.user_id == user_id]
            pick = (own or rows or [None])[0]
            if pick is None:
                raise NotFound(f"circuit {id_or_name!r} not found")
            return circuit_dict(pick)

    def ready_named(self, owner_id: str, name: str) -> list[dict[str, Any]]:
        """`owner_id`'s ready circuits named `name`, newest first (a template's key sets)."""
        with self.sessions() as s:
            rows = s.execute(
                select(Circuit)
                .where(Circuit.user_id == owner_id, Circuit.name == name, Circuit.status == "ready")
                .order_by(Circuit.created_at.desc())
            ).scalars()
            return [circuit_dict(c) for c in rows]

    def name_of(self, circuit_id: str) -> str | None:
        """The name of circuit `circuit_id` (None when there is no such circuit), whoever owns it."""
        with self.sessions() as s:
            return s.execute(select(Circuit.name).where(Circuit.id == circuit_id)).scalar()

    def list(self, user_id: str | None, limit: int = 20, offset: int = 0) -> list[dict[str, Any]]:
        q = select(Circuit)
        if user_id is not None:
            q = q.where(or_(Circuit.user_id == user_id, Circuit.is_public.is_(True)))
        q = q.order_by(Circuit.created_at.desc(), Circuit.id).limit(limit).offset(offset)
        with self.sessions() as s:
            return [circuit_dict(c) for c in s.scalars(q)]

    def delete(self, circuit_id: str, user_id: str | None = None) -> None:
        """Delete an owned circuit that no open job still needs (its proofs keep their data)."""
        with self.sessions.begin() as s:
            c = s.get(Circuit, circuit_id)
            if c is None or (user_id is not None and c.user_id != user_id):
                raise NotFound(f"circuit {circuit_id} not found")
            busy = s.execute(
                select(Job.id)
                .join(Proof, Proof.id == Job.proof_id)
                .where(Proof.circuit_id == circuit_id, Job.status.in_(OPEN_STATUSES))
                .limit(1)
            ).first()
            if busy is not None:
                raise ConflictError(f"circuit {circuit_id} has open jobs (e.g. {busy[0]}); cancel or wait for them")
            shas = {sha for sha in (c.wasm_sha256, c.zkey_sha256, c.r1cs_sha256) if sha}
            s.delete(c)
            s.flush()
            # files no other circuit uses go with it (blobs are shared by content)
            for sha in shas:
                used = s.execute(
                    select(Circuit.id)
                    .where(or_(Circuit.wasm_sha256 == sha, Circuit.zkey_sha256 == sha, Circuit.r1cs_sha256 == sha))
                    .limit(1)
                ).first()
                if used is None:
                    s.execute(delete(Blob).where(Blob.sha256 == sha))

    def storage_used(self, user_id: str) -> tuple[int, set[str]]:
        """(bytes, shas) of the files the user's circuits hold (each file counted once)."""
        with self.sessions() as s:
            rows = s.execute(
                select(Circuit.wasm_sha256, Circuit.zkey_sha256, Circuit.r1cs_sha256).where(Circuit.user_id == user_id)
            ).all()
            shas = {sha for row in rows for sha in row if sha}
            if not shas:
                return 0, shas
            total = s.execute(select(func.sum(Blob.size)).where(Blob.sha256.in_(shas))).scalar()
            return int(total or 0), shas
