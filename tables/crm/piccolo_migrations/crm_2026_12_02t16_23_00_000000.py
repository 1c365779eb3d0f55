"""One row per contact and service in ``waitlist_confirmations`` (both databases).

The unique index is the ``ON CONFLICT`` target of the conditional upsert that decides whether
a waitlist confirmation may be queued (``tables/crm/repositories.py``,
``tables/crm/waitlist_submissions.py``): of concurrent submissions, only one can move the row.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.querystring import QueryString

ID = "2026-12-02T16:23:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one waitlist confirmation row per contact and service"

STATEMENT = (
    "CREATE UNIQUE INDEX IF NOT EXISTS waitlist_confirmations_one_per_contact "
    "ON waitlist_confirmations (contact_index, service)"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="crm", description=DESCRIPTION)

    async def run():
        from tables.crm.tables import WaitlistConfirmationTable

        await WaitlistConfirmationTable._meta.db.run_querystring(QueryString(STATEMENT))

    manager.add_raw(run)
    return manager
