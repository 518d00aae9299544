"""The jobs dashboard: live queue sizes and jobs, and a form to submit a commitment job.

Served by `zapiki serve` at /dashboard. Every browser session reads one shared, server-wide snapshot that is
refreshed once a second (not one database query per open tab).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pandas as pd
import panel as pn

COLUMNS = [
    "id",
    "proof_system",
    "queue",
    "status",
    "retry_count",
    "worker",
    "created_at",
    "completed_at",
    "error_message",
]


class Snapshot:
    """Stats and recent jobs, refreshed at most once a second for all sessions."""

    def __init__(self, service: Any, every_s: float = 1.0) -> None:  # noqa: ANN401
        self.service = service
        self.every_s = every_s
        self._at = 0.0
        self._lock = threading.Lock()
        self.stats: dict[str, Any] = {}
        self.jobs = pd.DataFrame(columns=COLUMNS)

    def refresh(self) -> None:
        with self._lock:
            if time.monotonic() - self._at < self.every_s:
                return
            self.stats = self.service.stats()
            rows = self.service.proofs.list_jobs(None, limit=200)
            self.jobs = pd.DataFrame(rows, columns=COLUMNS)
            self._at = time.monotonic()


_snapshots: dict[int, Snapshot] = {}


def app(service: Any) -> pn.viewable.Viewable:  # noqa: ANN401
    snap = _snapshots.setdefault(id(service), Snapshot(service))
    snap.refresh()
    pn.extension("tabulator")
    indicators = {
        name: pn.indicators.Number(name=label, value=0, format="{value}", font_size="28pt")
        for name, label in [
            ("high", "high"),
            ("normal", "normal"),
            ("low", "low"),
            ("in_flight", "in flight"),
            ("retrying", "retrying"),
            ("completed", "completed"),
            ("failed", "failed"),
        ]
    }
    table = pn.widgets.Tabulator(
        snap.jobs,
        pagination="local",
        page_size=20,
        disabled=True,
        show_index=False,
        sizing_mode="stretch_width",
        name="jobs",
    )
    data = pn.widgets.TextInput(name="Data to commit to", placeholder="hello", value="")
    priority = pn.widgets.Select(name="Priority", options=["high", "normal", "low"], value="normal")
    submit = pn.widgets.Button(name="Submit commitment job", button_type="primary")
    message = pn.pane.Markdown("")

    def update() -> None:
        snap.refresh()
        s = snap.stats
        for q in ("high", "normal", "low"):
            indicators[q].value = s["queues"][q]
        for k in ("in_flight", "retrying", "completed", "failed"):
            indicators[k].value = s[k]
        table.value = snap.jobs

    def on_submit(_: Any) -> None:  # noqa: ANN401
        try:
            out = service.create_proof(
                service.default_user_id, "commitment", data.value or "", {"async": True, "priority": priority.value}
            )
            message.object = f"Submitted job `{out['job_id']}`"
        except Exception as exc:
            message.object = f"**Error:** {exc}"

    submit.on_click(on_submit)
    update()
    pn.state.add_periodic_callback(update, period=1000)
    link = getattr(service.client, "dashboard_link", None)
    header = pn.pane.Markdown(f"# Zapiki jobs\nDask dashboard: [{link}]({link})" if link else "# Zapiki jobs")
    return pn.Column(
        header,
        pn.Row(*indicators.values()),
        pn.Row(data, priority, submit),
        message,
        table,
        sizing_mode="stretch_width",
    )
