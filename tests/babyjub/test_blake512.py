"""BLAKE-512 (the SHA-3 finalist, not BLAKE2b): the spec's test vectors, and the npm blake-hash package that
circomlibjs's EdDSA uses, at every length around the padding boundaries."""

from __future__ import annotations

import pytest

from zapiki.babyjub.blake512 import blake512

# The BLAKE submission's examples (one zero byte; 144 zero bytes: two blocks), the empty message, and the
# pangram that Wikipedia's BLAKE article shows.
VECTORS = [
    (
        b"\x00",
        "97961587f6d970faba6d2478045de6d1fabd09b61ae50932054d52bc29d31be4"
        "ff9102b9f69e2bbdb83be13d4b9c06091e5fa0b48bd081b634058be0ec49beb3",
    ),
    (
        bytes(144),
        "313717d608e9cf758dcb1eb0f0c3cf9fc150b2d500fb33f51c52afc99d358a2f"
        "1374b8a38bba7974e7f6ef79cab16f22ce1e649d6e01ad9589c213045d545dde",
    ),
    (
        b"",
        "a8cfbbd73726062df0c6864dda65defe58ef0cc52a5625090fa17601e1eecd1b"
        "628e94f396ae402a00acc9eab77b4d4c2e852aaaa25a636d80af3fc7913ef5b8",
    ),
    (
        b"The quick brown fox jumps over the lazy dog",
        "1f7e26f63b6ad25a0896fd978fd050a1766391d2fd0471a77afb975e5034b7ad"
        "2d9ccf8dfb47abbbe656e1b82fbc634ba42ce186e8dc5e1ce09a885d41f43451",
    ),
]


@pytest.mark.parametrize(("message", "digest"), VECTORS, ids=["zero-byte", "144-zero-bytes", "empty", "fox"])
def test_the_published_vectors(message, digest):
    assert blake512(message).hex() == digest


def test_a_digest_is_64_bytes_and_takes_any_bytes_like():
    assert len(blake512(b"abc")) == 64
    assert blake512(bytearray(b"abc")) == blake512(memoryview(b"abc")) == blake512(b"abc")


def _message(n: int) -> bytes:
    return bytes((i * 7 + n) & 0xFF for i in range(n))


# Every length 0..300 covers one-block, two-block and three-block messages and the padding edge cases: 111 bytes
# (a single padding byte 0x81), 112..127 (the length spills into a block of padding only, counter 0), 128, 239, 240.
LENGTHS = list(range(301))


def test_same_digests_as_the_blake_hash_package(circomlibjs):
    answers = circomlibjs({"blake512": [_message(n).hex() for n in LENGTHS]})["blake512"]
    mismatched = [n for n, expected in zip(LENGTHS, answers, strict=True) if blake512(_message(n)).hex() != expected]
    assert mismatched == []
