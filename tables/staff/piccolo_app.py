"""Staff tables: roles (and, with the admin, the contact access log)."""

import os

from piccolo.conf.apps import AppConfig

from tables.staff.tables import (
    ContactAccessLogTable,
    ScheduleChangeTable,
    StaffAccessChangeTable,
    StaffRoleTable,
)

APP_CONFIG = AppConfig(
    app_name="staff",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        StaffRoleTable,
        ContactAccessLogTable,
        StaffAccessChangeTable,
        ScheduleChangeTable,
    ],
    migration_dependencies=["piccolo.apps.user.piccolo_app", "tables.core.piccolo_app"],
    commands=[],
)
