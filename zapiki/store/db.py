"""Engines, sessions and schema upgrades for SQLite (embedded, WAL mode) and PostgreSQL.

>>> engine = create_engine_for("sqlite://")
>>> upgrade(engine)
>>> sorted(inspect_tables(engine))[:3]
['alembic_version', 'api_keys', 'blobs']
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from zapiki.privatefiles import make_private_dirs

log = logging.getLogger("zapiki.store")
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def normalize_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` as psycopg 3 URLs.

    >>> normalize_url("postgres://u:p@db/zapiki")
    'postgresql+psycopg://u:p@db/zapiki'
    """
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL opens (absolute, as SQLAlchemy's driver resolves it), or None for anything else:
    other databases and in-memory SQLite.

    >>> sqlite_file("sqlite://") is None and sqlite_file("sqlite:///:memory:") is None
    True
    >>> sqlite_file("sqlite:////var/lib/zapiki/zapiki.db")
    PosixPath('/var/lib/zapiki/zapiki.db')
    >>> sqlite_file("postgresql+psycopg://u@db/zapiki") is None
    True
    """
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if str(parsed.query.get("uri", "")).lower() in ("true", "1"):  # an SQLite URI: file:path?mode=...
        if not database.startswith("file:"):
            return None if database in ("", ":memory:") else Path(os.path.abspath(database))
        location = urlsplit(database)
        if "memory" in parse_qs(location.query).get("mode", []) or parsed.query.get("mode") == "memory":
            return None
        database = unquote(location.path)
    if database in ("", ":memory:"):
        return None
    return Path(os.path.abspath(database))


def secure_sqlite_file(path: Path) -> None:
    """Keep a SQLite database private to this user before SQLite opens it: missing folders are created 0700, a
    missing file is created empty with 0600, and an existing file (or its -wal, -shm, -journal) readable or
    writable by group or others is tightened to 0600, with a warning (an existing folder is left as it is, with a
    warning when others may write to it). SQLite gives the -wal and -shm files it
    creates the main file's permissions."""
    # an existing folder is left as it is, but one that others may write to is worth a warning
    if not make_private_dirs(path.parent):
        parent = os.stat(path.parent)
        if parent.st_mode & 0o022 and not parent.st_mode & stat.S_ISVTX:
            log.warning("%s, which holds the database, is writable by other users", path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
    except FileExistsError:
        pass
    for name in (path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal"))):
        try:
            mode = stat.S_IMODE(os.stat(name).st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            try:
                os.chmod(name, 0o600)
                log.warning("%s was readable or writable by other users (mode %04o); tightened to 0600", name, mode)
            except OSError as exc:
                log.warning(
                    "%s is readable or writable by other users (mode %04o) and could not be tightened: %s",
                    name,
                    mode,
                    exc,
                )


def create_engine_for(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL mode, a busy timeout and foreign keys on every connection, and a
    SQLite file is made private first (`secure_sqlite_file`)."""
    url = normalize_url(url)
    path = sqlite_file(url)
    if path is not None:
        secure_sqlite_file(path)
    if url.startswith("sqlite"):
        in_memory = url in ("sqlite://", "sqlite:///:memory:")
        kwargs: dict = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if in_memory:
            # One connection holds the whole database: lent to one thread at a time (a session's transaction),
            # never two at once (threads sharing it would commit each other's transactions), never closed.
            kwargs.update(poolclass=QueuePool, pool_size=1, max_overflow=0, pool_timeout=60)
        engine = sa.create_engine(url, **kwargs)

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
            cur = dbapi_conn.cursor()
            if not in_memory:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def alembic_config(engine: Engine | None = None) -> Config:
    """Alembic's configuration: the migrations in `zapiki/store/migrations`, and `engine`'s database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


# Two processes upgrading one PostgreSQL database at once (a migration job and a `zapiki serve --migrate`)
# take turns on this transaction-scoped advisory lock; SQLite's write lock does the same there.
_MIGRATION_LOCK = 0x7A61_706B  # "zapk"


def upgrade(engine: Engine, to: str = "head") -> None:
    """Bring an empty or older database to the newest schema, or to revision `to` (idempotent)."""
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, to)


def head() -> str:
    """The newest schema revision this code knows (what `upgrade` brings a database to).

    >>> head() == ScriptDirectory.from_config(alembic_config()).get_current_head()
    True
    """
    found = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert found is not None
    return found


def revision(engine: Engine) -> str | None:
    """The schema revision the database is at; None for an empty database (never migrated).

    >>> engine = create_engine_for("sqlite://")
    >>> revision(engine) is None
    True
    >>> upgrade(engine); revision(engine) == head()
    True
    """
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def schema_state(engine: Engine) -> tuple[str, str | None, str]:
    """("current" | "behind" | "ahead", the database's revision, the code's head). "behind": empty, or at an
    older revision of this code's migrations (`upgrade` brings it to head); "ahead": at a revision this code
    does not know, i.e. migrated by a newer Zapiki. Raises SQLAlchemy's OperationalError when unreachable.

    >>> engine = create_engine_for("sqlite://")
    >>> schema_state(engine)[0]
    'behind'
    >>> upgrade(engine); schema_state(engine)[0]
    'current'
    """
    at, newest = revision(engine), head()
    if at == newest:
        return "current", at, newest
    if at is None:
        return "behind", at, newest
    try:
        known = ScriptDirectory.from_config(alembic_config()).get_revision(at) is not None
    except CommandError:
        known = False
    return ("behind" if known else "ahead"), at, newest


def behind(engine: Engine) -> bool:
    """True when the database is empty or at an older revision than the code's head (`zapiki db upgrade`)."""
    return schema_state(engine)[0] == "behind"


def inspect_tables(engine: Engine) -> list[str]:
    """The table names in the database."""
    return sa.inspect(engine).get_table_names()


def reachable(engine: Engine) -> bool:
    """True when the database answers a trivial query now."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception:
        return False
    return True


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded attributes after commit (rows are handed out as plain values)."""
    return sessionmaker(engine, expire_on_commit=False)
