"""``worker [--once]``: every job in turn, again and again (``--once``: one pass).

Development migrates first; production never migrates and refuses to start while migrations
are pending.
"""

from __future__ import annotations

import argparse
import asyncio

from rich.markup import escape
from rich.table import Table as RichTable

from commands.console import console, fail, settings_or_exit
from composition.container import build_container
from composition.database import (
    MigrationsPending,
    close_database,
    open_database,
    prepare_schema,
)
from composition.logs import configure_logging
from composition.worker import run_worker_pass


def cmd_worker(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    configure_logging(settings.log_level)
    container = build_container(settings)

    async def run() -> int:
        await open_database(container.engine)
        try:
            try:
                await prepare_schema(settings)
            except MigrationsPending as exc:
                return fail(f"[bold red]{escape(str(exc))}[/]")
            while True:
                done = await run_worker_pass(container)
                if args.once:
                    table = RichTable(title="Worker pass")
                    table.add_column("job")
                    table.add_column("items")
                    for name, count in done.items():
                        table.add_row(name, "[red]failed[/]" if count < 0 else str(count))
                    console.print(table)
                    return 1 if any(count < 0 for count in done.values()) else 0
                idle = all(count == 0 for count in done.values())
                await asyncio.sleep(args.interval if idle else 0.2)
        finally:
            await close_database(container.engine)

    try:
        return asyncio.run(run())
    except KeyboardInterrupt:
        return 0
