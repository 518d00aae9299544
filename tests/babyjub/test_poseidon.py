"""Poseidon: circomlib's, for every width 1..16, with parameters derived by the reference Grain LFSR."""

from __future__ import annotations

import random
import time

import pytest

from zapiki.babyjub.poseidon import MAX_INPUTS, N_ROUNDS_F, N_ROUNDS_P, R, parameters, poseidon
from zapiki.errors import InputError


def test_known_values_from_circomlibjs():
    # circomlibjs 0.1.7: poseidon([1, 2]) and poseidon([0]); they also hold without node.
    assert poseidon([1, 2]) == 7853200120776062878684798364095072458815029376092732009249414926327459813530
    assert poseidon([0]) == 19014214495641488759237505126948346942972912379615652741039992445865937985820


def _cases() -> list[list[int]]:
    rng = random.Random(2024)
    cases = []
    for n in range(1, MAX_INPUTS + 1):
        cases.append(list(range(1, n + 1)))
        cases.append([0] * n)
        cases.append([R - 1] * n)
        cases.append([rng.randrange(R) for _ in range(n)])
    for n in (1, 2, 3, 5, 6):  # the widths the templates and the signatures use: more of them
        cases += [[rng.randrange(R) for _ in range(n)] for _ in range(6)]
        cases += [[rng.randrange(1 << 64) for _ in range(n)] for _ in range(2)]
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def reference(circomlibjs):
    request = [[str(v) for v in inputs] for inputs in CASES]
    return circomlibjs({"poseidon": request, "poseidon_reference": request[: 4 * MAX_INPUTS]})


def test_every_width_matches_circomlibjs(reference):
    ours = [str(poseidon(inputs)) for inputs in CASES]
    mismatched = [(len(c), c) for c, a, b in zip(CASES, ours, reference["poseidon"], strict=True) if a != b]
    assert mismatched == []


def test_circomlibjs_reference_and_wasm_agree_with_us(reference):
    # buildPoseidonReference computes with the constant tables; buildPoseidon (what eddsa uses) is its wasm twin.
    assert reference["poseidon_reference"] == reference["poseidon"][: 4 * MAX_INPUTS]


def test_parameters_have_the_circomlib_shape():
    for t in range(2, MAX_INPUTS + 2):
        constants, mds = parameters(t)
        assert len(constants) == N_ROUNDS_F + N_ROUNDS_P[t - 2]
        assert all(len(row) == t and all(0 <= c < R for c in row) for row in constants)
        assert len(mds) == t and all(len(row) == t for row in mds)
    assert parameters(3) is parameters(3)  # derived once


def test_first_round_constant_of_t3_is_circomlibs():
    # circomlibjs poseidon_constants C[1][0], as published: the Grain LFSR reproduces it.
    assert parameters(3)[0][0][0] == 0x0EE9A592BA9A9518D05986D656F40C2114C4993C11BB29938D21D47304CD8E6E


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ([], "Poseidon takes 1..16 field elements, got 0"),
        ([0] * 17, "Poseidon takes 1..16 field elements, got 17"),
        ([R], "Poseidon input 0 is not a field element"),
        ([1, -1], "Poseidon input 1 is not a field element"),
        ([1.0], "Poseidon input 0 must be an integer, got float"),
        ([True], "Poseidon input 0 must be an integer, got bool"),
        (["1"], "Poseidon input 0 must be an integer, got str"),
    ],
)
def test_inputs_must_be_1_to_16_field_elements(inputs, message):
    with pytest.raises(InputError, match=message):
        poseidon(inputs)


def test_widths_outside_2_to_17_have_no_parameters():
    for t in (1, 18):
        with pytest.raises(InputError):
            parameters(t)


def test_fast_enough():
    poseidon([1, 2])
    poseidon([1, 2, 3, 4, 5])
    start = time.perf_counter()
    for i in range(100):
        poseidon([i, 2])
    per_call = (time.perf_counter() - start) / 100
    assert per_call < 0.005, f"Poseidon(2) took {per_call * 1e3:.2f} ms"  # about 0.4 ms here
