"""``serve``: prepare the database, then run the HTTP service.

Development migrates and seeds demo data into an empty database; production never migrates
(``migrate`` is a release step) and refuses to start while migrations are pending.
"""

from __future__ import annotations

import argparse
import asyncio

import uvicorn
from rich.markup import escape

from adapters.settings import Settings
from api.access_log import AccessLog
from commands.console import console, fail, settings_or_exit
from composition.container import build_container
from composition.database import MigrationsPending, prepare_schema
from composition.logs import configure_logging
from composition.web import build_app
from tables.demo import database_is_empty, seed_demo


def cmd_serve(args: argparse.Namespace) -> int:
    # The development defaults (sandbox URL, public site URL) follow the port we bind.
    settings = settings_or_exit(port=args.port)
    configure_logging(settings.log_level)
    try:
        asyncio.run(prepare_database(settings))
    except MigrationsPending as exc:
        return fail(f"[bold red]{escape(str(exc))}[/]")
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        return fail(
            f"[bold red]Cannot prepare the database[/] ({type(exc).__name__}): check "
            "DATABASE_URL and that the database is up."
        )
    app = build_app(build_container(settings))
    database = "PostgreSQL" if settings.database_is_postgres else "SQLite"
    console.print(
        f"[green]Serving[/] on http://{args.host}:{args.port} ({settings.app_env}, {database})"
    )
    uvicorn.run(
        AccessLog(app),
        host=args.host,
        port=args.port,
        proxy_headers=False,  # X-Forwarded-For is judged by our own trusted-proxy rule
        server_header=False,
        access_log=False,  # it prints the client's IP address: api.access logs instead
        log_level=settings.log_level.lower(),
    )
    return 0


async def prepare_database(settings: Settings) -> None:
    await prepare_schema(settings)
    if not settings.is_production and await database_is_empty():
        report = await seed_demo()
        console.print(
            f"Demo data: {report.services_created} services, {report.slots_created} slots"
        )
