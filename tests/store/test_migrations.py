"""The schema comes from Alembic migrations, and the service upgrades a database by itself."""

import sqlalchemy as sa

from zapiki.store.db import create_engine_for, inspect_tables, upgrade

TABLES = {
    "users",
    "api_keys",
    "circuits",
    "proofs",
    "jobs",
    "job_attempts",
    "blobs",
    "service_keys",
    "retired_service_keys",
}


def test_upgrade_creates_every_table_and_is_idempotent(db_url):
    engine = create_engine_for(db_url)
    upgrade(engine)
    upgrade(engine)
    assert TABLES <= set(inspect_tables(engine))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0004"
    engine.dispose()


def test_jobs_table_has_the_seed_columns_and_the_attempt_columns(db_url):
    engine = create_engine_for(db_url)
    upgrade(engine)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("jobs")}
    seed = {
        "id",
        "user_id",
        "proof_id",
        "status",
        "priority",
        "retry_count",
        "max_retries",
        "error_message",
        "created_at",
        "started_at",
        "completed_at",
    }
    design = {"attempt_token", "next_attempt_at", "timeout_s", "worker", "queue", "lease_until", "runs"}
    assert seed | design <= columns
    proof_columns = {c["name"] for c in sa.inspect(engine).get_columns("proofs")}
    assert {
        "proof_system",
        "status",
        "input",
        "proof_data",
        "public_inputs",
        "verification_key",
        "error_message",
        "generation_time_ms",
        "created_at",
        "completed_at",
    } <= proof_columns
    engine.dispose()


def test_sqlite_runs_in_wal_mode(sqlite_url):
    engine = create_engine_for(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


def test_an_older_database_is_brought_to_head(sqlite_url):
    engine = create_engine_for(sqlite_url)
    with engine.begin() as conn:  # a database from before the first migration: unrelated tables only
        conn.execute(sa.text("CREATE TABLE legacy (id INTEGER PRIMARY KEY)"))
    upgrade(engine)
    assert TABLES | {"legacy"} <= set(inspect_tables(engine))
    engine.dispose()
