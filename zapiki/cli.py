"""`zapiki` command line: serve, worker, scheduler, db, cluster, keys, stats, jobs, and the snarkjs-like groth16
commands."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from zapiki.cli_groth16 import _errors  # one error policy: `error: ...` on stderr, exit status 2
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
@click.option(
    "--migrate",
    is_flag=True,
    help="Upgrade a server database (PostgreSQL) to this code's schema first, instead of refusing to start "
    "when it is behind (`zapiki db upgrade` does it as a step of its own). Embedded SQLite always upgrades.",
)
@config_option
def serve(**kwargs: Any) -> None:  # noqa: ANN401
    """Serve the API, the dashboard (at /dashboard), Prometheus metrics (at /metrics) and the job dispatcher.

    A PostgreSQL database behind this code's schema is refused (exit 1): run `zapiki db upgrade` first, or
    pass --migrate."""
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
    from zapiki.logs import dask_level

    command = worker_command(scheduler, dask_args, certs=certs)
    level = dask_level()  # ZAPIKI_LOG_LEVEL, for Dask's own loggers too (Zapiki's: the preload reads it)
    if level and not os.environ.get("DASK_LOGGING__DISTRIBUTED"):
        os.environ["DASK_LOGGING__DISTRIBUTED"] = level
    sys.exit(supervise(command))


def scheduler_command(
    certs: str | os.PathLike[str],
    port: int = 8786,
    host: str | None = None,
    dashboard_address: str | None = "127.0.0.1:8787",
    extra: tuple[str, ...] | list[str] = (),
) -> list[str]:
    """The `dask scheduler` command line of a private cluster: TLS only, with the scheduler's files in `certs`
    (a folder from `zapiki cluster certs`; an InputError names what is missing), on `port` of every interface
    (or of `host`), its dashboard on `dashboard_address` (None: no dashboard).

    >>> from zapiki.cluster_security import make_certificates
    >>> import tempfile; folder = tempfile.mkdtemp(); _ = make_certificates(folder)
    >>> cmd = scheduler_command(folder, 8786, dashboard_address=None)
    >>> cmd[1:3], cmd[cmd.index("--port") + 1], "--no-dashboard" in cmd, cmd[cmd.index("--tls-cert") + 1][-13:]
    (['-m', 'distributed.cli.dask_scheduler'], '8786', True, 'scheduler.pem')
    >>> scheduler_command(folder, host="10.0.0.5")[scheduler_command(folder, host="10.0.0.5").index("--host") + 1]
    'tls://10.0.0.5'
    """
    from zapiki.cluster_security import dask_tls_args

    cmd = [sys.executable, "-m", "distributed.cli.dask_scheduler", "--port", str(port)]
    if host:  # with the TLS files and no --host, Dask listens on tls:// of every interface
        cmd += ["--host", host if "://" in host else f"tls://{host}"]
    cmd += ["--no-dashboard"] if dashboard_address is None else ["--dashboard-address", dashboard_address]
    return [*cmd, *dask_tls_args(certs, "scheduler"), *extra]


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option(
    "--certs",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder from `zapiki cluster certs` (ca.pem, scheduler.pem, scheduler-key.pem).",
)
@click.option("--port", default=8786, show_default=True, type=int, help="The TLS port workers and clients reach.")
@click.option("--host", default=None, help="Listen on this address only (default: every interface).")
@click.option("--dashboard-port", default=8787, show_default=True, type=int)
@click.option(
    "--dashboard-host",
    default="127.0.0.1",
    show_default=True,
    help="The dashboard is plain, unauthenticated HTTP: loopback unless you open it on purpose (0.0.0.0).",
)
@click.option("--no-dashboard", is_flag=True, help="No dashboard.")
@config_option
@click.argument("dask_args", nargs=-1, type=click.UNPROCESSED)
def scheduler(
    certs: str,
    port: int,
    host: str | None,
    dashboard_port: int,
    dashboard_host: str,
    no_dashboard: bool,
    config: str | None,
    dask_args: tuple[str, ...],
) -> None:
    """A TLS-only `dask scheduler` for a private cluster (what `make run-scheduler` runs): mutual TLS with the
    certificates in --certs, the Dask part of scheduler_config.yaml, Dask's loggers at ZAPIKI_LOG_LEVEL. The
    process becomes the scheduler (exec): signals reach it directly, SIGTERM stops it cleanly. Further
    DASK_ARGS go to `dask scheduler`."""
    from zapiki.config import Settings, _default_config_path
    from zapiki.logs import configure, dask_level

    configure()
    log = logging.getLogger("zapiki.scheduler")
    dashboard = None if no_dashboard else f"{dashboard_host}:{dashboard_port}"
    cmd = scheduler_command(certs, port, host, dashboard, dask_args)
    env = dict(os.environ)
    file = Path(config) if config is not None else _default_config_path()
    if file is not None:
        Settings.load(file)  # a broken file is named here, not half-read by Dask
        env["DASK_CONFIG"] = str(file.resolve())  # Dask reads its part (`distributed:`) of the one config file
        log.info("Dask configuration from %s", file)
    else:
        log.warning("no scheduler_config.yaml found (ZAPIKI_CONFIG, ./scheduler_config.yaml): Dask's defaults")
    level = dask_level()
    if level and not env.get("DASK_LOGGING__DISTRIBUTED"):
        env["DASK_LOGGING__DISTRIBUTED"] = level
    log.info("starting a TLS-only Dask scheduler on port %d (certificates in %s)", port, certs)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(cmd[0], cmd, env)


@main.group("db")
def db_group() -> None:
    """The database's schema: Alembic migrations, one step of a deployment (before `zapiki serve` starts)."""


