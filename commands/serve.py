"""``serve``: prepare the database, check that the contact keys open a sample of the stored
contacts, then run the HTTP service.

Development migrates and seeds demo data into an empty database; production never migrates
(``migrate`` is a release step) and refuses to start while migrations are pending. An unset
``APP_ENV`` with a public ``--host`` refuses to start.

SIGTERM (or Ctrl+C) drains: no new connection is accepted, requests in flight finish (for at
most ``DRAIN_SECONDS``), the database is closed and the process exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import signal
from types import FrameType
from typing import Any

import uvicorn
from rich.markup import escape

from adapters.settings import Settings
from api.access_log import AccessLog
from commands.console import console, fail, settings_or_exit
from composition.container import build_container
from composition.database import MigrationsPending, prepare_schema
from composition.logs import configure_logging
from composition.metrics import mark_this_process_dead, tidy_multiprocess_dir
from composition.web import build_app
from tables.demo import database_is_empty, seed_demo
from tables.key_rotation import sample_undecryptable

# On SIGTERM uvicorn stops accepting connections and lets in-flight requests finish, for at
# most this long (inside the usual 30 s before SIGKILL); then the lifespan shutdown closes
# the database, so no request loses its connection halfway.
DRAIN_SECONDS = 25


def cmd_serve(args: argparse.Namespace) -> int:
    # The development defaults (sandbox URL, public site URL) follow the port we bind.
    settings = settings_or_exit(port=args.port)
    if not settings.app_env_explicit and not is_loopback_host(args.host):
        return fail(
            f"[bold red]Refusing to serve on {args.host}[/]: APP_ENV is not set, so this would "
            "run the development stack (sandbox payments, demo data) in public; set "
            "APP_ENV=production, or APP_ENV=development to mean it, or bind 127.0.0.1."
        )
    configure_logging(settings.log_level)
    if settings.metrics_multiproc_dir is not None:
        tidy_multiprocess_dir(settings.metrics_multiproc_dir)
    container = build_container(settings)
    try:
        asyncio.run(prepare_database(settings))
    except MigrationsPending as exc:
        return fail(f"[bold red]{escape(str(exc))}[/]")
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        return fail(
            f"[bold red]Cannot prepare the database[/] ({type(exc).__name__}): check "
            "DATABASE_URL and that the database is up."
        )
    sample = asyncio.run(sample_undecryptable(container.encryptor))
    if sample.undecryptable:
        # Counts only: never a ciphertext or a key.
        return fail(
            "[bold red]CONTACT_ENCRYPTION_KEYS do not match the stored data[/]: "
            f"{sample.undecryptable} of {sample.checked} sampled contacts open with none of the "
            "configured keys (a key missing, or keys of another installation); not serving."
        )
    app = build_app(container)
    database = "PostgreSQL" if settings.database_is_postgres else "SQLite"
    console.print(
        f"[green]Serving[/] on http://{args.host}:{args.port} ({settings.app_env}, {database})"
    )
    # uvicorn drains on SIGTERM/SIGINT, then raises the signal again for the handler found
    # before it: this one turns that (or a signal before uvicorn listens) into a clean exit 0.
    previous = {sig: signal.signal(sig, _stopped) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        _run_uvicorn(app, args, settings)
    except Stopped:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if settings.metrics_multiproc_dir is not None:
            mark_this_process_dead(settings.metrics_multiproc_dir)
    console.print("[green]Stopped[/] on request; exiting 0")
    return 0


class Stopped(Exception):
    """SIGTERM or SIGINT: uvicorn has drained, or was not serving yet."""


def _stopped(signum: int, frame: FrameType | None) -> None:
    raise Stopped()


def _run_uvicorn(app: Any, args: argparse.Namespace, settings: Settings) -> None:
    uvicorn.run(
        AccessLog(app),
        host=args.host,
        port=args.port,
        proxy_headers=False,  # api.client_ip.TrustedProxyMiddleware judges forwarded headers
        server_header=False,
        access_log=False,  # it prints the client's IP address: api.access logs instead
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=DRAIN_SECONDS,
    )


def is_loopback_host(host: str) -> bool:
    """Whether ``--host`` binds this machine only (``localhost``, ``127.0.0.0/8``, ``::1``)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        # A host name other than localhost may resolve anywhere: treat it as public.
        return False


async def prepare_database(settings: Settings) -> None:
    await prepare_schema(settings)
    if not settings.is_production and await database_is_empty():
        report = await seed_demo()
        console.print(
            f"Demo data: {report.services_created} services, {report.slots_created} slots"
        )
