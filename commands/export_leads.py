"""``export-leads``: the lead CSV streamed to a file page by page, audited like the form.

With ``--include-contacts --by USERNAME`` the export is attributed to that staff member in
``contact_access_log``, so it must be them: their password is read from standard input
(without echo on a terminal, a plain line from a script). A wrong password, an unknown or
inactive account and a role other than manager or admin all get the same refusal (nothing
tells which), exit code 1, nothing exported, and a warning on ``commands.export_leads``
naming the username, never the password.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from commands.console import console, err_console, settings_or_exit
from composition.container import build_container
from composition.database import close_database, migrate, open_database
from composition.logs import configure_logging
from domain.errors import DomainError
from domain.staff import AccessReason
from domain.use_cases.export_leads import ExportLeadsCommand
from tables.staff.accounts import StaffUser

logger = logging.getLogger("commands.export_leads")

NOT_PROVEN = (
    "Выгрузка с контактами отклонена: неверное имя или пароль, учётная запись неактивна или "
    "без роли manager/admin (export with contacts refused: wrong username or password, an "
    "inactive account, or not a manager or admin)."
)


def read_password(username: str) -> str:
    """The password of ``--by``: no echo on a terminal, one plain line from a pipe."""
    if sys.stdin.isatty():
        return getpass.getpass(f"Password of {username}: ")
    return sys.stdin.readline().rstrip("\r\n")


def cmd_export_leads(args: argparse.Namespace) -> int:
    if args.include_contacts and not args.by:
        err_console.print("[red]--include-contacts needs --by USERNAME (a manager or an admin).[/]")
        return 2
    settings = settings_or_exit()
    configure_logging(settings.log_level)
    container = build_container(settings)
    password = read_password(args.by) if args.include_contacts else None
    output = Path(args.output)
    partial_file = output.with_name(output.name + ".partial")

    async def run() -> int:
        await open_database(container.engine)
        try:
            await migrate(quiet=True)
            staff_user_id = None
            if password is not None:
                # Proof first, the same answer for every failure: nothing tells whether the
                # account exists, is active or has the role.
                proven = await StaffUser.login(args.by, password)
                member = await container.staff_directory.get_by_username(args.by)
                if (
                    proven is None
                    or member is None
                    or member.user_id != proven
                    or not member.may_export_leads()
                ):
                    logger.warning(
                        "export-leads --include-contacts refused: username=%r", args.by[:100]
                    )
                    err_console.print(f"[red]{NOT_PROVEN}[/]", soft_wrap=True)
                    return 1
                staff_user_id = member.user_id
            elif args.by:
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
