"""The client both ways: directly on a service, and over HTTP against the same service served on loopback
(a real Tornado server in this process, `tests/liveserver.py`), acting as the same user."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from liveserver import LiveServer

import zapiki
from zapiki.client import Zapiki
from zapiki.store.keys import DEFAULT_EMAIL

KINDS = ["direct", "remote"]


def open_client(kind: str, service: Any, dask_client: Any = None) -> tuple[Zapiki, Callable[[], None]]:  # noqa: ANN401
    """(client, close) for `kind`; close() stops what was started here but leaves the service open."""
    if kind == "direct":
        return Zapiki(service, dask_client), lambda: None
    server = LiveServer(service)
    _, key = service.keys.create_key(DEFAULT_EMAIL, name="tests", tier="enterprise")
    client = zapiki.connect(server.url, api_key=key)

    def close() -> None:
        client.close()
        server.stop()

    return client, close
