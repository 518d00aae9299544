"""BLAKE-512: the original BLAKE of the SHA-3 competition (final-round version, 16 rounds), not BLAKE2b.

circomlibjs's EdDSA hashes private keys and nonces with it (through the npm ``blake-hash`` package), and no
maintained Python package provides it, so it lives here, on plain Python ints. The constants are the spec's:
the IV is SHA-512's (the first 64 fractional bits of the square roots of the first 8 primes) and the 16 words
``u`` are the first 1024 fractional bits of pi; both are recomputed and checked at import. Salt is zero.

>>> blake512(b"").hex()[:32]
'a8cfbbd73726062df0c6864dda65defe'
>>> blake512(b"\\x00").hex()[:32]  # the spec's one-byte example
'97961587f6d970faba6d2478045de6d1'
"""

from __future__ import annotations

from math import isqrt

__all__ = ["blake512"]

_MASK = (1 << 64) - 1

IV = (
    0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B, 0xA54FF53A5F1D36F1,
    0x510E527FADE682D1, 0x9B05688C2B3E6C1F, 0x1F83D9ABFB41BD6B, 0x5BE0CD19137E2179,
)  # fmt: skip
U = (
    0x243F6A8885A308D3, 0x13198A2E03707344, 0xA4093822299F31D0, 0x082EFA98EC4E6C89,
    0x452821E638D01377, 0xBE5466CF34E90C6C, 0xC0AC29B7C97C50DD, 0x3F84D5B5B5470917,
    0x9216D5D98979FB1B, 0xD1310BA698DFB5AC, 0x2FFD72DBD01ADFB7, 0xB8E1AFED6A267E96,
    0xBA7C9045F12C7F99, 0x24A19947B3916CF7, 0x0801F2E2858EFC16, 0x636920D871574E69,
)  # fmt: skip
SIGMA = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    (14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3),
    (11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4),
    (7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8),
    (9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13),
    (2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9),
    (12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11),
    (13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10),
    (6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5),
    (10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0),
)
ROUNDS = 16


def _pi_fraction_bits(bits: int) -> int:
    """floor(frac(pi) * 2^bits), by Machin's formula on integers (with guard bits)."""
    scale = 1 << (bits + 32)

    def arctan_inv(x: int) -> int:
        total, term, k, sign = 0, scale // x, 1, 1
        while term:
            total += sign * (term // k)
            term //= x * x
            k += 2
            sign = -sign
        return total

    pi = 16 * arctan_inv(5) - 4 * arctan_inv(239)
    return (pi >> 32) - (3 << bits)


_PRIMES = (2, 3, 5, 7, 11, 13, 17, 19)
assert IV == tuple(isqrt(p << 128) & _MASK for p in _PRIMES)
assert _pi_fraction_bits(1024) >> 16 == int("".join(f"{u:016x}" for u in U), 16) >> 16
assert all(sorted(row) == list(range(16)) for row in SIGMA)

# The column then diagonal steps of a round: (a, b, c, d) state indices, and the message-word pair index.
_STEPS = ((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
          (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14))  # fmt: skip
# Per round, per step: the pair (x, y) = (sigma(2i), sigma(2i + 1)) of message-word and constant indices.
_SCHEDULE = tuple(tuple((s[2 * i], s[2 * i + 1]) for i in range(8)) for s in (SIGMA[r % 10] for r in range(ROUNDS)))


def _compress(h: list[int], block: bytes, counter: int) -> None:
    m = [int.from_bytes(block[i : i + 8], "big") for i in range(0, 128, 8)]
    t0, t1 = counter & _MASK, counter >> 64
    v = h[:] + [U[0], U[1], U[2], U[3], t0 ^ U[4], t0 ^ U[5], t1 ^ U[6], t1 ^ U[7]]
    mask = _MASK
    for schedule in _SCHEDULE:
        for (a, b, c, d), (x, y) in zip(_STEPS, schedule, strict=True):
            va, vb, vc, vd = v[a], v[b], v[c], v[d]
            va = (va + vb + (m[x] ^ U[y])) & mask
            vd ^= va
            vd = (vd >> 32) | ((vd << 32) & mask)
            vc = (vc + vd) & mask
            vb ^= vc
            vb = (vb >> 25) | ((vb << 39) & mask)
            va = (va + vb + (m[y] ^ U[x])) & mask
            vd ^= va
            vd = (vd >> 16) | ((vd << 48) & mask)
            vc = (vc + vd) & mask
            vb ^= vc
            vb = (vb >> 11) | ((vb << 53) & mask)
            v[a], v[b], v[c], v[d] = va, vb, vc, vd
    for i in range(8):
        h[i] ^= v[i] ^ v[i + 8]


def blake512(data: bytes) -> bytes:
    """The 64-byte BLAKE-512 digest of `data` (byte strings; no bit-level lengths).

    >>> blake512(b"\\x00" * 144).hex()[:32]  # the spec's two-block example
    '313717d608e9cf758dcb1eb0f0c3cf9f'
    """
    data = bytes(data)
    length = len(data)
    bits = length * 8
    # Pad: a 1 bit, zeros, a 1 bit (BLAKE-512's marker), then the bit length as 128 bits big-endian.
    zeros = (111 - length) % 128
    padded = bytearray(data) + b"\x80" + bytes(zeros) + bits.to_bytes(16, "big")
    padded[length + zeros] |= 0x01
    h = list(IV)
    blocks = len(padded) // 128
    for i in range(blocks):
        # The counter: message bits hashed up to the end of this block; 0 for a block of padding only.
        start = i * 128
        if start >= length and i > 0:
            counter = 0
        else:
            counter = min(bits, (start + 128) * 8)
        _compress(h, bytes(padded[start : start + 128]), counter)
    return b"".join(x.to_bytes(8, "big") for x in h)
