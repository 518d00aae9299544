"""A real HTTP server on loopback for the API tests: Tornado's HTTPServer on a free port, in a background
thread with its own event loop, serving exactly the patterns `zapiki serve` hands to Panel
(`zapiki.api.routes(service)`). Panel's own server is exercised once, in test_served_by_panel."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import tornado.web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from zapiki.api import routes

_TLS = ssl.create_default_context()  # shared: building one per client costs ~80 ms (loopback is plain HTTP)


class LiveServer:
    """`routes(service)` served on 127.0.0.1:<free port> until stop()."""

    def __init__(self, service: Any) -> None:
        self.patterns = routes(service)
        self._sockets = bind_sockets(0, "127.0.0.1")
        self.port = self._sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._ready = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True, name="api-server")
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the API server did not start")

    async def _main(self) -> None:
        server = HTTPServer(tornado.web.Application(self.patterns))
        server.add_sockets(self._sockets)
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._ready.set()
        await self._stop.wait()
        server.stop()
        await server.close_all_connections()

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self.patterns[0][2]["ctx"].executor.shutdown(wait=False)


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
