"""Numba arithmetic engine for BN254: fields, curves, MSM, NTT and pairing (snarkjs-compatible).

This package is a library layer of its own: it imports nothing from zapiki except :mod:`zapiki.errors` and
:mod:`zapiki.native` (the numba-free MSM and NTT drivers it shares with the same kernels compiled ahead of time;
:mod:`.aot` compiles them).

Data layout, everywhere: uint64 numpy arrays whose last axis holds 4 little-endian 64-bit limbs; field
elements are in Montgomery form (a * 2^256 mod p) unless a function says "plain".

=================  =====================================  ===================================================
what               array shape                            modules
=================  =====================================  ===================================================
Fr / Fq element    ``(..., 4)``                           :mod:`.fr`, :mod:`.fq` (add, sub, neg, mul, square,
                                                          inverse, batch_inverse, pow, from/to ints & bytes)
Fq2 / Fq12         ``(..., 2, 4)`` / ``(2, 3, 2, 4)``     :mod:`.fq2`, :mod:`.fq12`
G1 point           affine ``(n, 2, 4)``, Jacobian         :mod:`.g1` (infinity: affine all zeros,
                   ``(n, 3, 4)``                          Jacobian Z = 0)
G2 point           affine ``(n, 2, 2, 4)``, Jacobian      :mod:`.g2`
                   ``(n, 3, 2, 4)``
MSM scalars        plain limbs ``(n, 4)``, below r        :func:`msm` (G1 or G2 by the points' shape)
NTT input          Fr ``(2^k, 4)``, k <= 28               :mod:`.ntt` (ntt, intt, coset_ntt, coset_intt)
=================  =====================================  ===================================================

What the Groth16 prover and verifier use::

    fr.from_bytes(buf, montgomery=False)   # .wtns values (plain LE) -> Fr array; montgomery=True for .zkey
    g1.from_bytes(buf)                     # .zkey G1 section (x||y, Montgomery) -> affine (n, 2, 4), validated
    g2.from_bytes(buf)                     # .zkey G2 (x.c0||x.c1||y.c0||y.c1) -> (n, 2, 2, 4), subgroup-checked
    ntt.coset_ntt(a) / ntt.intt(a)         # snarkjs roots of unity; default coset = odd coset omega_2n
    fr.from_montgomery(a)                  # Fr array -> plain limbs, the MSM scalar format
    msm(points, scalars)                   # -> Jacobian (1, 3, ...); g1.to_affine, g1.to_ints for output
    pairing_check(g1_points, g2_points)    # prod e(P_i, Q_i) == 1; pairing.pairing(p, q) -> Fq12

A .zkey coefficient is stored as v*R^2 mod r: loaded with ``fr.from_bytes(buf, montgomery=True)`` it holds the
raw limbs of v*R^2, and ``fr.mul`` of it with raw *plain* witness limbs (``np.frombuffer(buf, "<u8")``)
gives v*w in Montgomery form directly.

Threads: the array kernels release the GIL (``nogil``), so independent MSMs/NTTs can run in Python threads;
an MSM splits its digits and windows between numba's thread count of Python threads, the NTT and the witness map
use numba's own thread pool (``numba.set_num_threads``). With numba's OpenMP threading
layer a process must not ``fork`` after a parallel kernel ran: start workers with spawn/forkserver.

Example:

>>> import numpy as np
>>> from zapiki.kernels import fr, g1, g2, msm, ntt, pairing_check
>>> pts = g1.to_affine(g1.scalar_mul(g1.to_jacobian(np.repeat(g1.generator(), 3, 0)), [1, 2, 3]))
>>> s = fr.from_montgomery(fr.from_ints([10, 20, 30]))        # plain scalar limbs
>>> g1.to_ints(g1.to_affine(msm(pts, s))) == g1.to_ints(g1.to_affine(g1.scalar_mul(g1.to_jacobian(
...     g1.generator()), [10 + 40 + 90])))
True
>>> coeffs = fr.from_ints([1, 2, 3, 4])
>>> fr.to_ints(ntt.intt(ntt.ntt(coeffs)))
[1, 2, 3, 4]
>>> pairing_check(np.concatenate([g1.neg_affine(pts[1:2]), pts[0:1]]), np.concatenate(
...     [g2.generator(), g2.to_affine(g2.double(g2.to_jacobian(g2.generator())))]))
True

JIT cost: every kernel is ``@njit(cache=True)``; compiled code is stored in ``__pycache__`` next to these files
and reused by later processes. :func:`warmup` compiles or loads every kernel (about a minute the first time
on 2 cores, seconds afterwards): call it in a worker preload so the first proof does not pay for it.
Numba only notices edits to a kernel's own file, not to the kernels it calls, so this package hashes its
sources at import and clears its numba cache when they changed (default cache location only, not
``NUMBA_CACHE_DIR``).
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path


def _cache_guard() -> None:
    """Drop this package's numba cache files when any of its sources changed since they were written."""
    here = Path(__file__).resolve().parent
    cache = here / "__pycache__"
    digest = hashlib.sha256()
    for src in sorted(here.glob("*.py")):
        digest.update(src.name.encode() + b"\0" + src.read_bytes())
    stamp = cache / "numba-sources.sha256"
    try:
        if stamp.read_text() == digest.hexdigest():
            return
    except OSError:
        pass
    try:
        cache.mkdir(exist_ok=True)
        for f in list(cache.glob("*.nbi")) + list(cache.glob("*.nbc")):
            f.unlink(missing_ok=True)
        tmp = cache / f"numba-sources.{os.getpid()}.tmp"
        tmp.write_text(digest.hexdigest())
        os.replace(tmp, stamp)
    except OSError:  # read-only install: numba then falls back to its own cache locations
        pass


