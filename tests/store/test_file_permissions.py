"""A SQLite database is private to the user who runs Zapiki: its folder is created 0700 and its file 0600 (SQLite
gives the -wal and -shm files the file's permissions), before SQLite touches them; a file left readable by
others is tightened with a warning. In-memory SQLite and PostgreSQL create no file."""

import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from zapiki.service import ZapikiService
from zapiki.store.db import create_engine_for, sqlite_file


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """A umask that lets group and others read what is created, so only Zapiki's own care keeps files private."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_a_new_database_gets_a_private_folder_and_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "data" / "zapiki" / "zapiki.db"
    with caplog.at_level(logging.WARNING, logger="zapiki"):
        service = ZapikiService.open(f"sqlite:///{db}", dispatch=False)
    try:
        assert not caplog.records, caplog.text  # private from the start, not tightened afterwards
        assert mode(tmp_path / "data") == 0o700
        assert mode(db.parent) == 0o700
        assert mode(db) == 0o600
        with service.engine.begin() as conn:  # a write, so WAL mode has its -wal and -shm files
            conn.execute(sa.text("CREATE TABLE probe (x INTEGER)"))
            conn.execute(sa.text("INSERT INTO probe VALUES (1)"))
            companions = [p for p in db.parent.iterdir() if p != db]
            assert {p.name for p in companions} >= {"zapiki.db-wal", "zapiki.db-shm"}
            for path in companions:
                assert mode(path) == 0o600, path
    finally:
        service.close()


def test_the_default_relative_url_is_private_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    engine = create_engine_for("sqlite:///.zapiki/zapiki.db")
    try:
        assert mode(tmp_path / ".zapiki") == 0o700
        assert mode(tmp_path / ".zapiki" / "zapiki.db") == 0o600
    finally:
        engine.dispose()


def test_an_existing_world_readable_database_is_tightened_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "zapiki.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE kept (x INTEGER)")
    conn.commit()
    conn.close()
    (tmp_path / "zapiki.db-shm").write_bytes(b"")  # left behind by an older run
    os.chmod(db, 0o644)
    os.chmod(tmp_path / "zapiki.db-shm", 0o666)
    with caplog.at_level(logging.WARNING, logger="zapiki"):
        service = ZapikiService.open(f"sqlite:///{db}", dispatch=False)
    try:
        assert mode(db) == 0o600
        assert mode(tmp_path / "zapiki.db-shm") == 0o600
        assert any(str(db) in r.getMessage() and "0644" in r.getMessage() for r in caplog.records), caplog.text
        assert "kept" in sa.inspect(service.engine).get_table_names()  # the same database, upgraded in place
    finally:
        service.close()


def test_in_memory_sqlite_and_postgresql_create_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for url in ("sqlite://", "sqlite:///:memory:"):
        assert sqlite_file(url) is None
        engine = create_engine_for(url)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
        engine.dispose()
    assert sqlite_file("postgresql://u:p@127.0.0.1/zapiki") is None
    create_engine_for("postgresql://u:p@127.0.0.1:1/zapiki").dispose()  # engines connect lazily
    assert list(tmp_path.iterdir()) == []
