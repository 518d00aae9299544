"""`zapiki serve`: one process with the API, the dashboard, a local Dask cluster and the dispatcher."""

import json
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from realprocs import start_serve


def _request(url, key=None, body=None):
    headers = {"Content-Type": "application/json"}
    if key:
        headers["X-API-Key"] = key
    req = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status, resp.read()


def _stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_serve_prints_its_addresses_and_a_first_start_key_and_serves(tmp_path, free_port):
    db = f"sqlite:///{tmp_path}/serve.db"
    port = free_port()
    proc, banner = start_serve(tmp_path, db, port)
    try:
        base = f"http://127.0.0.1:{port}"
        assert f"API            {base}/api/v1" in banner
        assert f"Dashboard      {base}/dashboard" in banner
        assert "Dask dashboard http://" in banner
        key = next(line.split()[-1] for line in banner.splitlines() if "shown once" in line)
        assert key.startswith("zk_")
        status, body = _request(f"{base}/health")
        assert status == 200 and json.loads(body)["workers"] == 1
        status, body = _request(
            f"{base}/api/v1/proofs", key, {"proof_system": "commitment", "data": "x", "options": {"async": True}}
        )
        assert status == 202
        proof_id = json.loads(body)["proof_id"]
        for _ in range(100):
            _, body = _request(f"{base}/api/v1/proofs/{proof_id}", key)
            if json.loads(body)["status"] == "completed":
                break
            time.sleep(0.1)
        assert json.loads(body)["status"] == "completed"
        status, page = _request(f"{base}/dashboard")
        assert status == 200 and b"bokeh" in page.lower()
        with urllib.request.urlopen(f"{base}/metrics", timeout=30) as resp:  # Prometheus' text, no key
            assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/plain")
            metrics = resp.read().decode()
        assert 'zapiki_jobs{queue="normal",status="completed"} 1.0' in metrics
        assert "zapiki_workers 1.0" in metrics and "admin@localhost" not in metrics
    finally:
        _stop(proc)
    # zapiki.logs' format: one line per event with its time, logger and level
    assert re.search(
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - zapiki\.service - INFO - shutting down", proc.log(), re.M
    )
    # A second start on the same database upgrades nothing, prints no new key, and still knows the proof.
    proc, banner = start_serve(tmp_path, db, port)
    try:
        assert "shown once" not in banner
        status, body = _request(f"http://127.0.0.1:{port}/api/v1/proofs/{proof_id}", key)
        assert json.loads(body)["status"] == "completed"
    finally:
        _stop(proc)


def _get(url, key=None):
    try:
        status, body = _request(url, key)
        return status, json.loads(body), {}
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), dict(err.headers)


def test_sigterm_answers_503_lets_running_jobs_finish_and_hands_back_the_rest(tmp_path, free_port):
    """A clean stop: 503 with Retry-After for new requests, the job that fits in the grace period finishes,
    the one that does not goes back to pending uncharged, and the next start runs it."""
    config = tmp_path / "zapiki.yaml"
    config.write_text("zapiki:\n  shutdown_grace_s: 4\n")
    db = f"sqlite:///{tmp_path}/serve.db"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc, banner = start_serve(tmp_path, db, port, "--n-workers", "2", "--config", str(config))
    key = next(line.split()[-1] for line in banner.splitlines() if "shown once" in line)
    try:
        short = json.loads(
            _request(f"{base}/api/v1/proofs", key, {"proof_system": "diagnostic", "data": {"sleep_s": 2}})[1]
        )
        long = json.loads(
            _request(f"{base}/api/v1/proofs", key, {"proof_system": "diagnostic", "data": {"sleep_s": 60}})[1]
        )
        for job in (short, long):
            deadline = time.monotonic() + 60
            while _get(f"{base}/api/v1/jobs/{job['job_id']}", key)[1]["runs"] < 1:
                assert time.monotonic() < deadline, "the job never started"
                time.sleep(0.1)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        while True:
            status, body, headers = _get(f"{base}/api/v1/jobs", key)
            if status == 503:
                break
            assert time.monotonic() < deadline, "still answering after SIGTERM"
            time.sleep(0.05)
        assert body["error"]["code"] == "shutting_down" and headers["Retry-After"] == "5"
        assert _get(f"{base}/health")[0] == 503
        proc.wait(timeout=60)
        stopped_s = time.monotonic() - t0
        out = proc.log()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "Zapiki stopped" in out and "1 attempts finished, 1 handed back" in out, out[-4000:]
    assert 3.5 < stopped_s < 30  # waited the grace period for the long job, then did not wait for it

    from zapiki.service import ZapikiService

    svc = ZapikiService.open(db, dispatch=False)
    try:
        done, back = svc.proofs.get_job(short["job_id"]), svc.proofs.get_job(long["job_id"])
    finally:
        svc.close()
    assert done["status"] == "completed" and done["runs"] == 1 and done["retry_count"] == 0
    assert back["status"] == "pending" and back["retry_count"] == 0 and back["worker"] is None


