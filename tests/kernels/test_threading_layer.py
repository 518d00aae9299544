"""The kernels never run on numba's "workqueue" threading layer, which is not thread-safe: the prover runs
parallel kernels from several threads at once. Unless the user picked a layer, importing the kernels asks numba
for a thread-safe one (OpenMP or TBB)."""

from __future__ import annotations

import os
import subprocess
import sys


def test_parallel_kernels_from_several_threads_run_on_a_thread_safe_layer():
    code = """
import threading
import numba
import numpy as np
from zapiki.kernels import fr, g1, msm
assert numba.config.THREADING_LAYER == "threadsafe", numba.config.THREADING_LAYER
pts = g1.to_affine(g1.scalar_mul(g1.to_jacobian(np.repeat(g1.generator(), 64, 0)), list(range(1, 65))))
scalars = fr.from_montgomery(fr.from_ints(list(range(7, 71))))
expected = g1.to_ints(g1.to_affine(msm(pts, scalars)))
results = []
def run():
    for _ in range(5):
        results.append(g1.to_ints(g1.to_affine(msm(pts, scalars))))
threads = [threading.Thread(target=run) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert results == [expected] * 20
print(numba.threading_layer())
"""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_THREADING_LAYER"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-1] in ("omp", "tbb")


def test_a_layer_the_user_chose_is_kept():
    env = {**os.environ, "NUMBA_THREADING_LAYER": "omp"}
    code = "import numba, zapiki.kernels; print(numba.config.THREADING_LAYER)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0 and done.stdout.split()[-1] == "omp", done.stderr[-2000:]
