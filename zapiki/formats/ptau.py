"""Reader for snarkjs powers-of-tau files (``.ptau``, version 1, BN254), read lazily from a memory map.

Sections (``n = 2^power``; G1 points 64 bytes, G2 128, Montgomery little-endian as in a ``.zkey``)::

    1  header: u32 n8 (32), q (n8 bytes), u32 power, u32 ceremonyPower
    2  tauG1        2n - 1 G1   tau^i G1
    3  tauG2        n G2        tau^i G2
    4  alphaTauG1   n G1        alpha tau^i G1
    5  betaTauG1    n G1        beta tau^i G1
    6  betaG2       1 G2
    7  contributions (kept as raw bytes)
    12 tau G1 Lagrange bases, k = 0 .. power + 1, concatenated (basis of size 2^k at point offset 2^k - 1)
    13 tau G2 Lagrange bases, k = 0 .. power
    14 alpha tau G1 Lagrange bases, k = 0 .. power
    15 beta tau G1 Lagrange bases, k = 0 .. power

Sections 12 to 15 exist only after ``snarkjs powersoftau prepare phase2``. Its extra tau G1 basis of size
``2^(power + 1)`` is computed from the ``2^(power + 1) - 1`` powers there are (the missing top power taken as
0); snarkjs uses it for the H points of a circuit whose domain is ``2^power``.

Points come back as :mod:`~zapiki.formats.zkey` arrays: G1 ``(m, 2, 4)``, G2 ``(m, 2, 2, 4)`` uint64,
Montgomery limbs exactly as in the file, infinity all zeros; each returned array is a fresh copy whose
coordinates were checked ``< q`` (curve membership is the caller's check: see ``zapiki.kernels``).

Opening reads only the container header, section table and section 1, and checks every section's size
against ``power`` (a lying header is a :class:`~zapiki.errors.FormatError` naming the section, before
anything is sized by it); a point read touches only the pages it needs.

>>> import struct
>>> from zapiki.formats.binfile import write_binfile
>>> from zapiki.formats.field import BN254_Q
>>> hdr = struct.pack("<I", 32) + BN254_Q.to_bytes(32, "little") + struct.pack("<II", 1, 1)
>>> g1, g2 = bytes(64), bytes(128)
>>> body = {1: hdr, 2: g1 * 3, 3: g2 * 2, 4: g1 * 2, 5: g1 * 2, 6: g2, 7: struct.pack("<I", 0)}
>>> with PowersOfTau.open(write_binfile(b"ptau", 1, sorted(body.items()))) as pot:
...     pot.power, pot.prepared, pot.tau_g1(3).shape, pot.beta_g2.shape
(1, False, (3, 2, 4), (1, 2, 2, 4))
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
from types import TracebackType

import numpy as np

from zapiki.errors import FormatError
from zapiki.formats.binfile import BinFile, Source, parse_binfile, sha256_hex
from zapiki.formats.field import BN254_Q, FIELD_BYTES, limbs_less_than

__all__ = ["MAX_PTAU_POWER", "PREPARE_HINT", "PowersOfTau"]

#: BN254's scalar field has 2-adicity 28: no ceremony goes above 2^28.
MAX_PTAU_POWER = 28
#: What to run when a ``.ptau`` lacks the Lagrange sections.
PREPARE_HINT = "run `snarkjs powersoftau prepare phase2 in.ptau out.ptau` first"
G1_BYTES = 2 * FIELD_BYTES
G2_BYTES = 4 * FIELD_BYTES

_TAU_G1, _TAU_G2, _ALPHA_TAU_G1, _BETA_TAU_G1, _BETA_G2, _CONTRIBUTIONS = 2, 3, 4, 5, 6, 7
_L_TAU_G1, _L_TAU_G2, _L_ALPHA_G1, _L_BETA_G1 = 12, 13, 14, 15
_NAMES = {
    1: "header", 2: "tauG1", 3: "tauG2", 4: "alphaTauG1", 5: "betaTauG1", 6: "betaG2", 7: "contributions",
    12: "tau G1 Lagrange", 13: "tau G2 Lagrange", 14: "alpha tau G1 Lagrange", 15: "beta tau G1 Lagrange",
}  # fmt: skip


def _expected_points(stype: int, power: int) -> int:
    """How many points section ``stype`` holds for ``power``."""
    n = 1 << power
    return {
        _TAU_G1: 2 * n - 1, _TAU_G2: n, _ALPHA_TAU_G1: n, _BETA_TAU_G1: n, _BETA_G2: 1,
        _L_TAU_G1: 4 * n - 1, _L_TAU_G2: 2 * n - 1, _L_ALPHA_G1: 2 * n - 1, _L_BETA_G1: 2 * n - 1,
    }[stype]  # fmt: skip


def _group(stype: int) -> int:
    return 2 if stype in (_TAU_G2, _BETA_G2, _L_TAU_G2) else 1


class PowersOfTau:
    """An open ``.ptau`` file (see the module docstring). Use as a context manager, or call :meth:`close`.

    Attributes: ``power`` (the file holds the domains up to ``2^power``), ``ceremony_power`` (the power the
    ceremony was run at; a truncated file has ``power < ceremony_power``), ``prepared`` (the Lagrange sections
    12-15 are there), ``size`` (bytes) and ``fingerprint`` (see :attr:`fingerprint`).
    """

    def __init__(self, data: bytes | bytearray | memoryview, name: str, mm: mmap.mmap | None = None) -> None:
        self.name = name
        self._mm = mm
        self._sha256: str | None = None
        try:
            self._bf = parse_binfile(data, b"ptau", f"ptau {name!r}" if name else "ptau", max_version=1)
            self._check()
        except BaseException:
            self.close()
            raise

    # -- opening ---------------------------------------------------------------------------------------------
    @classmethod
    def open(cls, source: Source) -> PowersOfTau:
        """Open a ``.ptau`` path (memory-mapped, read-only) or wrap a bytes-like object.

        Raises :class:`FormatError` for an unreadable or malformed file (see the module docstring).
        """
        if isinstance(source, bytes | bytearray | memoryview):
            return cls(source, "")
        path = os.fspath(source)
        try:
            with open(path, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                if size == 0:
                    raise FormatError(f"ptau {path!r}: empty file")
                mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except OSError as exc:
            raise FormatError(f"cannot read {path!r}: {exc.strerror or exc}") from exc
        return cls(memoryview(mm), path, mm)

    def close(self) -> None:
        """Release the memory map (arrays already returned are copies and stay valid)."""
        bf = getattr(self, "_bf", None)
        if bf is not None:
            try:
                bf.data.release()
            except BufferError:  # a view is still alive somewhere: the map goes when it does
                pass
        if self._mm is not None:
            try:
                self._mm.close()
            except BufferError:  # a view is still alive somewhere: the map goes when it does
                pass
            self._mm = None

    def __enter__(self) -> PowersOfTau:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    # -- validation ------------------------------------------------------------------------------------------
    def _check(self) -> None:
        bf: BinFile = self._bf
        hdr = bf.reader(1, "header")
        n8 = hdr.u32("n8")
        if n8 != FIELD_BYTES:
            raise FormatError(f"{hdr.where}: unsupported field size n8={n8} (BN254 has 32)")
        q = hdr.integer(n8, "q")
        if q != BN254_Q:
            raise FormatError(f"{hdr.where}: base field prime q={q} is not BN254's (curve bn128)")
        self.power = hdr.u32("power")
        self.ceremony_power = hdr.u32("ceremonyPower")
        hdr.expect_end()
        if not 1 <= self.power <= MAX_PTAU_POWER:
            raise FormatError(f"{hdr.where}: power={self.power} is outside 1..{MAX_PTAU_POWER}")
        if self.ceremony_power > MAX_PTAU_POWER:
            raise FormatError(f"{hdr.where}: ceremonyPower={self.ceremony_power} is above {MAX_PTAU_POWER}")
        for stype in (_TAU_G1, _TAU_G2, _ALPHA_TAU_G1, _BETA_TAU_G1, _BETA_G2):
            self._section_points(stype)
        bf.section(_CONTRIBUTIONS, _NAMES[_CONTRIBUTIONS])
        lag = [bf.has(s) for s in (_L_TAU_G1, _L_TAU_G2, _L_ALPHA_G1, _L_BETA_G1)]
        if any(lag) and not all(lag):
            missing = [s for s, have in zip((12, 13, 14, 15), lag, strict=True) if not have]
            raise FormatError(f"{bf.kind} file: Lagrange sections {missing} are missing (a partial phase-2 file)")
        self.prepared = all(lag)
        if self.prepared:
            for stype in (_L_TAU_G1, _L_TAU_G2, _L_ALPHA_G1, _L_BETA_G1):
                self._section_points(stype)
        self.size = len(bf.data)
        self.fingerprint = self._fingerprint()

    def _section_points(self, stype: int) -> int:
        """Byte offset of section ``stype``'s body, after checking its size against ``power``."""
        name = _NAMES[stype]
        sec = self._bf.section(stype, name)
        count = _expected_points(stype, self.power)
        point = G1_BYTES if _group(stype) == 1 else G2_BYTES
        if sec.size != count * point:
            raise FormatError(
                f"{self._bf.kind} file, section {stype} ({name}): size {sec.size} bytes, expected {count} points "
                f"x {point} = {count * point} bytes for power={self.power}"
            )
        return sec.offset

    def _fingerprint(self) -> str:
        """sha256 over the file size, the section table, sections 1 and 7 (the ceremony's header and its
        contribution records, which hold each contribution's hashes) and the first and last point of every
        point section: reads a few kilobytes."""
        bf = self._bf
        h = hashlib.sha256(b"zapiki ptau fingerprint v1\0")
        h.update(struct.pack("<Q", len(bf.data)))
        for stype in sorted(bf.sections):
            for sec in bf.sections[stype]:
                h.update(struct.pack("<IQQ", stype, sec.offset, sec.size))
                if stype in (1, _CONTRIBUTIONS):
                    h.update(bf.data[sec.offset : sec.offset + sec.size])
                elif stype in _NAMES:
                    point = G1_BYTES if _group(stype) == 1 else G2_BYTES
                    h.update(bf.data[sec.offset : sec.offset + point])
                    h.update(bf.data[sec.offset + sec.size - point : sec.offset + sec.size])
        return h.hexdigest()

    def sha256(self) -> str:
        """Hex sha256 of the whole file (streams it once, about 2 s a GB; then cached on this object).

        :attr:`fingerprint` is the cheap identity: it tells honest files apart (each ceremony contribution
        changes section 7 and every point), but it does not commit to every byte; this does.
        """
        if self._sha256 is None:
            self._sha256 = sha256_hex(self.name) if self.name else sha256_hex(self._bf.data)
        return self._sha256

    # -- points ----------------------------------------------------------------------------------------------
    def _points(self, stype: int, start: int, count: int) -> np.ndarray:
        """``count`` points of section ``stype`` from point ``start``, copied, coordinates checked < q."""
        offset = self._section_points(stype)
        total = _expected_points(stype, self.power)
        if start < 0 or count < 0 or start + count > total:
            raise FormatError(
                f"ptau: points {start}..{start + count} requested from section {stype} ({_NAMES[stype]}), "
                f"which holds {total} for power={self.power}"
            )
        group = _group(stype)
        point = G1_BYTES if group == 1 else G2_BYTES
        lo = offset + start * point
        raw = np.frombuffer(self._bf.data[lo : lo + count * point], dtype="<u8")
        pts = raw.astype(np.uint64).reshape((count, 2, 4) if group == 1 else (count, 2, 2, 4))
        ok = limbs_less_than(pts, BN254_Q)
        bad = np.flatnonzero(~ok.reshape(count, -1).all(axis=1))
        if bad.size:
            raise FormatError(
                f"ptau, section {stype} ({_NAMES[stype]}): point {start + int(bad[0])} has a coordinate >= q"
            )
        return pts

    def _require_prepared(self) -> None:
        if not self.prepared:
            raise FormatError(
                f"ptau {self.name!r} was not prepared for phase 2 (no Lagrange sections 12-15): {PREPARE_HINT}"
            )

    def _lagrange(self, stype: int, k: int, max_k: int) -> np.ndarray:
        self._require_prepared()
        if not 0 <= k <= max_k:
            raise FormatError(
                f"ptau: a Lagrange basis of size 2^{k} is not in section {stype} ({_NAMES[stype]}), which holds "
                f"2^0 .. 2^{max_k} (power={self.power})"
            )
        return self._points(stype, (1 << k) - 1, 1 << k)

    def lagrange_g1(self, k: int) -> np.ndarray:
        """``L_i(tau) G1`` for the ``2^k``-point domain, ``k = 0 .. power + 1``: ``(2^k, 2, 4)``."""
        return self._lagrange(_L_TAU_G1, k, self.power + 1)

    def lagrange_g2(self, k: int) -> np.ndarray:
        """``L_i(tau) G2``, ``k = 0 .. power``: ``(2^k, 2, 2, 4)``."""
        return self._lagrange(_L_TAU_G2, k, self.power)

    def alpha_lagrange_g1(self, k: int) -> np.ndarray:
        """``alpha L_i(tau) G1``, ``k = 0 .. power``."""
        return self._lagrange(_L_ALPHA_G1, k, self.power)

    def beta_lagrange_g1(self, k: int) -> np.ndarray:
        """``beta L_i(tau) G1``, ``k = 0 .. power``."""
        return self._lagrange(_L_BETA_G1, k, self.power)

    def tau_g1(self, count: int) -> np.ndarray:
        """``tau^i G1`` for ``i < count``, ``count <= 2^(power + 1) - 1``."""
        return self._points(_TAU_G1, 0, count)

    def tau_g2(self, count: int) -> np.ndarray:
        """``tau^i G2`` for ``i < count``, ``count <= 2^power``."""
        return self._points(_TAU_G2, 0, count)

    def alpha_tau_g1(self, count: int) -> np.ndarray:
        """``alpha tau^i G1`` for ``i < count``, ``count <= 2^power``."""
        return self._points(_ALPHA_TAU_G1, 0, count)

    def beta_tau_g1(self, count: int) -> np.ndarray:
        """``beta tau^i G1`` for ``i < count``, ``count <= 2^power``."""
        return self._points(_BETA_TAU_G1, 0, count)

    @property
    def alpha_g1(self) -> np.ndarray:
        """``alpha G1``, ``(1, 2, 4)``."""
        return self.alpha_tau_g1(1)

    @property
    def beta_g1(self) -> np.ndarray:
        """``beta G1``, ``(1, 2, 4)``."""
        return self.beta_tau_g1(1)

    @property
    def beta_g2(self) -> np.ndarray:
        """``beta G2``, ``(1, 2, 2, 4)``."""
        return self._points(_BETA_G2, 0, 1)

    @property
    def contributions(self) -> bytes:
        """Section 7 verbatim (the ceremony's contribution records)."""
        sec = self._bf.section(_CONTRIBUTIONS, _NAMES[_CONTRIBUTIONS])
        return bytes(self._bf.data[sec.offset : sec.offset + sec.size])

    def __repr__(self) -> str:
        return f"PowersOfTau({self.name!r}, power={self.power}, prepared={self.prepared})"
