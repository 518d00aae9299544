"""The Zapiki dashboard as a Panel app of its own: ``panel serve dashboards/dashboard.py``.

`zapiki serve` serves this same page at /dashboard, beside the REST API, the cluster and the dispatcher (it
builds `zapiki.dashboard.page` itself). Served from here, the page reads and writes the configured database
(``ZAPIKI_CONFIG``, ``ZAPIKI_DATABASE_URL``, ...) and runs no jobs: what it submits waits for a `zapiki serve`
or a client whose dispatcher runs them. Sign-in, keys and rate limits are as under `zapiki serve`, counted in
this process.
"""

from __future__ import annotations

import panel as pn

from zapiki.dashboard import page
from zapiki.service import ZapikiService


def _service() -> ZapikiService:
    return ZapikiService.open(dispatch=False)


# One service (database connections, the shared data source) for every browser session of this process.
page(pn.state.as_cached("zapiki-dashboard-service", _service)).servable(title="Zapiki")
