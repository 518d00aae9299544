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
    """A PostgreSQL server of this test's own (initdb, Debian's binaries), so that it can be stopped and started
    under load; yields a controller with .url, .stop() and .start()."""
    import shutil
    import tempfile
    from pathlib import Path

    from zapiki.chaos.processes import PrivatePostgres

    folder = Path(tempfile.mkdtemp(prefix="zapiki-pg-"))  # pytest's tmp_path is private to root; postgres needs in
    try:
        try:
            pg = PrivatePostgres(folder / "pg", free_port())
        except RuntimeError as exc:  # no server binaries: install them, never skip
            pytest.fail(str(exc))
        pg.start()
        yield pg
        pg.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
