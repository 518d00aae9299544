#!/usr/bin/env python3
"""Run deploy/compose.yaml with podman where `docker compose` is not at hand (`make up`, `make down`).

podman-compose 1.6 on podman 4.3 (Debian 12) ignores `condition: service_healthy` and cannot start a second
replica of a service that depends on a finished one-shot, so this runs the compose file itself: docker-compose
1.29 resolves it (the override merged over it, the environment's values in; it lives in a virtual environment of
its own, made on first use, as it pins PyYAML<6), then podman runs each service as compose would: one network
where every service is reachable by its name, the file's named volumes, each container with the service's
image, command, entrypoint, user, environment, volumes, ports and ulimits and as many replicas as `deploy`
says, in dependency order (a one-shot waited for and required to exit 0, a service with a healthcheck that
others wait on polled until it passes).

    POSTGRES_PASSWORD=... python3 deploy/podman_stack.py up [--project zapiki] [--test] [--scale worker=4]
    python3 deploy/podman_stack.py down [--project zapiki]

`--test` adds deploy/compose.test.yaml (PostgreSQL built on the local base, podman's ulimits): for machines
without a registry. Images must exist (`make image`; the test PostgreSQL: `--build-postgres`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
REPO = DEPLOY.parent
COMPOSE_VENV = REPO / ".ci" / "docker-compose" / ".venv"
PODMAN = ["podman", "--runtime", os.environ.get("PODMAN_RUNTIME", "runc")]
ULIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=4096:4096"]
# The order of the services' dependencies (depends_on) in compose.yaml; `Stack.up` checks the file keeps it.
ORDER = ("certs", "postgres", "migrate", "scheduler", "worker", "api")


def run(cmd: list[str], timeout: float = 600, **kw: object) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO, **kw)  # type: ignore[arg-type]


def docker_compose_exe() -> str:
    """docker-compose 1.29.2 in its own virtual environment (PyYAML 5.4 has no wheel for this Python and is
    built with Cython<3, as its setup needs), installed on first use."""
    exe = COMPOSE_VENV / "bin" / "docker-compose"
    done = COMPOSE_VENV / ".complete"
    if not done.exists():
        shutil.rmtree(COMPOSE_VENV, ignore_errors=True)
        pip = [str(COMPOSE_VENV / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        for step in (
            [sys.executable, "-m", "venv", str(COMPOSE_VENV)],
            pip + ["cython<3", "wheel", "setuptools"],
            pip + ["--no-build-isolation", "pyyaml==5.4.1"],
            pip + ["docker-compose==1.29.2"],
        ):
            proc = run(step)
            if proc.returncode != 0:
                raise RuntimeError(f"{step}: {proc.stderr[-2000:]}")
        done.touch()
    return str(exe)


def resolved(files: list[str], env: dict[str, str]) -> dict:
    """The compose files as docker-compose resolves them."""
    import yaml

    flags = [a for f in files for a in ("-f", f)]
    proc = subprocess.run(
        [docker_compose_exe(), *flags, "config"], capture_output=True, text=True, timeout=120, cwd=DEPLOY, env=env
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    return yaml.safe_load(proc.stdout)


def build_postgres(base: str) -> None:
    """localhost/zapiki-postgres:test (compose.test.yaml's PostgreSQL), unless it exists."""
    if run([*PODMAN, "image", "exists", "localhost/zapiki-postgres:test"]).returncode == 0:
        return
    ca = ["-v", "/etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro"]
    built = run(
        [*PODMAN, "build", "--format", "docker", "--network", "host", *ULIMITS, *ca, "--build-arg", f"BASE={base}"]
        + ["-t", "localhost/zapiki-postgres:test", "-f", "deploy/postgres.Dockerfile", "deploy"],
        timeout=900,
    )
    if built.returncode != 0:
        raise RuntimeError(built.stdout[-3000:] + built.stderr[-3000:])


@dataclass
class Stack:
    """A compose project run by podman (see the module's docstring)."""

    project: str
    config: dict

    def run_service(self, service: str, index: int = 1) -> str:
        spec = self.config["services"][service]
        name = f"{self.project}_{service}_{index}"
        cmd = [*PODMAN, "run", "-d", "--name", name, "--network", self.project, "--network-alias", service]
        cmd += ["--label", f"com.docker.compose.project={self.project}"]
        cmd += ["--label", f"com.docker.compose.service={service}"]
        for limit, value in (spec.get("ulimits") or {}).items():
            cmd += ["--ulimit", f"{limit}={value['soft']}:{value['hard']}"]
        if "user" in spec:
            cmd += ["--user", str(spec["user"])]
        if "entrypoint" in spec:
            cmd += ["--entrypoint", json.dumps(spec["entrypoint"])]
        for key, value in (spec.get("environment") or {}).items():
            cmd += ["-e", f"{key}={value}"]
        for volume in spec.get("volumes") or []:  # a named volume ("certs:/certs:ro"), or an anonymous one
            source, _, target = str(volume).partition(":")
            cmd += ["-v", f"{self.project}_{source}:{target}" if target else source]
        for port in spec.get("ports") or []:  # "HOST_IP:PUBLISHED:TARGET", or the long form
            if isinstance(port, dict):
                host = f"{port['host_ip']}:" if port.get("host_ip") else ""
                port = f"{host}{port['published']}:{port['target']}"
            cmd += ["-p", str(port)]
        started = run([*cmd, spec["image"], *map(str, spec.get("command") or [])])
        if started.returncode != 0:
            raise RuntimeError(f"{name}: {started.stderr}")
        return name

    def up(self, scale: dict[str, int] | None = None) -> None:
        services = self.config["services"]
        if set(services) != set(ORDER):
            raise RuntimeError(f"services {sorted(services)} are not {sorted(ORDER)}: update ORDER")
        for service in ORDER:  # each after the services it depends on
            if not set(services[service].get("depends_on") or {}) <= set(ORDER[: ORDER.index(service)]):
                raise RuntimeError(f"{service} depends on a service started after it: update ORDER")
        run([*PODMAN, "network", "create", self.project])
        for volume in self.config.get("volumes") or {}:
            run([*PODMAN, "volume", "create", "--ignore", f"{self.project}_{volume}"])
        for service in ORDER:
            replicas = (scale or {}).get(service) or (services[service].get("deploy") or {}).get("replicas", 1)
            names = [self.run_service(service, i) for i in range(1, replicas + 1)]
            waits = {  # what the services that depend on this one wait for
                (c or {}).get("condition", "service_started")
                for other in services.values()
                for name, c in (other.get("depends_on") or {}).items()
                if name == service
            }
            if "service_completed_successfully" in waits:
                for name in names:
                    code = run([*PODMAN, "wait", name], timeout=300).stdout.strip()
                    if code != "0":
                        raise RuntimeError(f"{name} exited {code}: {self.logs(name)[-3000:]}")
            if "service_healthy" in waits:  # the service's own healthcheck command, until it passes
                test = services[service]["healthcheck"]["test"]
                check = ["sh", "-c", test[1]] if test[0] == "CMD-SHELL" else test[1:]
                deadline = time.monotonic() + 120
                while run([*PODMAN, "exec", names[0], *check]).returncode != 0:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{names[0]} is not healthy: {self.logs(names[0])[-3000:]}")
                    time.sleep(1)

    def down(self, timeout_s: int = 30) -> None:
        names = self.containers(None)
        if names:
            run([*PODMAN, "stop", "-t", str(timeout_s), *names], timeout=timeout_s + 300)
            run([*PODMAN, "rm", "-f", *names], timeout=300)
        for volume in self.config.get("volumes") or {}:
            run([*PODMAN, "volume", "rm", "-f", f"{self.project}_{volume}"])
        run([*PODMAN, "network", "rm", "-f", self.project])

    def containers(self, service: str | None) -> list[str]:
        labels = ["--filter", f"label=com.docker.compose.project={self.project}"]
        if service:
            labels += ["--filter", f"label=com.docker.compose.service={service}"]
        out = run([*PODMAN, "ps", "-a", "--format", "{{.Names}}", *labels])
        return sorted(n for n in out.stdout.split() if n)

    def logs(self, container: str) -> str:
        out = run([*PODMAN, "logs", container])
        return out.stdout + out.stderr


def _env_file() -> dict[str, str]:
    """deploy/.env's KEY=VALUE lines (as compose reads them), under the process's own environment."""
    values: dict[str, str] = {}
    path = DEPLOY / ".env"
    if path.exists():
        for line in path.read_text().splitlines():
            key, sep, value = line.strip().partition("=")
            if sep and not key.startswith("#"):
                values[key.strip()] = value.strip()
    return {**values, **os.environ}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("--project", default="zapiki")
    parser.add_argument("--test", action="store_true", help="add compose.test.yaml (no registry)")
    parser.add_argument("--build-postgres", action="store_true", help="build the test PostgreSQL image if missing")
    parser.add_argument("--scale", action="append", default=[], help="SERVICE=N replicas")
    parser.add_argument("--timeout", type=int, default=660, help="down: seconds a container may take to stop")
    args = parser.parse_args(argv)
    env = _env_file()
    files = ["compose.yaml", *(["compose.test.yaml"] if args.test else [])]
    if args.action == "down":
        env.setdefault("POSTGRES_PASSWORD", "unused-by-down")
    stack = Stack(args.project, resolved(files, env))
    if args.action == "down":
        stack.down(args.timeout)
        return 0
    if args.build_postgres:
        build_postgres(env.get("ZAPIKI_BASE", "localhost/debian-base:bookworm"))
    scale = {k: int(v) for k, _, v in (s.partition("=") for s in args.scale)}
    stack.up(scale)
    print("\n".join(stack.containers(None)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
