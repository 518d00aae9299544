"""What every dashboard view shares: the `Context` of one tab (the process's data source, the signed-in key's
actions, how to open a job's page) and the `View` base class (a Panel `Viewer` that brings itself up to date
with `refresh()`, cheaply when nothing changed)."""

from __future__ import annotations

import html
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import panel as pn

from zapiki.dashboard.actions import Actions, message
from zapiki.dashboard.source import Source
from zapiki.schema import STATUS_COLOURS

__all__ = ["Context", "View", "STATUS_COLOURS", "status_style", "table"]

# the jobs' colours of the client's reprs, and a circuit's statuses


TABLE_CSS = """
:host .tabulator { font-size: 13px; }
:host .tabulator .tabulator-row .tabulator-cell { padding: 4px 8px; }
:host .tabulator .tabulator-header .tabulator-col .tabulator-col-content { padding: 4px 8px; }
"""


def table(columns: list[str], **params: Any) -> pn.widgets.Tabulator:  # noqa: ANN401
    """A read-only, compact table with these columns (rows are set through `.value`)."""
    params = {
        "disabled": True,
        "show_index": False,
        "sizing_mode": "stretch_width",
        # rows come sorted from SQL: sorting one page in the browser would mislead
        "configuration": {"columnDefaults": {"headerSort": False}},
        **params,
    }
    params["stylesheets"] = [TABLE_CSS, *params.get("stylesheets", [])]
    return pn.widgets.Tabulator(pd.DataFrame(columns=columns), **params)


def status_style(value: Any) -> str:  # noqa: ANN401
    """CSS for a status cell: its colour, bold."""
    colour = STATUS_COLOURS.get(str(value))
    return f"color: {colour}; font-weight: 600" if colour else ""


@dataclass
class Context:
    """One tab's view of the service: the shared source, the signed-in key's actions, and `open_job(id)` (the
    page shows the job's view; on its own, a view does nothing)."""

    source: Source
    actions: Actions
    open_job: Callable[[str], None] = field(default=lambda job_id: None)

    @property
    def scope(self) -> str | None:
        return self.actions.scope


class View(pn.viewable.Viewer):
    """A view over the shared source. `refresh()` re-renders only when `state()` changed (the source's version,
    the view's filters); `live=True` (for a notebook) refreshes it every second by itself."""

    title = "View"

    def __init__(self, ctx: Context, live: bool = False, **params: Any) -> None:  # noqa: ANN401
        super().__init__(**params)
        self.ctx = ctx
        self._seen: Hashable = object()
        self.alert = pn.pane.Alert("", alert_type="info", visible=False, margin=(5, 10))
        self._layout = self.build()
        self.callback = pn.state.add_periodic_callback(self.refresh, period=1000) if live else None
        self.refresh()

    def build(self) -> pn.viewable.Viewable:
        """The view's layout (called once)."""
        raise NotImplementedError

    def state(self) -> Hashable:
        """What the view shows depends on: refresh() re-renders when it changes."""
        return self.ctx.source.version

    def update(self) -> None:
        """Re-render from the source (called by refresh() when state() changed)."""

    def refresh(self, force: bool = False) -> None:
        """Bring the view up to date; a no-op when nothing it shows changed."""
        self.ctx.source.touch()
        key = self.state()
        if force or key != self._seen:
            self._seen = key
            try:
                self.update()
            except Exception as exc:  # the database is away, or the row went: say so, keep the page alive
                self.say(message(exc), ok=False)

    def say(self, text: str, ok: bool = True) -> None:
        """Show a message above the view (errors read as the API's); its text is escaped (it may quote input)."""
        self.alert.object = html.escape(text)
        self.alert.alert_type = "success" if ok else "danger"
        self.alert.visible = bool(text)

    def act(self, fn: Callable[[], Any], done: Callable[[Any], str | tuple[str, bool]]) -> Any:  # noqa: ANN401
        """Run an action; say `done(result)` (a text, or (text, ok)) or the error's message. The source is polled
        at once so that the change shows without waiting for the next tick."""
        try:
            result = fn()
        except Exception as exc:
            self.say(message(exc), ok=False)
            return None
        said = done(result)
        self.say(*(said if isinstance(said, tuple) else (said,)))
        try:
            self.ctx.source.poll()
        except Exception:
            pass
        self.refresh(force=True)
        return result

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout
