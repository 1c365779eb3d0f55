"""Freed slots recorded by the database; one open offer per slot and per request.

Triggers on ``slots`` insert a row into ``freed_slots`` whenever a slot is inserted free or
its status changes to free, whoever writes it (the admin's CRUD, the bulk form, an expired
hold, a cancelled payment, an ended offer): nothing has to remember to. SQLite and
PostgreSQL each get their own SQL. Partial unique indexes on ``waitlist_offers`` are the
last word on concurrency: one open (``offered``) offer per slot and per request, and a slot
is offered to one request at most once.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString

ID = "2026-12-02T21:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "freed slot triggers and one open offer per slot and request"

INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS waitlist_offers_one_open_per_slot "
    "ON waitlist_offers (slot) WHERE status = 'offered'",
    "CREATE UNIQUE INDEX IF NOT EXISTS waitlist_offers_one_open_per_request "
    "ON waitlist_offers (waitlist_request) WHERE status = 'offered'",
    "CREATE UNIQUE INDEX IF NOT EXISTS waitlist_offers_once_per_slot_and_request "
    "ON waitlist_offers (slot, waitlist_request)",
)
DROP_INDEXES = (
    "DROP INDEX IF EXISTS waitlist_offers_one_open_per_slot",
    "DROP INDEX IF EXISTS waitlist_offers_one_open_per_request",
    "DROP INDEX IF EXISTS waitlist_offers_once_per_slot_and_request",
)

SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS slots_freed_on_insert AFTER INSERT ON slots "
    "WHEN NEW.status = 'free' "
    "BEGIN INSERT INTO freed_slots (slot) VALUES (NEW.id); END",
    "CREATE TRIGGER IF NOT EXISTS slots_freed_on_update AFTER UPDATE OF status ON slots "
    "WHEN NEW.status = 'free' AND OLD.status IS NOT 'free' "
    "BEGIN INSERT INTO freed_slots (slot) VALUES (NEW.id); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS slots_freed_on_insert",
    "DROP TRIGGER IF EXISTS slots_freed_on_update",
)
POSTGRES_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION record_freed_slot() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN "
    "IF NEW.status = 'free' AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM 'free') THEN "
    "INSERT INTO freed_slots (slot) VALUES (NEW.id); "
    "END IF; "
    "RETURN NULL; "
    "END $$",
    "DROP TRIGGER IF EXISTS slots_freed ON slots",
    "CREATE TRIGGER slots_freed AFTER INSERT OR UPDATE OF status ON slots "
    "FOR EACH ROW EXECUTE FUNCTION record_freed_slot()",
)
POSTGRES_DROP = (
    "DROP TRIGGER IF EXISTS slots_freed ON slots",
    "DROP FUNCTION IF EXISTS record_freed_slot()",
)


async def _run(statements):
    engine = engine_finder()
    for sql in statements:
        await engine.run_querystring(QueryString(sql))


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="crm", description=DESCRIPTION)

    # Raw SQL on the engine, never the live table classes: a migration must mean the same
    # thing whatever tables/crm/tables.py declares later.
    async def create():
        sqlite = isinstance(engine_finder(), SQLiteEngine)
        await _run(INDEXES + (SQLITE_TRIGGERS if sqlite else POSTGRES_TRIGGERS))

    async def drop():
        sqlite = isinstance(engine_finder(), SQLiteEngine)
        await _run((SQLITE_DROP if sqlite else POSTGRES_DROP) + DROP_INDEXES)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
