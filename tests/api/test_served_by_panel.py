"""`zapiki serve` hands `routes(service)` to Panel (`pn.serve(..., extra_patterns=...)`): the API works the same
inside Panel's Tornado server, beside a dashboard, on one port. (The other API tests use a bare Tornado
HTTPServer with the same patterns: it starts in milliseconds rather than seconds.)"""

from __future__ import annotations

import httpx
import panel as pn

from zapiki.api import routes


def test_the_api_is_served_by_panel_beside_the_dashboard(sqlite_url, make_service, until, free_port):
    service = make_service(sqlite_url, client=None)
    _, key = service.keys.create_key("panel@example.com", tier="pro")
    port = free_port()
    thread = pn.serve(
        {"dashboard": lambda: pn.pane.Markdown("# Zapiki")},
        port=port,
        address="127.0.0.1",
        extra_patterns=routes(service),
        show=False,
        start=True,
        threaded=True,
        verbose=False,
        websocket_origin=[f"127.0.0.1:{port}"],
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"X-API-Key": key}, timeout=30) as c:
            until(lambda: _reachable(c), timeout=30)
            assert c.get("/health").json()["database"] == "ok"
            created = c.post("/api/v1/proofs", json={"proof_system": "commitment", "data": "via panel"})
            assert created.status_code == 201
            assert c.get(f"/api/v1/proofs/{created.json()['id']}").json()["status"] == "completed"
            missing = c.get("/api/v1/nothing")
            assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
            assert httpx.get(f"http://127.0.0.1:{port}/api/v1/proofs").status_code == 401
            assert c.get("/dashboard").status_code == 200
    finally:
        thread.stop()


def _reachable(client: httpx.Client) -> bool:
    try:
        return client.get("/health").status_code == 200
    except httpx.TransportError:
        return False
