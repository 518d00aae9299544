"""Logs: one line per event with time, logger and level, at ZAPIKI_LOG_LEVEL (`zapiki.logs.configure`); a
`zapiki worker` logs every job it runs (with its job id), while the local cluster `zapiki.connect()` starts
for a notebook keeps those per-job lines out of the notebook's cells."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from realprocs import Cluster

import zapiki

LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - (?P<name>[\w.]+) - (?P<level>[A-Z]+) - (?P<message>.*)$")
PER_JOB = ("Processing proof generation", "Proof generation completed")


def _log_in_a_process(level=None):
    code = (
        "import logging; from zapiki.logs import configure; configure(); configure(); "
        "logging.getLogger('zapiki.probe').info('an info line'); "
        "logging.getLogger('zapiki.probe').warning('a warning line')"
    )
    env = {k: v for k, v in os.environ.items() if k != "ZAPIKI_LOG_LEVEL"}
    if level is not None:
        env["ZAPIKI_LOG_LEVEL"] = level
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0 and done.stdout == "", done.stderr
    return done.stderr.splitlines()


def test_one_line_per_event_with_time_logger_and_level_at_zapiki_log_level():
    lines = _log_in_a_process()
    assert [LINE.match(line).group("name", "level", "message") for line in lines] == [
        ("zapiki.probe", "INFO", "an info line"),
        ("zapiki.probe", "WARNING", "a warning line"),
    ]  # once each, though configure() ran twice
    assert [LINE.match(line).group("level") for line in _log_in_a_process("warning")] == ["WARNING"]
    assert len(_log_in_a_process("DEBUG")) == 2
    typo = _log_in_a_process("loud")  # reported, and INFO used: a typo does not stop a worker from joining
    assert "ZAPIKI_LOG_LEVEL='loud' is not a log level" in typo[0]
    assert [LINE.match(line).group("level") for line in typo[-2:]] == ["INFO", "WARNING"]


def _batch_through_connect(sqlite_url):
    zk = zapiki.connect(sqlite_url, n_workers=1, threads_per_worker=1)
    try:
        batch = zk.submit_many("commitment", [f"item {i}" for i in range(5)], progress=False).wait(
            timeout=120, progress=False
        )
        assert batch.counts() == {"completed": 5}
    finally:
        zk.close()


def test_the_notebook_local_cluster_keeps_per_job_lines_out_of_the_cell(sqlite_url, capfd, monkeypatch):
    monkeypatch.setenv("ZAPIKI_WARMUP", "0")
    monkeypatch.delenv("ZAPIKI_LOG_LEVEL", raising=False)
    capfd.readouterr()
    _batch_through_connect(sqlite_url)
    out, err = capfd.readouterr()
    assert not any(text in out + err for text in PER_JOB), (out + err)[-3000:]


def test_zapiki_log_level_brings_them_back_in_the_local_cluster(sqlite_url, capfd, monkeypatch):
    # the control of the test above: the workers' stderr is this process's, and captured
    monkeypatch.setenv("ZAPIKI_WARMUP", "0")
    monkeypatch.setenv("ZAPIKI_LOG_LEVEL", "INFO")
    capfd.readouterr()
    _batch_through_connect(sqlite_url)
    out, err = capfd.readouterr()
    assert (out + err).count("Processing proof generation") == 5, (out + err)[-3000:]


@pytest.fixture
def procs(tmp_path, free_port):
    cluster = Cluster(tmp_path, free_port())
    yield cluster
    cluster.close()


def test_a_zapiki_worker_logs_every_job_with_its_job_id(procs, sqlite_url, monkeypatch):
    monkeypatch.delenv("ZAPIKI_LOG_LEVEL", raising=False)
    worker = procs.worker("w1", supervised=True)
    zk = zapiki.connect(sqlite_url, scheduler=procs.address)
    try:
        batch = zk.submit_many("commitment", ["a", "b", "c"], progress=False).wait(timeout=120, progress=False)
        ids = [job.id for job in batch]
        proofs = [job.info()["proof_id"] for job in batch]
    finally:
        zk.close()
    log = worker.log_path.read_text(errors="replace")
    for job_id, proof_id in zip(ids, proofs, strict=True):
        started = f"Processing proof generation: {proof_id} (system: commitment) [job {job_id}]"
        done = f"Proof generation completed: {proof_id} (took "
        lines = [LINE.match(line) for line in log.splitlines() if started in line or done in line]
        assert len(lines) == 2 and all(m and m["name"] == "zapiki.worker" and m["level"] == "INFO" for m in lines), log
        assert lines[1]["message"].endswith(f"[job {job_id}]")