def test_the_dashboards_folder_holds_the_page_as_a_panel_app_of_its_own(tmp_path, free_port):
    """`panel serve dashboards/dashboard.py` serves the page `zapiki serve` shows at /dashboard, over the
    configured database."""
    import os
    import sys
    from pathlib import Path

    app = Path(__file__).resolve().parents[1] / "dashboards" / "dashboard.py"
    port = free_port()
    env = {**os.environ, "ZAPIKI_DATABASE_URL": f"sqlite:///{tmp_path}/panel.db"}
    log_path = tmp_path / "panel.log"
    with open(log_path, "wb") as log:
        cmd = [sys.executable, "-m", "panel", "serve", str(app), "--port", str(port), "--address", "127.0.0.1"]
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while "Bokeh app running" not in log_path.read_text(errors="replace"):
            assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text(errors="replace")
            time.sleep(0.1)
        status, page = _request(f"http://127.0.0.1:{port}/dashboard")
        assert status == 200 and b"bokeh" in page.lower()
        assert (tmp_path / "panel.db").exists()  # the page opened the configured database
        assert "Traceback" not in log_path.read_text(errors="replace"), log_path.read_text(errors="replace")
    finally:
        _stop(proc)


def _migrate_to(url, revision):
    """The database at `url` brought to schema `revision` only (an older Zapiki's), or left empty for None."""
    from zapiki.store.db import create_engine_for, upgrade

    engine = create_engine_for(url)
    try:
        if revision is not None:
            upgrade(engine, to=revision)
    finally:
        engine.dispose()


@pytest.mark.parametrize("revision", [None, "0003"])
def test_serve_refuses_a_postgres_database_behind_the_code_and_migrate_starts_it(
    postgres_url, tmp_path, free_port, revision
):
    """A server database is migrated by `zapiki db upgrade` (or `serve --migrate`), never silently by serve: a
    database behind the code's head is refused at once, naming both revisions and the command to run."""
    import os
    import sys

    from zapiki.store.db import create_engine_for, head, schema_state

    _migrate_to(postgres_url, revision)
    port = free_port()
    cmd = [sys.executable, "-m", "zapiki.cli", "serve", "--port", str(port), "--db", postgres_url]
    t0 = time.monotonic()
    done = subprocess.run(cmd, cwd=tmp_path, env={**os.environ, "ZAPIKI_WARMUP": "0"}, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert time.monotonic() - t0 < 60  # before any cluster was started
    assert f"is at schema revision {revision or '(empty'}" in out and f"this code needs {head()}" in out, out
    assert "zapiki db upgrade" in out and "--migrate" in out and "Launching server" not in out
    assert ":postgres@" not in out  # the password is not printed
    engine = create_engine_for(postgres_url)
    try:
        assert schema_state(engine)[1] == revision  # refused: nothing was changed
    finally:
        engine.dispose()

    proc, banner = start_serve(tmp_path, postgres_url, port)  # with --migrate
    try:
        assert "Zapiki http://" in banner and "upgrading it to" in proc.log()
    finally:
        _stop(proc)
    engine = create_engine_for(postgres_url)
    try:
        assert schema_state(engine) == ("current", head(), head())
    finally:
        engine.dispose()


def test_serve_runs_on_a_postgres_database_a_newer_zapiki_migrated_with_a_warning(postgres_url, tmp_path, free_port):
    """Migrations add: during a rolling update the older code still serves a database one step ahead of it."""
    import sqlalchemy as sa

    from zapiki.store.db import create_engine_for

    _migrate_to(postgres_url, "head")
    engine = create_engine_for(postgres_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    proc, _ = start_serve(tmp_path, postgres_url, free_port(), migrate=False)
    try:
        assert "is at schema revision 0099, newer than this code's" in proc.log()
    finally:
        _stop(proc)
