"""At most one active waitlist request per contact and service (both databases).

A partial unique index over the active statuses (new, in_progress, contacted): the race guard
of the one-statement submission on PostgreSQL (tables/crm/waitlist_submissions.py), whose
snapshot may miss a concurrent first submission of the same contact. Statuses never move back
to active, so closed requests never collide with it.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-11-22T08:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one active waitlist request per contact and service"

CREATE = (
    "CREATE UNIQUE INDEX IF NOT EXISTS waitlist_requests_one_active "
    "ON waitlist_requests (contact_index, service) "
    "WHERE status IN ('contacted', 'in_progress', 'new')"
)
DROP = "DROP INDEX IF EXISTS waitlist_requests_one_active"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="crm", description=DESCRIPTION)

    # Raw SQL on the engine, never the live table class: a migration must mean the same
    # thing whatever tables/crm/tables.py declares later.
    async def create_index():
        await engine_finder().run_querystring(QueryString(CREATE))

    async def drop_index():
        await engine_finder().run_querystring(QueryString(DROP))

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
