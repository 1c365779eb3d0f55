"""One row per contact and service in ``waitlist_confirmations`` (both databases).

The unique index is the ``ON CONFLICT`` target of the conditional upsert that decides whether
a waitlist confirmation may be queued (``tables/crm/repositories.py``,
``tables/crm/waitlist_submissions.py``): of concurrent submissions, only one can move the row.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-12-02T16:23:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one waitlist confirmation row per contact and service"

CREATE = (
    "CREATE UNIQUE INDEX IF NOT EXISTS waitlist_confirmations_one_per_contact "
    "ON waitlist_confirmations (contact_index, service)"
)
DROP = "DROP INDEX IF EXISTS waitlist_confirmations_one_per_contact"


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
