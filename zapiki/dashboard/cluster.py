"""Queues and workers: pending per queue, in flight, retrying, failed; each Dask worker with its threads,
memory and the job it runs now (another user's job is not named to a user key); and the Dask task stream of
the cluster (its own Bokeh page, embedded) with the link to the full Dask dashboard."""

from __future__ import annotations

import html
import time
from collections.abc import Hashable

import pandas as pd
import panel as pn

from zapiki.config import PRIORITIES
from zapiki.dashboard.base import STATUS_COLOURS, View, table

__all__ = ["ClusterView", "task_stream_url"]

COUNTERS = [
    *((f"pending {q}", ("pending", q)) for q in PRIORITIES),
    ("in flight", ("processing", None)),
    ("retrying", ("retrying", None)),
    ("failed", ("failed", None)),
    ("completed", ("completed", None)),
]
WORKER_COLUMNS = ["worker", "name", "status", "threads", "memory", "memory_limit", "cpu_%", "executing", "running_job"]
WORKER_TITLES = {
    "memory": "memory (MiB)",
    "memory_limit": "limit (MiB)",
    "cpu_%": "CPU %",
    "running_job": "running now",
}


def task_stream_url(dashboard_link: str) -> str:
    """The Dask dashboard's task stream page, alone (for an iframe), from its link (…/status).

    >>> task_stream_url("http://127.0.0.1:8787/status")
    'http://127.0.0.1:8787/individual-task-stream'
    """
    base = dashboard_link.rsplit("/status", 1)[0] if dashboard_link.endswith("/status") else dashboard_link
    return base.rstrip("/") + "/individual-task-stream"


class ClusterView(View):
    """Counters of the key's jobs (every user's for an admin key), the workers, and the task stream."""

    title = "Cluster"

    def build(self) -> pn.viewable.Viewable:
        self.counters = {
            label: pn.indicators.Number(
                name=label,
                value=0,
                format="{value:,}",
                font_size="26pt",
                title_size="11pt",
                default_color=STATUS_COLOURS.get(key[0], "#333"),
                margin=(5, 18),
            )
            for label, key in COUNTERS
        }
        self.workers = table(WORKER_COLUMNS, titles=WORKER_TITLES, name="workers")
        link = self.ctx.source.dashboard_link()
        if link:
            url = html.escape(task_stream_url(link), quote=True)
            stream = pn.pane.HTML(
                f'<iframe src="{url}" title="Dask task stream" style="width:100%;height:330px;border:0"></iframe>',
                sizing_mode="stretch_width",
                height=340,
            )
            where = f"[Full Dask dashboard]({link}) (its task stream, progress, worker memory and profiles)"
        else:
            stream = pn.pane.Markdown("No Dask cluster is attached to this service (no task stream).")
            where = ""
        return pn.Column(
            pn.Row(*self.counters.values()),
            pn.pane.Markdown("### Workers"),
            self.workers,
            pn.pane.Markdown(f"### Task stream\n{where}"),
            stream,
            sizing_mode="stretch_width",
        )

    def state(self) -> Hashable:
        return (self.ctx.source.version, int(time.monotonic() // 2))  # workers' memory and CPU move on their own

    def update(self) -> None:
        counts = self.ctx.source.counts(self.ctx.scope)
        for label, (status, queue) in COUNTERS:
            self.counters[label].value = counts["queues"][queue] if queue else counts[status]
        rows = self.ctx.source.workers(self.ctx.scope)
        self.workers.value = pd.DataFrame(rows, columns=WORKER_COLUMNS)
