"""Brand-new, empty databases of the kind this run tests, and what a command left in them."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import PG_ADMIN_DSN, TEST_DATABASE


@contextmanager
def fresh_database(directory: Path) -> Iterator[str]:
    """The URL of an empty database (a file in ``directory`` on SQLite), dropped afterwards."""
    if TEST_DATABASE == "sqlite":
        yield f"sqlite:///{directory / 'empty.sqlite'}"
        return
    name = f"eb_empty_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(sql: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    async def run() -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    """Rows of one statement (committed) on the database at ``url``."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return [tuple(row) for row in conn.execute(sql).fetchall()]
    import asyncpg

    async def fetch() -> list[tuple[object, ...]]:
        conn = await asyncpg.connect(url)
        try:
            return [tuple(row) for row in await conn.fetch(sql)]
        finally:
            await conn.close()

    return asyncio.run(fetch())


def table_names(url: str) -> set[str]:
    if url.startswith("sqlite"):
        sql = "SELECT name FROM sqlite_master WHERE type='table'"
    else:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    return {str(row[0]) for row in query(url, sql)}


def applied_migrations(url: str) -> list[tuple[str, str]] | None:
    """``(app_name, name)`` of every row of Piccolo's migration table; None without the table."""
    if "migration" not in table_names(url):
        return None
    rows = query(url, "SELECT app_name, name FROM migration ORDER BY app_name, name")
    return [(str(app), str(name)) for app, name in rows]
