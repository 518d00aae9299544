"""The kernels compiled ahead of time (zapiki.native) give the numba kernels' results, run without numba, and
release the GIL; a stale or disabled build is not used."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from zapiki import native
from zapiki.errors import InputError
from zapiki.kernels import fr, g1, g2, ntt, reference, rows
from zapiki.kernels.constants import R
from zapiki.kernels.group import scalars_to_limbs
from zapiki.native import msm as native_msm
from zapiki.native import ntt as native_ntt

from .conftest import KERNEL_SETTINGS, scalars

REPO = Path(__file__).resolve().parents[2]
MULTIPLIER = REPO / "tests" / "fixtures" / "groth16" / "multiplier"
GROUPS = [pytest.param(g1, reference.G1, id="G1"), pytest.param(g2, reference.G2, id="G2")]


@pytest.fixture(scope="module")
def compiled():
    module = native.module()
    assert module is not None, (
        "the compiled kernels are not built (or stale): `make native` (python -m zapiki.kernels.aot) builds them"
    )
    return module


def _points(group, ks):
    base = group.to_jacobian(group.generator())
    return group.to_affine(group.scalar_mul(np.repeat(base, len(ks), 0), ks))


@pytest.mark.parametrize(("group", "gen"), GROUPS)
def test_the_compiled_msm_equals_the_naive_sum_on_one_thread_and_on_three(compiled, group, gen):
    @KERNEL_SETTINGS
    @given(
        st.lists(st.tuples(st.integers(0, 50), scalars), min_size=1, max_size=24),
        st.sampled_from([None, 2, 3, 7]),
        st.sampled_from([1, 3]),
    )
    def check(rows_, window, threads):
        base_ks = [b for b, _ in rows_]  # 0 = the point at infinity; repeats make P + P and shared buckets
        ks = [k for _, k in rows_]
        got = native_msm.msm(_points(group, base_ks), scalars_to_limbs(ks), compiled, threads, window=window)
        expected = reference.multiply(gen, sum(b * k for b, k in zip(base_ks, ks, strict=True)) % R)
        assert group.to_ints(group.to_affine(got)) == [expected]

    check()


@pytest.mark.parametrize(("group", "gen"), GROUPS)
def test_the_compiled_msm_matches_numba_on_a_few_thousand_points_and_refuses_scalars_above_r(compiled, group, gen):
    rng = np.random.default_rng(7)
    n = 3000
    pts = _points(group, rng.integers(1, 1000, n).tolist())
    ks = rng.integers(0, 2**63, size=(n, 4), dtype=np.uint64)
    ks[:, 3] >>= np.uint64(4)
    ks[:100] = 0  # scalars 0 and 1 take their own paths
    ks[100:200] = 0
    ks[100:200, 0] = 1
    from zapiki.kernels import msm as numba_msm

    expected = group.to_affine(numba_msm(pts, ks))
    for threads in (1, 2, 5):
        assert (group.to_affine(native_msm.msm(pts, ks, compiled, threads)) == expected).all()
    assert group.to_ints(group.to_affine(native_msm.msm(pts[:0], ks[:0], compiled, 2))) == [None]
    too_big = ks.copy()
    too_big[5] = [(R >> (64 * i)) & (2**64 - 1) for i in range(4)]  # r itself
    with pytest.raises(InputError, match="below r"):
        native_msm.msm(pts, too_big, compiled, 2)


def test_the_compiled_ntts_equal_numbas(compiled):
    rng = np.random.default_rng(3)
    for log_n in (0, 1, 3, 10, 12):
        a = fr.from_ints(rng.integers(0, 2**62, 1 << log_n).tolist())
        assert (native_ntt.ntt(compiled, a) == ntt.ntt(a)).all()
        assert (native_ntt.intt(compiled, a) == ntt.intt(a)).all()
        assert (native_ntt.coset_ntt(compiled, a) == ntt.coset_ntt(a)).all()
        assert (native_ntt.coset_intt(compiled, a, 7) == ntt.coset_intt(a, 7)).all()
    with pytest.raises(InputError, match="power of two"):
        native_ntt.ntt(compiled, np.zeros((3, 4), np.uint64))


def test_the_compiled_witness_map_rows_equal_numbas(compiled):
    rng = np.random.default_rng(5)
    n, terms, wires = 64, 300, 40
    row = np.sort(rng.integers(0, n, terms))
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=n), out=ptr[1:])
    sig = rng.integers(0, wires, terms).astype(np.int64)
    val = fr.from_ints(rng.integers(0, 2**62, terms).tolist())
    w = fr.from_montgomery(fr.from_ints(rng.integers(0, 2**62, wires).tolist()))
    a, b = np.empty((n, 4), np.uint64), np.empty((n, 4), np.uint64)
    compiled.rows_into(ptr, sig, val, w, a)
    rows.rows_into(ptr, sig, val, w, b)
    assert (a == b).all()
    for fn in ("mul_into",):
        x, y = np.empty_like(a), np.empty_like(a)
        getattr(compiled, fn)(a, a[::-1].copy(), x)
        getattr(rows, fn)(a, a[::-1].copy(), y)
        assert (x == y).all()
    x, y = np.empty_like(a), np.empty_like(a)
    compiled.h_into(a, b[::-1].copy(), a[::-1].copy(), x)
    rows.h_into(a, b[::-1].copy(), a[::-1].copy(), y)
    assert (x == y).all()


def test_a_compiled_call_lets_other_python_threads_run(compiled):
    """The wrappers release the GIL: a Python thread keeps counting while a long compiled call runs."""
    rng = np.random.default_rng(11)
    n = 1 << 14
    pts = _points(g2, rng.integers(1, 50, 64).tolist())
    pts = np.ascontiguousarray(np.tile(pts, (n // 64, 1, 1, 1)))
    digits = rng.integers(-(1 << 9), (1 << 9) + 1, size=(n, 26), dtype=np.int32)
    idx = np.arange(n, dtype=np.int64)
    wins = np.zeros((26, 3, 2, 4), np.uint64)
    call = threading.Thread(target=compiled.windows_into_g2, args=(pts, idx, digits, 10, wins, 0, 26))
    count = 0
    call.start()
    while call.is_alive():
        count += 1
    call.join()
    assert count > 10_000, f"only {count} steps of another thread during the compiled call: the GIL was held"


def test_a_proof_loads_no_numba_in_a_fresh_process(compiled, tmp_path):
    script = (
        "import sys; from zapiki.cli import run; sys.argv = ['zapiki', 'groth16', 'prove', *sys.argv[1:]]\n"
        "try:\n    run()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "print('numba loaded:', 'numba' in sys.modules, 'llvmlite loaded:', 'llvmlite' in sys.modules)"
    )
    proof, public = tmp_path / "proof.json", tmp_path / "public.json"
    out = subprocess.run(
        [sys.executable, "-c", script, MULTIPLIER / "circuit.zkey", MULTIPLIER / "witness.wtns", proof, public],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    assert "numba loaded: False llvmlite loaded: False" in out
    from zapiki.systems.groth16 import verify

    vkey = (MULTIPLIER / "verification_key.json").read_text()
    assert verify(vkey, public.read_text(), proof.read_text())


def test_a_stale_or_disabled_build_is_not_used(compiled, tmp_path, monkeypatch):
    assert subprocess.run(
        [sys.executable, "-c", "from zapiki import native; print(native.module())"],
        capture_output=True, text=True, timeout=60, check=True, env={**os.environ, "ZAPIKI_NATIVE": "off"},
    ).stdout.strip() == "None"  # fmt: skip
    stale = tmp_path / "_bn254.stamp"
    stale.write_text(native.STAMP.read_text().replace(" numba ", " numba 0.0 was "))
    monkeypatch.setattr(native, "STAMP", stale)
    monkeypatch.setattr(native, "_loaded", [])
    assert native.module() is None
    monkeypatch.setattr(native, "STAMP", tmp_path / "missing.stamp")
    monkeypatch.setattr(native, "_loaded", [])
    assert native.module() is None
