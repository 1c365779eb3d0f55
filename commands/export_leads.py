"""``export-leads``: the lead CSV streamed to a file page by page, audited like the form."""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from commands.console import console, err_console, settings_or_exit
from composition.container import build_container
from composition.database import close_database, migrate, open_database
from domain.errors import DomainError
from domain.staff import AccessReason
from domain.use_cases.export_leads import ExportLeadsCommand


def cmd_export_leads(args: argparse.Namespace) -> int:
    if args.include_contacts and not args.by:
        err_console.print("[red]--include-contacts needs --by USERNAME (a manager or an admin).[/]")
        return 2
    container = build_container(settings_or_exit())
    output = Path(args.output)
    partial_file = output.with_name(output.name + ".partial")

    async def run() -> int:
        await open_database(container.engine)
        try:
            await migrate(quiet=True)
            staff_user_id = None
            if args.by:
                member = await container.staff_directory.get_by_username(args.by)
                if member is None:
                    err_console.print(f"[red]{args.by} is not an active staff member.[/]")
                    return 2
                staff_user_id = member.user_id
            export = await container.staff.export_leads.execute(
                ExportLeadsCommand(
                    staff_user_id=staff_user_id,
                    include_contacts=args.include_contacts,
                    date_from=args.date_from,
                    date_to=args.date_to,
                    status=args.status,
                    reason=AccessReason(args.reason),
                    page_size=args.page_size,
                )
            )
            fd = os.open(partial_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with (
                os.fdopen(fd, "wb") as handle,
                Progress(
                    TextColumn("[bold]leads"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    console=err_console,
                ) as progress,
            ):
                task = progress.add_task("leads", total=export.row_count)
                async for chunk, rows in export.chunks_with_counts():
                    handle.write(chunk)
                    progress.advance(task, rows)
            os.replace(partial_file, output)
            audited = " (contacts: audited)" if args.include_contacts else ""
            console.print(f"[green]Exported[/] {export.row_count} leads to {output}{audited}.")
            return 0
        except DomainError as exc:
            err_console.print(f"[red]Export refused:[/] {exc.code}")
            return 1
        finally:
            partial_file.unlink(missing_ok=True)
            await close_database(container.engine)

    return asyncio.run(run())
