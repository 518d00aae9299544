"""Poseidon over the BN254 scalar field, exactly circomlib's ``Poseidon(n)`` (circuits/poseidon.circom) and
circomlibjs's ``buildPoseidon``: width t = n + 1 for 1..16 inputs, 8 full rounds, the partial rounds of
:data:`N_ROUNDS_P`, S-box x^5, capacity element 0, output the first state element.

The round constants and the MDS matrix of each width are not pasted tables: they are derived, on first use of
that width and then cached, with the reference Grain LFSR procedure of the Poseidon paper
(``generate_parameters_grain.sage 1 0 254 t 8 R_P r``): an 80-bit LFSR seeded with the parameters, run 160
steps, then self-shrunk (of each pair of bits, keep the second when the first is 1). The constants are
254-bit draws below r (rejection sampling); the matrix is the Cauchy matrix ``M[i][j] = 1 / (x_i + y_j)`` of the
next 2t draws reduced mod r (drawn again while two coincide or some x_i + y_j = 0). The reference script would
also draw again when its subspace-trail checks reject a matrix; those checks are not run here, as the first
candidate is circomlib's matrix for every width: tests/babyjub hold all 16 widths to circomlibjs's outputs.

Speed: a permutation costs one matrix-vector product per round on Python ints, each row summed unreduced and
reduced once. Deriving a width's parameters costs about 5 to 50 ms, once per process.

>>> poseidon([1, 2])
7853200120776062878684798364095072458815029376092732009249414926327459813530
>>> poseidon([1, 2]) == poseidon([1, 2]) != poseidon([2, 1])
True
"""

from __future__ import annotations

import operator
import re
import threading
from collections.abc import Sequence

from zapiki.errors import InputError

__all__ = ["N_ROUNDS_F", "N_ROUNDS_P", "R", "parameters", "poseidon"]

#: The BN254 scalar field modulus: Poseidon's field, and Baby Jubjub's base field.
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
assert R.bit_length() == 254 and pow(5, R - 1, R) == 1
#: Full rounds (4 before the partial rounds, 4 after), for every width.
N_ROUNDS_F = 8
#: Partial rounds for t = 2..17 (1..16 inputs): the paper's recommendations rounded up, as circomlib has them.
N_ROUNDS_P = (56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68)
MAX_INPUTS = len(N_ROUNDS_P)

_FIELD_BITS = 254
_LFSR_MASK = (1 << 18) - 1
_SHRINK = re.compile("1([01])|0[01]")  # self-shrinking: of each pair, the second bit when the first is 1


class _Grain:
    """The reference parameter generator: Grain's 80-bit LFSR (taps 0, 13, 23, 38, 51, 62), self-shrunk.

    The stream obeys ``b[i + 80] = b[i] ^ b[i + 13] ^ b[i + 23] ^ b[i + 38] ^ b[i + 51] ^ b[i + 62]``, and, as
    squaring a polynomial over GF(2) squares its powers of x, the same recurrence with every offset times
    K = 2^k. So after its first 80K bits (made 18 at a time) the stream is made 18K bits per step with shifts of
    an 80K-bit window (bit i of the window is its i-th oldest bit)."""

    _K = 64

    def __init__(self, t: int, partial_rounds: int) -> None:
        seed = (
            "01"  # field: prime
            + "0000"  # S-box: x^alpha
            + format(_FIELD_BITS, "012b")
            + format(t, "012b")
            + format(N_ROUNDS_F, "010b")
            + format(partial_rounds, "010b")
            + "1" * 30
        )
        chunks = [seed]
        w = int(seed[::-1], 2)
        for _ in range(80 * (self._K - 1) // 18):
            new = (w ^ (w >> 13) ^ (w >> 23) ^ (w >> 38) ^ (w >> 51) ^ (w >> 62)) & _LFSR_MASK
            w = (w >> 18) | (new << 62)
            chunks.append(format(new, "018b")[::-1])
        stream = "".join(chunks)
        self._window = int(stream[::-1], 2)  # the last 80K bits (all of them so far)
        self._raw = stream[80 + 160 :]  # after the seed, the first 160 bits are thrown away
        self._out = ""

    def _step_raw(self) -> None:
        k = self._K
        w = self._window
        new = (w ^ (w >> 13 * k) ^ (w >> 23 * k) ^ (w >> 38 * k) ^ (w >> 51 * k) ^ (w >> 62 * k)) & ((1 << 18 * k) - 1)
        self._window = (w >> 18 * k) | (new << 62 * k)
        self._raw += format(new, f"0{18 * k}b")[::-1]

    def take(self, n: int) -> int:
        """The next n output bits as an integer, the first bit most significant."""
        while len(self._out) < n:
            self._step_raw()
            even = len(self._raw) & ~1
            raw, self._raw = self._raw[:even], self._raw[even:]
            self._out += "".join(_SHRINK.findall(raw))
        bits, self._out = self._out[:n], self._out[n:]
        return int(bits, 2)


def _derive(t: int) -> tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]]:
    partial = N_ROUNDS_P[t - 2]
    grain = _Grain(t, partial)
    constants = []
    for _ in range((N_ROUNDS_F + partial) * t):
        value = grain.take(_FIELD_BITS)
        while value >= R:
            value = grain.take(_FIELD_BITS)
        constants.append(value)
    while True:
        draws = [grain.take(_FIELD_BITS) % R for _ in range(2 * t)]
        xs, ys = draws[:t], draws[t:]
        if len(set(draws)) == 2 * t and all((x + y) % R for x in xs for y in ys):
            break
    mds = tuple(tuple(pow(x + y, -1, R) for y in ys) for x in xs)
    rounds = tuple(tuple(constants[r * t : (r + 1) * t]) for r in range(N_ROUNDS_F + partial))
    return rounds, mds


