"""A real HTTP server on loopback for the API tests: Tornado's HTTPServer on a free port, in a background
thread with its own event loop, serving exactly the patterns `zapiki serve` hands to Panel
(`zapiki.api.routes(service)`). Panel's own server is exercised once, in test_served_by_panel."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from liveserver import LiveServer

_TLS = ssl.create_default_context()  # shared: building one per client costs ~80 ms (loopback is plain HTTP)


@dataclass
class Api:
    """A served service and one HTTP client per API key holder."""

    service: Any
    server: LiveServer
    keys: dict[str, str]
    clients: dict[str, httpx.Client] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def key(self, email: str, tier: str = "pro") -> str:
        """A new raw API key for `email` (the user is created on first use)."""
        _, raw = self.service.keys.create_key(email, tier=tier)
        return raw

    def client(self, who: str | None = None, **headers: str) -> httpx.Client:
        """A client sending `who`'s key as X-API-Key (no key for None)."""
        hdrs = {"X-API-Key": self.keys[who]} if who else {}
        hdrs.update(headers)
        c = httpx.Client(base_url=self.url, headers=hdrs, timeout=30, verify=_TLS)
        self.clients[f"{who}-{len(self.clients)}"] = c
        return c

    @property
    def alice(self) -> httpx.Client:
        return self.clients.get("alice") or self.clients.setdefault("alice", self.client("alice"))

    @property
    def bob(self) -> httpx.Client:
        return self.clients.get("bob") or self.clients.setdefault("bob", self.client("bob"))


@pytest.fixture
def serve() -> Iterator[Callable[[Any], LiveServer]]:
    """serve(service) -> a LiveServer, stopped after the test."""
    started: list[LiveServer] = []

    def _serve(service: Any) -> LiveServer:
        started.append(LiveServer(service))
        return started[-1]

    yield _serve
    for server in started:
        server.stop()


def _api(service: Any, server: LiveServer) -> Api:
    api = Api(service, server, {})
    api.keys["alice"] = api.key("alice@example.com", "pro")
    api.keys["bob"] = api.key("bob@example.com", "pro")
    return api


@pytest.fixture
def api(db_url: str, make_service: Callable[..., Any], serve: Callable[[Any], LiveServer]) -> Iterator[Api]:
    """The API over a fresh database (SQLite, then PostgreSQL) with the shared Dask cluster dispatching jobs;
    users alice and bob hold pro keys."""
    service = make_service(db_url)
    api = _api(service, serve(service))
    yield api
    for c in api.clients.values():
        c.close()


@pytest.fixture
def api_no_cluster(db_url: str, make_service: Callable[..., Any], serve: Callable[[Any], LiveServer]) -> Iterator[Api]:
    """The API with no cluster: jobs stay pending (nothing runs them), so their states are the test's to set."""
    service = make_service(db_url, client=None)
    api = _api(service, serve(service))
    yield api
    for c in api.clients.values():
        c.close()
