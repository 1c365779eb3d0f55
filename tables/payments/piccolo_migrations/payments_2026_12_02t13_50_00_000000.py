"""One payment in progress per appointment, whatever its kind: a partial unique index.

Replaces ``payments_one_live_per_appointment_kind`` (per appointment and kind), which let a
full payment start while a deposit was still pending, so both could be paid.

Written by hand: Piccolo's auto migrations do not express partial indexes. The same SQL works
on SQLite (3.8+) and PostgreSQL. An appointment that already has two payments in progress
stops the migration with its count: staff settle those payments first (nothing is guessed).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-12-02T13:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "partial unique index: one payment in progress per appointment, across kinds"

IN_PROGRESS = "status IN ('creating', 'pending', 'waiting_for_capture')"
DOUBLES = (
    "SELECT appointment_id FROM payments "
    f"WHERE {IN_PROGRESS} GROUP BY appointment_id HAVING COUNT(*) > 1"
)
CREATE = (
    "CREATE UNIQUE INDEX IF NOT EXISTS payments_one_live_per_appointment "
    f"ON payments (appointment_id) WHERE {IN_PROGRESS}"
)
DROP = "DROP INDEX IF EXISTS payments_one_live_per_appointment"
CREATE_OLD = (
    "CREATE UNIQUE INDEX IF NOT EXISTS payments_one_live_per_appointment_kind "
    "ON payments (appointment_id, kind) "
    "WHERE status IN ('creating', 'pending', 'waiting_for_capture', 'succeeded')"
)
DROP_OLD = "DROP INDEX IF EXISTS payments_one_live_per_appointment_kind"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="payments", description=DESCRIPTION)

    async def one_per_appointment():
        engine = engine_finder()
        doubles = await engine.run_querystring(QueryString(DOUBLES))
        if doubles:
            raise RuntimeError(
                f"{len(doubles)} appointment(s) have more than one payment in progress "
                "(creating, pending or waiting_for_capture): settle them in YooKassa and "
                "let reconcile-payments record it, then migrate again"
            )
        await engine.run_querystring(QueryString(DROP_OLD))
        await engine.run_querystring(QueryString(CREATE))

    async def per_appointment_and_kind():
        engine = engine_finder()
        await engine.run_querystring(QueryString(DROP))
        await engine.run_querystring(QueryString(CREATE_OLD))

    manager.add_raw(one_per_appointment)
    manager.add_raw_backwards(per_appointment_and_kind)
    return manager
