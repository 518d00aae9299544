"""The soak's audit trail: PostgreSQL triggers (nothing in Zapiki can skip them) that write every change of a
job's status, run count or retry count, with the values before and after, to `chaos_job_changes`, in the order
the changes were made to that job (its row lock orders them)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

WATCHED = ("status", "runs", "retry_count", "worker", "attempt_token")

INSTALL = [
    "CREATE TABLE chaos_job_changes (seq BIGSERIAL PRIMARY KEY, job_id TEXT NOT NULL, "
    "at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), "
    + ", ".join(f"old_{c} TEXT, new_{c} TEXT" for c in WATCHED)
    + ")",
    "CREATE FUNCTION chaos_audit_job() RETURNS trigger AS $$ BEGIN "
    "INSERT INTO chaos_job_changes (job_id, "
    + ", ".join(f"old_{c}, new_{c}" for c in WATCHED)
    + ") VALUES (NEW.id, "
    + ", ".join(f"OLD.{c}::text, NEW.{c}::text" for c in WATCHED)
    + "); RETURN NULL; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER chaos_audit_job AFTER UPDATE ON jobs FOR EACH ROW WHEN ("
    + " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in ("status", "runs", "retry_count"))
    + ") EXECUTE FUNCTION chaos_audit_job()",
]


def install(engine: sa.Engine) -> None:
    """Create the audit table and trigger (PostgreSQL)."""
    if engine.dialect.name != "postgresql":
        raise RuntimeError("the soak's audit trail needs PostgreSQL")
    with engine.begin() as conn:
        for statement in INSTALL:
            conn.execute(sa.text(statement))


def changes(engine: sa.Engine) -> dict[str, list[dict[str, Any]]]:
    """{job_id: [change, ...]} in the order they were made; each change has `at` and old_/new_ of the watched
    columns (runs and retry_count as int)."""
    out: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for row in conn.execute(sa.text("SELECT * FROM chaos_job_changes ORDER BY seq")).mappings():
            change = dict(row)
            for c in ("runs", "retry_count"):
                for side in ("old", "new"):
                    key = f"{side}_{c}"
                    change[key] = int(change[key]) if change[key] is not None else 0
            out.setdefault(change["job_id"], []).append(change)
    return out
