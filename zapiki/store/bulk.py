"""Bulk statements on the hot path of fast jobs, sent straight to the driver's executemany.

SQLAlchemy's per-row parameter processing costs more than SQLite itself at thousands of jobs per second, so
the few statements that touch every fast job are written here once per dialect: placeholders in the driver's
style, JSON already serialised, timestamps in the format SQLAlchemy itself stores on SQLite (on PostgreSQL,
aware datetimes). Everything else in the store uses the ORM.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection


def placeholder(conn: Connection) -> str:
    return "?" if conn.dialect.name == "sqlite" else "%s"


def timestamp(conn: Connection, t: datetime) -> Any:  # noqa: ANN401
    """A UTC datetime as the driver should receive it (SQLite: SQLAlchemy's own text format)."""
    if conn.dialect.name == "sqlite":
        return t.strftime("%Y-%m-%d %H:%M:%S.%f")
    return t


def dumps(value: Any) -> str | None:  # noqa: ANN401
    return None if value is None else json.dumps(value, separators=(",", ":"))


def loads(value: Any) -> Any:  # noqa: ANN401
    """JSON column value as read by the driver (text on SQLite, already decoded on PostgreSQL)."""
    if isinstance(value, str | bytes):
        return json.loads(value)
    return value


def sql(conn: Connection, text: str, n_in: int = 0) -> str:
    """`text` with `?` placeholders in the driver's style; `{in}` expands to n_in placeholders."""
    p = placeholder(conn)
    if n_in:
        text = text.replace("{in}", ", ".join(["?"] * n_in))
    return text.replace("?", p)


def executemany(conn: Connection, statement: str, rows: Sequence[tuple[Any, ...]]) -> None:
    if rows:
        conn.exec_driver_sql(sql(conn, statement), list(rows))


def new_ids(n: int) -> list[str]:
    """n random UUID4 strings, made in bulk (uuid.uuid4() per id is slow at this rate)."""
    raw = os.urandom(16 * n).hex()
    out = []
    for i in range(0, 32 * n, 32):
        h = raw[i : i + 32]
        out.append(f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}")
    return out
