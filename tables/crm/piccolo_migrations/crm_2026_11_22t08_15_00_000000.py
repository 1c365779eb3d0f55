"""At most one active waitlist request per contact and service (both databases).

A partial unique index over the active statuses (new, in_progress, contacted): the race guard
of the one-statement submission on PostgreSQL (tables/crm/waitlist_submissions.py), whose
snapshot may miss a concurrent first submission of the same contact. Statuses never move back
to active, so closed requests never collide with it.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.querystring import QueryString

ID = "2026-11-22T08:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one active waitlist request per contact and service"

STATEMENT = (
    "CREATE UNIQUE INDEX IF NOT EXISTS waitlist_requests_one_active "
    "ON waitlist_requests (contact_index, service) "
    "WHERE status IN ('contacted', 'in_progress', 'new')"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="crm", description=DESCRIPTION)

    async def run():
        from tables.crm.tables import WaitlistRequestTable

        await WaitlistRequestTable._meta.db.run_querystring(QueryString(STATEMENT))

    manager.add_raw(run)
    return manager
