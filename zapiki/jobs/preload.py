"""`dask worker tcp://scheduler:8786 --preload zapiki.jobs.preload`: configure logging (`zapiki.logs`: one
line per event, at ``$ZAPIKI_LOG_LEVEL``), load the Dask part of `scheduler_config.yaml`, print the seed's start
lines, make the worker drain on shutdown (`zapiki.jobs.drain`), and warm the isolated prover processes (in the
background: the worker registers at once; jobs that prove with the kernels wait for the warm-up).
ZAPIKI_WARMUP=0 skips the warm-up.

The worker's log then reads like the seed's:

    Registered commitment proof system
    Registered groth16 proof system
    Starting worker with 2 concurrent processors
    Processing proof generation: <proof id> (system: groth16) [job <job id>]
    Proof generation completed: <proof id> (took 5300 ms) [job <job id>]
    Shutting down worker...
    Worker stopped
"""

from __future__ import annotations

import logging
import os
from typing import Any

from zapiki import systems
from zapiki.config import Settings
from zapiki.jobs import drain
from zapiki.jobs.worker import configure_logging, warm_worker

log = logging.getLogger("zapiki.worker")


def dask_setup(worker: Any) -> None:  # noqa: ANN401
    configure_logging()
    max_timeout_s = Settings().max_timeout_s
    try:
        settings = Settings.load()
        settings.apply_dask_config()
        max_timeout_s = settings.max_timeout_s
    except Exception as exc:  # a bad config file must not stop the worker from joining
        log.warning("config not loaded: %s", exc)
    for name in systems.names():
        log.info("Registered %s proof system", name)
    nthreads = max(1, int(getattr(worker.state, "nthreads", 1) or 1))
    log.info("Starting worker with %d concurrent processors", nthreads)
    drain.install(worker, max_timeout_s)
    if os.environ.get("ZAPIKI_WARMUP", "1") not in ("0", "false", "no"):
        warm_worker(nthreads)


def dask_teardown(worker: Any) -> None:  # noqa: ANN401
    if getattr(worker, "_zapiki_drain", None) is None:  # closed without draining (the scheduler went away)
        log.info("Shutting down worker...")
    log.info("Worker stopped")
