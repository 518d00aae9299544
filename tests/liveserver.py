"""A real HTTP server on loopback: Tornado's HTTPServer on a free port, in a background thread with its own event
loop, serving exactly the patterns `zapiki serve` hands to Panel (`zapiki.api.routes(service)`)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import tornado.web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from zapiki.api import routes


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
