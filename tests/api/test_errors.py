"""Bad requests answer with a 4xx status and a JSON body {"error": {"code", "message"}}; none answers 500."""

from __future__ import annotations

import json

ERROR_KEYS = {"code", "message"}


def _error(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == ERROR_KEYS and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


def test_missing_and_invalid_keys_answer_401(api):
    anonymous = api.client()
    for method, path in (("GET", "/api/v1/proofs"), ("POST", "/api/v1/verify"), ("GET", "/api/v1/stats")):
        r = anonymous.request(method, path)
        _error(r, 401, "unauthorized")
        assert r.headers["WWW-Authenticate"] == "Bearer"
    _error(api.client(None, **{"X-API-Key": "zk_not-a-key"}).get("/api/v1/systems"), 401)
    _error(api.client(None, Authorization="Bearer zk_not-a-key").get("/api/v1/systems"), 401)
    _error(api.client(None, Authorization=f"Basic {api.keys['alice']}").get("/api/v1/systems"), 401)


def test_a_key_works_as_x_api_key_and_as_bearer_token(api):
    assert api.client(None, **{"X-API-Key": api.keys["alice"]}).get("/api/v1/systems").status_code == 200
    assert api.client(None, Authorization=f"Bearer {api.keys['alice']}").get("/api/v1/systems").status_code == 200


def test_unknown_routes_and_ids_answer_404(api):
    _error(api.alice.get("/api/v1/nothing-here"), 404, "not_found")
    _error(api.alice.get("/api/v1/proofs/00000000-0000-0000-0000-000000000000"), 404, "not_found")
    _error(api.alice.get("/api/v1/jobs/no-such-job"), 404, "not_found")
    _error(api.alice.post("/api/v1/jobs/no-such-job/cancel"), 404, "not_found")
    _error(api.alice.post("/api/v1/jobs/no-such-job/retry"), 404, "not_found")
    _error(api.alice.delete("/api/v1/proofs/no-such-proof"), 404, "not_found")
    _error(api.alice.get("/api/v1/proofs/%00%01"), 404, "not_found")  # not an id at all: not looked up
    _error(api.alice.get("/api/v1/proofs/" + "a" * 500), 404, "not_found")


def test_methods_a_resource_lacks_answer_405_with_allow(api):
    r = api.alice.put("/api/v1/proofs", json={})
    assert _error(r, 405, "method_not_allowed") and r.headers["Allow"] == "GET, POST"
    r = api.alice.post("/api/v1/stats")
    assert _error(r, 405) and r.headers["Allow"] == "GET"
    r = api.client().delete("/health")  # before authentication: the method is wrong whoever asks
    assert _error(r, 405) and r.headers["Allow"] == "GET"
    assert api.alice.patch("/api/v1/proofs/x").headers["Allow"] == "GET, DELETE"


def test_body_over_the_limit_answers_413(api):
    big = json.dumps({"proof_system": "commitment", "data": "x" * (1 << 20)})
    r = api.alice.post("/api/v1/proofs", content=big, headers={"Content-Type": "application/json"})
    _error(r, 413, "payload_too_large")
    assert api.alice.get("/api/v1/proofs").json()["proofs"] == []


def test_a_body_that_is_not_json_content_answers_415(api):
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "application/xml", None):
        headers = {"Content-Type": ctype} if ctype else {}
        r = api.alice.post("/api/v1/proofs", content=b'{"proof_system": "commitment", "data": 1}', headers=headers)
        _error(r, 415, "unsupported_media_type")
    ok = api.alice.post(
        "/api/v1/proofs",
        content=b'{"proof_system": "commitment", "data": 1}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert ok.status_code == 201


MALFORMED_JSON = {
    "cases": [
        b"",
        b"{",
        b'{"proof_system": "commitment", "data": NaN}',
        b'{"proof_system": "commitment", "data": Infinity}',
        b'{"proof_system": "commitment", "data": "\\ud800"}',  # a lone surrogate is not text
        b'{"proof_system": "commitment", "data": "\xff"}',  # not UTF-8
        b'{"proof_system": "commitment", "data": ' + b"[" * 100 + b"]" * 100 + b"}",
        b'{"proof_system": "commitment", "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    ]
}


def test_malformed_json_answers_400(api_no_cluster):
    for body in MALFORMED_JSON["cases"]:
        r = api_no_cluster.alice.post("/api/v1/proofs", content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 400, body[:80]
        _error(r, 400, "bad_json")


INVALID_PROOF_REQUESTS = [
    [],
    "commitment",
    {"data": "x"},
    {"proof_system": 7, "data": "x"},
    {"proof_system": "", "data": "x"},
    {"proof_system": "commitment"},
    {"proof_system": "commitment", "data": None},
    {"proof_system": "no-such-system", "data": "x"},
    {"proof_system": "commitment", "data": "x", "options": []},
    {"proof_system": "commitment", "data": "x", "options": None},
    {"proof_system": "commitment", "data": "x", "options": {"priority": "urgent"}},
    {"proof_system": "commitment", "data": "x", "options": {"async": "yes"}},
    {"proof_system": "commitment", "data": "x", "options": {"timeout_s": 0}},
    {"proof_system": "commitment", "data": "x", "options": {"timeout_s": 601}},
    {"proof_system": "commitment", "data": "x", "options": {"timeout_s": "10"}},
    {"proof_system": "commitment", "data": "x", "options": {"max_retries": 11}},
    {"proof_system": "commitment", "data": "x", "options": {"max_retries": 1.5}},
    {"proof_system": "commitment", "data": "x", "options": {"data_type": "bytes"}},
    {"proof_system": "commitment", "data": 5, "options": {"data_type": "string"}},
    {"proof_system": "commitment", "data": "x", "options": {"data_type": "yaml"}},
    {"proof_system": "commitment", "data": "x", "circuit_id": 5},
    {"proof_system": "diagnostic", "data": "not an object"},
    {"proof_system": "diagnostic", "data": {"sleep_s": -1}},
]


def test_invalid_fields_answer_422_and_store_nothing(api_no_cluster):
    alice = api_no_cluster.alice
    for body in INVALID_PROOF_REQUESTS:
        r = alice.post("/api/v1/proofs", json=body)
        assert r.status_code == 422, (body, r.text)
        _error(r, 422)
    assert alice.get("/api/v1/proofs").json()["proofs"] == []
    assert alice.get("/api/v1/jobs").json()["jobs"] == []


def test_an_unknown_circuit_answers_404_and_stores_nothing(api_no_cluster):
    alice = api_no_cluster.alice
    for circuit in ("no-such-circuit", "x" * 100, "nul\x00"):
        body = {"proof_system": "commitment", "data": "x", "circuit_id": circuit}
        _error(alice.post("/api/v1/proofs", json=body), 404, "not_found")
        _error(alice.post("/api/v1/proofs", json={**body, "options": {"async": True}}), 404, "not_found")
    assert alice.get("/api/v1/proofs").json()["proofs"] == []


def test_invalid_verify_requests_answer_422(api_no_cluster):
    for body in (
        {"proof": {}},
        {"proof_system": "commitment"},
        {"proof_system": "commitment", "proof": "abc"},
        {"proof_system": "nope", "proof": {}},
        ["proof"],
    ):
        r = api_no_cluster.alice.post("/api/v1/verify", json=body)
        assert r.status_code == 422, body
        _error(r, 422)


INVALID_QUERIES = [
    {"status": "done"},
    {"limit": 0},
    {"limit": 101},
    {"limit": "ten"},
    {"limit": ""},
    {"limit": "1e3"},
    {"offset": -1},
    {"offset": "9" * 5000},
]


def test_invalid_query_parameters_answer_422(api_no_cluster):
    for path in ("/api/v1/proofs", "/api/v1/jobs"):
        for params in INVALID_QUERIES:
            r = api_no_cluster.alice.get(path, params=params)
            assert r.status_code == 422, (path, params)
            _error(r, 422, "invalid_input")


def test_odd_but_valid_values_are_stored_and_returned_exactly(api_no_cluster):
    alice = api_no_cluster.alice
    data = {"nul": "a\x00b", "emoji": "\U0001f510", "big": 10**30, "nested": [[[{"k": None}]]], "empty": ""}
    proof = alice.post("/api/v1/proofs", json={"proof_system": "commitment", "data": data})
    assert proof.status_code == 201
    fetched = alice.get(f"/api/v1/proofs/{proof.json()['id']}").json()
    assert fetched["public_inputs"] == {"data_type": "json", "data": data}
    verdict = alice.post(
        "/api/v1/verify",
        json={"proof_system": "commitment", "proof": fetched["proof_data"], "public_inputs": fetched["public_inputs"]},
    )
    assert verdict.json() == {"valid": True}
    hexdata = alice.post(
        "/api/v1/proofs", json={"proof_system": "commitment", "data": "0x00ff", "options": {"data_type": "bytes"}}
    )
    assert hexdata.status_code == 201
    assert alice.get("/api/v1/proofs", params={"proof_system": "nul\x00"}).json()["proofs"] == []
