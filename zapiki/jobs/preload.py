"""`dask worker tcp://scheduler:8786 --preload zapiki.jobs.preload`: configure logging, load the Dask part
of `scheduler_config.yaml`, and warm the isolated prover processes (in the background: the worker registers at
once; jobs that prove with the kernels wait for the warm-up). ZAPIKI_WARMUP=0 skips the warm-up."""

from __future__ import annotations

import logging
import os
from typing import Any

from zapiki.config import Settings
from zapiki.jobs.worker import configure_logging, warm_worker


def dask_setup(worker: Any) -> None:  # noqa: ANN401
    configure_logging()
    try:
        Settings.load().apply_dask_config()
    except Exception as exc:  # a bad config file must not stop the worker from joining
        logging.getLogger("zapiki.worker").warning("config not loaded: %s", exc)
    if os.environ.get("ZAPIKI_WARMUP", "1") not in ("0", "false", "no"):
        warm_worker(max(1, int(getattr(worker.state, "nthreads", 1) or 1)))
