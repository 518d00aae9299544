"""PLONK proving keys parsed once per process: :func:`load_plonk_key` caches :class:`PlonkZKey` objects by sha256.

A path whose size, mtime and inode are unchanged since it was last read is not read again (the stamp of
:func:`zapiki.systems.groth16.keys.file_stamp`); bytes are hashed. A 2^16 key is ~70 MB of arrays, so only
:data:`CACHE_SIZE` keys are kept (least recently used go first).

>>> from zapiki.formats.plonk_zkey import write_plonk_zkey
>>> data = write_plonk_zkey(PlonkZKey.empty(n_public=1))
>>> load_plonk_key(data) is load_plonk_key(bytes(data))
True
>>> clear_plonk_cache()
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from cachetools import LRUCache

from zapiki.errors import FormatError
from zapiki.formats.plonk_zkey import PlonkZKey, read_plonk_zkey
from zapiki.systems.groth16.keys import file_stamp

__all__ = ["CACHE_SIZE", "PlonkZKey", "clear_plonk_cache", "load_plonk_key"]

#: Parsed PLONK keys kept per process.
CACHE_SIZE = 4
_CACHE: LRUCache[str, PlonkZKey] = LRUCache(CACHE_SIZE)  # by sha256
_STAMPS: dict[tuple, str] = {}  # file stamp -> sha256 of a file already read
_LOCK = threading.Lock()


def load_plonk_key(source: str | Path | bytes | bytearray | memoryview) -> PlonkZKey:
    """The parsed PLONK key for a ``.zkey`` path or its bytes, parsed once per process (cache keyed by sha256).

    Raises :class:`~zapiki.errors.FormatError` for an unreadable or malformed file.
    """
    stamp = None
    if isinstance(source, str | Path):
        try:
            stamp = file_stamp(source)
            with _LOCK:
                digest = _STAMPS.get(stamp)
                hit = _CACHE.get(digest) if digest else None
                if hit is not None:
                    return hit
            data: bytes | bytearray | memoryview = Path(source).read_bytes()
        except OSError as exc:
            raise FormatError(f"cannot read zkey {str(source)!r}: {exc.strerror or exc}") from exc
    else:
        data = source
    digest = hashlib.sha256(data).hexdigest()
    with _LOCK:
        if stamp is not None:
            _STAMPS[stamp] = digest
            while len(_STAMPS) > 1024:
                del _STAMPS[next(iter(_STAMPS))]
        hit = _CACHE.get(digest)
        if hit is not None:
            return hit
    key = read_plonk_zkey(data)
    with _LOCK:
        _CACHE[digest] = key
    return key


def clear_plonk_cache() -> None:
    """Forget every cached PLONK key.

    >>> clear_plonk_cache()
    """
    with _LOCK:
        _CACHE.clear()
        _STAMPS.clear()
