"""The whole dashboard of one browser tab (`page`): the sign-in form, then the views of the signed-in key in
tabs, kept live by one callback that refreshes the visible view from the process's shared source; and the same
views for a notebook (`views`)."""

from __future__ import annotations

import html
import weakref
from typing import TYPE_CHECKING, Any

import panel as pn

from zapiki.access import Gate
from zapiki.dashboard.actions import Actions
from zapiki.dashboard.base import Context, View
from zapiki.dashboard.circuits import CircuitsView
from zapiki.dashboard.cluster import ClusterView
from zapiki.dashboard.job_detail import JobDetail
from zapiki.dashboard.jobs import JobsView
from zapiki.dashboard.metrics import MetricsView
from zapiki.dashboard.signin import SignIn
from zapiki.dashboard.source import Source
from zapiki.dashboard.submit import SubmitView
from zapiki.dashboard.templates import TemplatesView

if TYPE_CHECKING:
    from zapiki.service import ZapikiService

__all__ = ["page", "views"]

VIEWS: dict[str, type[View]] = {
    "jobs": JobsView,
    "job": JobDetail,
    "submit": SubmitView,
    "templates": TemplatesView,
    "cluster": ClusterView,
    "metrics": MetricsView,
    "circuits": CircuitsView,
}
TICK_MS = 500
_gates: weakref.WeakKeyDictionary[Any, Gate] = weakref.WeakKeyDictionary()


def _views(ctx: Context, live: bool) -> dict[str, View]:
    made: dict[str, View] = {}
    opened = ctx.open_job

    def open_job(job_id: str) -> None:
        made["job"].show(job_id)  # type: ignore[attr-defined]
        opened(job_id)

    ctx.open_job = open_job
    for name, cls in VIEWS.items():
        made[name] = cls(ctx, live=live)
    return made


def views(
    service: ZapikiService, user: str | None = None, gate: Gate | None = None, live: bool = True
) -> dict[str, View]:
    """The dashboard's views over `service` for the user id `user` (their rows only), or for None the operator
    (every user's rows, as an admin key sees them): {"jobs", "job", "submit", "templates", "cluster",
    "metrics", "circuits"}. Each is a Panel viewer that refreshes itself every second (`live`), e.g. in a
    notebook after `pn.extension("tabulator")`: `views(service)["jobs"]`."""
    return _views(Context(Source.of(service), Actions.for_user(service, user, gate)), live)


class Page:
    """One browser tab: sign-in first (no data before), then the views in tabs."""

    def __init__(self, service: ZapikiService, gate: Gate) -> None:
        self.service, self.gate = service, gate
        self.source = Source.of(service)
        self.signin = SignIn(gate, self._signed_in)
        self.who = pn.pane.HTML("", styles={"color": "white"}, align="center")
        self.sign_out = pn.widgets.Button(name="Sign out", visible=False, width=100, align="center")
        self.sign_out.on_click(lambda _: self._signed_out())
        self.main = pn.Column(self.signin, sizing_mode="stretch_width")
        self.views: dict[str, View] = {}
        self.tabs: pn.Tabs | None = None
        self.callback: Any = None
        self.template = pn.template.BootstrapTemplate(
            title="Zapiki",
            header=[pn.Row(self.who, self.sign_out, self.signin.store, align="center")],
            main=[self.main],
        )

    def _signed_in(self, who: dict[str, Any]) -> None:
        ctx = Context(self.source, Actions(self.service, self.gate, who), open_job=self._open_job)
        self.views = _views(ctx, live=False)
        self.tabs = pn.Tabs(*((v.title, v) for v in self.views.values()), sizing_mode="stretch_width")
        self.tabs.param.watch(lambda _: self._tick(), "active")
        self.main[:] = [self.tabs]
        role = "admin: every user's rows" if who.get("role") == "admin" else "your rows"
        self.who.object = html.escape(f"{who['email']} · tier {who['tier']} · {role}")
        self.sign_out.visible = True
        if self.callback is None:
            self.callback = pn.state.add_periodic_callback(self._tick, period=TICK_MS)

    def _open_job(self, job_id: str) -> None:
        if self.tabs is not None:
            self.tabs.active = list(self.views).index("job")

    def _tick(self) -> None:
        if self.tabs is None:
            return
        list(self.views.values())[self.tabs.active].refresh()

    def _signed_out(self) -> None:
        if self.callback is not None:
            self.callback.stop()
            self.callback = None
        self.signin.sign_out()
        self.views, self.tabs = {}, None
        self.main[:] = [self.signin]
        self.who.object = ""
        self.sign_out.visible = False


def page(service: ZapikiService, gate: Gate | None = None) -> pn.viewable.Viewable:
    """The dashboard for one browser session. `gate`: the API's (so the page's actions count against the same
    per-key limits); without one, a gate shared by the sessions of this process."""
    pn.extension("tabulator")
    if gate is None:
        gate = _gates.get(service) or _gates.setdefault(service, Gate(service))
    return Page(service, gate).template