def _threading_layer_guard() -> None:
    """Never numba's "workqueue" threading layer: it is not thread-safe, and the prover runs parallel kernels from
    several threads at once, which aborts the process under it (seen in an image without libgomp: about one run
    in three). Unless the user chose a layer (NUMBA_THREADING_LAYER), numba must pick OpenMP or TBB, and fails
    with its own clear error where neither is installed (`apt-get install libgomp1`, or `pip install tbb`)."""
    import numba

    if "NUMBA_THREADING_LAYER" not in os.environ and numba.config.THREADING_LAYER == "default":
        numba.config.THREADING_LAYER = "threadsafe"


_cache_guard()
_threading_layer_guard()

from . import fq, fq2, fq12, fr, g1, g2, ntt, pairing  # noqa: E402
from .msm import msm  # noqa: E402
from .pairing import pairing_check, pairing_product  # noqa: E402


def warmup(pairings: bool = True) -> dict[str, float]:
    """Compile (first run) or load from the cache (later runs) every kernel; returns seconds per part.

    >>> sorted(warmup())
    ['fields', 'g1', 'g2', 'msm', 'ntt', 'pairing']
    """
    import numpy as np

    times: dict[str, float] = {}

    def timed(name: str, fn: object) -> None:
        t0 = time.perf_counter()
        fn()
        times[name] = time.perf_counter() - t0

    def fields() -> None:
        from . import rows

        fr.FR_FIELD.warmup()
        fq.FQ_FIELD.warmup()
        a = fq2.from_ints([(1, 2)])
        fq2.mul(a, a), fq2.inverse(a)
        v = fr.from_ints([1, 2])  # the witness map's row kernels (the compiled kernels stand in for them)
        out = np.empty_like(v)
        rows.rows_into(np.array([0, 1, 2]), np.array([0, 1]), v, v, out)
        rows.mul_into(v, v, out)
        rows.h_into(v, v, v, out)

    def msms() -> None:
        k = fr.from_montgomery(fr.from_ints([0, 1, 5, 7]))
        for grp in (g1, g2):
            pts = grp.to_affine(grp.scalar_mul(grp.to_jacobian(np.repeat(grp.generator(), 4, 0)), [1, 2, 3, 4]))
            msm(pts, k)

    def ntts() -> None:
        a = fr.from_ints(range(8))
        ntt.coset_intt(ntt.coset_ntt(ntt.intt(ntt.ntt(a))))

    def pairs() -> None:
        a = fq12.pow(pairing.pairing(g1.generator(), g2.generator()), 3)
        fq12.to_pyecc(fq12.mul(a, a))
        fq12.square_and_inverse(a)
        pairing_check(g1.generator(), g2.generator())

    timed("fields", fields)
    timed("g1", g1.G1.warmup)
    timed("g2", g2.G2.warmup)
    timed("msm", msms)
    timed("ntt", ntts)
    if pairings:
        timed("pairing", pairs)
    return times


__all__ = [
    "fq",
    "fq2",
    "fq12",
    "fr",
    "g1",
    "g2",
    "msm",
    "ntt",
    "pairing",
    "pairing_check",
    "pairing_product",
    "warmup",
]
