"""The iden3 binary container shared by ``.r1cs``, ``.wtns``, ``.zkey`` and ``.ptau`` files.

Layout (little-endian throughout)::

    magic: 4 bytes | version: u32 | n_sections: u32
    n_sections x ( type: u32 | size: u64 | body: size bytes )

Sections may come in any order and are indexed by type. Every read is bounds-checked against the bytes that
are actually there *before* anything is allocated, so a header that declares a huge count fails with a
:class:`~zapiki.errors.FormatError` instead of exhausting memory. Error messages name the file kind, the
section and the field.

>>> blob = write_binfile(b"wtns", 2, [(1, b"abcd"), (2, b"")])
>>> bf = parse_binfile(blob, b"wtns", "wtns", max_version=2)
>>> bf.reader(1, "header").u32("word") == int.from_bytes(b"abcd", "little")
True
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from zapiki.errors import FormatError

__all__ = [
    "BinFile", "MappedFile", "Section", "SectionReader", "load_bytes", "parse_binfile", "sha256_hex", "write_binfile",
]  # fmt: skip

Source = bytes | bytearray | memoryview | str | os.PathLike

_FILE_HEADER = struct.Struct("<4sII")
_SECTION_HEADER = struct.Struct("<IQ")


def load_bytes(source: Source) -> bytes | bytearray | memoryview:
    """Return the bytes of ``source``: a path (``str``/``PathLike``) is read from disk, a buffer is returned as is.

    A missing or unreadable file raises :class:`FormatError`.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        return source
    try:
        with open(source, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise FormatError(f"cannot read {os.fspath(source)!r}: {exc.strerror or exc}") from exc


class MappedFile:
    """A file mapped read-only, whose pages a reader gives back (:meth:`release`) once it has copied them.

    For large keys: the file's bytes are never all resident at once beside the arrays parsed from them (a 2^20
    ``.zkey`` is 560 MB). Pages given back are read again from the page cache if touched again. A file that
    cannot be opened or mapped raises :class:`FormatError`; an empty file maps to no bytes. A file cut short by
    another process while mapped would end this one (SIGBUS): the files a worker maps are written once and
    put in place with an atomic rename, so a mapping never sees them change.

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile() as f:
    ...     _ = f.write(b"abc" * 5000); f.flush()
    ...     with MappedFile(f.name) as m:
    ...         (bytes(m.view[:3]), len(m.view), m.sha256() == hashlib.sha256(b"abc" * 5000).hexdigest())
    (b'abc', 15000, True)
    """

    def __init__(self, path: str | os.PathLike, kind: str = "") -> None:
        try:
            with open(path, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else None
        except (OSError, ValueError) as exc:  # ValueError: a file mmap refuses (not a regular file)
            what, why = f"{kind} " if kind else "", getattr(exc, "strerror", None) or exc
            raise FormatError(f"cannot read {what}{os.fspath(path)!r}: {why}") from exc
        self.view = memoryview(self._map) if self._map is not None else memoryview(b"")

    def release(self, offset: int, size: int) -> None:
        """Give back the whole pages inside ``[offset, offset + size)`` (a hint; Linux only, elsewhere nothing)."""
        if self._map is None or not hasattr(mmap, "MADV_DONTNEED"):
            return
        lo = -(-offset // mmap.PAGESIZE) * mmap.PAGESIZE
        hi = (offset + size) // mmap.PAGESIZE * mmap.PAGESIZE
        if hi > lo:
            self._map.madvise(mmap.MADV_DONTNEED, lo, hi - lo)

    def sha256(self, chunk: int = 16 << 20) -> str:
        """Hex sha256 of the file, read in chunks whose pages are given back as it goes."""
        h = hashlib.sha256()
        for offset in range(0, len(self.view), chunk):
            h.update(self.view[offset : offset + chunk])
            self.release(offset, chunk)
        return h.hexdigest()

    def close(self) -> None:
        """Unmap the file. Views still held elsewhere (a traceback's frames) keep it mapped until they go."""
        try:
            self.view.release()
            if self._map is not None:
                self._map.close()
        except BufferError:
            pass  # the last view to go unmaps it

    def __enter__(self) -> MappedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sha256_hex(source: Source) -> str:
    """Hex sha256 of a file's bytes (streamed from disk for a path), for caching parsed keys by content."""
    h = hashlib.sha256()
    if isinstance(source, bytes | bytearray | memoryview):
        h.update(source)
        return h.hexdigest()
    try:
        with open(source, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError as exc:
        raise FormatError(f"cannot read {os.fspath(source)!r}: {exc.strerror or exc}") from exc
    return h.hexdigest()


@dataclass(frozen=True)
class Section:
    """One section of a container: its type and where its body lies in the file."""

    type: int
    offset: int
    size: int


class SectionReader:
    """A bounds-checked cursor over one section body.

    Every method takes the name of the field being read, used in the error message when the section is too
    short.
    """

    def __init__(self, data: memoryview, start: int, end: int, where: str) -> None:
        self._data = data
        self._pos = start
        self._end = end
        self.where = where

    @property
    def remaining(self) -> int:
        """Bytes left in the section after the cursor."""
        return self._end - self._pos

    def _take(self, n: int, what: str) -> int:
        if n < 0 or n > self._end - self._pos:
            raise FormatError(
                f"{self.where}: truncated at field {what!r} (needs {n} bytes, {self._end - self._pos} left)"
            )
        pos = self._pos
        self._pos += n
        return pos

    def u32(self, what: str) -> int:
        """Read a little-endian u32."""
        pos = self._take(4, what)
        return int.from_bytes(self._data[pos : pos + 4], "little")

    def u64(self, what: str) -> int:
        """Read a little-endian u64."""
        pos = self._take(8, what)
        return int.from_bytes(self._data[pos : pos + 8], "little")

    def raw(self, n: int, what: str) -> memoryview:
        """Return the next ``n`` bytes as a zero-copy view."""
        pos = self._take(n, what)
        return self._data[pos : pos + n]

    def integer(self, n: int, what: str) -> int:
        """Read an ``n``-byte little-endian integer."""
        return int.from_bytes(self.raw(n, what), "little")

    def array(self, dtype: np.dtype | str, count: int, what: str) -> np.ndarray:
        """Read ``count`` items of ``dtype`` as a zero-copy (read-only if the buffer is) numpy view.

        The size is checked against the bytes left before anything is allocated.
        """
        dt = np.dtype(dtype)
        if count < 0:
            raise FormatError(f"{self.where}: negative count for field {what!r}")
        view = self.raw(count * dt.itemsize, what)
        return np.frombuffer(view, dtype=dt, count=count)

    def expect_end(self) -> None:
        """Fail if the section has bytes left over (its declared size disagrees with its content)."""
        if self._pos != self._end:
            raise FormatError(f"{self.where}: {self._end - self._pos} unexpected trailing bytes (size mismatch)")


@dataclass
class BinFile:
    """A parsed container: the bytes, the version and the section table (type -> list of sections)."""

    kind: str
    data: memoryview
    version: int
    sections: dict[int, list[Section]] = field(default_factory=dict)

    def has(self, stype: int) -> bool:
        """True if at least one section of type ``stype`` is present."""
        return stype in self.sections

    def section(self, stype: int, name: str) -> Section:
        """The single section of type ``stype``; missing or duplicated sections raise :class:`FormatError`."""
        found = self.sections.get(stype)
        if not found:
            raise FormatError(f"{self.kind} file: missing section {stype} ({name})")
        if len(found) > 1:
            raise FormatError(f"{self.kind} file: section {stype} ({name}) appears {len(found)} times")
        return found[0]

    def reader(self, stype: int, name: str) -> SectionReader:
        """A :class:`SectionReader` over the single section of type ``stype``."""
        sec = self.section(stype, name)
        return SectionReader(
            self.data, sec.offset, sec.offset + sec.size, f"{self.kind} file, section {stype} ({name})"
        )


def parse_binfile(
    data: bytes | bytearray | memoryview, magic: bytes, kind: str, max_version: int, min_version: int = 1
) -> BinFile:
    """Parse the container header and section table of ``data``.

    Raises :class:`FormatError` for a wrong magic, a version outside ``[min_version, max_version]``, or a
    section header or body that runs past the end of the file.
    """
    mv = memoryview(data).cast("B") if not isinstance(data, memoryview) else data.cast("B")
    if len(mv) < _FILE_HEADER.size:
        raise FormatError(f"{kind} file: truncated header ({len(mv)} bytes, needs {_FILE_HEADER.size})")
    got_magic, version, n_sections = _FILE_HEADER.unpack_from(mv, 0)
    if got_magic != magic:
        raise FormatError(f"{kind} file: wrong magic {bytes(got_magic)!r}, expected {magic!r}")
    if not min_version <= version <= max_version:
        raise FormatError(f"{kind} file: unsupported version {version} (supported: {min_version}..{max_version})")
    # Each section needs at least a 12-byte header: reject absurd counts before looping.
    if n_sections * _SECTION_HEADER.size > len(mv) - _FILE_HEADER.size:
        raise FormatError(
            f"{kind} file: header declares {n_sections} sections, whose headers need "
            f"{n_sections * _SECTION_HEADER.size} bytes, but the file is {len(mv)} bytes"
        )
    bf = BinFile(kind=kind, data=mv, version=version)
    pos = _FILE_HEADER.size
    for i in range(n_sections):
        if pos + _SECTION_HEADER.size > len(mv):
            raise FormatError(f"{kind} file: truncated header of section #{i} at offset {pos}")
        stype, size = _SECTION_HEADER.unpack_from(mv, pos)
        pos += _SECTION_HEADER.size
        if size > len(mv) - pos:
            raise FormatError(
                f"{kind} file: section {stype} declares {size} bytes but only {len(mv) - pos} remain (truncated)"
            )
        bf.sections.setdefault(stype, []).append(Section(stype, pos, size))
        pos += size
    if pos != len(mv):
        raise FormatError(f"{kind} file: {len(mv) - pos} trailing bytes after the last section")
    return bf


def write_binfile(magic: bytes, version: int, sections: Iterable[tuple[int, bytes | bytearray | memoryview]]) -> bytes:
    """Serialise a container: ``sections`` is an iterable of ``(type, body)`` written in the given order."""
    if len(magic) != 4:
        raise ValueError("magic must be 4 bytes")
    sections = list(sections)
    parts: list[bytes | bytearray | memoryview] = [_FILE_HEADER.pack(magic, version, len(sections))]
    for stype, body in sections:
        parts.append(_SECTION_HEADER.pack(stype, len(memoryview(body).cast("B"))))
        parts.append(body)
    return b"".join(parts)
