"""``create-staff``: an admin-UI account with a role (audited like a change in the admin)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import secrets
import sys

from rich.markup import escape

from commands.console import console, err_console, fail, settings_or_exit
from composition.database import migrate
from domain.models import StaffRole
from tables.staff.accounts import StaffAccountError, create_staff_user


def cmd_create_staff(args: argparse.Namespace) -> int:
    settings_or_exit()
    generated = False
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat password: "):
            err_console.print("[red]The passwords differ.[/]")
            return 1
    else:
        password = secrets.token_urlsafe(18)
        generated = True

    async def run() -> int:
        await migrate(quiet=True)
        return await create_staff_user(
            args.username, password, StaffRole(args.role), email=args.email
        )

    try:
        user_id = asyncio.run(run())
    except StaffAccountError as exc:
        return fail(f"[red]Cannot create the staff user:[/] {escape(str(exc))}")
    console.print(f"[green]Created[/] {args.username} (id {user_id}) with role {args.role}.")
    if generated:
        console.print(f"Generated password (shown once): [bold]{password}[/]")
    return 0
