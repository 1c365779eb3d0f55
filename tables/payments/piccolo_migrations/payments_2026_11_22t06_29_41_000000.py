"""One live payment per appointment and kind: a partial unique index.

Written by hand: Piccolo's auto migrations do not express partial indexes. The same SQL
works on SQLite (3.8+) and PostgreSQL.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-11-22T06:29:41:000000"
VERSION = "1.38.0"
DESCRIPTION = "partial unique index: one live payment per appointment and kind"

CREATE = (
    "CREATE UNIQUE INDEX IF NOT EXISTS payments_one_live_per_appointment_kind "
    "ON payments (appointment_id, kind) "
    "WHERE status IN ('creating', 'pending', 'waiting_for_capture', 'succeeded')"
)
DROP = "DROP INDEX IF EXISTS payments_one_live_per_appointment_kind"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="payments", description=DESCRIPTION)

    async def create_index():
        engine = engine_finder()
        await engine.run_querystring(QueryString(CREATE))

    async def drop_index():
        engine = engine_finder()
        await engine.run_querystring(QueryString(DROP))

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
