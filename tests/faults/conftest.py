"""Fixtures of the fault suite: a real scheduler with workers started per test, and a service over a fresh
database whose job completions are audited by a trigger."""

from __future__ import annotations

import pytest
from realprocs import Cluster, audit_completions

from zapiki.service import ZapikiService


@pytest.fixture
def procs(tmp_path, free_port):
    c = Cluster(tmp_path, free_port())
    yield c
    c.close()


@pytest.fixture
def audited(settings):
    """audited(url, client, **settings overrides) -> an open service whose completions are audited."""
    from dataclasses import replace

    opened = []

    def _open(url, client, **overrides):
        svc = ZapikiService.open(url, client, replace(settings, **overrides))
        audit_completions(svc.engine)
        opened.append(svc)
        return svc

    yield _open
    for svc in opened:
        svc.close()


@pytest.fixture
def private_postgres(tmp_path, free_port):
    """A PostgreSQL server of this test's own (initdb in tmp_path, Debian's binaries), so that it can be stopped
    and started under load; yields a controller with .url, .stop() and .start()."""
    import shutil
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="zapiki-pg-"))  # pytest's tmp_path is private to root; postgres needs in
    try:
        pg = PrivatePostgres(folder / "pg", free_port())
        pg.start()
        yield pg
        pg.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class PrivatePostgres:
    def __init__(self, folder, port: int) -> None:
        import glob
        import os

        versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
        if not versions:
            pytest.fail("PostgreSQL's server binaries are not installed (Debian package postgresql)")
        self.bin = versions[-1]
        self.folder, self.port = folder, port
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        folder.mkdir(parents=True)
        os.chmod(folder.parent, 0o777)
        os.chmod(folder, 0o777)
        self._run("initdb", "-D", str(folder / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def _run(self, tool, *args):
        import os
        import subprocess

        cmd = [f"{self.bin}/{tool}", *args]
        if os.geteuid() == 0:  # the server refuses to run as root
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{tool} failed: {done.stdout}{done.stderr}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.folder / "data"), "-o", options, "-l", str(self.folder / "log"), "-w", "start"
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")
