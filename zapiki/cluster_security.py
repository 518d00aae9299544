"""A private Dask cluster: TLS with mutual authentication, on certificates from a CA of the cluster's own.

`zapiki cluster certs DIR` (or `make certs`) calls :func:`make_certificates`, which writes into DIR:

============================  =======================================================================
``ca.pem``                    the cluster's CA certificate: every node trusts exactly this CA, no other
``scheduler.pem`` + ``-key``  the scheduler (``dask scheduler --tls-ca-file --tls-cert --tls-key``)
``worker.pem`` + ``-key``     every worker and nanny (``zapiki worker tls://… --certs DIR``); one shared
``client.pem`` + ``-key``     ``zapiki serve --scheduler tls://… --certs DIR`` and ``zapiki.connect(certs=…)``
============================  =======================================================================

Keys are ECDSA P-256, accepted by every TLS 1.2 and 1.3 stack (Ed25519 also works with Python's ssl on
OpenSSL 3, in TLS 1.2 and 1.3, but not with every TLS library or FIPS build, and buys nothing here);
certificates are signed with SHA-256 and valid for :data:`DEFAULT_DAYS` days (two years) from five minutes
ago (clock skew between machines). Private keys are written 0600 and DIR is made 0700.

What the certificates mean to Dask (``distributed.security.Security``, checked in
``tests/test_cluster_security.py``):

- Every connection is TLS and both ends must present a certificate signed by ``ca.pem`` (``CERT_REQUIRED`` on
  both sides): a plain ``tcp://`` peer, a peer without a certificate, and a peer with a certificate from any
  other CA are refused during the handshake.
- Dask does **not** check host names (``check_hostname = False``: it expects a private CA and IP addresses), so
  the certificates name roles (``zapiki-scheduler``, ``zapiki-worker``, ``zapiki-client``), not hosts: the same
  files work on any machine, under any address or name, and adding a machine needs no new certificate.
- Dask has no notion of roles beyond the certificate chain: a holder of *any* key in DIR is a full member of
  the cluster (it can submit code, or join as a worker and receive the service's signing key). The roles
  differ only in their extended key usage (scheduler and worker certificates serve and connect, the client
  certificate only connects, so OpenSSL refuses it on a listening node), which is hygiene, not access control:
  a worker started with the client's files still joins and receives tasks, it just cannot serve results.
  Separate files let each machine hold only what its role needs. One certificate is shared by all workers
  because a per-worker one would buy no access control in Dask, and Dask checks no revocation lists: a lost
  key is answered by a new CA, i.e. by running ``zapiki cluster certs DIR --force`` and handing the new files
  to every node.
- The CA's private key is discarded once the three certificates are signed (nothing can mint another
  certificate from DIR); renewing means making a new set, as above.
"""

from __future__ import annotations

import datetime
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zapiki.errors import InputError

if TYPE_CHECKING:
    from distributed.security import Security

CA_FILE = "ca.pem"
ROLES = ("scheduler", "worker", "client")
DEFAULT_DAYS = 730
_SKEW = datetime.timedelta(minutes=5)


def cert_file(folder: str | os.PathLike[str], role: str) -> Path:
    """The certificate of `role` in `folder`.

    >>> cert_file("certs", "worker").as_posix()
    'certs/worker.pem'
    """
    return Path(folder) / f"{role}.pem"


def key_file(folder: str | os.PathLike[str], role: str) -> Path:
    """The private key of `role` in `folder`.

    >>> key_file("certs", "worker").as_posix()
    'certs/worker-key.pem'
    """
    return Path(folder) / f"{role}-key.pem"


def all_files(folder: str | os.PathLike[str]) -> list[Path]:
    """Every file :func:`make_certificates` writes into `folder`, CA first."""
    return [Path(folder) / CA_FILE] + [f(folder, role) for role in ROLES for f in (cert_file, key_file)]


def role_files(folder: str | os.PathLike[str], role: str) -> tuple[Path, Path, Path]:
    """(CA certificate, certificate, key) of `role` in `folder`; an InputError names any that is missing."""
    if role not in ROLES:
        raise InputError(f"unknown cluster role {role!r} (one of {', '.join(ROLES)})")
    files = (Path(folder) / CA_FILE, cert_file(folder, role), key_file(folder, role))
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise InputError(
            f"missing TLS file(s) for the {role}: {', '.join(missing)} (make them with `zapiki cluster certs DIR` "
            f"and copy {CA_FILE}, {role}.pem and {role}-key.pem to this machine)"
        )
    return files


