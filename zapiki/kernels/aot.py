"""Compile the Groth16 prover's kernels ahead of time into :mod:`zapiki.native` (numba's ``pycc``).

    python -m zapiki.kernels.aot [--cpu host|generic|NAME]      (``make native``)

Each exported function is one of these modules' numba kernels (its Python source, compiled again without
numba's threads: a ``prange`` loop runs in order), with a fixed signature: C-contiguous writable uint64
arrays, int64 sizes. The wrappers release the GIL, so the MSM driver splits windows and digits between Python
threads. The module is written as ``zapiki/native/_bn254*.so`` with the stamp :func:`zapiki.native.module`
checks (the kernels' sources, numba's version, the CPU), in a temporary name first and then moved into place.
``--cpu host`` (the default) compiles for this machine's CPU model only; ``generic`` runs on any x86-64.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from numba import types
from numba.core.compiler import Flags

from zapiki import native

from . import ntt, rows

msm = importlib.import_module("zapiki.kernels.msm")  # the module: the package's name msm is the function

__all__ = ["EXPORTS", "build"]

_U8 = types.uint64
_I8 = types.int64
_A2 = types.Array(_U8, 2, "C")
_A3 = types.Array(_U8, 3, "C")
_A4 = types.Array(_U8, 4, "C")
_IDX = types.Array(_I8, 1, "C")
_DIGITS = types.Array(types.int32, 2, "C")
_T4 = types.UniTuple(_U8, 4)
_void = types.void

#: (exported name, signature, numba kernel): what the prover needs, G1 (3-d point arrays) and G2 (4-d).
EXPORTS = [
    ("digits_into", _void(_A2, _IDX, _I8, _DIGITS, _I8, _I8), msm.digits_into),
    ("windows_into_g1", _void(_A3, _IDX, _DIGITS, _I8, _A3, _I8, _I8), msm.windows_into),
    ("windows_into_g2", _void(_A4, _IDX, _DIGITS, _I8, _A4, _I8, _I8), msm.windows_into),
    ("affine_sum_into_g1", _void(_A3, _A3), msm.affine_sum_into),
    ("affine_sum_into_g2", _void(_A4, _A4), msm.affine_sum_into),
    ("horner_into_g1", _void(_A3, _I8, _A3, _A3), msm.horner_into),
    ("horner_into_g2", _void(_A4, _I8, _A4, _A4), msm.horner_into),
    ("ntt_in_place", _void(_A2, _A2, _I8), ntt.ntt_in_place),
    ("powers_into", _void(_T4, _T4, _A2), ntt.powers_into),
    ("mul_rows_into", _void(_A2, _A2), ntt.mul_rows_into),
    ("scale_into", _void(_A2, _T4), ntt.scale_into),
    ("reverse_tail", _void(_A2), ntt.reverse_tail),
    ("rows_into", _void(_IDX, _IDX, _A2, _A2, _A2), rows.rows_into),
    ("mul_into", _void(_A2, _A2, _A2), rows.mul_into),
    ("h_into", _void(_A2, _A2, _A2, _A2), rows.h_into),
]


class _GilFreeFlags(Flags):
    """pycc's compiler flags with ``release_gil``: its wrappers then drop the GIL around each call."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.release_gil = True


def _host_cpu_name() -> str:
    """LLVM's name for this machine's CPU (pycc reads "host" as an unknown CPU and emits baseline x86-64: its G2
    MSM measured 12% slower than for the named CPU)."""
    import llvmlite.binding as llvm

    llvm.initialize_native_target()
    return llvm.get_host_cpu_name()


def build(out_dir: Path = native.HERE, cpu: str = "host") -> Path:
    """Compile :data:`EXPORTS` into ``out_dir`` (default: the :mod:`zapiki.native` package) and write its stamp;
    returns the module's path. ``cpu``: ``host``, ``generic`` or an LLVM CPU name."""
    import numba.pycc.compiler as pycc_compiler
    from numba.pycc import CC

    out_dir = Path(out_dir)
    with tempfile.TemporaryDirectory(prefix="zapiki-native-") as tmp:
        cc = CC("_bn254", source_module=__name__)
        cc.output_dir = tmp
        cc.target_cpu = {"generic": "", "host": _host_cpu_name()}.get(cpu, cpu)  # pycc takes no "host"
        for name, sig, kernel in EXPORTS:
            cc.export(name, sig)(kernel.py_func)
        saved = pycc_compiler.Flags
        pycc_compiler.Flags = _GilFreeFlags
        try:
            cc.compile()
        finally:
            pycc_compiler.Flags = saved
        built = next(Path(tmp).glob("_bn254*"))
        target = out_dir / built.name
        for old in out_dir.glob("_bn254*.so"):
            old.unlink()
        (out_dir / native.STAMP.name).unlink(missing_ok=True)
        shutil.move(str(built), target.with_suffix(".tmp"))
        os.replace(target.with_suffix(".tmp"), target)
    label = f"host:{native._host_cpu()}" if cpu == "host" else cpu
    (out_dir / native.STAMP.name).write_text(native.expected_stamp(label) + "\n")
    return target


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m zapiki.kernels.aot", description=__doc__.split("\n\n")[0])
    ap.add_argument("--cpu", default=os.environ.get("ZAPIKI_NATIVE_CPU", "host"))
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    path = build(cpu=args.cpu)
    print(f"compiled {len(EXPORTS)} kernels into {path} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
