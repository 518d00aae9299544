"""Configuration comes from scheduler_config.yaml with environment overrides; documented examples run."""

import doctest
import importlib

import pytest

from zapiki.config import Settings
from zapiki.errors import InputError

DOCUMENTED = [
    "zapiki",
    "zapiki.client",
    "zapiki.service",
    "zapiki.config",
    "zapiki.errors",
    "zapiki.systems",
    "zapiki.systems.commitment",
    "zapiki.jobs.picker",
    "zapiki.api.ratelimit",
    "zapiki.store.db",
    "zapiki.jobs.worker",
    "zapiki.jobs.drain",
    "zapiki.jobs.supervise",
    "zapiki.privatefiles",
    "zapiki.witness.sandbox",
    "zapiki.kernels.msm",
    "zapiki.lazy",
]


@pytest.mark.parametrize("module", DOCUMENTED)
def test_documented_examples_run(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_the_shipped_config_file_holds_the_documented_defaults():
    s = Settings.load("scheduler_config.yaml", env={})
    assert s.queue_weights == {"high": 6, "normal": 3, "low": 1} and not s.strict_priority
    assert s.retry_delays_s == (0.0, 60.0, 300.0) and s.max_retries == 3
    assert s.default_timeout_s == s.max_timeout_s == 600.0
    assert s.shutdown_grace_s == 30.0
    assert s.database_url.startswith("sqlite:///")
    assert "distributed" in s.dask  # the Dask part, for dask.config


def test_environment_overrides_the_file():
    env = {"DATABASE_URL": "postgresql://u:p@h/db", "WORKER_CONCURRENCY": "4", "QUEUE_NORMAL_PRIORITY": "5"}
    s = Settings.load("scheduler_config.yaml", env=env)
    assert s.database_url == "postgresql://u:p@h/db"
    assert s.worker_concurrency == 4 and s.queue_weights["normal"] == 5


def test_strict_mode_and_schedules_come_from_the_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("zapiki:\n  queues: {strict: true}\n  retry: {max_retries: 1, delays_s: [2, 4]}\n")
    s = Settings.load(path, env={})
    assert s.strict_priority and s.max_retries == 1
    assert [s.retry_delay(n) for n in (1, 2, 3)] == [2.0, 4.0, 4.0]


@pytest.mark.parametrize(
    "text",
    ["zapiki:\n  queues: {high: -1}\n", "zapiki:\n  timeout: {default_s: 900, max_s: 600}\n", "[1, 2]\n", "a: [\n"],
)
def test_a_bad_config_is_named(tmp_path, text):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError):
        Settings.load(path, env={})
