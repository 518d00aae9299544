"""JIT cost: warmup compiles everything once, a second process loads every kernel from numba's cache."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import zapiki.kernels as kernels

ROOT = Path(__file__).resolve().parents[2]

COUNT_MISSES = """
import json, sys
import zapiki.kernels as k
from numba.core.dispatcher import Dispatcher
k.warmup()
misses, hits = {}, 0
for name, mod in sys.modules.items():
    if not name.startswith("zapiki.kernels"):
        continue
    for attr, obj in vars(mod).items():
        if isinstance(obj, Dispatcher):
            hits += sum(obj.stats.cache_hits.values())
            if sum(obj.stats.cache_misses.values()):
                misses[f"{name}.{attr}"] = sum(obj.stats.cache_misses.values())
print(json.dumps({"misses": misses, "hits": hits}))
"""


def test_warmup_covers_every_part():
    assert sorted(kernels.warmup()) == ["fields", "g1", "g2", "msm", "ntt", "pairing"]


@pytest.mark.slow
def test_second_process_loads_every_kernel_from_cache():
    kernels.warmup()  # compiled (and cached) by now in any case
    out = subprocess.run(
        [sys.executable, "-c", COUNT_MISSES], cwd=ROOT, capture_output=True, text=True, timeout=600, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["misses"] == {}
    assert result["hits"] > 20
