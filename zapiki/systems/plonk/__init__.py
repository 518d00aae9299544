"""PLONK on BN254, compatible with snarkjs 0.7.6: proving keys (:mod:`.setup`) and verification (:mod:`.verifier`,
with snarkjs's Keccak-256 transcript in :mod:`.transcript`), the readable reference prover (:mod:`.reference`)
and the fast one on the numba kernels (:mod:`.prover`); the service's ``plonk`` system is :mod:`.system`.

:func:`plonk_setup` is ``snarkjs plonk setup`` (the same ``.zkey`` bytes, and the verification key of
``snarkjs zkey export verificationkey``); the file format is :mod:`zapiki.formats.plonk_zkey`. Names are
imported when first used, so importing this package loads no numba kernels.

>>> from zapiki.systems import plonk
>>> callable(plonk.plonk_setup), plonk.__name__
(True, 'zapiki.systems.plonk')
"""

from __future__ import annotations

from zapiki.lazy import lazy_exports

_LAZY = {
    "PlonkCircuit": "setup",
    "build_plonk_zkey": "setup",
    "plonk_circuit": "setup",
    "plonk_setup": "setup",
    "required_plonk_power": "setup",
    "verify": "verifier",
    "prove_reference": "reference",
    "prove": "prover",
    "load_plonk_key": "keys",
    "clear_plonk_cache": "keys",
}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
