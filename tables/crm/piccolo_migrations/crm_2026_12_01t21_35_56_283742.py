from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-12-01T21:35:56:283742"
VERSION = "1.38.0"
DESCRIPTION = "drop the duplicate leads.contact_index index and the waitlist_requests.contact_index index (the one-active unique index serves its lookups)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="crm", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="LeadTable",
        tablename="leads",
        column_name="contact_index",
        db_column_name="contact_index",
        params={"index": False},
        old_params={"index": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="WaitlistRequestTable",
        tablename="waitlist_requests",
        column_name="contact_index",
        db_column_name="contact_index",
        params={"index": False},
        old_params={"index": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
