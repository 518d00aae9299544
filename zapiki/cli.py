"""`zapiki` command line: serve, keys, stats, jobs (and the snarkjs-like groth16 commands as they land)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from zapiki.errors import ZapikiError


def _service(db: str | None, config: str | None) -> Any:  # noqa: ANN401
    from zapiki.config import Settings
    from zapiki.service import ZapikiService

    return ZapikiService.open(db, None, Settings.load(config), dispatch=False)


db_option = click.option("--db", "db", default=None, help="Database URL (default: the configured one).")
config_option = click.option("--config", "config", default=None, type=click.Path(), help="scheduler_config.yaml")


@click.group()
@click.version_option(package_name="zapiki")
def main() -> None:
    """Zapiki: zero-knowledge proofs as durable jobs on a Dask cluster."""


@main.command()
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
@db_option
@click.option("--scheduler", default=None, help="Use this Dask scheduler (tls://host:8786) instead of a local cluster.")
@click.option(
    "--certs",
    default=None,
    type=click.Path(file_okay=False),
    help="Folder from `zapiki cluster certs` (ca.pem, client.pem, client-key.pem) for a tls:// --scheduler.",
)
@click.option("--n-workers", default=None, type=int, help="Local cluster: worker processes.")
@click.option("--threads-per-worker", default=None, type=int, help="Local cluster: threads per worker.")
@click.option("--dask-dashboard-port", default=8787, show_default=True, type=int)
@config_option
def serve(**kwargs: Any) -> None:  # noqa: ANN401
    """Serve the API, the dashboard (at /dashboard) and the job dispatcher."""
    from zapiki.server import ServeOptions, serve

    serve(ServeOptions(**kwargs))


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("scheduler")
@click.option(
    "--certs",
    default=None,
    type=click.Path(file_okay=False),
    help="Folder from `zapiki cluster certs` (ca.pem, worker.pem, worker-key.pem): TLS to a tls:// SCHEDULER.",
)
@click.argument("dask_args", nargs=-1, type=click.UNPROCESSED)
def worker(scheduler: str, certs: str | None, dask_args: tuple[str, ...]) -> None:
    """A `dask worker SCHEDULER --preload zapiki.jobs.preload [DASK_ARGS]`, restarted when it fails; SIGTERM or
    Ctrl-C drains it and stops (a second one stops it at once)."""
    from zapiki.jobs.supervise import supervise, worker_command

    sys.exit(supervise(worker_command(scheduler, dask_args, certs=certs)))


@main.group()
def cluster() -> None:
    """A private Dask cluster: TLS with mutual authentication on certificates of its own CA."""


@cluster.command("certs")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--days", default=None, type=int, help="Validity in days (default: two years).")
@click.option("--force", is_flag=True, help="Replace an existing set (every node then needs the new files).")
def cluster_certs(folder: str, days: int | None, force: bool) -> None:
    """Make a new private CA and the certificates and keys of the scheduler, the workers and the clients in
    FOLDER (made private, 0700; keys 0600), and print how to use them."""
    from zapiki.cluster_security import CA_FILE, DEFAULT_DAYS, cert_file, key_file, make_certificates

    days = DEFAULT_DAYS if days is None else days
    written = make_certificates(folder, days=days, overwrite=force)
    click.echo(f"Made a private CA and certificates (ECDSA P-256, valid {days} days) in {folder}:")
    purposes = {
        CA_FILE: "the cluster's CA: every node needs it; peers not signed by it are refused",
        "scheduler.pem": "the scheduler's certificate",
        "worker.pem": "the workers' certificate (one for all workers)",
        "client.pem": "the clients' certificate: zapiki serve, zapiki.connect(certs=...)",
    }
    for path in written:
        note = purposes.get(path.name, "private key (0600): copy only to the machines of this role")
        click.echo(f"  {path}  {note}")
    click.echo("The CA's private key was not kept: to renew or revoke, run again with --force and copy the new set.")
    ca = Path(folder) / CA_FILE

    def tls(role: str) -> str:
        return f"--tls-ca-file {ca} --tls-cert {cert_file(folder, role)} --tls-key {key_file(folder, role)}"

    click.echo("Use them (copy the folder, or only the files of each machine's role, to every machine):")
    click.echo(f"  scheduler:  dask scheduler {tls('scheduler')}")
    click.echo(f"              (or: make run-scheduler CERTS={folder})")
    click.echo(f"  workers:    zapiki worker tls://SCHEDULER_HOST:8786 --certs {folder}")
    click.echo(f"              (or: make run-worker SCHEDULER=tls://SCHEDULER_HOST:8786 CERTS={folder})")
    click.echo(f"  service:    zapiki serve --scheduler tls://SCHEDULER_HOST:8786 --certs {folder}")
    click.echo(f'  notebooks:  zapiki.connect(scheduler="tls://SCHEDULER_HOST:8786", certs="{folder}")')


@main.group()
def keys() -> None:
    """API keys (stored only as hashes; a key is shown once, at creation)."""


@keys.command("create")
@click.option("--email", required=True)
@click.option("--name", default=None)
@click.option("--tier", default=None, type=click.Choice(["free", "pro", "enterprise"]))
@click.option("--admin", is_flag=True, help="An admin key: sees and acts on every user's jobs, proofs and circuits.")
@db_option
@config_option
def keys_create(
    email: str, name: str | None, tier: str | None, admin: bool, db: str | None, config: str | None
) -> None:
    """Create a key for the user with EMAIL (created if new) and print it once."""
    svc = _service(db, config)
    info, raw = svc.keys.create_key(email, name=name, tier=tier, admin=admin)
    svc.close()
    click.echo(f"Key {info['id']} for {email} (tier {info['tier']}, role {info['role']}). Shown once, keep it safe:")
    click.echo(raw)


@keys.command("list")
@db_option
@config_option
def keys_list(db: str | None, config: str | None) -> None:
    svc = _service(db, config)
    rows = svc.keys.list_keys()
    svc.close()
    click.echo(f"{'id':36}  {'prefix':10}  {'email':24}  {'tier':10}  {'role':5}  {'created':19}  revoked")
    for k in rows:
        click.echo(
            f"{k['id']:36}  {k['prefix']:10}  {k['email'] or '':24}  {k['tier']:10}  {k['role']:5}  "
            f"{k['created_at'][:19]:19}  {(k['revoked_at'] or '')[:19]}"
        )


@keys.command("revoke")
@click.argument("key")
@db_option
@config_option
def keys_revoke(key: str, db: str | None, config: str | None) -> None:
    """Revoke KEY (its id or its prefix)."""
    svc = _service(db, config)
    info = svc.keys.revoke(key)
    svc.close()
    click.echo(f"revoked {info['id']} ({info['prefix']}…)")


@keys.command("rotate-signing-key")
@click.option("--revoke-old", is_flag=True, help="The old key leaked: what it signed no longer verifies.")
@db_option
@config_option
def keys_rotate_signing_key(revoke_old: bool, db: str | None, config: str | None) -> None:
    """Replace the service's commitment signing key. Proofs signed with the old one still verify as the
    service's (unless --revoke-old); restart `zapiki serve` (and other dispatching processes) to sign with the
    new one."""
    from zapiki.systems.commitment import SIGNING_KEY

    svc = _service(db, config)
    public = svc.keys.rotate_service_key(SIGNING_KEY, revoke_old=revoke_old)
    svc.close()
    click.echo(f"new signing key {public}; restart the service to use it")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the raw JSON.")
@db_option
@config_option
def stats(as_json: bool, db: str | None, config: str | None) -> None:
    """Queue sizes, in flight, retrying, failed, processing times, success rate."""
    svc = _service(db, config)
    s = svc.stats()
    svc.close()
    if as_json:
        click.echo(json.dumps(s, indent=2, default=str))
        return
    q = s["queues"]
    click.echo(f"queues      high={q['high']} normal={q['normal']} low={q['low']}")
    click.echo(f"in flight   {s['in_flight']}")
    click.echo(f"retrying    {s['retrying']}")
    click.echo(f"completed   {s['completed']}")
    click.echo(f"failed      {s['failed']}")
    click.echo(f"cancelled   {s['cancelled']}")
    rate = s["success_rate"]
    click.echo(f"success     {'-' if rate is None else f'{rate:.1%}'}")
    for system, t in s["processing_time"].items():
        click.echo(f"time        {system}: p50 {t['p50_ms']:.1f} ms, p95 {t['p95_ms']:.1f} ms (last {t['count']})")


@main.group()
def jobs() -> None:
    """Inspect jobs."""


@jobs.command("list")
@click.option("--status", default=None)
@click.option("--system", default=None)
@click.option("--limit", default=20, show_default=True, type=int)
@db_option
@config_option
def jobs_list(status: str | None, system: str | None, limit: int, db: str | None, config: str | None) -> None:
    svc = _service(db, config)
    rows = svc.proofs.list_jobs(None, status=status, system=system, limit=limit)
    svc.close()
    click.echo(f"{'id':36}  {'system':11}  {'queue':6}  {'status':10}  {'tries':5}  {'created':19}  error")
    for j in rows:
        click.echo(
            f"{j['id']:36}  {j['proof_system']:11}  {j['queue']:6}  {j['status']:10}  "
            f"{j['retry_count']:5}  {j['created_at'][:19]:19}  {(j['error_message'] or '')[:60]}"
        )


def run() -> None:  # the console script
    try:
        main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except click.exceptions.Abort:
        sys.exit(1)
    except ZapikiError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


from zapiki.cli_groth16 import groth16, wtns, zkey  # noqa: E402

for _group in (groth16, wtns, zkey):
    main.add_command(_group)


if __name__ == "__main__":
    run()
