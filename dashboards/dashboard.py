"""The Zapiki dashboard, served by `zapiki serve` at /dashboard (the views live in `zapiki.dashboard`)."""

from __future__ import annotations

from typing import Any

import panel as pn

from zapiki.dashboard import page


def app(service: Any, gate: Any = None) -> pn.viewable.Viewable:  # noqa: ANN401
    """One browser session's page; `gate` is the API's (keys and rate limits shared with it)."""
    return page(service, gate)
