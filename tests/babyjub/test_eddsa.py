"""EdDSA-Poseidon as circomlibjs's eddsa: the same public keys and signature bytes for the same private keys and
messages, each side verifies the other's signatures, and both reject the same tampered ones."""

from __future__ import annotations

import hashlib
import time
from dataclasses import replace

import pytest

from zapiki.babyjub.curve import BASE8, SUBORDER, add, base8_mul, neg
from zapiki.babyjub.eddsa import IssuerKey, Signature, public_key_of, verify
from zapiki.babyjub.poseidon import R
from zapiki.errors import CurveError, FormatError, InputError

PRIVATE_KEYS = [
    bytes(32),
    bytes(range(32)),
    b"\xff" * 32,
    *(hashlib.sha256(f"zapiki issuer {i}".encode()).digest() for i in range(3)),
]
MESSAGES = [0, 1, 42, 2**64 - 1, R - 1, int.from_bytes(hashlib.sha256(b"m").digest(), "big") % R]
# Every key with two messages, every message with two keys (circomlibjs takes ~50 ms per signature or check).
PAIRS = [(prv, MESSAGES[(i + k) % len(MESSAGES)]) for i, prv in enumerate(PRIVATE_KEYS) for k in (0, 3)]


def _sig_json(sig: Signature) -> dict[str, str]:
    return {"r8x": str(sig.r8[0]), "r8y": str(sig.r8[1]), "s": str(sig.s), "packed": sig.pack().hex()}


def _tampered() -> list[tuple[str, int, tuple[int, int], Signature]]:
    """(what, message, public key, signature): each one is a valid signature changed in one way."""
    key, other = IssuerKey(PRIVATE_KEYS[1]), IssuerKey(PRIVATE_KEYS[2])
    m = 42
    sig = key.sign(m)
    x, y = sig.r8
    return [
        ("another message", m + 1, key.public_key, sig),
        ("S + 1", m, key.public_key, replace(sig, s=(sig.s + 1) % SUBORDER)),
        ("S + subOrder (same point, out of range)", m, key.public_key, replace(sig, s=sig.s + SUBORDER)),
        ("R8 + Base8", m, key.public_key, replace(sig, r8=add(sig.r8, BASE8))),
        ("-R8", m, key.public_key, replace(sig, r8=neg(sig.r8))),
        ("R8 off the curve", m, key.public_key, replace(sig, r8=(x, (y + 1) % R))),
        ("another key", m, other.public_key, sig),
        ("a key off the curve", m, (key.public_key[0], key.public_key[1] + 1), sig),
    ]


TAMPERED = _tampered()


@pytest.fixture(scope="module")
def reference(circomlibjs):
    ours = [IssuerKey(prv).sign(m) for prv, m in PAIRS]
    theirs_to_check = [
        {"msg": str(m), "ax": str(IssuerKey(prv).public_key[0]), "ay": str(IssuerKey(prv).public_key[1])}
        | _sig_json(sig)
        for (prv, m), sig in zip(PAIRS, ours, strict=True)
    ]
    tampered = [
        {"msg": str(m), "ax": str(pk[0]), "ay": str(pk[1]), "r8x": str(s.r8[0]), "r8y": str(s.r8[1]), "s": str(s.s)}
        for _, m, pk, s in TAMPERED
    ]
    answers = circomlibjs(
        {
            "prv2pub": [prv.hex() for prv in PRIVATE_KEYS],
            "sign": [[prv.hex(), str(m)] for prv, m in PAIRS],
            "verify": theirs_to_check + tampered,
            "unpack_signature": [sig.pack().hex() for sig in ours[:6]],
        }
    )
    return answers | {"ours": ours}


def test_public_keys_are_circomlibjs_prv2pub(reference):
    ours = [[str(IssuerKey(prv).public_key[0]), str(IssuerKey(prv).public_key[1])] for prv in PRIVATE_KEYS]
    assert ours == [answer[:2] for answer in reference["prv2pub"]]


def test_signatures_are_circomlibjs_sign_poseidon_byte_for_byte(reference):
    assert [_sig_json(sig) for sig in reference["ours"]] == reference["sign"]


