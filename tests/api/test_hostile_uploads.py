"""Circuits are code from strangers. Uploads of a wasm that loops, allocates without end or has a start
function are answered with a clear 4xx within seconds, and while they are probed the API keeps answering:
no API thread runs uploaded code."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from witness import hostile

from zapiki.witness.sandbox import WasmLimits

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "groth16" / "multiplier"
LIMITS = WasmLimits(cpu_s=3, wall_s=6)


def _upload(client, wasm: bytes):
    zkey = (FIXTURES / "circuit.zkey").read_bytes()
    return client.post("/api/v1/circuits", data={"name": "hostile"}, files={"wasm": wasm, "zkey": zkey}, timeout=60)


def test_hostile_wasm_uploads_get_a_4xx_in_seconds_and_the_api_keeps_answering(
    sqlite_url, make_service, serve, free_port
):
    import httpx

    service = make_service(sqlite_url, client=None, wasm=LIMITS)
    server = serve(service)
    _, key = service.keys.create_key("mallory@example.com", tier="enterprise")
    client = httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=60)
    answers: dict[str, tuple[int, str, float]] = {}

    def upload(name, module):
        t0 = time.monotonic()
        r = _upload(client, module())
        answers[name] = (r.status_code, r.json()["error"]["message"], time.monotonic() - t0)

    # more hostile uploads at once than the API has threads would allow if each hung one for good
    threads = [
        threading.Thread(target=upload, args=(f"{name}-{i}", module))
        for i in range(3)
        for name, module in (
            ("loop", hostile.looping),
            ("alloc", hostile.allocating),
            ("start", hostile.with_start_function),
        )
    ]
    for t in threads:
        t.start()
    time.sleep(0.5)
    t0 = time.monotonic()
    assert client.get("/api/v1/jobs").status_code == 200  # answered while the probes run
    assert time.monotonic() - t0 < 5
    for t in threads:
        t.join(60)
    assert len(answers) == 9
    for name, (status, message, took) in answers.items():
        assert status == 422 and "circuit wasm" in message, (name, status, message)
        assert took < LIMITS.wall_s * 3 + 5, (name, took)  # bounded, even with 9 probes sharing 2 cores
    assert "start function" in answers["start-0"][1]
    # nothing was stored, and a real circuit still uploads
    assert service.circuits.list(None, limit=10) == []
    real = _upload(client, (FIXTURES / "circuit.wasm").read_bytes())
    assert real.status_code == 201, real.text
    client.close()


def test_an_r1cs_whose_header_lies_is_refused_fast_over_the_api(sqlite_url, make_service, serve):
    import struct

    import httpx

    service = make_service(sqlite_url, client=None)
    server = serve(service)
    _, key = service.keys.create_key("liar@example.com", tier="enterprise")
    from zapiki.formats.binfile import parse_binfile, write_binfile

    bf = parse_binfile((FIXTURES / "circuit.r1cs").read_bytes(), b"r1cs", "r1cs", max_version=2)
    sections = {t: bytearray(bf.data[s[0].offset : s[0].offset + s[0].size]) for t, s in bf.sections.items()}
    struct.pack_into("<I", sections[1], 60, 2**31)  # nConstraints: two billion, in a file of a few hundred bytes
    r1cs = write_binfile(b"r1cs", bf.version, [(t, bytes(body)) for t, body in sorted(sections.items())])
    wasm = (FIXTURES / "circuit.wasm").read_bytes()
    with httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=60) as client:
        t0 = time.monotonic()
        r = client.post("/api/v1/circuits", data={"name": "liar"}, files={"wasm": wasm, "r1cs": r1cs})
        took = time.monotonic() - t0
    assert r.status_code == 422 and "nConstraints" in r.json()["error"]["message"], r.text
    assert took < 10
    assert service.circuits.list(None, limit=10) == []
