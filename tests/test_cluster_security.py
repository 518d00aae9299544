"""A private cluster: TLS with mutual authentication (zapiki.cluster_security, `zapiki cluster certs`, `make
run-scheduler`, `zapiki worker --certs`, `zapiki serve --certs`, and `zapiki serve`'s own cluster), on real
processes. Every wait is bounded and every process is killed at the end, whatever happened."""

from __future__ import annotations

import json
import os
import re
import socket
import ssl
import stat
import subprocess
import sys
import threading
import time

import httpx
import pytest
from realprocs import ENV, ROOT, kill_tree, make_run_scheduler, start_logged, start_serve

from zapiki.cluster_security import all_files, cert_file, key_file, make_certificates, security_from
from zapiki.errors import InputError

FIXTURES = ROOT / "tests" / "fixtures" / "groth16" / "multiplier"
REFUSED_WITHIN_S = 20.0  # a refused client gives up after its 5 s connect timeout; this bounds it with slack


def _client(address: str, security=None, timeout: float = 30):
    from distributed import Client

    return Client(address, security=security, timeout=timeout)


# Each client is its own process: what earlier tests left in this one (Dask's shared event loop, a default
# client) once made a connection here wait minutes in CI, past every timeout given to it.
CONNECT = """
import json, os, sys, time, traceback
from distributed import Client
from zapiki.cluster_security import security_from
address, certs = sys.argv[1], sys.argv[2]
t0 = time.monotonic()
try:
    client = Client(address, security=security_from(certs) if certs else None, timeout=5)
    out = {"admitted": client.scheduler_info()["address"]}
except BaseException as exc:
    where = traceback.extract_tb(exc.__traceback__)[-1].filename
    out = {"refused": repr(exc)[:400], "where": where, "oserror": isinstance(exc, OSError),
           "typeerror": isinstance(exc, TypeError), "assertion": isinstance(exc, AssertionError)}
out["seconds"] = time.monotonic() - t0
print("RESULT " + json.dumps(out), flush=True)
os._exit(0)  # no polite close: only the connection is under test
"""


