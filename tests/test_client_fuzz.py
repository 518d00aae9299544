"""Fuzzed calls of the client's public functions: whatever a notebook passes, the call returns or raises a
`zapiki` error (an InputError naming the argument, NotFound, ...), never a database, type or library error,
and never hangs — on a direct connection and over HTTP. No cluster: jobs are only written."""

from __future__ import annotations

import string

import pytest
from clients import KINDS, open_client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zapiki.errors import ZapikiError
from zapiki.service import ZapikiService

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
ODD = JSON | st.binary(max_size=16) | st.builds(object) | st.sampled_from([..., set(), 1j, b"", float("nan")])
SYSTEM = st.sampled_from(["commitment", "commitment", "groth16", "diagnostic"]) | ODD
OPTIONS = st.dictionaries(st.sampled_from(["timeout_s", "max_retries", "data_type", "async"]), ODD, max_size=3)
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@pytest.fixture(params=KINDS)
def zk(request, sqlite_url, settings):
    service = ZapikiService.open(sqlite_url, None, settings, dispatch=False)
    client, close = open_client(request.param, service)
    yield client
    close()
    service.close()


OUTCOMES: dict[str, int] = {"returned": 0, "refused": 0}


def _call(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
        OUTCOMES["returned"] += 1
    except ZapikiError as exc:
        assert str(exc), "an error without a message"
        OUTCOMES["refused"] += 1


def test_prove_submit_and_verify_take_anything_and_answer_with_zapiki_errors(zk):
    @FUZZ
    @given(
        SYSTEM,
        st.text(max_size=20) | JSON | ODD,
        st.sampled_from(["high", "normal", "low"]) | ODD,
        st.none() | ODD,
        st.just({}) | OPTIONS,
    )
    def check(system, data, priority, circuit, options):
        _call(zk.submit, system, data, priority=priority, circuit=circuit, **options)
        if system != "diagnostic":  # async-only: prove would wait for a cluster that is not there
            _call(zk.prove, system, data, circuit=circuit, timeout=0.1, **options)
        _call(zk.submit_many, system, [data, data], priority=priority, circuit=circuit, progress=False, **options)
        _call(zk.verify, system, data, options or None)

    OUTCOMES.update(returned=0, refused=0)
    check()
    assert OUTCOMES["returned"] >= 10 and OUTCOMES["refused"] >= 10, OUTCOMES  # both paths were exercised


def test_lookups_take_anything_and_answer_with_zapiki_errors(zk):
    text = st.text(string.printable, max_size=40)

    @FUZZ
    @given(st.none() | text | ODD, st.none() | text | ODD, st.none() | st.integers(-5, 10**6) | ODD, text | ODD)
    def check(status, system, limit, ident):
        _call(zk.jobs, status=status, system=system, limit=limit)
        _call(zk.proofs, status=status, system=system, limit=limit)
        _call(zk.job, ident)

    check()


def test_register_circuit_takes_anything_and_answers_with_zapiki_errors(zk, tmp_path):
    @FUZZ
    @given(st.text(max_size=30) | ODD, st.binary(max_size=64) | ODD, st.none() | st.binary() | ODD)
    def check(name, wasm, zkey):
        _call(zk.register_circuit, name, wasm=wasm, zkey=zkey)

    check()
