"""EdDSA-Poseidon on Baby Jubjub, bit for bit as circomlibjs's ``eddsa`` (``prv2pub``, ``signPoseidon``,
``verifyPoseidon``, ``packSignature``), and so as circomlib's ``EdDSAPoseidonVerifier`` circuit checks it.

A private key is 32 bytes. ``h = BLAKE-512(private_key)``; ``s`` is ``h[:32]`` pruned (low 3 bits cleared, bit
255 cleared, bit 254 set) read little-endian; the public key is ``A = BASE8 * (s >> 3)``. Signing a field element
``m`` is deterministic: ``r = LE(BLAKE-512(h[32:] || LE32(m))) mod SUBORDER``, ``R8 = BASE8 * r``,
``hm = Poseidon(R8x, R8y, Ax, Ay, m)``, ``S = (r + hm * s) mod SUBORDER``. A signature ``(R8, S)`` is valid when
R8 and A are on the curve, ``S < SUBORDER`` and ``BASE8 * S == R8 + A * (8 * hm)``.

>>> key = IssuerKey(bytes(range(32)))
>>> sig = key.sign(42)
>>> verify(key.public_key, 42, sig), verify(key.public_key, 43, sig)
(True, False)
>>> Signature.unpack(sig.pack()) == sig
True
"""

from __future__ import annotations

import operator
import os
import re
from dataclasses import dataclass

from zapiki.errors import FormatError, InputError

from .blake512 import blake512
from .curve import SUBORDER, Point, add, base8_mul, in_curve, mul, pack_point, unpack_point
from .poseidon import R, poseidon

__all__ = ["IssuerKey", "Signature", "public_key_of", "verify"]

_PRIVATE_KEY_BYTES = 32
_HEX64 = re.compile("[0-9a-fA-F]{64}")


def _check_message(message: int) -> int:
    try:
        if isinstance(message, bool):
            raise TypeError
        number = operator.index(message)
    except TypeError:
        raise InputError(f"the message must be an integer field element, got {type(message).__name__}") from None
    if not 0 <= number < R:
        raise InputError("the message is not a field element (0 <= m < r)")
    return number


def _scalar_and_prefix(private_key: bytes) -> tuple[int, bytes]:
    h = bytearray(blake512(private_key))
    h[0] &= 0xF8
    h[31] &= 0x7F
    h[31] |= 0x40
    return int.from_bytes(h[:32], "little"), bytes(h[32:])


def public_key_of(private_key: bytes) -> Point:
    """The public key ``A`` of a 32-byte private key, as circomlibjs's ``prv2pub``.

    >>> public_key_of(bytes(32)) == IssuerKey(bytes(32)).public_key
    True
    """
    return IssuerKey(private_key).public_key


@dataclass(frozen=True)
class Signature:
    """An EdDSA signature: the point ``r8`` and the scalar ``s``. Any ``s`` below 2^256 is held (so that it can
    be packed); :func:`verify` rejects ``s >= SUBORDER``.

    >>> from zapiki.babyjub.curve import BASE8
    >>> sig = Signature(BASE8, 7)
    >>> len(sig.pack()), Signature.unpack(sig.pack()) == sig
    (64, True)
    """

    r8: Point
    s: int

    def __post_init__(self) -> None:
        r8 = self.r8
        if not (
            isinstance(r8, tuple)
            and len(r8) == 2
            and all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c < R for c in r8)
        ):
            raise InputError("a signature's R8 must be a pair of field elements")
        if isinstance(self.s, bool) or not isinstance(self.s, int) or not 0 <= self.s < 1 << 256:
            raise InputError("a signature's S must be an integer 0 <= S < 2^256")

    def pack(self) -> bytes:
        """64 bytes as circomlibjs's ``packSignature``: packed R8, then S as 32 bytes little-endian.
        CurveError when R8 is not on the curve.

        >>> from zapiki.babyjub.curve import BASE8
        >>> Signature(BASE8, 1).pack()[32:].hex()
        '0100000000000000000000000000000000000000000000000000000000000000'
        """
        return pack_point(self.r8) + self.s.to_bytes(32, "little")

    @classmethod
    def unpack(cls, data: bytes) -> Signature:
        """The signature of 64 packed bytes, as circomlibjs's ``unpackSignature`` (CurveError where its R8 does
        not unpack; S is not range-checked here).

        >>> Signature.unpack(b"\\x01" + bytes(63))  # y = 1: x = 0, which circomlibjs does not unpack
        Traceback (most recent call last):
        ...
        zapiki.errors.CurveError: not a packed Baby Jubjub point (x^2 is not a non-zero square)
        """
        if not isinstance(data, bytes | bytearray) or len(data) != 64:
            raise FormatError("a packed signature is 64 bytes")
        return cls(unpack_point(bytes(data[:32])), int.from_bytes(data[32:], "little"))