def _connect(address: str, certs=None) -> dict:
    """Connect a Dask client (with the cluster certificates in `certs`, or none) from a fresh process."""
    cmd = [sys.executable, "-c", CONNECT, address, str(certs or "")]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=REFUSED_WITHIN_S + 60, env=ENV)
        stdout, stderr = done.stdout, done.stderr
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"a client of {address} neither connected nor gave up: {exc.stdout}{exc.stderr}")
    line = next((x for x in stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line, f"the client of {address} reported nothing:\n{stdout}\n{stderr}"
    return json.loads(line.removeprefix("RESULT "))


def _admitted(address: str, certs) -> None:
    out = _connect(address, certs)
    assert out.get("admitted", "").startswith("tls://"), (
        f"{address} refused a client with the cluster's certificate: {out}"
    )


def _refused(address: str, certs=None, expect: str = "oserror") -> str:
    """The connection must fail within REFUSED_WITHIN_S: with an OSError (Dask's CommClosedError and TimeoutError
    are OSErrors), or with `expect="typeerror"` a TypeError. Returns the error."""
    out = _connect(address, certs)
    assert "refused" in out, f"{address} admitted a client it should refuse (certificates: {certs}): {out}"
    # Dask's client checks the scheduler's first message with bare asserts; bytes that are no Dask message (a TLS
    # alert read as plain tcp) can trip them. Still a refusal, but only when raised inside Dask.
    inside_dask = out["assertion"] and f"{os.sep}distributed{os.sep}" in out["where"]
    assert out[expect] or (expect == "oserror" and inside_dask), f"connecting to {address} failed otherwise: {out}"
    assert out["seconds"] < REFUSED_WITHIN_S, f"refusal of {address} took {out['seconds']:.1f} s"
    return out["refused"]


def _key_from(banner: str) -> str:
    return next(line.split()[-1] for line in banner.splitlines() if "shown once" in line)


def _scheduler_from(banner: str) -> str:
    return next(line.split()[-1] for line in banner.splitlines() if line.strip().startswith("Scheduler "))


def _poll(http: httpx.Client, path: str, done, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = http.get(path).json()
        if done(body):
            return body
        assert time.monotonic() < deadline, f"{path} not done within {timeout} s: {body}"
        time.sleep(0.2)


def test_certificates_are_private_and_verify_only_against_their_own_ca(tmp_path):
    folder = tmp_path / "certs"
    written = make_certificates(folder, days=30)
    assert written == all_files(folder) and all(p.is_file() for p in written)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for role in ("scheduler", "worker", "client"):
        assert stat.S_IMODE(key_file(folder, role).stat().st_mode) == 0o600
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

    ca = x509.load_pem_x509_certificate((folder / "ca.pem").read_bytes())
    worker = x509.load_pem_x509_certificate(cert_file(folder, "worker").read_bytes())
    worker.verify_directly_issued_by(ca)
    assert isinstance(worker.public_key(), ec.EllipticCurvePublicKey) and worker.public_key().curve.name == "secp256r1"
    days = (worker.not_valid_after_utc - worker.not_valid_before_utc).days
    assert 30 <= days <= 31
    other = make_certificates(tmp_path / "other")
    with pytest.raises(ValueError):
        worker.verify_directly_issued_by(x509.load_pem_x509_certificate(other[0].read_bytes()))
    # An existing set is never replaced by accident.
    before = (folder / "ca.pem").read_bytes()
    with pytest.raises(InputError, match="already exist"):
        make_certificates(folder)
    assert (folder / "ca.pem").read_bytes() == before
    make_certificates(folder, overwrite=True)
    assert (folder / "ca.pem").read_bytes() != before
    sec = security_from(folder)
    assert sec.require_encryption and sec.tls_ca_file == str(folder / "ca.pem")
    assert sec.tls_client_cert == str(cert_file(folder, "client"))


def test_the_client_certificate_cannot_serve(tmp_path):
    """Extended key usage: the client's certificate connects but OpenSSL refuses it on a listening end; the
    worker's serves. Checked with the ssl module alone (what Dask builds its contexts with)."""
    folder = tmp_path / "certs"
    make_certificates(folder)
    ca = str(folder / "ca.pem")

    def handshake(server_role: str) -> str | None:
        server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=ca)
        server_ctx.load_cert_chain(cert_file(folder, server_role), key_file(folder, server_role))
        server_ctx.verify_mode = ssl.CERT_REQUIRED
        client_ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
        client_ctx.load_cert_chain(cert_file(folder, "client"), key_file(folder, "client"))
        client_ctx.check_hostname = False  # as Dask
        a, b = socket.socketpair()
        a.settimeout(10), b.settimeout(10)
        errors: list[str] = []

        def serve() -> None:
            try:
                server_ctx.wrap_socket(a, server_side=True).close()
            except (ssl.SSLError, OSError) as exc:
                errors.append(str(exc))

        t = threading.Thread(target=serve)
        t.start()
        try:
            client_ctx.wrap_socket(b).close()
        except (ssl.SSLError, OSError) as exc:
            errors.append(str(exc))
        t.join(10)
        a.close(), b.close()
        return "; ".join(errors) or None

    assert handshake("worker") is None
    assert "unsuitable certificate purpose" in (handshake("client") or "")


def test_the_tls_scheduler_refuses_plain_tcp_other_cas_and_clients_without_a_certificate(tmp_path, free_port):
    """`make run-scheduler` (which makes the certificates when they are missing) admits a client with the
    cluster's client certificate, and refuses, within a bounded time: plain tcp://, a client of another CA, a
    client that trusts the cluster's CA but shows another CA's certificate, and a TLS client with no
    certificate."""
    certs = tmp_path / "certs"
    proc, address = make_run_scheduler(tmp_path, certs, free_port())
    try:
        assert all(p.is_file() for p in all_files(certs)), "make run-scheduler made no certificates"
        port = int(address.rsplit(":", 1)[1])
        _admitted(address, certs)  # the positive control
        # Host names are not checked (the certificates name roles): any name or address of the host will do.
        _admitted(address.replace("127.0.0.1", "localhost"), certs)

        _refused(f"tcp://127.0.0.1:{port}")
        _refused(address, expect="typeerror")  # tls:// with no credentials: Dask refuses to try without a context
        make_certificates(tmp_path / "other")
        _refused(address, tmp_path / "other")
        # A TLS client that trusts the cluster's CA but shows another CA's certificate, or none: the handshake or
        # the first read fails (an alert or the end of the stream); a scheduler that accepted it would wait for a
        # message, and the read would time out instead. (At the socket, not through Dask's Client: with TLS 1.3
        # the client finishes its handshake before the server judges its certificate, and Dask's connect was
        # once seen waiting minutes on the refusal, past its own timeout.)
        impostor = (cert_file(tmp_path / "other", "client"), key_file(tmp_path / "other", "client"))
        for shown in (impostor, None):
            ctx = ssl.create_default_context(cafile=str(certs / "ca.pem"))
            ctx.check_hostname = False
            if shown is not None:
                ctx.load_cert_chain(str(shown[0]), str(shown[1]))
            t0 = time.monotonic()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                    with ctx.wrap_socket(raw) as tls:
                        tls.sendall(b"\0" * 16)
                        assert tls.recv(1) == b"", f"the scheduler answered a client showing {shown}"
            except (ssl.SSLError, ConnectionError):
                pass
            elapsed = time.monotonic() - t0
            assert elapsed < REFUSED_WITHIN_S, f"refusing a client showing {shown} took {elapsed:.1f} s"

        _admitted(address, certs)  # still up: the refusals were refusals
        # The scheduler's side of it: each refusal is its own, in its log.
        reasons = {
            "plain tcp": "WRONG_VERSION_NUMBER",
            "another CA's certificate": "certificate verify failed",
            "no certificate": "PEER_DID_NOT_RETURN_A_CERTIFICATE",
        }
        deadline = time.monotonic() + 10
        while not all(r in proc.log() for r in reasons.values()) and time.monotonic() < deadline:
            time.sleep(0.1)
        log = proc.log()
        assert re.search(r"Scheduler at:\s+tls://", log), log
        missing = [what for what, reason in reasons.items() if reason not in log]
        assert not missing, f"the scheduler did not log refusing {missing}:\n{log}"
    finally:
        kill_tree(proc, term_timeout=10)


def test_the_readme_recipe_proves_a_groth16_job_on_a_private_cluster(tmp_path, free_port):
    """`zapiki cluster certs DIR`; `make run-scheduler`; `zapiki worker tls://... --certs DIR`; `zapiki serve
    --scheduler tls://... --certs DIR`: a Groth16 circuit uploaded and proved over the REST API, on the TLS
    worker, and the proof checks with the verifier."""
    from zapiki.systems import groth16

    certs = tmp_path / "certs"
    made = subprocess.run(
        [sys.executable, "-m", "zapiki.cli", "cluster", "certs", str(certs)],
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    assert f"zapiki worker tls://SCHEDULER_HOST:8786 --certs {certs}" in made.stdout
    procs: list[subprocess.Popen] = []
    try:
        scheduler, address = make_run_scheduler(tmp_path, certs, free_port())
        procs.append(scheduler)
        worker_cmd = [sys.executable, "-m", "zapiki.cli", "worker", address, "--certs", str(certs)]
        worker = start_logged([*worker_cmd, "--nthreads", "1", "--name", "tls-w1"], tmp_path / "worker.log")
        procs.append(worker)
        with _client(address, security_from(certs)) as admin:
            admin.wait_for_workers(1, timeout=120)
            workers = admin.scheduler_info()["workers"]
        assert all(a.startswith("tls://") for a in workers), workers

        port = free_port()
        db = f"sqlite:///{tmp_path}/zapiki.db"
        serve, banner = start_serve(tmp_path, db, port, "--scheduler", address, "--certs", str(certs))
        procs.append(serve)
        assert _scheduler_from(banner) == address
        key = _key_from(banner)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"X-API-Key": key}, timeout=60) as http:
            with open(FIXTURES / "circuit.wasm", "rb") as wasm, open(FIXTURES / "circuit.zkey", "rb") as zkey:
                up = http.post(
                    "/api/v1/circuits", data={"name": "multiplier"}, files={"wasm": wasm, "zkey": zkey}, timeout=300
                )
            assert up.status_code == 201, up.text
            posted = http.post(
                "/api/v1/proofs",
                json={
                    "proof_system": "groth16",
                    "data": json.loads((FIXTURES / "input.json").read_text()),
                    "circuit_id": up.json()["id"],
                },
            )
            assert posted.status_code == 202, posted.text
            proof = _poll(
                http,
                f"/api/v1/proofs/{posted.json()['proof_id']}",
                lambda p: p["status"] in ("completed", "failed"),
                300,
            )
            assert proof["status"] == "completed", proof
            job = http.get(f"/api/v1/jobs/{posted.json()['job_id']}").json()
            assert job["worker"] in workers and job["runs"] == 1, job
            vkey = json.loads((FIXTURES / "verification_key.json").read_text())
            assert proof["public_inputs"] == json.loads((FIXTURES / "public.json").read_text())
            assert groth16.verify(vkey, proof["public_inputs"], proof["proof_data"])
            checked = http.post(
                "/api/v1/verify",
                json={
                    "proof_system": "groth16",
                    "proof": proof["proof_data"],
                    "public_inputs": proof["public_inputs"],
                    "verification_key": vkey,
                },
            )
            assert checked.json() == {"valid": True}, checked.text
        assert "Starting worker with" in worker.log()
        # The notebook client reaches the same private cluster with the same files (and only with them).
        import zapiki

        with zapiki.connect(db=db, scheduler=address, certs=certs, dispatch=False) as zk:
            assert set(zk.dask_client.scheduler_info()["workers"]) == set(workers)
            assert zk.job(posted.json()["job_id"]).status == "completed"
        with pytest.raises(InputError, match="tls://"):
            zapiki.connect(db=db, scheduler=address.replace("tls://", "tcp://"), certs=certs, dispatch=False)
    finally:
        for proc in reversed(procs):
            kill_tree(proc, term_timeout=20)


def test_serve_runs_its_own_cluster_over_tls_with_temporary_credentials(tmp_path, free_port):
    port = free_port()
    proc, banner = start_serve(tmp_path, f"sqlite:///{tmp_path}/zapiki.db", port)
    try:
        address = _scheduler_from(banner)
        assert address.startswith("tls://127.0.0.1:"), banner
        _refused(address.replace("tls://", "tcp://"))
        _refused(address, expect="typeerror")
        key = _key_from(banner)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"X-API-Key": key}, timeout=30) as http:
            posted = http.post(
                "/api/v1/proofs", json={"proof_system": "commitment", "data": "tls", "options": {"async": True}}
            )
            assert posted.status_code == 202, posted.text
            done = _poll(
                http,
                f"/api/v1/proofs/{posted.json()['proof_id']}",
                lambda p: p["status"] != "pending" and p["status"] != "processing",
                120,
            )
            assert done["status"] == "completed", done
            job = http.get(f"/api/v1/jobs/{posted.json()['job_id']}").json()
            assert job["worker"].startswith("tls://127.0.0.1:"), job
    finally:
        kill_tree(proc, term_timeout=30)


