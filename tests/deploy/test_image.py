"""The container image (Dockerfile, deploy/build-image.sh): one image for every role, checked in fresh containers.

The module builds ``localhost/zapiki:latest`` when it does not already hold the current sources (its label
``org.zapiki.source`` is the hash of the build inputs: minutes the first time, a second afterwards, so CI builds
once), then checks that it runs as the non-root user, that its CLI works, that the first Groth16 proof in a fresh
container compiles nothing (numba loads every kernel from the cache warmed at build time: read from numba's own
cache log, not from a clock), and that SIGTERM reaches the process (``podman stop`` of a serve container, and of a
worker, which drains, exits 0 at once instead of waiting for the kill).

Needs podman (runc: crun fails on this machine's hybrid cgroups). Missing, it skips locally and fails in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "deploy" / "build-image.sh"
FIXTURE = ROOT / "tests" / "fixtures" / "groth16" / "multiplier"
IMAGE = os.environ.get("ZAPIKI_TEST_IMAGE", "localhost/zapiki:latest")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
APT = "apt-get install -y podman runc debootstrap golang-github-containernetworking-plugin-dnsname tini"
PODMAN = ["podman", "--runtime", "runc"]
# podman's default limits exceed this machine's hard limits
ULIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=4096:4096"]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


def podman(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*PODMAN, *args], capture_output=True, text=True, timeout=timeout)
    if check:
        assert proc.returncode == 0, f"podman {' '.join(args)} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def run_once(
    image: str, *args: str, entrypoint: str | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> str:
    """Run a fresh container to completion (no health check: it is the serve role's) and return its output."""
    extra = ["--entrypoint", entrypoint] if entrypoint else []
    for key, value in (env or {}).items():
        extra += ["-e", f"{key}={value}"]
    proc = podman(
        "run", "--rm", "--no-healthcheck", *ULIMITS, "-v", f"{FIXTURE}:/fixtures:ro", *extra, image, *args,
        timeout=timeout,
    )  # fmt: skip
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def image() -> str:
    if shutil.which("podman") is None:
        message = f"podman is not installed: {APT}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    proc = subprocess.run(
        [str(BUILD)], env={**os.environ, "IMAGE": IMAGE}, capture_output=True, text=True, timeout=1700
    )
    assert proc.returncode == 0, f"deploy/build-image.sh failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}"
    built = podman("image", "inspect", "--format", '{{index .Labels "org.zapiki.source"}}', IMAGE).stdout.strip()
    assert built, f"{IMAGE} has no org.zapiki.source label"
    return IMAGE


@pytest.fixture
def containers() -> Iterator[list[str]]:
    """Names of the containers a test starts; removed afterwards whatever happened."""
    names: list[str] = []
    yield names
    for name in reversed(names):
        podman("rm", "-f", "-t", "0", name, check=False)


def _name(role: str) -> str:
    return f"zapiki-test-{role}-{uuid.uuid4().hex[:8]}"


def test_runs_as_the_non_root_user(image: str) -> None:
    assert podman("image", "inspect", "--format", "{{.Config.User}}", image).stdout.strip() == "10001:10001"
    assert run_once(image, "-c", "id -u; id -g; id -un; pwd", entrypoint="/bin/sh").split()[:4] == [
        "10001", "10001", "zapiki", "/app",
    ]  # fmt: skip


def test_cli_version(image: str) -> None:
    assert "zapiki, version" in run_once(image, "--version")


def test_image_is_lean(image: str) -> None:
    """No compilers, no tests, notebooks, checkout or development environment in the image."""
    found = run_once(
        image,
        "-c",
        "for p in /app/tests /app/notebooks /app/.git /app/.venv /app/node_modules /src /tmp/warm; do"
        " test -e $p && echo found $p; done; for c in gcc cc c++ make; do command -v $c; done; true",
        entrypoint="/bin/sh",
    )
    assert "found" not in found and "/bin/" not in found, found


