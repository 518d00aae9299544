"""The jobs table: live, filtered by status, system and queue, paged through every row (in SQL); a click on a
row opens the job's page."""

from __future__ import annotations

from collections.abc import Hashable

import pandas as pd
import panel as pn

from zapiki import systems
from zapiki.config import PRIORITIES
from zapiki.dashboard.base import STATUS_COLOURS, View, status_style, table
from zapiki.dashboard.source import PAGE_SIZE, JobFilter
from zapiki.store.models import JobStatus

__all__ = ["JobsView"]

ANY = "any"
COLUMNS = [
    "id",
    "system",
    "circuit",
    "queue",
    "status",
    "attempts",
    "worker",
    "created",
    "started",
    "completed",
    "duration_s",
    "error",
]


class JobsView(View):
    """Every job the key may see, newest first, `PAGE_SIZE` a page."""

    title = "Jobs"

    def build(self) -> pn.viewable.Viewable:
        self.status = pn.widgets.Select(name="Status", options=[ANY, *(s.value for s in JobStatus)], width=140)
        self.system = pn.widgets.Select(name="System", options=[ANY, *systems.names()], width=140)
        self.queue = pn.widgets.Select(name="Queue", options=[ANY, *PRIORITIES], width=120)
        self.page = 0
        self.newer = pn.widgets.Button(name="‹ Newer", width=90, align="end")
        self.older = pn.widgets.Button(name="Older ›", width=90, align="end")
        self.where = pn.pane.Markdown("", align="end", margin=(5, 10))
        self.summary = pn.pane.HTML("", margin=(0, 10))
        columns = COLUMNS + (["user"] if self.ctx.actions.is_admin else [])
        self.rows: list[dict] = []
        self.table = table(
            columns,
            selectable=False,
            height=560,
            layout="fit_data_stretch",
            name="jobs",
            titles={"created": "created (UTC)", "started": "started", "completed": "completed"},
            stylesheets=[":host .tabulator-row { cursor: pointer; }"],
        )
        self.table.style.map(status_style, subset=["status"])
        self.table.on_click(self._clicked)
        for widget in (self.status, self.system, self.queue):
            widget.param.watch(self._filtered, "value")
        self.newer.on_click(lambda _: self._go(-1))
        self.older.on_click(lambda _: self._go(+1))
        return pn.Column(
            self.summary,
            pn.Row(self.status, self.system, self.queue, self.newer, self.older, self.where),
            self.alert,
            self.table,
            sizing_mode="stretch_width",
        )

    def filter(self) -> JobFilter:
        def pick(widget: pn.widgets.Select) -> str | None:
            return None if widget.value == ANY else widget.value

        return JobFilter(status=pick(self.status), system=pick(self.system), queue=pick(self.queue))

    def state(self) -> Hashable:
        return (self.ctx.source.version, self.filter(), self.page)

    def _filtered(self, _: object) -> None:
        self.page = 0
        self.refresh()

    def _go(self, step: int) -> None:
        self.page = max(0, self.page + step)
        self.refresh()

    def _clicked(self, event: object) -> None:
        row = getattr(event, "row", None)
        if row is not None and 0 <= row < len(self.rows):
            self.ctx.open_job(self.rows[row]["id"])

    def update(self) -> None:
        rows, total = self.ctx.source.jobs_page(self.ctx.scope, self.filter(), self.page, PAGE_SIZE)
        last = max(0, (total - 1) // PAGE_SIZE)
        if self.page > last:  # the rows went (a filter, or deleted jobs): show the last page there is
            self.page = last
            rows, total = self.ctx.source.jobs_page(self.ctx.scope, self.filter(), self.page, PAGE_SIZE)
        self.rows = rows
        first = self.page * PAGE_SIZE
        self.where.object = (
            f"rows {first + 1:,}–{first + len(rows):,} of {total:,} · page {self.page + 1:,} of {last + 1:,}"
            if total
            else "no jobs"
        )
        self.newer.disabled = self.page == 0
        self.older.disabled = self.page >= last
        self.table.value = pd.DataFrame(rows, columns=list(self.table.value.columns))
        counts = self.ctx.source.counts(self.ctx.scope)
        badges = " ".join(
            f'<span style="color:{STATUS_COLOURS[s.value]};font-weight:600;margin-right:14px">'
            f"{s.value} {counts[s.value]:,}</span>"
            for s in JobStatus
        )
        self.summary.object = f"<div>{badges}</div>"
