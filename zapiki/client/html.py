"""HTML for Jupyter: how a connection, a job and a batch show themselves in a notebook (no external assets)."""

from __future__ import annotations

from html import escape
from typing import Any

from zapiki.schema import STATUS_COLOURS, STATUSES


def badge(status: str) -> str:
    colour = STATUS_COLOURS.get(status, "#6c757d")
    return (
        f'<span style="background:{colour};color:white;border-radius:4px;padding:1px 6px;'
        f'font-family:monospace">{escape(status)}</span>'
    )


def _table(rows: list[tuple[str, str]]) -> str:
    cells = "".join(
        f'<tr><th style="text-align:left;padding-right:1em">{escape(k)}</th><td style="text-align:left">{v}</td></tr>'
        for k, v in rows
    )
    return f"<table>{cells}</table>"


def _text(value: Any) -> str:  # noqa: ANN401
    return "—" if value is None else escape(str(value))


def connection(
    kind: str, where: str, user_id: str, stats: dict[str, Any] | None, dashboard: str | None, error: str | None = None
) -> str:
    rows = [
        ("connection", f"{escape(kind)}: <code>{escape(where)}</code>"),
        ("user", f"<code>{escape(user_id)}</code>"),
    ]
    if stats is not None:
        workers = stats.get("workers") or {}
        rows.append(("workers", f"{workers.get('count', 0)} ({workers.get('threads', 0)} threads)"))
        queues = stats.get("queues") or {}
        rows.append(("pending", ", ".join(f"{escape(q)} {n}" for q, n in queues.items()) or "0"))
        rows.append(("in flight", _text(stats.get("in_flight"))))
        rows.append(("retrying", _text(stats.get("retrying"))))
        rows.append(("completed / failed", f"{stats.get('completed', 0)} / {stats.get('failed', 0)}"))
    if error:
        rows.append(("status", f'<span style="color:#dc3545">{escape(error)}</span>'))
    if dashboard:
        rows.append(("dashboard", link(dashboard)))
    return f"<div><strong>Zapiki</strong>{_table(rows)}</div>"


def link(url: str) -> str:
    return f'<a href="{escape(url)}" target="_blank">{escape(url)}</a>'


def job(info: dict[str, Any]) -> str:
    rows = [
        ("job", f"<code>{escape(info['id'])}</code>"),
        ("status", badge(info["status"])),
        ("system", _text(info.get("proof_system"))),
        ("queue", _text(info.get("queue"))),
        ("runs", f"{info.get('runs', 0)} (retries {info.get('retry_count', 0)} of {info.get('max_retries', 0)})"),
        ("worker", _text(info.get("worker"))),
        ("created", _text(info.get("created_at"))),
        ("started", _text(info.get("started_at"))),
        ("completed", _text(info.get("completed_at"))),
    ]
    if info.get("error_message"):
        rows.append(("error", f'<span style="color:#dc3545">{escape(info["error_message"])}</span>'))
    return _table(rows)


def batch(total: int, counts: dict[str, int]) -> str:
    done = sum(counts.get(s, 0) for s in ("completed", "failed", "cancelled"))
    parts = " ".join(f"{badge(s)} {counts[s]}" for s in STATUSES if counts.get(s))
    return (
        f"<div><strong>{total} jobs</strong> &nbsp; {parts}<br>"
        f'<progress value="{done}" max="{max(total, 1)}" style="width:30em"></progress> {done}/{total} final</div>'
    )
