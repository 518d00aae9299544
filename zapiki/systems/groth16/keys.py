"""The proving key, parsed once into the arrays the prover works on, and a per-process cache by sha256.

A :class:`ProvingKey` wraps a :class:`~zapiki.formats.ZKey` (points as Montgomery limb arrays, exactly the
file's bytes) and adds the coefficient table regrouped for the witness map: per matrix (A, B), the terms
sorted by constraint row with CSR row pointers, so every row's sum is independent (parallel over rows).

The key's bulk points (A, B1, B2, C, H) are not checked to lie on the curve: that would cost more than a proof
and a corrupt point only yields a proof that fails verification. The six header points are checked, on Python
ints (:mod:`zapiki.bn254py`: a few milliseconds, where the curve kernels would first have to be loaded).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from cachetools import LRUCache

from zapiki.bn254py.curve import g1_on_curve, g2_in_subgroup
from zapiki.errors import FormatError
from zapiki.formats import VerificationKey, ZKey, read_zkey
from zapiki.formats.binfile import MappedFile
from zapiki.formats.zkey import g1_to_ints, g2_to_ints, zkey_verification_key

__all__ = ["ProvingKey", "clear_cache", "load_proving_key", "proving_key_from_zkey"]


@dataclass(frozen=True, eq=False)
class ProvingKey:
    """A parsed Groth16 proving key ready for the witness map and the MSMs."""

    zkey: ZKey
    #: Per matrix m in (0 = A, 1 = B): CSR row pointers ``(domain_size + 1,)`` int64.
    row_ptr: tuple[np.ndarray, np.ndarray]
    #: Per matrix: signal index of each term, int64, sorted by row.
    signal: tuple[np.ndarray, np.ndarray]
    #: Per matrix: coefficient value ``v * R^2 mod r`` as ``(n, 4)`` uint64 limbs, sorted by row.
    value: tuple[np.ndarray, np.ndarray]
    #: The verification key on Python ints (its header points checked), for the prover's self-check.
    vkey: VerificationKey
    #: beta1 and delta1, plain affine ints (the prover's last, constant-size step works on Python ints).
    beta1: tuple[int, int] | None
    delta1: tuple[int, int] | None

    @property
    def sha256(self) -> str:
        return self.zkey.sha256

    @property
    def n_vars(self) -> int:
        return self.zkey.n_vars

    @property
    def n_public(self) -> int:
        return self.zkey.n_public

    @property
    def domain_size(self) -> int:
        return self.zkey.domain_size


def proving_key_from_zkey(zkey: ZKey) -> ProvingKey:
    """Regroup a parsed key's coefficients by matrix and row; check its header points."""
    g1s = {name: g1_to_ints(getattr(zkey, name)) for name in ("alpha1", "beta1", "delta1")}
    for name, point in g1s.items():
        if not g1_on_curve(point):
            raise FormatError(f"zkey: {name} is not a point of G1")
    for name in ("beta2", "gamma2", "delta2"):
        if not g2_in_subgroup(g2_to_ints(getattr(zkey, name))):
            raise FormatError(f"zkey: {name} is not a point of G2")
    coeffs = zkey.coeffs
    matrix = np.asarray(coeffs["matrix"])
    rows = np.asarray(coeffs["row"]).astype(np.int64)
    ptrs, sigs, vals = [], [], []
    for m in (0, 1):
        sel = np.flatnonzero(matrix == m)
        order = sel[np.argsort(rows[sel], kind="stable")]
        counts = np.bincount(rows[order], minlength=zkey.domain_size)
        ptr = np.zeros(zkey.domain_size + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        ptrs.append(ptr)
        sigs.append(np.ascontiguousarray(coeffs["signal"][order], dtype=np.int64))
        vals.append(np.ascontiguousarray(coeffs["value"][order], dtype=np.uint64))
    return ProvingKey(
        zkey=dataclasses.replace(zkey, coeffs=coeffs[:0].copy()),  # kept regrouped, not twice (a view would keep all)
        row_ptr=(ptrs[0], ptrs[1]), signal=(sigs[0], sigs[1]), value=(vals[0], vals[1]),
        vkey=zkey_verification_key(zkey), beta1=g1s["beta1"], delta1=g1s["delta1"],
    )  # fmt: skip


#: Parsed keys kept per process (a 2^16 key is ~100 MB of arrays); `configure_caches` changes it.
CACHE_SIZE = 4
_CACHE: LRUCache[str, ProvingKey] = LRUCache(CACHE_SIZE)  # by sha256; configure_caches replaces it
_STAMPS: dict[tuple, str] = {}  # (path, mtime, size, inode) -> sha256 of a file already read
_CACHE_LOCK = threading.Lock()


def file_stamp(path: str | os.PathLike[str]) -> tuple[str, int, int, int]:
    """What tells a file unchanged since it was last read (path, mtime, size, inode); OSError when it is not
    there. A rewritten or replaced file gets a new stamp."""
    st = os.stat(path)
    return (os.path.abspath(path), st.st_mtime_ns, st.st_size, st.st_ino)


def load_proving_key(source: str | Path | bytes | bytearray | memoryview) -> ProvingKey:
    """The parsed key for a ``.zkey`` path or its bytes, parsed once per process (cache keyed by sha256; a path
    whose size, mtime and inode are unchanged is not even read again). A path is mapped, not read: each section's
    pages are given back once copied into the key's arrays, so the file's bytes never sit beside them."""
    if not isinstance(source, str | Path):
        return _parse_once(source, hashlib.sha256(source).hexdigest(), None)
    try:
        stamp = file_stamp(source)
    except OSError as exc:
        raise FormatError(f"cannot read zkey {str(source)!r}: {exc.strerror or exc}") from exc
    with _CACHE_LOCK:  # a file seen before, unchanged: no need to read and hash it again
        digest = _STAMPS.get(stamp)
        hit = _CACHE.get(digest) if digest else None
        if hit is not None:
            return hit
    with MappedFile(source, "zkey") as mapped:  # hashed and parsed from the same mapping
        return _parse_once(mapped, mapped.sha256(), stamp)


def _parse_once(source: MappedFile | bytes | bytearray | memoryview, digest: str, stamp: tuple | None) -> ProvingKey:
    with _CACHE_LOCK:
        if stamp is not None:
            _STAMPS[stamp] = digest
            while len(_STAMPS) > 1024:  # bounded: the oldest stamps go first (dicts keep insertion order)
                del _STAMPS[next(iter(_STAMPS))]
        hit = _CACHE.get(digest)
        if hit is not None:
            return hit
    pk = proving_key_from_zkey(read_zkey(source, sha256=digest))
    with _CACHE_LOCK:
        _CACHE[digest] = pk  # the least recently used goes when full
    return pk


def clear_cache() -> None:
    """Forget every cached key."""
    with _CACHE_LOCK:
        _CACHE.clear()
        _STAMPS.clear()