def test_first_proof_in_a_fresh_container_compiles_nothing(image: str) -> None:
    """A proof in a fresh container runs on the kernels compiled ahead of time (zapiki.native) and loads no numba;
    the numba kernels it still has (the constraint check of ``--r1cs``, PLONK, setups) are loaded from the cache
    warmed at build time ("data loaded from"), nothing is compiled and saved ("data saved to"). The threading
    layer is a thread-safe one (the prover runs parallel kernels from several threads)."""
    script = (
        "python3 -c 'import sys; from zapiki import native; from zapiki.cli import run;"
        ' print("native:", native.module() is not None);'
        ' sys.argv = ["zapiki", "groth16", "prove", "/fixtures/circuit.zkey", "/fixtures/witness.wtns",'
        ' "/tmp/proof.json", "/tmp/public.json"]\ntry:\n    run()\nexcept SystemExit:\n    pass\n'
        'print("numba loaded:", "numba" in sys.modules)\''
        " && zapiki groth16 verify /fixtures/verification_key.json /tmp/public.json /tmp/proof.json"
        " && zapiki groth16 prove --r1cs /fixtures/circuit.r1cs /fixtures/circuit.zkey /fixtures/witness.wtns"
        " /tmp/proof2.json /tmp/public2.json"
        " && python3 -c 'import numba, numpy as np; from zapiki.kernels.rows import mul_into;"
        " a = np.ones((8, 4), np.uint64); mul_into(a, a, a.copy());"
        ' print("threading layer:", numba.threading_layer())\''
    )
    out = run_once(image, "-c", script, entrypoint="/bin/sh", env={"NUMBA_DEBUG_CACHE": "1"})
    assert "native: True" in out and "numba loaded: False" in out, out[-4000:]
    assert "OK: the proof is valid" in out, out[-4000:]
    saved = [line for line in out.splitlines() if "data saved to" in line]
    assert not saved, "compiled at run time (the build's warm-up missed these):\n" + "\n".join(saved)
    assert out.count("data loaded from") >= 3, out[-4000:]
    assert "threading layer: omp" in out or "threading layer: tbb" in out, out[-2000:]


def _wait(what: str, ok: object, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if ok():  # type: ignore[operator]
            return
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def _stop(name: str, grace_s: int = 60) -> tuple[float, int, str]:
    """``podman stop`` (SIGTERM, then SIGKILL after grace_s): seconds it took, the exit code, the logs."""
    t0 = time.monotonic()
    podman("stop", "-t", str(grace_s), name, timeout=grace_s + 60)
    took = time.monotonic() - t0
    code = int(podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip())
    logs = podman("logs", name, check=False)
    return took, code, logs.stdout + logs.stderr


def test_serve_is_healthy_and_stops_on_sigterm(image: str, containers: list[str]) -> None:
    """The default command serves; the image's HEALTHCHECK (GET /health) passes; SIGTERM stops it with 0."""
    name = _name("serve")
    containers.append(name)
    podman("run", "-d", "--name", name, *ULIMITS, "-e", "ZAPIKI_WARMUP=0", image)

    def healthy() -> bool:
        state = podman("inspect", "--format", "{{.State.Status}}", name).stdout.strip()
        assert state == "running", podman("logs", name, check=False).stderr[-4000:]
        return podman("healthcheck", "run", name, check=False, timeout=30).returncode == 0

    _wait("the serve container's health check", healthy, 240)
    took, code, logs = _stop(name)
    assert code == 0, logs[-4000:]
    assert took < 30, f"podman stop took {took:.1f} s: SIGTERM was not handled\n{logs[-4000:]}"
    assert "Zapiki stopped" in logs, logs[-4000:]


def test_worker_drains_on_sigterm(image: str, containers: list[str]) -> None:
    """A `zapiki worker` joined to a scheduler leaves on SIGTERM: tini passes it to the supervisor, which passes it
    to the Dask worker once; the worker drains and the container exits 0 long before the kill."""
    sched, worker = _name("scheduler"), _name("worker")
    containers += [sched, worker]
    podman(
        "run", "-d", "--name", sched, "--no-healthcheck", *ULIMITS, "--entrypoint", "python3", image,
        "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "8786", "--no-dashboard",
    )  # fmt: skip
    podman(
        "run", "-d", "--name", worker, "--no-healthcheck", *ULIMITS, "--network", f"container:{sched}", image,
        "worker", "tcp://127.0.0.1:8786", "--nthreads", "1", "--no-dashboard",
    )  # fmt: skip
    count = (
        "from distributed import Client; c = Client('tcp://127.0.0.1:8786', timeout=10);"
        " print('workers:', len(c.scheduler_info()['workers'])); c.close()"
    )

    def joined() -> bool:
        state = podman("inspect", "--format", "{{.State.Status}}", worker).stdout.strip()
        assert state == "running", podman("logs", worker, check=False).stderr[-4000:]
        return "workers: 1" in podman("exec", sched, "python3", "-c", count, check=False, timeout=60).stdout

    _wait("the worker to join the scheduler", joined, 240)
    took, code, logs = _stop(worker)
    assert code == 0, logs[-4000:]
    assert took < 45, f"podman stop took {took:.1f} s: the worker did not drain on SIGTERM\n{logs[-4000:]}"
    assert "Worker stopped" in logs, logs[-4000:]
