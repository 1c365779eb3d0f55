"""``migrate`` and ``seed-demo``."""

from __future__ import annotations

import argparse
import asyncio

from commands.console import console, settings_or_exit
from composition.database import migrate
from tables.demo import seed_demo


def cmd_migrate(_: argparse.Namespace) -> int:
    settings_or_exit()
    asyncio.run(migrate())
    console.print("[green]Migrations applied.[/]")
    return 0


def cmd_seed_demo(_: argparse.Namespace) -> int:
    settings_or_exit()

    async def run() -> None:
        await migrate(quiet=True)
        report = await seed_demo()
        console.print(
            f"[green]Demo data ready:[/] {report.services_created} new services, "
            f"{report.slots_created} new slots."
        )

    asyncio.run(run())
    return 0
