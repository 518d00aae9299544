"""Benchmark of zapiki.kernels beside py_ecc for the same work, measured in the same run.

Usage:  .venv/bin/python benchmarks/bench_kernels.py [--quick] [--repeat N] [--json out.json]

Kernels are warmed up (compiled or loaded from the cache) before timing; each figure is the best of
``--repeat`` runs. py_ecc (optimized_bn128, pure Python) is timed on a smaller instance of the same work and
extrapolated where the full size would take minutes: such rows say "extrapolated" and from what size.
py_ecc has no NTT; its column there is the pure-Python int FFT of zapiki.kernels.reference, the same
arithmetic py_ecc would do. ``--quick`` skips the 2^20 sizes. The machine is shared: expect noise.

The MSM table compares the kernels compiled ahead of time (zapiki.native, which the prover uses when built:
``python -m zapiki.kernels.aot``) and numba's (at 2^16 only) with the operation-count model of
zapiki.native.msm, for G1 and G2, on 1 thread (CPU time) and 2 threads (wall time). Its points are a proving
key's, repeated cyclically up to n (fine for timing); the model's ns per point is its field multiplications per
point times the measured Fq multiplication, one Fq2 multiplication counted as 3 Fq multiplications for G2.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from functools import partial

import numba
import numpy as np
from numba import njit

from zapiki import native
from zapiki.formats import read_zkey
from zapiki.kernels import fr, g1, g2, msm, ntt, pairing_check, reference, warmup
from zapiki.kernels.constants import R
from zapiki.kernels.fq import fq_mul
from zapiki.kernels.fr import fr_mul
from zapiki.kernels.limbs import load, store
from zapiki.kernels.msm import choose_window, window_cost, windows
from zapiki.native.msm import msm as native_msm

#: The proving key whose A and B2 points the MSM table uses (repeated cyclically up to n).
MSM_ZKEY = "/work/shared/fixtures/groth16/poseidon_chain_2p16/circuit.zkey"
#: Fq multiplications per Fq2 multiplication (Karatsuba) in the G2 cost model.
FQ2_MUL_IN_FQ = 3


@njit
def _mul_chain(mul, a: np.ndarray, b: np.ndarray, n: int, out: np.ndarray) -> None:  # noqa: ANN001
    """n dependent multiplications by `mul` (fr_mul or fq_mul; fq_mul is the unit of the MSM cost model)."""
    x = load(a, 0)
    y = load(b, 0)
    for _ in range(n):
        x = mul(x, y)
    store(out, 0, x)


def msm_model_ns_per_point(n: int, threads: int, fq_mul_s: float) -> tuple[float, float]:
    """(field multiplications per point, ns per point) that zapiki.kernels.msm's own operation count predicts
    for n points on `threads` threads at `fq_mul_s` seconds per Fq multiplication: the machine's limit for this
    algorithm, if nothing but multiplications cost time."""
    c = choose_window(n, threads)
    mults = windows(c) * window_cost(n, c) / n
    return mults, mults * fq_mul_s * 1e9 * math.ceil(windows(c) / threads) / windows(c)


def best_of(fn, repeat: int, clock=time.perf_counter) -> float:  # noqa: ANN001
    best = math.inf
    for _ in range(repeat):
        t0 = clock()
        fn()
        best = min(best, clock() - t0)
    return best


def fmt(sec: float) -> str:
    if sec < 1e-6:
        return f"{sec * 1e9:.1f} ns"
    if sec < 1e-3:
        return f"{sec * 1e6:.1f} us"
    if sec < 1:
        return f"{sec * 1e3:.1f} ms"
    return f"{sec:.2f} s"


ROWS: list[dict] = []


def report(name: str, ours: float, pyecc: float | None, note: str = "") -> None:
    speedup = f"{pyecc / ours:,.0f}x" if pyecc else "-"
    print(f"{name:<34} {fmt(ours):>12} {fmt(pyecc) if pyecc else '-':>12} {speedup:>10}  {note}", flush=True)
    ROWS.append({"name": name, "ours_s": ours, "py_ecc_s": pyecc, "note": note})


def consecutive_points(group, n: int) -> np.ndarray:
    """Affine [1]G, [2]G, ..., [n]G by log2(n) vectorised additions and one batch normalisation."""
    jac = group.to_jacobian(group.generator())
    while jac.shape[0] < n:
        m = jac.shape[0]
        step = group.scalar_mul(jac[m - 1 : m], [1])  # [m]G
        jac = np.concatenate([jac, group.add(jac, np.repeat(step, m, 0))])
    return group.to_affine(jac[:n])


def random_scalars(n: int, rng: np.random.Generator) -> np.ndarray:
    k = rng.integers(0, 2**64, size=(n, 4), dtype=np.uint64)
    k[:, 3] &= np.uint64((1 << 61) - 1)  # below 2^253 < r
    return k


def key_points(n: int) -> dict[str, np.ndarray]:
    """n affine G1 and G2 points from :data:`MSM_ZKEY` (its A and B2 points, those at infinity dropped),
    repeated cyclically up to n: distinct in memory, so as costly as random points for the MSM."""
    key = read_zkey(MSM_ZKEY)
    out = {}
    for group, base in (("G1", key.a), ("G2", key.b2)):
        base = base[base.reshape(base.shape[0], -1).any(axis=1)]
        out[group] = np.resize(base, (n, *base.shape[1:]))
    return out


def _run_msm(name: str, mod, pts: np.ndarray, ks: np.ndarray, threads: int) -> np.ndarray:  # noqa: ANN001
    """One MSM on the compiled kernels (``mod``) or numba's, over ``threads`` threads."""
    if name == "compiled":
        return native_msm(pts, ks, mod, threads)
    numba.set_num_threads(threads)
    try:
        return msm(pts, ks)
    finally:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)


