"""snarkjs's Keccak-256 Fiat-Shamir transcript for PLONK, on Python ints.

A challenge is ``keccak256(data) mod r`` with ``data`` the concatenation, in the order they were added, of

* each polynomial commitment (a G1 point) uncompressed: affine ``x || y``, each 32 bytes big-endian, the point
  at infinity as 64 zero bytes;
* each scalar as 32 bytes big-endian (reduced mod r).

The hash read as a big-endian integer is reduced mod r. Keccak-256 is Ethereum's (padding byte 0x01), not
FIPS-202 SHA3-256 (0x06, :func:`hashlib.sha3_256`): :func:`keccak256` implements Keccak-f[1600] here in pure
Python (a transcript hashes a few hundred bytes, a few milliseconds), so the verifier needs no dependency.

>>> keccak256(b"").hex()
'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470'
>>> t = Transcript()
>>> t.add_point((1, 2))
>>> t.add_scalar(3)
>>> t.challenge() == int.from_bytes(keccak256((1).to_bytes(32, "big") + (2).to_bytes(32, "big")
...                                          + (3).to_bytes(32, "big")), "big") % R
True
"""

from __future__ import annotations

from zapiki.bn254py.curve import G1Point
from zapiki.bn254py.fields import R

__all__ = ["Transcript", "keccak256"]

_MASK = (1 << 64) - 1
_RATE = 136  # bytes: 1600 - 2 * 256 bits of capacity

# Round constants of Keccak-f[1600], from its LFSR x^8 + x^6 + x^5 + x^4 + 1.
_RC: list[int] = []
_lfsr = 1
for _ in range(24):
    _rc = 0
    for _j in range(7):
        if _lfsr & 1:
            _rc |= 1 << ((1 << _j) - 1)
        _lfsr = ((_lfsr << 1) ^ 0x171) if _lfsr & 0x80 else _lfsr << 1
    _RC.append(_rc)

# rho's rotation offsets and pi's permutation, lane index x + 5 y: B[y, 2x + 3y] = rot(A[x, y], r[x, y]).
_ROT = [0] * 25
_PI_DEST = [0] * 25
_x, _y = 1, 0
for _t in range(24):
    _ROT[_x + 5 * _y] = ((_t + 1) * (_t + 2) // 2) % 64
    _x, _y = _y, (2 * _x + 3 * _y) % 5
for _x in range(5):
    for _y in range(5):
        _PI_DEST[_x + 5 * _y] = _y + 5 * ((2 * _x + 3 * _y) % 5)


def _keccak_f(a: list[int]) -> None:
    """Keccak-f[1600] on 25 lanes of 64 bits (index x + 5 y), in place."""
    rot, dest = _ROT, _PI_DEST
    b = [0] * 25
    for rc in _RC:
        # theta
        c = [a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] for x in range(5)]
        for x in range(5):
            c1 = c[(x + 1) % 5]
            d = c[(x - 1) % 5] ^ (((c1 << 1) | (c1 >> 63)) & _MASK)
            for y in range(0, 25, 5):
                a[x + y] ^= d
        # rho and pi
        for i in range(25):
            v, n = a[i], rot[i]
            b[dest[i]] = ((v << n) | (v >> (64 - n))) & _MASK if n else v
        # chi
        for y in range(0, 25, 5):
            b0, b1, b2, b3, b4 = b[y : y + 5]
            a[y] = b0 ^ (~b1 & b2)
            a[y + 1] = b1 ^ (~b2 & b3)
            a[y + 2] = b2 ^ (~b3 & b4)
            a[y + 3] = b3 ^ (~b4 & b0)
            a[y + 4] = b4 ^ (~b0 & b1)
        # iota
        a[0] ^= rc


def keccak256(data: bytes) -> bytes:
    """Ethereum's Keccak-256 of `data` (32 bytes).

    >>> keccak256(b"abc").hex()[:16]
    '4e03657aea45a94f'
    """
    padded = bytearray(data)
    padded.append(0x01)
    padded.extend(bytes(-len(padded) % _RATE))
    padded[-1] |= 0x80
    state = [0] * 25
    for off in range(0, len(padded), _RATE):
        block = padded[off : off + _RATE]
        for i in range(_RATE // 8):
            state[i] ^= int.from_bytes(block[8 * i : 8 * i + 8], "little")
        _keccak_f(state)
    return b"".join(lane.to_bytes(8, "little") for lane in state[:4])


class Transcript:
    """snarkjs's ``Keccak256Transcript``: add G1 commitments and scalars, then take a challenge; :meth:`reset`
    empties it (snarkjs resets between rounds and starts the next one from the previous challenges).

    >>> t = Transcript()
    >>> t.add_scalar(5)
    >>> c = t.challenge()
    >>> 0 <= c < R, t.challenge() == c
    (True, True)
    """

    def __init__(self) -> None:
        self._data = bytearray()

    def reset(self) -> None:
        """Forget everything added."""
        self._data.clear()

    def add_point(self, p: G1Point) -> None:
        """Append a G1 point (affine, None or (0, 0) for infinity) as ``x || y``, 32 bytes big-endian each."""
        x, y = (0, 0) if p is None else p
        self._data += x.to_bytes(32, "big") + y.to_bytes(32, "big")

    def add_scalar(self, s: int) -> None:
        """Append a scalar of Fr, reduced mod r, as 32 bytes big-endian."""
        self._data += (s % R).to_bytes(32, "big")

    def challenge(self) -> int:
        """keccak256 of what was added, big-endian, mod r. An empty transcript is an error, as in snarkjs."""
        if not self._data:
            raise ValueError("Keccak256Transcript: no data to generate a challenge from")
        return int.from_bytes(keccak256(bytes(self._data)), "big") % R
