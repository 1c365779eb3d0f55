"""``generate-keys`` and ``rotate-keys`` (batches, progress bar, resumable)."""

from __future__ import annotations

import argparse
import asyncio

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from adapters.fernet_encryptor import generate_blind_index_key, generate_fernet_key
from commands.console import console, err_console, settings_or_exit
from composition.container import build_container
from composition.database import close_database, migrate, open_database
from tables.key_rotation import RotationReport, count_outdated, count_rows, rotate_all


def cmd_generate_keys(_: argparse.Namespace) -> int:
    console.print("New keys (keep them in your secret store, never in the repository):")
    console.print(f"CONTACT_ENCRYPTION_KEYS={generate_fernet_key()}", soft_wrap=True)
    console.print(f"BLIND_INDEX_KEY={generate_blind_index_key()}", soft_wrap=True)
    console.print(
        "To rotate: put the new Fernet key first in CONTACT_ENCRYPTION_KEYS (keep the old ones "
        "after it), run `python main.py rotate-keys`, then remove the old keys. The blind "
        "index key is not rotated: changing it breaks deduplication of existing contacts."
    )
    return 0


def cmd_rotate_keys(args: argparse.Namespace) -> int:
    container = build_container(settings_or_exit())

    async def run() -> tuple[RotationReport, int]:
        await open_database(container.engine)
        try:
            await migrate(quiet=True)
            totals = await count_rows()
            with Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
            ) as progress:
                tasks = {
                    name: progress.add_task(name, total=total) for name, total in totals.items()
                }
                report = await rotate_all(
                    container.encryptor,
                    batch_size=args.batch_size,
                    on_batch=lambda name, n: progress.advance(tasks[name], n),
                )
            # Read again, after the run: live traffic may have written meanwhile.
            return report, await count_outdated(container.encryptor, batch_size=args.batch_size)
        finally:
            await close_database(container.engine)

    report, outdated = asyncio.run(run())
    console.print(
        f"Rotated {report.values_rotated} values; {report.values_already_current} already "
        f"under the newest key; {report.rows_seen} rows read."
    )
    if outdated:
        console.print(
            f"[yellow]The old keys are still needed[/]: {outdated} stored values are not under "
            "the newest key. Keep every key in CONTACT_ENCRYPTION_KEYS and run rotate-keys again.",
            soft_wrap=True,
        )
    elif len(container.settings.contact_encryption_keys.get_secret_value()) > 1:
        console.print(
            "[green]The old keys are no longer needed[/]: every stored value is under the "
            "newest key. Keep only the first key in CONTACT_ENCRYPTION_KEYS.",
            soft_wrap=True,
        )
    else:
        console.print("Every stored value is under the only configured key.", soft_wrap=True)
    if report.conflicts:
        console.print(f"[yellow]{report.conflicts} rows changed meanwhile: run again.[/]")
    if report.undecryptable:
        for column, count in report.undecryptable.items():
            err_console.print(f"[red]{count} values in {column} match no configured key.[/]")
        return 1
    return 0 if not report.conflicts else 3
