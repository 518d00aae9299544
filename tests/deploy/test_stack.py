"""The compose stack, for real: the image built once (deploy/build-image.sh), PostgreSQL from the test override,
deploy/compose.yaml + deploy/compose.test.yaml run as `make up` runs them (deploy/podman_stack.py: resolved by
docker-compose, run by podman service by service): certificates, migrations, a TLS scheduler, two workers, the
API. Through the
stack's API a user registers a circuit, proves with Groth16 and the proof passes `snarkjs groth16 verify`; the
dashboard answers. A worker container stopped (SIGTERM) while it proves
finishes that proof (one run, nothing charged), logs the seed's lines and exits 0; a worker container killed
(SIGKILL) while it proves loses nothing: the job completes on the other worker."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from zapiki.chaos.processes import free_port

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy"))
import podman_stack  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "groth16" / "multiplier"
BASE = os.environ.get("ZAPIKI_BASE", "localhost/debian-base:bookworm")
PODMAN = podman_stack.PODMAN

pytestmark = pytest.mark.slow


_run = podman_stack.run  # in the repository's root, output captured


def _need(tool: str) -> str:
    found = shutil.which(tool)
    if not found:
        pytest.fail(f"{tool} is missing: .ci/run installs it (apt-get install podman runc debootstrap ...)")
    return found


class Stack(podman_stack.Stack):
    """The stack as `make up` runs it (deploy/podman_stack.py), with what the tests ask of it."""

    url: str = ""
    key: str = ""

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"X-API-Key": self.key}, timeout=60)

    def ip(self, container: str) -> str:
        out = _run(
            [*PODMAN, "inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", container]
        )
        return out.stdout.split()[0]

    def state(self, container: str) -> dict:
        return json.loads(_run([*PODMAN, "inspect", "--format", "{{json .State}}", container]).stdout)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    _need("podman")
    built = _run(["deploy/build-image.sh"], timeout=2400, env={**os.environ, "BASE": BASE})
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    podman_stack.build_postgres(BASE)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTGRES_", "ZAPIKI_", "COMPOSE_"))}
    env |= {
        "POSTGRES_PASSWORD": secrets.token_hex(12),
        "ZAPIKI_API_PORT": str(port),
        "ZAPIKI_BASE": BASE,
        "ZAPIKI_DASK_DASHBOARD_PORT": str(free_port()),
    }
    stack = Stack(f"zapikitest{os.getpid()}", podman_stack.resolved(["compose.yaml", "compose.test.yaml"], env))
    stack.url = f"http://127.0.0.1:{port}"
    try:
        stack.up()
        deadline = time.monotonic() + 300
        health: dict = {}
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"{stack.url}/health", timeout=5).json()
                if health.get("database") == "ok" and health.get("workers", 0) >= 2:
                    break
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(2)
        logs = "\n".join(f"--- {n}\n{stack.logs(n)[-2000:]}" for n in stack.containers(None))
        assert health.get("workers", 0) >= 2, f"the stack is not up: {health}\n{logs}"
        [api] = stack.containers("api")
        made = _run(
            [*PODMAN, "exec", api, "zapiki", "keys", "create", "--email", "ci@example.com", "--tier", "enterprise"]
        )
        assert made.returncode == 0, made.stdout + made.stderr
        stack.key = made.stdout.strip().splitlines()[-1]
        yield stack
    finally:
        stack.down(timeout_s=10)


def _wait_job(http: httpx.Client, job_id: str, until: tuple[str, ...], timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    job: dict = {}
    while time.monotonic() < deadline:
        job = http.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in until:
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} still {job.get('status')} after {timeout} s: {job}")


def _container_running(stack: Stack, job: dict) -> str:
    """The worker container whose Dask worker runs `job` (its address holds the container's IP)."""
    for name in stack.containers("worker"):
        if f"//{stack.ip(name)}:" in (job.get("worker") or ""):
            return name
    raise AssertionError(f"no worker container has the address {job.get('worker')}")


def _running(stack: Stack, http: httpx.Client, job_id: str) -> dict:
    """The job once a worker has announced its start (a run counted)."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        job = http.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] == "processing" and job["runs"] >= 1 and job["worker"]:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} never started: {job}")


def test_a_groth16_proof_through_the_stack_passes_snarkjs_and_the_dashboard_answers(stack, snarkjs_verifies):
    with stack.http() as http:
        with open(FIXTURE / "circuit.wasm", "rb") as wasm, open(FIXTURE / "circuit.zkey", "rb") as zkey:
            up = http.post("/api/v1/circuits", data={"name": "multiplier"}, files={"wasm": wasm, "zkey": zkey})
        assert up.status_code == 201, up.text
        made = http.post(
            "/api/v1/proofs",
            json={"proof_system": "groth16", "circuit_id": up.json()["id"], "data": {"a": 3, "b": 11}},
        )
        assert made.status_code == 202, made.text
        job = _wait_job(http, made.json()["job_id"], ("completed", "failed"))
        assert job["status"] == "completed", job
        proof = http.get(f"/api/v1/proofs/{made.json()['proof_id']}").json()
        assert proof["public_inputs"] == ["33"]
        snarkjs_verifies(proof["verification_key"], proof["public_inputs"], proof["proof_data"])
        page = httpx.get(f"{stack.url}/dashboard", timeout=60)
        assert page.status_code == 200 and "Zapiki" in page.text
        scraped = httpx.get(f"{stack.url}/metrics", timeout=30)
        assert scraped.status_code == 200 and "zapiki_jobs" in scraped.text


def test_a_worker_container_stopped_while_it_proves_finishes_the_proof_and_exits_0(stack):
    with stack.http() as http:
        made = http.post(
            "/api/v1/proofs",
            json={"proof_system": "diagnostic", "data": {"sleep_s": 12}, "options": {"max_retries": 0}},
        )
        assert made.status_code == 202, made.text
        job = _running(stack, http, made.json()["job_id"])
        container = _container_running(stack, job)
        t0 = time.monotonic()
        stopped = _run([*PODMAN, "stop", "-t", "120", container], timeout=200)
        took = time.monotonic() - t0
        assert stopped.returncode == 0, stopped.stderr
        state = stack.state(container)
        assert state["ExitCode"] == 0 and took < 120, (state, took)  # drained, not killed at the grace period
        done = _wait_job(http, job["id"], ("completed", "failed"))
        assert done["status"] == "completed" and done["runs"] == 1 and done["retry_count"] == 0, done
        logs = stack.logs(container)
        for line in (
            "Processing proof generation",
            "Proof generation completed",
            "Shutting down worker",
            "Worker stopped",
        ):
            assert line in logs, logs[-3000:]
        assert _run([*PODMAN, "start", container]).returncode == 0


def test_a_worker_container_killed_while_it_proves_loses_nothing(stack):
    with stack.http() as http:
        deadline = time.monotonic() + 180
        while http.get("/health").json().get("workers", 0) < 2 and time.monotonic() < deadline:
            time.sleep(1)
        made = http.post("/api/v1/proofs", json={"proof_system": "diagnostic", "data": {"sleep_s": 8}})
        assert made.status_code == 202, made.text
        job = _running(stack, http, made.json()["job_id"])
        container = _container_running(stack, job)
        assert _run([*PODMAN, "kill", container]).returncode == 0
        done = _wait_job(http, job["id"], ("completed", "failed"), timeout=400)
        assert done["status"] == "completed", done
        assert done["worker"] != job["worker"], "it completed on the other worker"
        assert _run([*PODMAN, "start", container]).returncode == 0
