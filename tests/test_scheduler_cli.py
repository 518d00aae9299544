"""`zapiki scheduler`: the scheduler role of a private cluster, started from the certificates of `zapiki cluster
certs`: TLS only (a client with the cluster's certificate connects, a plain TCP one is refused), the process
becomes `dask scheduler` (exec: the signals reach it), and SIGTERM stops it cleanly."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import psutil
import pytest
from realprocs import ENV, kill_tree, start_logged, wait_for_log


@pytest.fixture
def certs(tmp_path):
    folder = tmp_path / "certs"
    done = subprocess.run(
        [sys.executable, "-m", "zapiki.cli", "cluster", "certs", str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return folder


def test_zapiki_scheduler_serves_tls_only_and_stops_on_sigterm(tmp_path, certs, free_port):
    from distributed import Client

    from zapiki.cluster_security import security_from

    port = free_port()
    cmd = [sys.executable, "-m", "zapiki.cli", "scheduler", "--certs", str(certs), "--port", str(port)]
    proc = start_logged([*cmd, "--dashboard-port", "0"], tmp_path / "scheduler.log")
    try:
        log = wait_for_log(proc, "Scheduler at:", 120)
        assert re.search(rf"Scheduler at: +tls://[^ ]+:{port}$", log, re.M), log
        assert " - zapiki.scheduler - INFO - starting a TLS-only Dask scheduler" in log
        assert "Dask configuration from" in log  # the repository's scheduler_config.yaml (found beside the code)
        # exec: the process started is the scheduler itself, so a signal reaches it, not a wrapper
        assert "distributed.cli.dask_scheduler" in " ".join(psutil.Process(proc.pid).cmdline())
        with Client(f"tls://127.0.0.1:{port}", security=security_from(certs), timeout=30) as client:
            assert client.scheduler_info()["address"].startswith("tls://")
            assert client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.allowed_failures) == 3  # the yaml's
        with pytest.raises(OSError):  # plain TCP: refused
            Client(f"tcp://127.0.0.1:{port}", timeout=3)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert "Scheduler closing" in proc.log() or "End scheduler" in proc.log(), proc.log()
    finally:
        kill_tree(proc)


def test_zapiki_log_level_applies_to_dask_s_own_lines(tmp_path, certs, free_port):
    port = free_port()
    cmd = [sys.executable, "-m", "zapiki.cli", "scheduler", "--certs", str(certs), "--port", str(port)]
    proc = start_logged([*cmd, "--no-dashboard"], tmp_path / "quiet.log", env={**ENV, "ZAPIKI_LOG_LEVEL": "WARNING"})
    try:
        import socket
        import time

        deadline = time.monotonic() + 120
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert proc.poll() is None and time.monotonic() < deadline, proc.log()
            time.sleep(0.1)
        assert "Scheduler at:" not in proc.log() and " INFO " not in proc.log(), proc.log()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        kill_tree(proc)


def test_missing_certificates_are_named(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "zapiki.cli", "scheduler", "--certs", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "scheduler-key.pem" in done.stdout + done.stderr
