from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-12-01T21:35:56:854673"
VERSION = "1.38.0"
DESCRIPTION = "drop the unused tracking_events.name index"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="core", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="TrackingEventTable",
        tablename="tracking_events",
        column_name="name",
        db_column_name="name",
        params={"index": False},
        old_params={"index": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
