"""`zapiki worker SCHEDULER [dask worker options]` (what `make run-worker` runs): a `dask worker` with Zapiki's
preload, restarted when it dies, and stopped for good when asked. With `--certs DIR` (a folder made by
`zapiki cluster certs`) it joins a private cluster: TLS with the worker's certificate, to a `tls://` scheduler.

- Whenever the worker exits without being asked to by the supervisor (a crash, a lost scheduler: Dask workers
  exit rather than reconnect to a new scheduler, a retirement), it is started again after 2 s.
- SIGTERM or SIGINT to the supervisor (or Ctrl-C in its terminal) is passed to the worker once per signal: the
  first makes it drain (finish its running jobs, hand back the rest) and exit 0, and then the supervisor exits
  0 without restarting it; a second stops the worker at once. The worker runs in its own session so that a
  terminal's Ctrl-C reaches it only through the supervisor, exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

from zapiki.errors import InputError

PRELOAD = "zapiki.jobs.preload"
RESTART_DELAY_S = 2.0


def worker_command(scheduler: str, extra: Sequence[str] = (), certs: str | os.PathLike[str] | None = None) -> list[str]:
    """The `dask worker` command line for `scheduler`, with Zapiki's preload, and with `certs` (a folder made by
    `zapiki cluster certs`) the worker's TLS options: ``ca.pem``, ``worker.pem`` and ``worker-key.pem``.

    >>> worker_command("tcp://sched:8786", ["--nthreads", "2"])[-5:]
    ['tcp://sched:8786', '--preload', 'zapiki.jobs.preload', '--nthreads', '2']

    A private cluster needs a ``tls://`` address and the folder's files (an InputError says what is missing):

    >>> worker_command("tcp://sched:8786", certs="certs")
    Traceback (most recent call last):
    ...
    zapiki.errors.InputError: --certs needs a tls:// scheduler address, not tcp://sched:8786
    """
    tls: list[str] = []
    if certs is not None:
        from zapiki.cluster_security import dask_tls_args

        if not scheduler.startswith("tls://"):
            raise InputError(f"--certs needs a tls:// scheduler address, not {scheduler}")
        tls = dask_tls_args(certs, "worker")
    return [sys.executable, "-m", "distributed.cli.dask_worker", scheduler, "--preload", PRELOAD, *tls, *extra]


def supervise(command: Sequence[str], restart_delay_s: float = RESTART_DELAY_S) -> int:
    """Run `command` again and again until a signal asks it to stop; then 0 if it stopped cleanly, else 1."""
    signals: list[int] = []
    child: subprocess.Popen[bytes] | None = None

    def _forward(signum: int, _frame: object) -> None:
        signals.append(signum)
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, _forward)
    signal.signal(signal.SIGINT, _forward)
    while True:
        child = subprocess.Popen(list(command), start_new_session=True)
        status = child.wait()
        if signals:
            return 0 if status == 0 else 1
        print(f"worker exited with status {status}; restarting in {restart_delay_s:g} s", file=sys.stderr, flush=True)
        deadline = time.monotonic() + restart_delay_s
        while time.monotonic() < deadline and not signals:
            time.sleep(0.1)
        if signals:
            return 0