def test_circomlibjs_verifies_our_signatures(reference):
    assert reference["verify"][: len(PAIRS)] == [True] * len(PAIRS)


def test_we_verify_circomlibjs_signatures(reference):
    for (prv, m), answer in zip(PAIRS, reference["sign"], strict=True):
        sig = Signature.unpack(bytes.fromhex(answer["packed"]))
        assert sig == Signature((int(answer["r8x"]), int(answer["r8y"])), int(answer["s"]))
        assert verify(public_key_of(prv), m, sig)


def test_unpack_signature_is_circomlibjs_unpack_signature(reference):
    assert reference["unpack_signature"] == [
        {k: v for k, v in _sig_json(sig).items() if k != "packed"} for sig in reference["ours"][:6]
    ]


@pytest.mark.parametrize(("what", "message", "public_key", "signature"), TAMPERED, ids=[t[0] for t in TAMPERED])
def test_a_tampered_signature_is_rejected(what, message, public_key, signature):
    assert verify(public_key, message, signature) is False


def test_circomlibjs_rejects_the_same_tampered_signatures(reference):
    assert reference["verify"][len(PAIRS) :] == [False] * len(TAMPERED)


def test_a_pinned_vector_without_node():
    # circomlibjs 0.1.7: prv2pub and packSignature(signPoseidon(prv, 42)) for prv = bytes 0..31.
    key = IssuerKey(bytes(range(32)))
    assert key.public_key == (
        1120771572304984668855649788542860110303223894298952018121329196339919157573,
        20197087425205130352574209034729275460185533126585197591053247747830393653846,
    )
    assert key.sign(42).pack().hex() == (
        "c82efc9d32345d2d2eea74ce3a21a516cde9105c583786736ee493c64914f19f"
        "31a2174038268560748222246f39783634d837ba04cb2960684ecdf925c68b04"
    )


def test_signing_is_deterministic_and_the_key_is_checked():
    key = IssuerKey(PRIVATE_KEYS[3])
    assert key.sign(7) == key.sign(7) == IssuerKey.from_hex(PRIVATE_KEYS[3].hex()).sign(7)
    assert key.sign(7) != key.sign(8)
    assert repr(key).startswith("IssuerKey(public_key=") and PRIVATE_KEYS[3].hex() not in repr(key)
    for bad in (b"", bytes(31), bytes(33), "00" * 32):
        with pytest.raises(InputError, match="a private key is 32 bytes"):
            IssuerKey(bad)
    for bad in ("00" * 31, "zz" * 32, "0x" + "00" * 31):
        with pytest.raises(InputError, match="64 hex digits"):
            IssuerKey.from_hex(bad)


@pytest.mark.parametrize("message", [-1, R, R + 5, 1.0, "1", True])
def test_messages_must_be_field_elements(message):
    key = IssuerKey(bytes(32))
    with pytest.raises(InputError, match="message"):
        key.sign(message)
    with pytest.raises(InputError, match="message"):
        verify(key.public_key, message, key.sign(1))


def test_signature_fields_and_packing():
    with pytest.raises(InputError):
        Signature((1, 2, 3), 0)  # type: ignore[arg-type]
    with pytest.raises(InputError):
        Signature(BASE8, -1)
    with pytest.raises(InputError):
        Signature(BASE8, 1 << 256)
    with pytest.raises(FormatError, match="64 bytes"):
        Signature.unpack(bytes(63))
    with pytest.raises(CurveError):
        Signature((1, 1), 0).pack()
    big = Signature(base8_mul(3), SUBORDER + 1)  # packs (as circomlibjs would), never verifies
    assert Signature.unpack(big.pack()) == big


def test_fast_enough():
    key = IssuerKey(bytes(32))
    key.sign(0)
    start = time.perf_counter()
    sigs = [key.sign(i) for i in range(20)]
    per_sign = (time.perf_counter() - start) / 20
    assert all(verify(key.public_key, i, s) for i, s in enumerate(sigs))
    assert per_sign < 0.05, f"a signature took {per_sign * 1e3:.1f} ms"  # about 1 ms here
