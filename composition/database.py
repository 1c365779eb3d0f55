"""The database engine of this process: found, opened, closed and migrated."""

from __future__ import annotations

import contextlib
import io

from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.engine import engine_finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

from adapters.settings import ConfigurationError
from tables.database import enable_sqlite_wal

PoolSize = tuple[int, int]
POOL_SIZE: PoolSize = (1, 20)


def database_engine() -> Engine:  # type: ignore[type-arg]
    """The one engine Piccolo's tables and migrations use (from ``piccolo_conf``)."""
    engine = engine_finder()
    if engine is None:
        raise ConfigurationError("piccolo_conf.py defines no database engine")
    return engine


async def open_database(engine: Engine) -> None:  # type: ignore[type-arg]
    """A connection pool on PostgreSQL (SQLite needs none)."""
    if isinstance(engine, PostgresEngine) and engine.pool is None:
        await engine.start_connection_pool(min_size=POOL_SIZE[0], max_size=POOL_SIZE[1])


async def close_database(engine: Engine) -> None:  # type: ignore[type-arg]
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()


async def migrate(*, quiet: bool = False) -> None:
    """Apply every pending Piccolo migration of every app."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer) if quiet else contextlib.nullcontext():
        result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")
    await enable_sqlite_wal(database_engine())