def _engine(db: str | None, config: str | None) -> Any:  # noqa: ANN401
    from zapiki.config import Settings
    from zapiki.store.db import create_engine_for

    return create_engine_for(db or Settings.load(config).database_url)


def _unreachable(engine: Any, exc: Exception) -> None:  # noqa: ANN401
    shown = engine.url.render_as_string(hide_password=True)
    click.echo(f"error: cannot reach the database {shown}: {str(exc).splitlines()[0]}", err=True)
    sys.exit(2)


@db_group.command("upgrade")
@db_option
@config_option
def db_upgrade(db: str | None, config: str | None) -> None:
    """Upgrade the database (--db, else DATABASE_URL / the configured one) to this code's schema (Alembic head);
    prints the revision before and after. Safe to run again, and from several places at once."""
    from sqlalchemy.exc import SQLAlchemyError

    from zapiki.logs import configure
    from zapiki.store.db import revision, schema_state, upgrade

    configure()
    engine = _engine(db, config)
    shown = engine.url.render_as_string(hide_password=True)
    try:
        state, before, head = schema_state(engine)
        click.echo(f"database  {shown}")
        click.echo(f"before    {before or '(empty)'}")
        if state == "ahead":
            click.echo(f"error: revision {before} is newer than this code's {head}: use a newer Zapiki", err=True)
            sys.exit(3)
        upgrade(engine)
        after = revision(engine)
    except SQLAlchemyError as exc:
        _unreachable(engine, exc)
    finally:
        engine.dispose()
    click.echo(f"after     {after}" + ("  (already at head)" if after == before else ""))


@db_group.command("current")
@db_option
@config_option
def db_current(db: str | None, config: str | None) -> None:
    """Print the database's schema revision and this code's head. Exit status: 0 at head, 1 behind (run
    `zapiki db upgrade`), 2 unreachable, 3 newer than this code."""
    from sqlalchemy.exc import SQLAlchemyError

    from zapiki.logs import configure
    from zapiki.store.db import schema_state

    configure()
    engine = _engine(db, config)
    try:
        state, at, head = schema_state(engine)
    except SQLAlchemyError as exc:
        _unreachable(engine, exc)
    finally:
        engine.dispose()
    click.echo(f"database  {engine.url.render_as_string(hide_password=True)}")
    click.echo(f"revision  {at or '(empty)'}")
    click.echo(f"head      {head}")
    click.echo(f"status    {state}" + ("  (run `zapiki db upgrade`)" if state == "behind" else ""))
    sys.exit({"current": 0, "behind": 1, "ahead": 3}[state])


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
def templates() -> None:
    """Proof templates: statements proved without writing a circuit, and their keys."""


@templates.command("list")
@click.option("--category", default=None, help="Only templates of this category.")
@_errors
def templates_list(category: str | None) -> None:
    """The templates: id, category, constraints, title."""
    from zapiki import templates as catalogue

    for t in catalogue.all_templates(category):
        click.echo(f"{t.id:18}  {t.category:12}  {t.circuit['constraints']:>7}  {t.title}")


@templates.command("show")
@click.argument("template_id")
@click.option("--json", "as_json", is_flag=True, help="The input schema, example and public signals as JSON.")
@_errors
def templates_show(template_id: str, as_json: bool) -> None:
    """A template's documentation (markdown), or its description as JSON."""
    import json

    from zapiki import templates as catalogue

    t = catalogue.get(template_id)
    click.echo(json.dumps(t.describe(), indent=2) if as_json else t.docs)


@templates.command("setup")
@click.option("--ptau", "ptau", default=None, type=click.Path(exists=True, dir_okay=False),
              help="A public ceremony's powers of tau (prepared for phase 2). Default: templates.ptau of the "
                   "configuration, else a development setup (single party, not a ceremony).")  # fmt: skip
@db_option
@config_option
@_errors
def templates_setup(ptau: str | None, db: str | None, config: str | None) -> None:
    """Make every template's keys in the service's database now (the service otherwise makes them on a template's
    first proof). Keys made from a .ptau are used by the service even where templates.ptau is not set."""
    svc = _service(db, config)
    try:
        for circuit in svc.template_keys.make_all(ptau):
            info = circuit["info"] or {}
            click.echo(f"{info.get('template', circuit['name']):18}  {circuit['id']}  {info.get('setup')}")
    finally:
        svc.close()


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
from zapiki.cli_issuer import issuer  # noqa: E402
from zapiki.cli_plonk import plonk  # noqa: E402

for _group in (groth16, wtns, zkey, issuer, plonk):
    main.add_command(_group)


if __name__ == "__main__":
    run()