def test_workers_and_serve_refuse_certs_without_a_tls_address(tmp_path):
    make_certificates(tmp_path / "certs")
    for args in (
        ["worker", "tcp://127.0.0.1:1", "--certs", str(tmp_path / "certs")],
        ["worker", "tls://127.0.0.1:1", "--certs", str(tmp_path / "missing")],
        ["serve", "--scheduler", "tls://127.0.0.1:1"],  # a tls:// scheduler needs --certs
    ):
        done = subprocess.run(
            [sys.executable, "-m", "zapiki.cli", *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "ZAPIKI_WARMUP": "0"},
            cwd=tmp_path,
        )
        assert done.returncode == 2 and "error:" in done.stderr, (args, done.stdout, done.stderr)


def test_make_run_worker_passes_the_certificates_only_to_a_tls_scheduler():
    def recipe(*overrides: str) -> str:
        # --no-print-directory: under `make test` (MAKELEVEL > 0) make would add "Leaving directory" lines
        cmd = ["make", "--no-print-directory", "-n", "run-worker", *overrides]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    assert recipe().endswith("zapiki worker tls://127.0.0.1:8786 --certs .zapiki/certs")
    assert recipe("CERTS=/c", "SCHEDULER=tls://h:1").endswith("zapiki worker tls://h:1 --certs /c")
    assert recipe("SCHEDULER=tcp://h:1").endswith("zapiki worker tcp://h:1")
