"""BN254 and Groth16 verification on plain Python ints: the pure-Python twin of :mod:`zapiki.kernels`.

No numpy and no numba: importing this package costs milliseconds, where loading the numba kernels costs most
of a second, so a short-lived process (``zapiki groth16 verify``) answers faster here than with the kernels.
Long-running processes (the service, workers) keep using :mod:`zapiki.kernels`; tests hold the two to the
same answers.

Modules, one stage each: :mod:`.fields` (Fq2, Fq6, Fq12), :mod:`.curve` (G1, G2, the G2 subgroup check),
:mod:`.pairing` (Miller loop, final exponentiation) and :mod:`.groth16` (the verification equation over parsed
values; :func:`zapiki.formats.parse_verify_inputs` reads the snarkjs files).

>>> from zapiki.bn254py.curve import G2_GEN
>>> from zapiki.bn254py.fields import Q
>>> pairing_check([((1, 2), G2_GEN), ((1, Q - 2), G2_GEN)])  # e(G, H) e(-G, H) == 1
True
"""

from __future__ import annotations

from .groth16 import verify_parsed
from .pairing import pairing_check

__all__ = ["pairing_check", "verify_parsed"]
