"""One slot per service and start: a unique index on ``slots (service, starts_at)``.

The target of the admin's bulk addition (``Добавить окна``): ``INSERT ... ON CONFLICT DO
NOTHING`` skips a start the service already has, even under a double submit.

Written by hand: Piccolo's auto migrations do not express an index on two columns. The same
SQL works on SQLite and PostgreSQL (both store a ``timestamptz`` in UTC, so one instant is one
value). Rows that would break the index are settled first, nothing guessed:

- of several slots at one service and start, the surplus ``free`` ones that no appointment
  refers to are deleted, keeping a held or booked one, else the oldest;
- if two slots at one start are still left (both held, booked or referred to), the migration
  stops with their count: staff cancel or move one of the appointments, then migrate again.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-12-02T20:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique index: one slot per service and start"

_IN_USE = "({s}.status <> 'free' OR EXISTS (SELECT 1 FROM appointments a WHERE a.slot = {s}.id))"
# A free, unreferenced slot goes when the same service has another slot at that start that is
# in use, or is free and older (by creation, then id): of the free ones the oldest stays.
DELETE_SURPLUS = (
    "DELETE FROM slots WHERE status = 'free' "
    "AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.slot = slots.id) "
    "AND EXISTS (SELECT 1 FROM slots other WHERE other.service = slots.service "
    "AND other.starts_at = slots.starts_at AND other.id <> slots.id AND ("
    + _IN_USE.format(s="other")
    + " OR other.created_at < slots.created_at "
    "OR (other.created_at = slots.created_at AND other.id < slots.id)))"
)
DOUBLES = (
    "SELECT service, starts_at FROM slots GROUP BY service, starts_at HAVING COUNT(*) > 1"
)
CREATE = (
    "CREATE UNIQUE INDEX IF NOT EXISTS slots_one_per_service_start "
    "ON slots (service, starts_at)"
)
DROP = "DROP INDEX IF EXISTS slots_one_per_service_start"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="core", description=DESCRIPTION)

    # Raw SQL on the engine, never the live table class: a migration must mean the same
    # thing whatever tables/core/tables.py declares later.
    async def one_slot_per_start():
        engine = engine_finder()
        await engine.run_querystring(QueryString(DELETE_SURPLUS))
        doubles = await engine.run_querystring(QueryString(DOUBLES))
        if doubles:
            raise RuntimeError(
                f"{len(doubles)} service start(s) have more than one slot in use (held, "
                "booked or with an appointment): cancel or move one appointment of each, "
                "then migrate again"
            )
        await engine.run_querystring(QueryString(CREATE))

    async def drop_index():
        await engine_finder().run_querystring(QueryString(DROP))

    manager.add_raw(one_slot_per_start)
    manager.add_raw_backwards(drop_index)
    return manager
