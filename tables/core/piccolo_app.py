"""Core tables: services, slots, appointments, consent records, tracking outbox."""

import os

from piccolo.conf.apps import AppConfig

from tables.core.tables import (
    AppointmentTable,
    ConsentRecordTable,
    ServiceTable,
    SlotTable,
    TrackingEventTable,
)

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        ServiceTable,
        SlotTable,
        AppointmentTable,
        ConsentRecordTable,
        TrackingEventTable,
    ],
    migration_dependencies=[],
    commands=[],
)
