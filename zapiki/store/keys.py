"""Users, API keys and the service's own signing keys.

API keys are 32 random bytes (urlsafe base64, prefixed `zk_`), shown once at creation; only their SHA-256
is stored, and a key is looked up by that hash.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from zapiki.errors import ConflictError, InputError, NotFound
from zapiki.store.models import ApiKey, RetiredServiceKey, ServiceKey, User, utcnow

KEY_PREFIX = "zk_"
TIERS = ("free", "pro", "enterprise")
ROLES = ("user", "admin")  # an admin key sees and acts on every user's rows; a user key on its own only
DEFAULT_EMAIL = "admin@localhost"


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _user_dict(u: User) -> dict[str, Any]:
    return {"id": u.id, "email": u.email, "name": u.name, "tier": u.tier, "created_at": u.created_at.isoformat()}


def _key_dict(k: ApiKey, email: str | None = None) -> dict[str, Any]:
    return {
        "id": k.id,
        "user_id": k.user_id,
        "email": email,
        "name": k.name,
        "prefix": k.prefix,
        "tier": k.tier,
        "role": k.role,
        "created_at": k.created_at.isoformat(),
        "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
        "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None,
    }


class KeyRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def get_or_create_user(
        self, email: str, name: str | None = None, tier: str = "free"
    ) -> tuple[dict[str, Any], bool]:
        """The user with `email`, created if absent; returns (user, created)."""
        if not email or "@" not in email:
            raise InputError(f"invalid email {email!r}")
        if tier not in TIERS:
            raise InputError(f"unknown tier {tier!r}; expected one of {', '.join(TIERS)}")
        with self.sessions.begin() as s:
            user = s.scalars(select(User).where(User.email == email)).first()
            if user is not None:
                return _user_dict(user), False
            user = User(email=email, name=name, tier=tier)
            s.add(user)
            try:
                s.flush()
            except IntegrityError:
                s.rollback()
                return self.get_or_create_user(email, name, tier)
            return _user_dict(user), True

    def user(self, user_id: str) -> dict[str, Any]:
        """The user `user_id`: {id, email, name, tier, created_at}; NotFound when there is none."""
        with self.sessions() as s:
            user = s.get(User, user_id)
            if user is None:
                raise NotFound(f"user {user_id} not found")
            return _user_dict(user)

    def emails(self, user_ids: Iterable[str]) -> dict[str, str]:
        """{user id: email} of these users (unknown ids left out; no query for none)."""
        ids = set(user_ids)
        if not ids:
            return {}
        with self.sessions() as s:
            return dict(s.execute(select(User.id, User.email).where(User.id.in_(ids))).all())

    def set_tier(self, user_id: str, tier: str) -> None:
        """Set a user's tier (what caps their jobs in flight)."""
        if tier not in TIERS:
            raise InputError(f"unknown tier {tier!r}; expected one of {', '.join(TIERS)}")
        with self.sessions.begin() as s:
            user = s.get(User, user_id)
            if user is None:
                raise NotFound(f"user {user_id} not found")
            user.tier = tier

    def create_key(
        self, email: str, name: str | None = None, tier: str | None = None, admin: bool = False
    ) -> tuple[dict[str, Any], str]:
        """A new key for the user `email` (created if needed); returns (key info, the raw key — shown once).
        An `admin` key sees and acts on every user's jobs, proofs and circuits (role 'admin'; else 'user')."""
        user, _ = self.get_or_create_user(email, tier=tier or "free")
        raw = KEY_PREFIX + secrets.token_urlsafe(32)
        with self.sessions.begin() as s:
            key = ApiKey(
                user_id=user["id"],
                name=name,
                key_hash=hash_key(raw),
                prefix=raw[:10],
                tier=tier or user["tier"],
                role="admin" if admin else "user",
            )
            s.add(key)
            s.flush()
            return _key_dict(key, email), raw

    def list_keys(self) -> list[dict[str, Any]]:
        with self.sessions() as s:
            rows = s.execute(select(ApiKey, User.email).join(User).order_by(ApiKey.created_at)).all()
            return [_key_dict(k, email) for k, email in rows]

    def revoke(self, key_id_or_prefix: str) -> dict[str, Any]:
        with self.sessions.begin() as s:
            keys = s.scalars(
                select(ApiKey).where((ApiKey.id == key_id_or_prefix) | (ApiKey.prefix == key_id_or_prefix))
            ).all()
            if not keys:
                raise NotFound(f"no API key {key_id_or_prefix!r}")
            if len(keys) > 1:
                raise ConflictError(f"{key_id_or_prefix!r} matches {len(keys)} keys; use the key id")
            keys[0].revoked_at = keys[0].revoked_at or utcnow()
            return _key_dict(keys[0])

    def authenticate(self, raw: str) -> dict[str, Any] | None:
        """The user, tier and role ('user' | 'admin') behind a raw key, or None for an unknown or revoked key."""
        if not raw:
            return None
        with self.sessions() as s:
            row = s.execute(
                select(ApiKey, User).join(User).where(ApiKey.key_hash == hash_key(raw), ApiKey.revoked_at.is_(None))
            ).first()
            if row is None:
                return None
            key, user = row
            return {"user_id": user.id, "email": user.email, "tier": key.tier, "key_id": key.id, "role": key.role}

    def service_public_keys(self, name: str) -> set[str]:
        """Every public key (hex) the service has signed with under `name`: the current one and retired ones."""
        self.service_key(name)
        with self.sessions() as s:
            current = s.get(ServiceKey, name).public_key
            retired = s.scalars(select(RetiredServiceKey.public_key).where(RetiredServiceKey.name == name)).all()
            return {current, *retired}

    def rotate_service_key(self, name: str, revoke_old: bool = False) -> str:
        """Replace the service key `name` by a new one; the old public key stays verifiable (its private key is
        discarded) unless `revoke_old` (a leaked key: what it signed no longer verifies as the service's).
        Returns the new public key. Running services pick it up when they restart."""
        key = Ed25519PrivateKey.generate()
        public = key.public_key().public_bytes_raw().hex()
        with self.sessions.begin() as s:
            old = s.get(ServiceKey, name)
            if old is not None and not revoke_old:
                s.add(RetiredServiceKey(name=name, public_key=old.public_key, created_at=old.created_at))
            if old is not None:
                s.delete(old)
                s.flush()
            s.add(ServiceKey(name=name, private_key=key.private_bytes_raw(), public_key=public))
        return public

    def service_key(self, name: str) -> bytes:
        """The service's Ed25519 private key `name`, created on first use and kept in the database."""
        with self.sessions() as s:
            found = s.get(ServiceKey, name)
            if found is not None:
                return found.private_key
        key = Ed25519PrivateKey.generate()
        raw = key.private_bytes_raw()
        try:
            with self.sessions.begin() as s:
                s.add(ServiceKey(name=name, private_key=raw, public_key=key.public_key().public_bytes_raw().hex()))
        except IntegrityError:  # another process created it first: use theirs
            pass
        with self.sessions() as s:
            return s.get(ServiceKey, name).private_key