_CACHE: dict[int, tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]]] = {}
_LOCK = threading.Lock()


def parameters(t: int) -> tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]]:
    """``(round_constants, mds)`` of width t (2..17): one t-tuple of constants per round, and the t x t MDS
    matrix (``new_state[i] = sum_j mds[i][j] * state[j]``). Derived on first use, then cached.

    >>> constants, mds = parameters(3)
    >>> len(constants), len(constants[0]), len(mds)
    (65, 3, 3)
    >>> hex(constants[0][0])
    '0xee9a592ba9a9518d05986d656f40c2114c4993c11bb29938d21d47304cd8e6e'
    """
    if not 2 <= t <= MAX_INPUTS + 1:
        raise InputError(f"Poseidon width must be 2..{MAX_INPUTS + 1}, got {t}")
    found = _CACHE.get(t)
    if found is None:
        with _LOCK:
            found = _CACHE.get(t)
            if found is None:
                found = _CACHE[t] = _derive(t)
    return found


def _check_inputs(inputs: Sequence[int]) -> list[int]:
    if isinstance(inputs, (str, bytes)) or not 1 <= len(inputs) <= MAX_INPUTS:
        raise InputError(f"Poseidon takes 1..{MAX_INPUTS} field elements, got {len(inputs)}")
    out = []
    for i, value in enumerate(inputs):
        try:
            if isinstance(value, bool):
                raise TypeError
            number = operator.index(value)  # an int, or an integer type such as numpy's
        except TypeError:
            raise InputError(f"Poseidon input {i} must be an integer, got {type(value).__name__}") from None
        if not 0 <= number < R:
            raise InputError(f"Poseidon input {i} is not a field element (0 <= x < r)")
        out.append(number)
    return out


def poseidon(inputs: Sequence[int]) -> int:
    """Poseidon hash of 1..16 field elements (each ``0 <= x < r``; InputError otherwise), as circomlib's
    ``Poseidon(len(inputs))``.

    >>> poseidon([0])
    19014214495641488759237505126948346942972912379615652741039992445865937985820
    >>> poseidon([R])
    Traceback (most recent call last):
    ...
    zapiki.errors.InputError: Poseidon input 0 is not a field element (0 <= x < r)
    """
    state = [0, *_check_inputs(inputs)]
    t = len(state)
    rounds, mds = parameters(t)
    half = N_ROUNDS_F // 2
    last_partial = half + N_ROUNDS_P[t - 2]
    p = R
    for r, constants in enumerate(rounds):
        state = [s + c for s, c in zip(state, constants, strict=True)]
        if r < half or r >= last_partial:
            sq = [s * s % p for s in state]
            state = [s * q * q % p for s, q in zip(state, sq, strict=True)]
        else:
            s0 = state[0] % p
            q = s0 * s0 % p
            state[0] = s0 * q * q % p
        state = [sum(m * s for m, s in zip(row, state, strict=True)) % p for row in mds]
    return state[0]
