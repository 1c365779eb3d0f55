"""Database engines from a URL, and the helpers every repository shares."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

SQLITE_BUSY_TIMEOUT_SECONDS = 30.0


def engine_from_url(url: str) -> Engine:  # type: ignore[type-arg]
    """``sqlite:///relative/path``, ``sqlite:////absolute/path`` or ``postgresql://...``."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if not path:
            raise ValueError("DATABASE_URL: a SQLite URL needs a file path")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Writers wait for each other instead of failing with "database is locked".
        return SQLiteEngine(path=path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    if parts.scheme in {"postgres", "postgresql"}:
        return PostgresEngine(config={"dsn": url})
    raise ValueError("DATABASE_URL must be a sqlite:// or postgresql:// URL")


def is_sqlite(engine: Engine) -> bool:  # type: ignore[type-arg]
    return isinstance(engine, SQLiteEngine)


def as_utc(value: Any) -> datetime:
    """Datetimes read back from either database, as aware UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def as_utc_or_none(value: Any) -> datetime | None:
    return None if value is None else as_utc(value)


class PiccoloReadinessProbe:
    """Ready when the database answers a trivial query."""

    def __init__(self, engine: Engine) -> None:  # type: ignore[type-arg]
        self._engine = engine

    async def is_ready(self) -> bool:
        try:
            await self._engine.run_querystring(_select_one())
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            return False
        return True


def _select_one() -> Any:
    from piccolo.querystring import QueryString

    return QueryString("SELECT 1")


def write_transaction(engine: Engine) -> Any:  # type: ignore[type-arg]
    """A transaction meant to write: ``BEGIN IMMEDIATE`` on SQLite, so writers queue."""
    if isinstance(engine, SQLiteEngine):
        from piccolo.engine.sqlite import TransactionType

        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


async def enable_sqlite_wal(engine: Engine) -> None:  # type: ignore[type-arg]
    """WAL lets readers work while one writer writes; the mode persists in the file."""
    if isinstance(engine, SQLiteEngine):
        from piccolo.querystring import QueryString

        await engine.run_querystring(QueryString("PRAGMA journal_mode=WAL"))
