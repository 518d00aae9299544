"""`bounded()`: a block must come back quickly and allocate little (for inputs that lie about their sizes)."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def bounded(max_seconds: float = 1.0, max_peak: int = 1 << 20) -> Iterator[None]:
    """Fail if the block takes longer than ``max_seconds`` or its peak traced allocation (numpy's buffers
    included) exceeds ``max_peak`` bytes."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] - base
        if not was_tracing:
            tracemalloc.stop()
    assert elapsed < max_seconds, f"took {elapsed:.2f} s"
    assert peak < max_peak, f"peak allocation {peak} bytes"
