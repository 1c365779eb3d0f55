"""Helpers for tests on a real database."""

from __future__ import annotations

from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import Finder
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString
from piccolo.table import sort_table_classes

from tables.database import is_sqlite


async def truncate_all() -> None:
    """Empty every application table (not the migration history)."""
    engine = engine_finder()
    assert engine is not None
    ordered = sort_table_classes(
        [table for table in Finder().get_table_classes() if table is not Migration]
    )
    tables = [table._meta.tablename for table in ordered]
    if is_sqlite(engine):
        for name in reversed(tables):  # children before parents
            await engine.run_querystring(QueryString(f'DELETE FROM "{name}"'))
    else:
        joined = ", ".join(f'"{name}"' for name in tables)
        # The audit tables refuse TRUNCATE by trigger; a test database may be emptied anyway.
        async with engine.transaction():
            await engine.run_querystring(
                QueryString("SET LOCAL session_replication_role = replica")
            )
            await engine.run_querystring(QueryString(f"TRUNCATE {joined} RESTART IDENTITY CASCADE"))