def msm_table(log_sizes: list[int], threads_list: list[int], fq_mul_s: float, repeat: int, rng) -> None:  # noqa: ANN001
    """The compiled MSM (and numba's at 2^16) beside the cost model; results checked equal once per size."""
    mod = native.module()
    if mod is None:
        print("MSM, compiled kernels: not built (python -m zapiki.kernels.aot); numba's MSM is timed above")
        return
    print(
        f"{'MSM (1 thread: CPU, 2: wall)':<34} {'ms':>9} {'ns/point':>9} {'model':>9} {'meas/model':>10}"
        f"  window, field mults/point (G2: Fq2 mults, 1 Fq2 mul = {FQ2_MUL_IN_FQ} Fq mul)"
    )
    for log_n in log_sizes:
        n = 1 << log_n
        points = key_points(n)
        ks = random_scalars(n, rng)
        for group, curve in (("G1", g1), ("G2", g2)):
            pts = points[group]
            per_mul = fq_mul_s * (FQ2_MUL_IN_FQ if group == "G2" else 1)
            # numba's result, the reference for this size (at 2^20 numba's MSM runs once, untimed)
            expected = curve.to_affine(_run_msm("numba", mod, pts, ks, max(threads_list)))
            for name in ("compiled", "numba") if log_n <= 16 else ("compiled",):
                for threads in threads_list:
                    run = partial(_run_msm, name, mod, pts, ks, threads)
                    result = run()  # also the warm-up
                    assert np.array_equal(curve.to_affine(result), expected), (group, log_n, name, threads)
                    clock = time.process_time if threads == 1 else time.perf_counter
                    t = best_of(run, repeat if log_n < 20 else max(1, repeat - 1), clock)
                    mults, model = msm_model_ns_per_point(n, threads, per_mul)
                    measured = t * 1e9 / n
                    label = f"  {group} 2^{log_n} {name}, {threads} thread(s)"
                    c = choose_window(n, threads)
                    print(
                        f"{label:<34} {t * 1e3:>9.1f} {measured:>9.0f} {model:>9.0f} {measured / model:>10.2f}"
                        f"  c={c}, {mults:.1f}",
                        flush=True,
                    )
                    ROWS.append(
                        {
                            "name": f"{group} MSM 2^{log_n} {name} {threads}t",
                            "clock": "cpu" if threads == 1 else "wall",
                            "ours_s": t,
                            "measured_ns_per_point": measured,
                            "model_ns_per_point": model,
                            "window": c,
                            "field_mults_per_point": mults,
                            "fq_mul_per_field_mul": FQ2_MUL_IN_FQ if group == "G2" else 1,
                        }
                    )
        del points


