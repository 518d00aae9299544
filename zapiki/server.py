"""`zapiki serve`: one Tornado server (Panel's) with the dashboard (`zapiki.dashboard.page` at /dashboard), the
REST API and /health, a Dask cluster (local, or an existing scheduler), and the job dispatcher, over one
database. (`dashboards/dashboard.py` is the same page as a Panel app of its own, for `panel serve`.)"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass
from typing import Any

from zapiki.config import Settings
from zapiki.jobs.worker import stop_provers
from zapiki.logs import configure as configure_logging
from zapiki.service import ZapikiService

log = logging.getLogger("zapiki.server")


@dataclass
class ServeOptions:
    port: int = 8000
    host: str = "127.0.0.1"
    db: str | None = None
    scheduler: str | None = None
    certs: str | None = None
    n_workers: int | None = None
    threads_per_worker: int | None = None
    config: str | None = None
    dask_dashboard_port: int = 8787
    migrate: bool = False


def start_cluster(settings: Settings, opts: ServeOptions) -> tuple[Any, Any]:  # noqa: ANN401
    """A Dask client for --scheduler (TLS with the client's certificate from --certs for a tls:// one), or a
    new local cluster (workers preloaded and warmed) that is private too: TLS with temporary credentials made
    for it and held only in memory (`security=True`), so another user of this machine cannot reach it."""
    from distributed import Client, LocalCluster

    from zapiki.errors import InputError

    if opts.scheduler:
        tls = opts.scheduler.startswith("tls://")
        if opts.certs is None and tls:
            raise InputError(f"--scheduler {opts.scheduler} needs --certs DIR (from `zapiki cluster certs`)")
        if opts.certs is not None and not tls:
            raise InputError(f"--certs needs a tls:// scheduler address, not {opts.scheduler}")
        security = None
        if opts.certs is not None:
            from zapiki.cluster_security import role_files, security_from

            role_files(opts.certs, "client")  # name a missing file here rather than fail in the TLS handshake
            security = security_from(opts.certs)
        else:
            log.warning(
                "%s is plain TCP: whoever reaches it can run code on the workers (see `zapiki cluster certs`)",
                opts.scheduler,
            )
        return Client(opts.scheduler, security=security), None
    if opts.certs is not None:
        raise InputError("--certs is for a tls:// --scheduler; the local cluster makes its own credentials")
    cluster = LocalCluster(
        n_workers=opts.n_workers or settings.n_workers,
        threads_per_worker=opts.threads_per_worker or settings.worker_concurrency,
        processes=True,
        dashboard_address=f"{opts.host}:{opts.dask_dashboard_port}",
        preload=["zapiki.jobs.preload"],
        security=True,
    )
    return Client(cluster), cluster


def check_schema(url: str, migrate: bool = False) -> bool:
    """Whether to upgrade the database at `url` as the service opens it, or refuse to serve it.

    Embedded SQLite (the default, `make run`) has a single owner and keeps upgrading itself when opened: True.
    A server database (PostgreSQL) is migrated by the operator with `zapiki db upgrade` (a one-shot step of the
    deployment, run once however many API processes start): one behind this code's schema is refused (exit 1,
    naming both revisions and the command), unless `migrate` (`zapiki serve --migrate`) asks to upgrade it
    here. One migrated by a newer Zapiki is served as it is, with a warning (migrations add, so the older code
    still works during a rolling update). Exits 2 when the database cannot be reached."""
    from sqlalchemy.exc import SQLAlchemyError

    from zapiki.store.db import create_engine_for, normalize_url, schema_state

    url = normalize_url(url)
    if url.startswith("sqlite"):
        return True
    engine = create_engine_for(url)
    shown = engine.url.render_as_string(hide_password=True)
    try:
        state, at, newest = schema_state(engine)
    except SQLAlchemyError as exc:
        log.error("cannot reach the database %s: %s", shown, str(exc).splitlines()[0])
        sys.exit(2)
    finally:
        engine.dispose()
    if state == "behind" and migrate:
        log.info("database %s at revision %s: upgrading it to %s (--migrate)", shown, at or "(empty)", newest)
        return True
    if state == "behind":
        log.error(
            "the database %s is at schema revision %s, this code needs %s: run `zapiki db upgrade` (with the same "
            "DATABASE_URL, or --db) first, or start with `zapiki serve --migrate`",
            shown,
            at or "(empty: never migrated)",
            newest,
        )
        sys.exit(1)
    if state == "ahead":
        log.warning("the database %s is at schema revision %s, newer than this code's %s", shown, at, newest)
    return False


def first_start_key(service: ZapikiService) -> str | None:
    """On the first start, an admin API key for the default user (printed once, stored only as a hash)."""
    from zapiki.store.keys import DEFAULT_EMAIL

    if any(k["email"] == DEFAULT_EMAIL for k in service.keys.list_keys()):
        return None
    _, raw = service.keys.create_key(DEFAULT_EMAIL, name="default", tier="enterprise", admin=True)
    return raw


def _warm_kernels() -> None:
    try:
        from zapiki.systems.groth16.warmup import warmup
        from zapiki.systems.plonk.warmup import warmup as plonk_warmup

        warmup()
        plonk_warmup()
    except Exception as exc:  # never fatal: the first request compiles instead
        log.warning("kernel warm-up failed: %s", exc)


def serve(opts: ServeOptions) -> None:
    """Start everything, print the addresses, and serve until interrupted."""
    import panel as pn

    from zapiki.api import api_context, routes
    from zapiki.dashboard import page

    configure_logging()
    settings = Settings.load(opts.config)
    url = opts.db or settings.database_url
    migrate = check_schema(url, opts.migrate)
    settings.apply_dask_config()
    client, cluster = start_cluster(settings, opts)
    service = ZapikiService.open(url, client, settings, migrate=migrate)
    key = first_start_key(service)
    if os.environ.get("ZAPIKI_WARMUP", "1") not in ("0", "false", "no"):
        # Verification (and circuit upload) use the numba kernels in this process too: load them now, in the
        # background, so the first request does not pay for it.
        threading.Thread(target=_warm_kernels, name="zapiki-warmup", daemon=True).start()
    api = api_context(service, settings)  # one gate (keys, rate limits) for the API and the dashboard
    base = f"http://{opts.host}:{opts.port}"
    print(f"Zapiki {base}", flush=True)
    print(f"  API            {base}/api/v1   (spec: {base}/api/v1/openapi.json, health: {base}/health)")
    print(f"  Dashboard      {base}/dashboard")
    print(f"  Metrics        {base}/metrics   (Prometheus)")
    print(f"  Dask dashboard {client.dashboard_link}")
    print(f"  Scheduler      {client.scheduler.address}")
    print(f"  Database       {service.engine.url.render_as_string(hide_password=True)}")
    print(f"  Workers        {service.workers()['count']} ({service.workers()['threads']} threads)")
    if key:
        print(f"  API key for {service.default_user_id} (admin@localhost), shown once: {key}", flush=True)
    sys.stdout.flush()

    from tornado.ioloop import IOLoop

    loop = IOLoop.current()  # the loop pn.serve runs (threaded=False: in this thread)
    signals: list[int] = []

    def _stop() -> None:
        try:
            service.shutdown()
        finally:
            loop.add_callback(loop.stop)

    def _on_signal(signum: int, _frame: object) -> None:
        signals.append(signum)
        if len(signals) > 1:  # a second signal: stop now (running jobs are re-run by the next start)
            os.write(2, b"Second signal: stopping at once\n")
            os._exit(1)
        os.write(2, b"Shutting down: new requests get 503, running jobs may finish (a second signal stops now)\n")
        threading.Thread(target=_stop, name="zapiki-shutdown", daemon=True).start()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        pn.serve(
            {"dashboard": lambda: page(service, api.gate)},  # one page per browser session
            port=opts.port,
            address=opts.host,
            extra_patterns=routes(service, settings, api),
            show=False,
            start=True,
            title="Zapiki",
            websocket_origin=[f"{opts.host}:{opts.port}", f"localhost:{opts.port}", f"127.0.0.1:{opts.port}"],
            threaded=False,
            # the server-wide body limit (the dashboard's routes too); API handlers check theirs on the headers
            http_server_kwargs={"max_body_size": settings.max_body_bytes},
        )
    except KeyboardInterrupt:
        pass
    finally:
        service.shutdown(0)  # no-op after a signal; otherwise hand running jobs back at once
        service.close()
        if cluster is not None:
            # Jobs still running were handed back: stop their provers so the workers' drain ends at once.
            try:
                client.run(stop_provers)
            except Exception as exc:
                log.warning("could not stop the provers: %s", exc)
        client.close()
        if cluster is not None:
            cluster.close()
        print("Zapiki stopped", flush=True)
        os._exit(0)
