"""``check``: the configuration, secrets masked, and whether the database answers."""

from __future__ import annotations

import argparse
import asyncio

from rich.table import Table as RichTable

from commands.console import console, settings_or_exit
from composition.database import database_engine
from tables.database import PiccoloReadinessProbe


def cmd_check(_: argparse.Namespace) -> int:
    settings = settings_or_exit()
    table = RichTable(title=f"Configuration ({settings.app_env})")
    table.add_column("setting")
    table.add_column("value")
    for name, value in settings.summary().items():
        table.add_row(name, value)
    reachable = asyncio.run(PiccoloReadinessProbe(database_engine()).is_ready())
    table.add_row("database reachable", "yes" if reachable else "[red]no[/]")
    console.print(table)
    return 0 if reachable else 1
