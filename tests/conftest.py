"""Shared fixtures: a fresh database per test (SQLite file, and PostgreSQL when a server is configured — in CI
it always is, and a missing server fails the run), and an in-process-launched local Dask cluster."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from zapiki.chaos.processes import free_port, postgres_bin

os.environ.setdefault("ZAPIKI_DIAGNOSTICS", "1")  # before any worker process starts: they inherit it

POSTGRES_URL = os.environ.get("ZAPIKI_TEST_POSTGRES_URL", "")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

BACKENDS = ["sqlite", "postgresql"]


_THROWAWAY: list[Any] = []  # (server, folder) of the PostgreSQL server this run started, if it started one


def _postgres_server_url() -> str:
    """ZAPIKI_TEST_POSTGRES_URL; else, where Debian's PostgreSQL server binaries are installed, a throwaway server
    of this run's own (initdb in a temporary folder, stopped when the run ends); else ''."""
    global POSTGRES_URL
    if POSTGRES_URL or _THROWAWAY:
        return POSTGRES_URL
    import tempfile

    if postgres_bin() is None:
        return ""
    from zapiki.chaos.processes import PrivatePostgres

    folder = Path(tempfile.mkdtemp(prefix="zapiki-test-pg-"))
    server = PrivatePostgres(folder / "pg", free_port())
    server.start()
    _THROWAWAY.append((server, folder))
    POSTGRES_URL = os.environ["ZAPIKI_TEST_POSTGRES_URL"] = server.url
    return POSTGRES_URL


def _postgres_database() -> Iterator[str]:
    import sqlalchemy as sa

    if not _postgres_server_url():
        if IN_CI:
            pytest.fail("ZAPIKI_TEST_POSTGRES_URL is not set: CI must run the suite against PostgreSQL")
        pytest.skip(
            "no PostgreSQL: `apt-get install postgresql` (the suite then starts a server of its own) "
            "or set ZAPIKI_TEST_POSTGRES_URL"
        )
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"zt_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


REPO = Path(__file__).resolve().parent.parent


def _find_snarkjs() -> str | None:
    env = os.environ.get("ZAPIKI_SNARKJS")
    if env:
        return env if Path(env).exists() or shutil.which(env) else None
    local = REPO / ".ci" / "node" / "node_modules" / ".bin" / "snarkjs"
    return str(local) if local.exists() and shutil.which("node") else None


@pytest.fixture(scope="session")
def snarkjs() -> Callable[..., subprocess.CompletedProcess]:
    """Run ``snarkjs ARGS...`` (0.7.6 from ``npm install --prefix .ci/node snarkjs@0.7.6``, or
    ``$ZAPIKI_SNARKJS``); returns the completed process. Missing: skipped locally, a failure in CI."""
    exe = _find_snarkjs()
    if exe is None:
        message = "snarkjs not found: run `npm install --prefix .ci/node snarkjs@0.7.6` or set ZAPIKI_SNARKJS"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)

    def run(*args: str | Path, cwd: str | Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, timeout=120, cwd=cwd)

    return run


@pytest.fixture
def snarkjs_verifies(snarkjs: Callable[..., subprocess.CompletedProcess], tmp_path: Path) -> Callable[..., None]:
    """`check(verification_key, public_signals, proof)`: asserts `snarkjs groth16 verify` accepts them (written to
    files as snarkjs reads them)."""

    def check(verification_key: Any, public_signals: Any, proof: Any) -> None:
        folder = tmp_path / "snarkjs-verify"
        folder.mkdir(exist_ok=True)
        for name, obj in (("vk.json", verification_key), ("public.json", public_signals), ("proof.json", proof)):
            (folder / name).write_text(json.dumps(obj))
        done = snarkjs("groth16", "verify", "vk.json", "public.json", "proof.json", cwd=folder)
        assert done.returncode == 0 and "OK" in done.stdout, done.stdout + done.stderr

    return check


@pytest.fixture(name="free_port")
def free_port_fixture() -> Callable[[], int]:
    return free_port


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A URL of an empty database, once per backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/zapiki.db"
    else:
        yield from _postgres_database()


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path}/zapiki.db"


@pytest.fixture(scope="session")
def cluster() -> Iterator[Any]:
    """One worker process with one thread: the saturated case the fairness rules are written for."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as lc:
        with Client(lc) as client:
            client.wait_for_workers(1)
            yield client


@pytest.fixture
def settings() -> Any:
    """Settings for tests: short retry delays and leases, so behaviour shows within seconds."""
    from zapiki.config import Settings

    return replace(Settings.load(env={}), retry_delays_s=(0.0, 0.5, 1.0), lease_s=3.0)


@pytest.fixture
def make_service(cluster: Any, settings: Any) -> Iterator[Callable[..., Any]]:
    """Open a service on a database URL with the shared cluster; closed after the test."""
    from zapiki.service import ZapikiService

    opened = []

    def _make(url: str, client: Any = cluster, **overrides: Any) -> Any:
        svc = ZapikiService.open(url, client, replace(settings, **overrides))
        opened.append(svc)
        return svc

    yield _make
    for svc in opened:
        svc.close()


def wait_until(condition: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05) -> Any:
    """Poll `condition` until it returns something truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


@pytest.fixture
def until() -> Callable[..., Any]:
    """`until(condition, timeout)`: poll until condition() is truthy, else fail."""
    return wait_until


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a failure: what a test needs must be installed, not skipped. A throwaway
    PostgreSQL server this run started is stopped."""
    for server, folder in _THROWAWAY:
        try:
            server.stop()
        except Exception as exc:  # noqa: BLE001 - report, and still remove its folder
            print(f"could not stop the throwaway PostgreSQL server: {exc}")
        shutil.rmtree(folder, ignore_errors=True)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if IN_CI and skipped and exitstatus == 0:
        reporter.write_line(f"CI: {skipped} test(s) skipped; failing the run", red=True)
        session.exitstatus = 1


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels() -> None:
    """Compile (or load from numba's cache) every kernel once, before any test: on a fresh machine that takes
    minutes, and it must not land inside a test's HTTP request or job deadline. Later processes (workers'
    provers) load the same cache."""
    from pathlib import Path

    from zapiki.formats import read_wtns
    from zapiki.kernels import warmup
    from zapiki.systems import groth16

    warmup()
    fx = Path(__file__).resolve().parent / "fixtures" / "groth16" / "multiplier"
    zkey = (fx / "circuit.zkey").read_bytes()
    out = groth16.prove(groth16.load_proving_key(zkey), read_wtns(fx / "witness.wtns").values)
    assert groth16.verify(groth16.export_vkey(zkey), out.public_json(), out.proof_json())
    groth16.dev_setup((fx / "circuit.r1cs").read_bytes())


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """What was skipped, one line per reason with the command that brings what was missing; and the fault
    tests' figures (jobs submitted, completed, failed, lost, completed twice, runs, recovery)."""
    from collections import Counter

    reasons: Counter[str] = Counter()
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    if reasons:
        terminalreporter.section("skipped, and how to run them")
        for reason, n in reasons.most_common():
            terminalreporter.write_line(f"{n} skipped: {reason}")
    try:
        from realprocs import REPORTED
    except ImportError:
        return
    if REPORTED:
        terminalreporter.section("fault figures")
        for item in REPORTED:
            terminalreporter.write_line(item.line())


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL of an empty PostgreSQL database (for what only PostgreSQL has, such as the soak's audit trail)."""
    yield from _postgres_database()
