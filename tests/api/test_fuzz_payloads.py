"""Fuzzed REST payloads (hypothesis, beyond the spec-driven schemathesis run): whatever a key holder sends to
the endpoints that take JSON or query parameters, the answer is a 2xx or a 4xx with a JSON error naming the
problem, never a 500, never a hang."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
SYSTEMS = st.sampled_from(["commitment", "groth16", "diagnostic", "", "nope"]) | st.text(max_size=10)
OPTION = st.dictionaries(
    st.sampled_from(["async", "priority", "timeout_s", "max_retries", "data_type"]) | st.text(max_size=6),
    st.sampled_from([True, False, "high", "low", "string", "bytes", "json", 0, 1, -1, 600, 601, 1e308]) | JSON,
    max_size=5,
)
ENVELOPE = st.fixed_dictionaries({"type": st.sampled_from(["string", "json", "bytes"]) | JSON, "value": JSON})
BODY = st.fixed_dictionaries(
    {},
    optional={
        "proof_system": SYSTEMS | JSON,
        "data": ENVELOPE | JSON,
        "options": OPTION | JSON,
        "circuit_id": st.none() | st.text(max_size=40) | JSON,
    },
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
ALLOWED = {200, 201, 202, 400, 404, 409, 413, 415, 422}


def _check(r) -> None:
    assert r.status_code in ALLOWED, (r.status_code, r.text[:500])
    if r.status_code >= 400:
        error = r.json()["error"]
        assert error["code"] and error["message"]


def test_any_proof_request_is_answered_with_a_2xx_or_a_named_4xx(api_no_cluster):
    client = api_no_cluster.client("alice")

    @FUZZ
    @given(BODY)
    def check(body):
        _check(client.post("/api/v1/proofs", json=body))

    check()


def test_any_verify_request_is_answered_with_a_2xx_or_a_named_4xx(api_no_cluster):
    client = api_no_cluster.client("alice")
    proof = st.dictionaries(
        st.sampled_from(
            ["pi_a", "pi_b", "pi_c", "protocol", "curve", "commitment", "nonce", "signature", "timestamp", "public_key"]
        )
        | st.text(max_size=5),
        JSON,
        max_size=8,
    )

    @FUZZ
    @given(SYSTEMS, proof | JSON, JSON, JSON)
    def check(system, proof, public_inputs, verification_key):
        body = {
            "proof_system": system,
            "proof": proof,
            "public_inputs": public_inputs,
            "verification_key": verification_key,
        }
        _check(client.post("/api/v1/verify", json=body))

    check()


def test_any_query_string_on_the_lists_is_answered_with_a_2xx_or_a_named_4xx(api_no_cluster):
    client = api_no_cluster.client("alice")
    value = st.text(string.printable, max_size=12) | st.integers(-(2**40), 2**40).map(str)

    @FUZZ
    @given(
        st.sampled_from(["/api/v1/jobs", "/api/v1/proofs", "/api/v1/circuits"]),
        st.dictionaries(st.sampled_from(["status", "proof_system", "limit", "offset", "x"]), value, max_size=4),
    )
    def check(path, params):
        _check(client.get(path, params=params))

    check()


def test_any_id_in_a_path_is_answered_with_a_named_4xx(api_no_cluster):
    client = api_no_cluster.client("alice")

    @FUZZ
    @given(
        st.sampled_from(
            [
                "/api/v1/jobs/{}",
                "/api/v1/proofs/{}",
                "/api/v1/circuits/{}",
                "/api/v1/jobs/{}/cancel",
                "/api/v1/jobs/{}/retry",
            ]
        ),
        st.text(string.ascii_letters + string.digits + "-_.~%", min_size=1, max_size=80),
    )
    def check(template, ident):
        path = template.format(ident)
        r = client.post(path) if path.endswith(("cancel", "retry")) else client.get(path)
        _check(r)
        assert r.status_code in (404, 405), (path, r.status_code, r.text)

    check()
