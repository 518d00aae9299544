"""Live Bokeh plots: jobs completed and failed per minute, success rate per minute, processing time per system
(p50 / p95 of the newest 1,000 proofs) and queue depth over time (sampled every 5 s while a tab is open).
Re-drawn every few seconds from the shared source (the figures it computes at most every 5 s)."""

from __future__ import annotations

import time
from collections.abc import Hashable

import panel as pn
from bokeh.models import ColumnDataSource, FactorRange
from bokeh.plotting import figure
from bokeh.transform import dodge

from zapiki.dashboard.base import STATUS_COLOURS, View
from zapiki.dashboard.source import METRICS_EVERY_S

__all__ = ["MetricsView"]

QUEUE_COLOURS = {"high": "#d63384", "normal": "#0d6efd", "low": "#6c757d"}


def _figure(title: str, **kw: object) -> figure:
    fig = figure(title=title, height=260, sizing_mode="stretch_width", toolbar_location=None, **kw)
    fig.title.text_font_size = "12pt"
    fig.y_range.start = 0
    return fig


class MetricsView(View):
    """Four plots over the key's jobs (every user's for an admin key)."""

    title = "Metrics"

    def build(self) -> pn.viewable.Viewable:
        self.per_minute = ColumnDataSource({"t": [], "completed": [], "failed": [], "rate": []})
        self.timing = ColumnDataSource({"system": [], "p50": [], "p95": []})
        self.queues = ColumnDataSource({"t": [], "high": [], "normal": [], "low": []})

        done = _figure("Jobs per minute (completed, failed)", x_axis_type="datetime")
        done.vbar_stack(
            ["completed", "failed"],
            x="t",
            width=50_000,
            source=self.per_minute,
            color=[STATUS_COLOURS["completed"], STATUS_COLOURS["failed"]],
            legend_label=["completed", "failed"],
        )
        done.legend.location = "top_left"

        rate = _figure("Success rate per minute", x_axis_type="datetime")
        rate.y_range.end = 1.05
        rate.line("t", "rate", source=self.per_minute, line_width=2, color=STATUS_COLOURS["completed"])
        rate.scatter("t", "rate", source=self.per_minute, size=5, color=STATUS_COLOURS["completed"])

        # a log scale: a commitment takes well under a millisecond, a Groth16 proof seconds
        self.timing_fig = _figure(
            "Processing time per system (ms, p50 and p95)", x_range=FactorRange(factors=[]), y_axis_type="log"
        )
        self.timing_fig.y_range.start = 0.01
        for offset, column, colour in ((-0.17, "p50", "#0d6efd"), (0.17, "p95", "#fd7e14")):
            self.timing_fig.vbar(
                x=dodge("system", offset, range=self.timing_fig.x_range), top=column, bottom=0.01, width=0.3,
                source=self.timing, color=colour, legend_label=column,
            )  # fmt: skip
        self.timing_fig.legend.location = "top_left"

        depth = _figure("Queue depth (pending jobs)", x_axis_type="datetime")
        for queue, colour in QUEUE_COLOURS.items():
            depth.line("t", queue, source=self.queues, line_width=2, color=colour, legend_label=queue)
        depth.legend.location = "top_left"

        self.rate_label = pn.pane.Markdown("")
        return pn.Column(
            self.rate_label,
            pn.Row(pn.pane.Bokeh(done, sizing_mode="stretch_width"), pn.pane.Bokeh(rate, sizing_mode="stretch_width")),
            pn.Row(
                pn.pane.Bokeh(self.timing_fig, sizing_mode="stretch_width"),
                pn.pane.Bokeh(depth, sizing_mode="stretch_width"),
            ),
            sizing_mode="stretch_width",
        )

    def state(self) -> Hashable:
        return int(time.monotonic() // METRICS_EVERY_S)

    def update(self) -> None:
        scope, source = self.ctx.scope, self.ctx.source
        minutes = source.throughput(scope)
        self.per_minute.data = {
            "t": [t for t, _, _ in minutes],
            "completed": [c for _, c, _ in minutes],
            "failed": [f for _, _, f in minutes],
            "rate": [c / (c + f) if c + f else float("nan") for _, c, f in minutes],
        }
        timing = source.timing(scope)
        names = sorted(timing)
        if list(self.timing_fig.x_range.factors) != names:
            self.timing_fig.x_range.factors = names
        self.timing.data = {
            "system": names,
            "p50": [timing[n]["p50_ms"] for n in names],
            "p95": [timing[n]["p95_ms"] for n in names],
        }
        history = source.queue_history(scope)
        self.queues.data = {
            "t": [h[0] for h in history],
            "high": [h[1] for h in history],
            "normal": [h[2] for h in history],
            "low": [h[3] for h in history],
        }
        counts = source.counts(scope)
        rate = counts["success_rate"]
        self.rate_label.object = (
            f"**Success rate** (all time): {rate:.1%} of {counts['completed'] + counts['failed']:,} finished jobs"
            if rate is not None
            else "**Success rate**: no finished jobs yet"
        )
