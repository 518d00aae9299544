"""The Panel dashboard: small views over one shared, per-process data source.

- `page(service, gate)`: the page `zapiki serve` shows at /dashboard (sign-in, then Jobs, Job, Submit, Templates,
  Cluster, Metrics and Circuits tabs), built once per browser session;
- `views(service, user)`: the same views for a notebook (a user id sees its own rows; None, every user's);
- `Source`: the data source (one poll of a change marker per process, cached queries, paging in SQL);
- `Actions`: what a signed-in key may do (the API's checks and rate limits).

In a notebook::

    import panel as pn
    from zapiki.dashboard import views
    from zapiki.service import ZapikiService

    pn.extension("tabulator")
    service = ZapikiService.open("sqlite:///.zapiki/zapiki.db", dispatch=False)
    v = views(service)          # the operator: every user's rows
    v["jobs"]                   # a live table; v["metrics"], v["cluster"], v["submit"], ...
"""

from zapiki.dashboard.actions import Actions
from zapiki.dashboard.app import page, views
from zapiki.dashboard.source import JobFilter, Source

__all__ = ["Actions", "JobFilter", "Source", "page", "views"]
