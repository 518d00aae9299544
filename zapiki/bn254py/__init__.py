"""BN254 and Groth16 verification on plain Python ints: the pure-Python twin of :mod:`zapiki.kernels`.

No numpy and no numba: importing this package costs milliseconds, where loading the numba kernels costs most
of a second, so a short-lived process (``zapiki groth16 verify``) answers faster here than with the kernels.
Long-running processes (the service, workers) keep using :mod:`zapiki.kernels`; tests hold the two to the
same answers.

Modules, one stage each: :mod:`.fields` (Fq2, Fq6, Fq12), :mod:`.curve` (G1, G2, the G2 subgroup check),
:mod:`.pairing` (Miller loop, final exponentiation) and :mod:`.groth16` (snarkjs JSON and the verifier).

>>> import json
>>> from pathlib import Path
>>> from zapiki.bn254py import verify
>>> fx = Path("tests/fixtures/groth16/multiplier")
>>> vk, public, proof = (json.loads((fx / n).read_text()) for n in ("verification_key.json", "public.json",
...                                                                  "proof.json"))
>>> verify(vk, public, proof), verify(vk, ["34"], proof)
(True, False)
"""

from __future__ import annotations

from .groth16 import verify, verify_parsed
from .pairing import pairing_check

__all__ = ["pairing_check", "verify", "verify_parsed"]
