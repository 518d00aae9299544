"""`zapiki db upgrade` and `zapiki db current`, the deployment's migration step, on SQLite and PostgreSQL: the
revision before and after, exit statuses (0 at head, 1 behind, 2 unreachable, 3 newer than the code), the URL
from --db or DATABASE_URL, and the store's `revision`/`head`/`schema_state` they print."""

from __future__ import annotations

import os
import subprocess
import sys

import sqlalchemy as sa

from zapiki.store.db import behind, create_engine_for, head, revision, schema_state, upgrade


def _zapiki(*args, env=None, cwd=None):
    env = {**os.environ, **(env or {})}
    env.pop("ZAPIKI_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-m", "zapiki.cli", *args], capture_output=True, text=True, timeout=120, env=env, cwd=cwd
    )
    return done.returncode, done.stdout, done.stderr


def _to(url, rev):
    engine = create_engine_for(url)
    try:
        upgrade(engine, to=rev)
    finally:
        engine.dispose()


def test_current_and_upgrade_report_and_move_the_schema(db_url):
    rc, out, err = _zapiki("db", "current", "--db", db_url)
    assert rc == 1, out + err
    assert "revision  (empty)" in out and f"head      {head()}" in out and "zapiki db upgrade" in out

    rc, out, err = _zapiki("db", "upgrade", "--db", db_url)
    assert rc == 0, out + err
    assert "before    (empty)" in out and f"after     {head()}" in out and "already" not in out
    assert "Running upgrade" in err  # Alembic's steps, logged one line each (zapiki.logs)

    rc, out, err = _zapiki("db", "current", "--db", db_url)
    assert rc == 0 and f"revision  {head()}" in out and "status    current" in out, out + err

    rc, out, err = _zapiki("db", "upgrade", "--db", db_url)  # again: nothing to do
    assert rc == 0 and f"before    {head()}" in out and "(already at head)" in out, out + err


def test_an_older_revision_is_behind_and_upgraded(db_url):
    _to(db_url, "0003")
    rc, out, _ = _zapiki("db", "current", "--db", db_url)
    assert rc == 1 and "revision  0003" in out and "status    behind" in out
    rc, out, _ = _zapiki("db", "upgrade", "--db", db_url)
    assert rc == 0 and "before    0003" in out and f"after     {head()}" in out


def test_a_revision_from_a_newer_zapiki_is_ahead_and_not_touched(sqlite_url):
    _to(sqlite_url, "head")
    engine = create_engine_for(sqlite_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    assert schema_state(engine) == ("ahead", "0099", head()) and not behind(engine)
    engine.dispose()
    rc, out, _ = _zapiki("db", "current", "--db", sqlite_url)
    assert rc == 3 and "status    ahead" in out
    rc, out, err = _zapiki("db", "upgrade", "--db", sqlite_url)
    assert rc == 3 and "newer than this code's" in err, out + err


def test_the_url_defaults_to_database_url(tmp_path):
    url = f"sqlite:///{tmp_path}/from-env.db"
    rc, out, err = _zapiki("db", "upgrade", env={"DATABASE_URL": url}, cwd=tmp_path)
    assert rc == 0 and f"database  {url}" in out, out + err
    rc, out, _ = _zapiki("db", "current", env={"DATABASE_URL": url}, cwd=tmp_path)
    assert rc == 0 and f"database  {url}" in out


def test_an_unreachable_database_exits_2_without_its_password(free_port):
    url = f"postgresql+psycopg://zapiki:s3cret@127.0.0.1:{free_port()}/zapiki"
    for command in ("current", "upgrade"):
        rc, out, err = _zapiki("db", command, "--db", url)
        assert rc == 2 and "cannot reach the database" in err, out + err
        assert "s3cret" not in out + err


def test_the_store_knows_the_revision_and_the_head(db_url):
    engine = create_engine_for(db_url)
    try:
        assert revision(engine) is None and behind(engine)
        assert schema_state(engine) == ("behind", None, head())
        upgrade(engine)
        upgrade(engine)  # idempotent
        assert revision(engine) == head() and not behind(engine)
        assert schema_state(engine) == ("current", head(), head())
    finally:
        engine.dispose()
