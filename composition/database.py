"""The database engine of this process: found, opened, closed and migrated.

Migrations are one run at a time: ``migrate`` holds a lock for its whole run, a PostgreSQL
session-level advisory lock on one dedicated connection (several hosts) or, on SQLite
(single-host development and tests), an exclusive lock on a file next to the database. A
second ``migrate`` waits for the first, then finds nothing to do. In production ``serve`` and
``worker`` never migrate: :func:`prepare_schema` only checks that nothing is pending.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.apps.migrations.tables import Migration
from piccolo.engine import engine_finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from adapters.settings import ConfigurationError, Settings
from tables.database import enable_sqlite_wal

PoolSize = tuple[int, int]
POOL_SIZE: PoolSize = (1, 20)

# pg_advisory_lock key of this app's migrations: a fixed bigint, the first 8 bytes of
# sha256(b"emotional-balance:migrate") as a signed integer. Never change it: a release running
# the old key and one running the new key would not exclude each other.
MIGRATION_LOCK_KEY = -0x2175_4EA1_1C46_E220
MIGRATE_COMMAND = "python main.py migrate"


class MigrationsPending(Exception):
    """Production found migrations not yet applied: ``migrate`` is a release step there."""

    def __init__(self, pending: list[str]) -> None:
        self.pending = pending
        super().__init__(
            f"Database migrations are pending ({len(pending)}): run `{MIGRATE_COMMAND}` first."
        )


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
    """Apply every pending Piccolo migration of every app, holding the migration lock."""
    engine = database_engine()
    buffer = io.StringIO()
    async with migration_lock(engine):
        with contextlib.redirect_stdout(buffer) if quiet else contextlib.nullcontext():
            result = await run_forwards(app_name="all")
        if not result.success:
            raise RuntimeError(f"migrations failed: {result.message}")
        await enable_sqlite_wal(engine)


async def pending_migrations() -> list[str]:
    """``app:migration_id`` of every migration not yet applied, in order; changes nothing.

    Unlike ``piccolo migrations check`` this does not create the ``migration`` table: on an
    empty database every migration is pending.
    """
    applied: set[tuple[str, str]] = set()
    if await Migration.table_exists().run():
        rows = await Migration.select(Migration.app_name, Migration.name).run()
        applied = {(row["app_name"], row["name"]) for row in rows}
    manager = BaseMigrationManager()
    pending: list[str] = []
    for app_name in manager.get_sorted_app_names():
        folder = manager.get_app_config(app_name).resolved_migrations_folder_path
        for migration_id in manager.get_migration_ids(manager.get_migration_modules(folder)):
            if (app_name, migration_id) not in applied:
                pending.append(f"{app_name}:{migration_id}")
    return pending


async def prepare_schema(settings: Settings) -> None:
    """Development migrates (the one-command start); production only checks.

    Raises :class:`MigrationsPending` in production when any migration is not applied.
    """
    if not settings.is_production:
        await migrate(quiet=True)
        return
    pending = await pending_migrations()
    if pending:
        raise MigrationsPending(pending)


@contextlib.asynccontextmanager
async def migration_lock(engine: Engine) -> AsyncIterator[None]:  # type: ignore[type-arg]
    """Held for the whole migration run, released at the end even on failure."""
    if isinstance(engine, PostgresEngine):
        async with _postgres_advisory_lock(engine):
            yield
    elif isinstance(engine, SQLiteEngine):
        async with _sqlite_file_lock(Path(engine.path)):
            yield
    else:  # pragma: no cover - piccolo_conf builds only these two
        raise ConfigurationError(f"no migration lock for {type(engine).__name__}")


@contextlib.asynccontextmanager
async def _postgres_advisory_lock(engine: PostgresEngine) -> AsyncIterator[None]:
    # A dedicated connection, outside Piccolo's pool: a session-level advisory lock belongs to
    # the connection that took it, and this one stays open until the run is over. Should the
    # process die, PostgreSQL ends the session and the lock goes with it.
    connection: Any = await engine.get_new_connection()
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):  # closing the connection releases it anyway
                await connection.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def _sqlite_file_lock(database: Path) -> AsyncIterator[None]:
    # SQLite is for development and tests on one host: an exclusive flock on
    # ``<database>.migrate.lock`` serialises the processes of that host. The file stays; the
    # lock is the kernel's and ends with the process.
    import fcntl  # POSIX; the development machines and CI are Linux or macOS

    lock_path = database.with_name(database.name + ".migrate.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    handle: IO[bytes] = lock_path.open("ab")
    try:
        await asyncio.to_thread(fcntl.flock, handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()
