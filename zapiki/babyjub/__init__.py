"""Issuer cryptography for credential templates: Baby Jubjub EdDSA-Poseidon, bit for bit as circomlibjs.

Pure Python on plain ints, stdlib only (like :mod:`zapiki.bn254py`): importing it costs milliseconds. Modules,
low to high: :mod:`.poseidon` (circomlib's Poseidon, parameters derived with the reference Grain LFSR),
:mod:`.blake512` (the original BLAKE-512, which circomlibjs hashes keys with), :mod:`.curve` (Baby Jubjub,
point packing), :mod:`.eddsa` (keys, ``signPoseidon`` / ``verifyPoseidon``, packed signatures) and
:mod:`.credential` (signed attributes and their JSON). ``zapiki issuer ...`` (:mod:`zapiki.cli_issuer`) is the
command line. (``poseidon`` and ``blake512`` are not re-exported: their names are their modules'.)

>>> key = IssuerKey(bytes(32))
>>> cred = issue(key, "birth_date", 20000101)
>>> cred.verify(), verify(key.public_key, cred.message, cred.signature)
(True, True)
"""

from __future__ import annotations

from .credential import Credential, attribute_code, claim_message, issue
from .curve import BASE8, SUBORDER, pack_point, unpack_point
from .eddsa import IssuerKey, Signature, verify

__all__ = [
    "BASE8",
    "SUBORDER",
    "Credential",
    "IssuerKey",
    "Signature",
    "attribute_code",
    "claim_message",
    "issue",
    "pack_point",
    "unpack_point",
    "verify",
]
