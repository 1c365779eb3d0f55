from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T13:38:50:082467"
VERSION = "1.38.0"
DESCRIPTION = "idempotency_keys.response_status dropped: an HTTP status is the API edge's, and nothing read it"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="payments", description=DESCRIPTION
    )

    manager.drop_column(
        table_class_name="IdempotencyKeyTable",
        tablename="idempotency_keys",
        column_name="response_status",
        db_column_name="response_status",
        schema=None,
    )

    return manager