def pyecc_msm_time(group_name: str, n_small: int) -> float:
    """Seconds per point of a naive py_ecc MSM (multiply + add), from n_small points."""
    from py_ecc import optimized_bn128 as bn

    gen = bn.G1 if group_name == "G1" else bn.G2
    pts = [bn.multiply(gen, i + 2) for i in range(n_small)]
    ks = [(i * 0x9E3779B97F4A7C15 + 12345) ** 3 % R for i in range(n_small)]
    t0 = time.perf_counter()
    acc = None
    for p, k in zip(pts, ks, strict=True):
        acc = bn.add(acc, bn.multiply(p, k)) if acc is not None else bn.multiply(p, k)
    return (time.perf_counter() - t0) / n_small


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the 2^20 sizes")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    max_threads = numba.config.NUMBA_NUM_THREADS

    t0 = time.perf_counter()
    warmup()
    print(f"warmup (compile or cache load): {time.perf_counter() - t0:.1f} s; threads available: {max_threads}")
    print(f"{'operation':<34} {'zapiki':>12} {'py_ecc':>12} {'speedup':>10}  note")

    # -- Fr multiply -------------------------------------------------------------------------------------
    a = fr.from_ints([int(rng.integers(1, 2**62)) * 7919])
    b = fr.from_ints([int(rng.integers(1, 2**62)) * 104729])
    out = np.empty((1, 4), np.uint64)
    n_chain = 5_000_000
    _mul_chain(fr_mul, a, b, 10, out)
    lat = best_of(lambda: _mul_chain(fr_mul, a, b, n_chain, out), args.repeat) / n_chain
    xs = fr.from_ints([int(v) for v in rng.integers(1, 2**62, 1 << 16)])
    ys = xs[::-1].copy()
    thr = best_of(lambda: fr.mul(xs, ys), args.repeat) / xs.shape[0]
    from py_ecc.fields.field_elements import FQ

    class PyFR(FQ):
        field_modulus = R

    pa, pb = PyFR(123456789123456789), PyFR(987654321987654321)
    n_py = 100_000
    t_py = best_of(lambda: [pa * pb for _ in range(n_py)], 2) / n_py
    report("Fr mul, dependent chain", lat, t_py, "target <= 35 ns; py_ecc: FQ(mod r) * FQ(mod r)")
    report("Fr mul, vectorised 2^16", thr, t_py, "per element, incl. array overhead")

    fa, fb = g1.generator()[0, 0].reshape(1, 4).copy(), g1.generator()[0, 1].reshape(1, 4).copy()
    _mul_chain(fq_mul, fa, fb, 10, out)
    fq_lat = best_of(lambda: _mul_chain(fq_mul, fa, fb, n_chain, out), args.repeat) / n_chain
    report("Fq mul, dependent chain", fq_lat, None, "the unit of the MSM cost model below")

    # -- G1 MSM ---------------------------------------------------------------------------------------------
    py_g1 = pyecc_msm_time("G1", 4)
    model_rows = []
    sizes = [12, 16] if args.quick else [12, 16, 20]
    for log_n in sizes:
        n = 1 << log_n
        pts = consecutive_points(g1, n)
        ks = random_scalars(n, rng)
        for threads in sorted({1, min(2, max_threads)}):
            numba.set_num_threads(threads)
            t = best_of(lambda pts=pts, ks=ks: msm(pts, ks), args.repeat if log_n < 20 else 1)
            report(
                f"G1 MSM 2^{log_n}, {threads} thread(s)",
                t,
                py_g1 * n,
                "py_ecc extrapolated from 4 points (naive multiply + add)",
            )
            model_rows.append((log_n, threads, t * 1e9 / n, *msm_model_ns_per_point(n, threads, fq_lat)))
        numba.set_num_threads(max_threads)
        del pts

    print(f"{'G1 MSM: ns per point':<34} {'measured':>12} {'model':>12} {'measured/model':>15}  Fq mults/point")
    for log_n, threads, measured, mults, model in model_rows:
        label = f"  2^{log_n}, {threads} thread(s)"
        print(f"{label:<34} {measured:>12.0f} {model:>12.0f} {measured / model:>15.2f}  {mults:.1f}")
        ROWS.append({"name": f"G1 MSM 2^{log_n} {threads}t ns/point", "measured_ns": measured, "model_ns": model})

    # -- G2 MSM ---------------------------------------------------------------------------------------------
    py_g2 = pyecc_msm_time("G2", 2)
    n = 1 << 16
    pts = consecutive_points(g2, n)
    ks = random_scalars(n, rng)
    for threads in sorted({1, min(2, max_threads)}):
        numba.set_num_threads(threads)
        t = best_of(lambda: msm(pts, ks), max(1, args.repeat - 1))
        report(f"G2 MSM 2^16, {threads} thread(s)", t, py_g2 * n, "py_ecc extrapolated from 2 points")
    numba.set_num_threads(max_threads)

    # -- MSM: compiled kernels (and numba's) beside the cost model -------------------------------------------
    msm_table([16] if args.quick else [16, 20], sorted({1, min(2, max_threads)}), fq_lat, args.repeat, rng)

    # -- NTT ------------------------------------------------------------------------------------------------
    small = 1 << 12
    vals = [int(v) for v in rng.integers(0, 2**62, small)]
    t_ref = best_of(lambda: reference.ntt(vals), 1)
    for log_n in [16] if args.quick else [16, 20]:
        n = 1 << log_n
        arr = fr.from_ints([int(v) for v in rng.integers(0, 2**62, n)])
        ntt.ntt(arr)  # twiddles
        t = best_of(lambda arr=arr: ntt.ntt(arr), args.repeat)
        ref_est = t_ref * (n * log_n) / (small * 12)
        report(f"NTT 2^{log_n} forward", t, ref_est, "pure-Python FFT extrapolated (n log n) from 2^12")
        t = best_of(lambda arr=arr: ntt.coset_ntt(arr), args.repeat)
        report(f"NTT 2^{log_n} coset forward", t, None)

    # -- pairing check ----------------------------------------------------------------------------------------
    from py_ecc import optimized_bn128 as bn

    a_, b_, c_, d_ = 11, 13, 17, 19
    x_, y_ = 5, (a_ * b_ - c_ * d_ - 5) * pow(2, -1, R) % R
    ps = g1.from_ints([reference.multiply(reference.G1, k) for k in (R - a_, c_, x_, y_)])
    qs = g2.from_ints([reference.multiply(reference.G2, k) for k in (b_, d_, 1, 2)])
    assert pairing_check(ps, qs)
    t = best_of(lambda: pairing_check(ps, qs), args.repeat)
    t_nov = best_of(lambda: pairing_check(ps, qs, validate=False), args.repeat)
    py_ps = [bn.multiply(bn.G1, k) for k in (R - a_, c_, x_, y_)]
    py_qs = [bn.multiply(bn.G2, k) for k in (b_, d_, 1, 2)]

    def py_check() -> bool:
        f = bn.FQ12.one()
        for p, q in zip(py_ps, py_qs, strict=True):
            f = f * bn.pairing(q, p, final_exponentiate=False)
        return bn.final_exponentiate(f) == bn.FQ12.one()

    t_py = best_of(py_check, 1)
    report("pairing check, 4 pairs", t, t_py, "incl. point validation (G2 subgroup checks)")
    report("pairing check, 4 pairs, no checks", t_nov, t_py, "py_ecc: 4 Miller loops + 1 final exp")

    if args.json:
        with open(args.json, "w") as fh:
            json.dump(ROWS, fh, indent=2)


if __name__ == "__main__":
    main()
