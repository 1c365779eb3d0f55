"""Payment tables: payments and Idempotency-Keys."""

import os

from piccolo.conf.apps import AppConfig

from tables.payments.tables import IdempotencyKeyTable, PaymentTable

APP_CONFIG = AppConfig(
    app_name="payments",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[PaymentTable, IdempotencyKeyTable],
    migration_dependencies=["tables.core.piccolo_app"],
    commands=[],
)
