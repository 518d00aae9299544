"""What a client sends is checked from its headers before a byte of the body is read: the key, the size
against the limit, the content type. A body is streamed in afterwards and cut off at the limit, so nobody
(least of all someone without a key) can make the server hold a large body in memory."""

from __future__ import annotations

import socket
import time


def _raw(url: str, head: str, body: bytes = b"", read_s: float = 5.0) -> tuple[int, bytes]:
    """Send `head` (and `body`) on a fresh connection; return the status and what came back within read_s."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=read_s) as sock:
        sock.sendall(head.encode() + body)
        data = b""
        deadline = time.monotonic() + read_s
        while b"\r\n\r\n" not in data and time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            data += chunk
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1") else 0
    return status, data


def _head(path: str, length: int, key: str | None = None, ctype: str = "application/json") -> str:
    lines = [f"POST {path} HTTP/1.1", "Host: localhost", f"Content-Type: {ctype}", f"Content-Length: {length}"]
    if key:
        lines.append(f"X-API-Key: {key}")
    return "\r\n".join(lines) + "\r\n\r\n"


def test_a_huge_upload_without_a_key_is_refused_before_its_body_is_sent(api_no_cluster):
    t0 = time.monotonic()
    status, data = _raw(
        api_no_cluster.url, _head("/api/v1/circuits", 200 << 20, ctype="multipart/form-data; boundary=x")
    )
    assert status == 401 and b"unauthorized" in data
    assert time.monotonic() - t0 < 3  # answered on the headers alone: 200 MiB were never sent


def test_a_declared_size_over_the_limit_is_refused_at_once_with_a_key_and_without(api_no_cluster):
    key = api_no_cluster.keys["alice"]
    for path, length, who in (
        ("/api/v1/proofs", 100 << 20, None),
        ("/api/v1/proofs", 20 << 20, key),  # over the JSON limit and too large to drain
        ("/api/v1/circuits", 300 << 20, key),
    ):
        ctype = "multipart/form-data; boundary=x" if "circuits" in path else "application/json"
        status, data = _raw(api_no_cluster.url, _head(path, length, who, ctype))
        assert status == 413 and b"payload_too_large" in data, (path, length, status, data[:300])


def test_a_chunked_body_that_runs_past_the_limit_is_cut_off(api_no_cluster):
    key = api_no_cluster.keys["alice"]
    head = (
        "POST /api/v1/proofs HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"X-API-Key: {key}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"x" * 65536
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(40))  # 2.5 MiB, over the 1 MiB limit
    status, data = _raw(api_no_cluster.url, head, body)
    assert status in (0, 400, 413), data[:300]  # refused or cut off: never accepted
    assert api_no_cluster.alice.get("/api/v1/proofs").json()["proofs"] == []


def test_a_refused_small_request_keeps_the_connection_usable(api_no_cluster):
    anonymous = api_no_cluster.client()
    for _ in range(3):  # the same pooled connection: an early 401 must not leave it broken
        assert anonymous.post("/api/v1/proofs", json={"proof_system": "commitment", "data": "x"}).status_code == 401
    assert (
        api_no_cluster.alice.post("/api/v1/proofs", json={"proof_system": "commitment", "data": "x"}).status_code == 201
    )