def dask_tls_args(folder: str | os.PathLike[str], role: str) -> list[str]:
    """The `--tls-ca-file/--tls-cert/--tls-key` options of `dask scheduler` / `dask worker` for `role`.

    Raises InputError when a file is missing, so that a misconfigured node says so instead of retrying."""
    ca, cert, key = role_files(folder, role)
    return ["--tls-ca-file", str(ca), "--tls-cert", str(cert), "--tls-key", str(key)]


def security_from(folder: str | os.PathLike[str]) -> Security:
    """A `distributed.security.Security` over the files in `folder` (require_encryption=True).

    Each role whose certificate and key are present is configured; the others are left empty, so a machine
    needs only the files of the roles it plays (`zapiki serve --certs`: ``ca.pem``, ``client.pem``,
    ``client-key.pem``)."""
    from distributed.security import Security

    ca = Path(folder) / CA_FILE
    if not ca.is_file():
        raise InputError(f"{ca} not found (make the cluster's certificates with `zapiki cluster certs DIR`)")
    fields: dict[str, str | None] = {}
    present = []
    for role in ROLES:
        cert, key = cert_file(folder, role), key_file(folder, role)
        if cert.is_file() and key.is_file():
            present.append(role)
            fields[f"tls_{role}_cert"], fields[f"tls_{role}_key"] = str(cert), str(key)
        else:
            fields[f"tls_{role}_cert"] = fields[f"tls_{role}_key"] = None
    if not present:
        raise InputError(f"no certificate and key of any role ({', '.join(ROLES)}) in {folder}")
    return Security(require_encryption=True, tls_ca_file=str(ca), **fields)


def make_certificates(
    folder: str | os.PathLike[str], *, days: int = DEFAULT_DAYS, overwrite: bool = False
) -> list[Path]:
    """Create a new private CA and a certificate and key for the scheduler, the workers and the clients in
    `folder` (created 0700); returns the files written (see :func:`all_files`).

    Existing files are replaced only with `overwrite` (every node then needs the new set: the old CA is no
    longer trusted). The CA's private key is not kept."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    if days < 1:
        raise InputError("certificates must be valid for at least one day")
    folder = Path(folder)
    files = all_files(folder)
    existing = [str(p) for p in files if p.exists()]
    if existing and not overwrite:
        raise InputError(
            f"{', '.join(existing)} already exist(s); --force replaces the whole set (then copy the new files "
            "to every node: certificates of the old CA are no longer accepted)"
        )
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)

    now = datetime.datetime.now(datetime.UTC)
    start, end = now - _SKEW, now + datetime.timedelta(days=days)
    cluster_id = secrets.token_hex(4)

    def name(common: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"Zapiki cluster {cluster_id}"),
                x509.NameAttribute(NameOID.COMMON_NAME, common),
            ]
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = name(f"Zapiki cluster CA {cluster_id}")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(x509, key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    written = [_write(folder / CA_FILE, ca_cert.public_bytes(pem), 0o644)]
    for role in ROLES:
        key = ec.generate_private_key(ec.SECP256R1())
        usages = [ExtendedKeyUsageOID.CLIENT_AUTH]
        if role != "client":  # scheduler, workers and nannies listen as well as connect
            usages.insert(0, ExtendedKeyUsageOID.SERVER_AUTH)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name(f"zapiki-{role}"))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            # A name for people and logs; Dask does not compare it with the peer's address (see above).
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(f"zapiki-{role}")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(x509, digital_signature=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        private = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        written.append(_write(cert_file(folder, role), cert.public_bytes(pem), 0o644))
        written.append(_write(key_file(folder, role), private, 0o600))
    return written


def _key_usage(x509: Any, **allowed: bool) -> Any:  # noqa: ANN401
    """A KeyUsage extension value allowing only the usages named in `allowed`."""
    names = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement")
    names += ("key_cert_sign", "crl_sign", "encipher_only", "decipher_only")
    return x509.KeyUsage(**{n: allowed.get(n, False) for n in names})


def _write(path: Path, data: bytes, mode: int) -> Path:
    """Write `data` to a new file of exactly `mode` beside `path` (so a key is never readable by others, even for a
    moment or over a wider file that was there), then move it over `path`."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