class IssuerKey:
    """An issuer's private key (32 bytes) and its public key.

    >>> key = IssuerKey.from_hex("00" * 32)
    >>> key.hex() == "00" * 32, in_curve(key.public_key)
    (True, True)
    >>> IssuerKey(b"short")
    Traceback (most recent call last):
    ...
    zapiki.errors.InputError: a private key is 32 bytes, got 5
    """

    __slots__ = ("_prefix", "_private", "_public", "_scalar")

    def __init__(self, private_key: bytes) -> None:
        if not isinstance(private_key, bytes | bytearray):
            raise InputError(f"a private key is 32 bytes, got {type(private_key).__name__}")
        if len(private_key) != _PRIVATE_KEY_BYTES:
            raise InputError(f"a private key is 32 bytes, got {len(private_key)}")
        self._private = bytes(private_key)
        self._scalar, self._prefix = _scalar_and_prefix(self._private)
        self._public: Point = base8_mul(self._scalar >> 3)

    @classmethod
    def from_hex(cls, text: str) -> IssuerKey:
        """A key from 64 hex digits.

        >>> IssuerKey.from_hex("zz")
        Traceback (most recent call last):
        ...
        zapiki.errors.InputError: a private key is 64 hex digits
        """
        if not isinstance(text, str) or _HEX64.fullmatch(text) is None:
            raise InputError("a private key is 64 hex digits")
        return cls(bytes.fromhex(text))

    @classmethod
    def generate(cls) -> IssuerKey:
        """A new key from the operating system's random source.

        >>> IssuerKey.generate().hex() != IssuerKey.generate().hex()
        True
        """
        return cls(os.urandom(_PRIVATE_KEY_BYTES))

    @property
    def public_key(self) -> Point:
        """The public key ``A = BASE8 * (s >> 3)``, as ``(x, y)``.

        >>> in_curve(IssuerKey(bytes(32)).public_key)
        True
        """
        return self._public

    @property
    def private_key(self) -> bytes:
        """The 32 private bytes (keep them secret).

        >>> IssuerKey(bytes(32)).private_key == bytes(32)
        True
        """
        return self._private

    def hex(self) -> str:
        """The private key as 64 lowercase hex digits (keep them secret).

        >>> IssuerKey(bytes([1] * 32)).hex()[:6]
        '010101'
        """
        return self._private.hex()

    def __repr__(self) -> str:
        return f"IssuerKey(public_key={self.public_key!r})"

    def sign(self, message: int) -> Signature:
        """Sign a field element (``0 <= message < r``), deterministically, as circomlibjs's ``signPoseidon``.

        >>> key = IssuerKey(bytes(32))
        >>> key.sign(5) == key.sign(5) != key.sign(6)
        True
        """
        message = _check_message(message)
        digest = blake512(self._prefix + message.to_bytes(32, "little"))
        r = int.from_bytes(digest, "little") % SUBORDER
        r8 = base8_mul(r)
        ax, ay = self.public_key
        hm = poseidon([r8[0], r8[1], ax, ay, message])
        return Signature(r8, (r + hm * self._scalar) % SUBORDER)


def verify(public_key: Point, message: int, signature: Signature) -> bool:
    """Whether `signature` signs `message` (a field element: InputError otherwise) under `public_key`, as
    circomlibjs's ``verifyPoseidon``: False when R8 or the key is not on the curve, or ``S >= SUBORDER``.

    >>> from zapiki.babyjub.curve import BASE8
    >>> key = IssuerKey(bytes(32))
    >>> verify(key.public_key, 1, key.sign(1)), verify(BASE8, 1, key.sign(1)), verify((1, 1), 1, key.sign(1))
    (True, False, False)
    """
    message = _check_message(message)
    if not isinstance(signature, Signature):
        return False
    if not in_curve(signature.r8) or not in_curve(public_key) or signature.s >= SUBORDER:
        return False
    ax, ay = public_key
    r8x, r8y = signature.r8
    hm = poseidon([r8x, r8y, ax, ay, message])
    return base8_mul(signature.s) == add(signature.r8, mul(public_key, 8 * hm))
