"""Test set-up: which real database this run uses, and the fixtures everybody shares.

``TEST_DATABASE=sqlite`` (the default) or ``TEST_DATABASE=postgres`` picks the database for
this pytest run; ``scripts/test`` runs the database tests once on each. The database is
chosen before anything imports ``piccolo_conf``, because Piccolo binds its engine at import.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

TEST_DATABASE = os.environ.get("TEST_DATABASE", "sqlite")
PG_ADMIN_DSN = os.environ.get(
    "TEST_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PG_TEST_DB = os.environ.get("TEST_POSTGRES_DB", f"eb_test_{os.getpid()}")
_WORKDIR = Path(tempfile.mkdtemp(prefix="eb-tests-"))

# Fixed test keys: tests never touch a developer's var/ or real keys.
TEST_FERNET_KEYS = "0_cp8lmOh6Ypv_f3a2Wl8ibhp7O-MSd0cVbvhC7mSvM="
TEST_BLIND_INDEX_KEY = "6f" * 32


def _create_postgres_database() -> str:
    import asyncpg  # type: ignore[import-untyped]

    async def create() -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=10)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{PG_TEST_DB}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{PG_TEST_DB}"')
        finally:
            await conn.close()

    try:
        asyncio.run(create())
    except (OSError, asyncpg.PostgresError) as exc:
        raise pytest.UsageError(
            f"TEST_DATABASE=postgres but PostgreSQL is not reachable at {PG_ADMIN_DSN}: {exc}"
        ) from exc
    return PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{PG_TEST_DB}"


def _drop_postgres_database() -> None:
    import asyncpg

    async def drop() -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=10)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{PG_TEST_DB}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())


if TEST_DATABASE == "postgres":
    DATABASE_URL = _create_postgres_database()
elif TEST_DATABASE == "sqlite":
    DATABASE_URL = f"sqlite:///{(_WORKDIR / 'test.sqlite').as_posix()}"
else:
    raise pytest.UsageError("TEST_DATABASE must be 'sqlite' or 'postgres'")

os.environ.update(
    {
        "APP_ENV": "development",
        "DATABASE_URL": DATABASE_URL,
        "VAR_DIR": str(_WORKDIR / "var"),
        "CONTACT_ENCRYPTION_KEYS": TEST_FERNET_KEYS,
        "BLIND_INDEX_KEY": TEST_BLIND_INDEX_KEY,
        "RATE_LIMIT_PER_MINUTE": "0",
    }
)
for _name in ("REDIS_URL", "SMTP_URL", "TRACKING_SINK_URL", "YOOKASSA_API_URL"):
    os.environ.pop(_name, None)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if TEST_DATABASE == "postgres":
        with contextlib.suppress(Exception):  # cleanup must not hide the test result
            _drop_postgres_database()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the PostgreSQL run only database tests run; postgres-only tests skip on SQLite."""
    deselected = []
    kept = []
    for item in items:
        is_db = item.get_closest_marker("db") is not None
        pg_only = item.get_closest_marker("postgres") is not None
        if TEST_DATABASE == "postgres" and not (is_db or pg_only):
            deselected.append(item)
            continue
        if TEST_DATABASE == "sqlite" and pg_only:
            item.add_marker(pytest.mark.skip(reason="PostgreSQL only: runs in the PostgreSQL pass"))
        kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def database_url() -> str:
    return DATABASE_URL


@pytest.fixture(scope="session")
def migrated_database() -> str:
    from composition.database import migrate

    asyncio.run(migrate(quiet=True))
    return DATABASE_URL


@pytest.fixture
async def db(migrated_database: str) -> AsyncIterator[object]:
    """A migrated, empty database for one test (tables are emptied before each test)."""
    from tests.support.database import truncate_all

    engine = await _engine_with_pool()
    await truncate_all()
    try:
        yield engine
    finally:
        await _close_pool(engine)


async def _engine_with_pool() -> object:
    from composition.database import database_engine, open_database

    engine = database_engine()
    await open_database(engine)
    return engine


async def _close_pool(engine: object) -> None:
    from composition.database import close_database

    await close_database(engine)
