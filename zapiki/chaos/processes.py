"""The real processes a soak runs and hurts: a private PostgreSQL server, a Dask scheduler, workers under the
`zapiki worker` supervisor, and `zapiki serve`. Each logs to its own file in the soak's folder and runs in a
session of its own, so that a kill reaches exactly the process meant."""

from __future__ import annotations

import glob
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

PYTHON = sys.executable


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn(
    cmd: list[str], log_path: Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen:
    """Start `cmd` in a session of its own, its output appended to `log_path`."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def end(proc: subprocess.Popen | None, term_timeout: float = 10.0) -> None:
    """End `proc` and every process under it (also those in sessions of their own, such as the worker under
    `zapiki worker`): SIGTERM first and up to `term_timeout` s to exit (0: no SIGTERM), then SIGKILL."""
    if proc is None:
        return
    try:
        family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    if term_timeout and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=term_timeout)
        except subprocess.TimeoutExpired:
            pass
    for p in family:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=10)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port} after {timeout} s")


def postgres_bin() -> str | None:
    """The folder of the newest installed PostgreSQL server binaries (Debian's layout), or None."""
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[-3]))
    return os.path.dirname(versions[-1]) if versions else None


class PrivatePostgres:
    """A PostgreSQL server of its own (initdb in `folder`, Debian's server binaries, trust auth on loopback),
    so that it can be stopped and started under load. As root it runs as the `postgres` user."""

    def __init__(self, folder: Path, port: int) -> None:
        found = postgres_bin()
        if found is None:
            raise RuntimeError("PostgreSQL's server binaries are not installed (Debian package postgresql)")
        self.bin = found
        self.folder, self.port = folder, port
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        folder.mkdir(parents=True)
        os.chmod(folder.parent, 0o777)
        os.chmod(folder, 0o777)
        self._run("initdb", "-D", str(folder / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def _run(self, tool: str, *args: str) -> None:
        cmd = [f"{self.bin}/{tool}", *args]
        if os.geteuid() == 0:  # the server refuses to run as root
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.folder / "data"), "-o", options, "-l", str(self.folder / "log"), "-w", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: 'fast' (clients disconnected, clean shutdown) or 'immediate' (as if it crashed)."""
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", mode, "-w", "stop")


class Scheduler:
    """`dask scheduler` on a fixed loopback port, so that a replacement takes over the same address."""

    def __init__(self, folder: Path, port: int, env: dict[str, str]) -> None:
        self.folder, self.port, self.env = folder, port, env
        self.address = f"tcp://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None
        self.started = 0

    def start(self) -> None:
        self.started += 1
        cmd = [PYTHON, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = spawn([*cmd, "--no-dashboard"], self.folder / f"scheduler-{self.started}.log", self.env)
        wait_for_port(self.port, 60)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()


class SupervisedWorker:
    """`zapiki worker ADDRESS --nthreads 1 --name NAME` (what `make run-worker` runs): the supervisor starts the
    Dask worker again whenever it exits. Signals go to the Dask worker itself, never to the supervisor."""

    def __init__(self, folder: Path, name: str, address: str, env: dict[str, str]) -> None:
        cmd = [PYTHON, "-m", "zapiki.cli", "worker", address, "--nthreads", "1", "--no-dashboard", "--name", name]
        self.name = name
        self.supervisor = spawn(cmd, folder / f"{name}.log", env)

    def worker_pid(self) -> int | None:
        """The pid of the running Dask worker process (None between a death and its restart)."""
        try:
            children = psutil.Process(self.supervisor.pid).children()
        except psutil.NoSuchProcess:
            return None
        live = [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
        return live[0].pid if live else None

    def signal(self, signum: int) -> int | None:
        """Send `signum` to the Dask worker process; returns its pid, or None when none was running."""
        pid = self.worker_pid()
        if pid is None:
            return None
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            return None
        return pid

    def stop(self) -> None:
        end(self.supervisor, term_timeout=40)


class Serve:
    """`zapiki serve` on the soak's database and scheduler."""

    def __init__(self, folder: Path, port: int, db: str, scheduler: str, env: dict[str, str]) -> None:
        self.folder, self.port, self.db, self.scheduler, self.env = folder, port, db, scheduler, env
        self.proc: subprocess.Popen | None = None
        self.started = 0
        self.url = f"http://127.0.0.1:{port}"

    def migrate(self) -> None:
        """`zapiki db upgrade` on the soak's database, the deployment's one-shot step before `zapiki serve`
        (which refuses a PostgreSQL database behind the code's schema)."""
        cmd = [PYTHON, "-m", "zapiki.cli", "db", "upgrade", "--db", self.db]
        done = subprocess.run(cmd, env=self.env, cwd=self.folder, capture_output=True, text=True, timeout=120)
        (self.folder / "db-upgrade.log").write_text(done.stdout + done.stderr)
        if done.returncode != 0:
            raise RuntimeError(f"zapiki db upgrade exited with {done.returncode}: {done.stdout}{done.stderr}")

    def start(self, timeout: float = 180) -> None:
        if self.started == 0:
            self.migrate()
        self.started += 1
        log_path = self.folder / f"serve-{self.started}.log"
        cmd = [PYTHON, "-m", "zapiki.cli", "serve", "--port", str(self.port), "--db", self.db]
        cmd += ["--scheduler", self.scheduler, "--dask-dashboard-port", "0"]
        self.proc = spawn(cmd, log_path, self.env, cwd=self.folder)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "Launching server" in log_path.read_text(errors="replace"):
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"zapiki serve exited with {self.proc.returncode}: see {log_path}")
            time.sleep(0.2)
        raise TimeoutError(f"zapiki serve did not start within {timeout} s: see {log_path}")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        end(self.proc, term_timeout=60)
