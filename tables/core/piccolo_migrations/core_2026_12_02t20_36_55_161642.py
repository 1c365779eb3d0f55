from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.choices import Choice
from piccolo.columns.column_types import Varchar

ID = "2026-12-02T20:36:55:161642"
VERSION = "1.38.0"
DESCRIPTION = ""


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="core", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="SlotTable",
        tablename="slots",
        column_name="status",
        db_column_name="status",
        params={
            "choices": Enum(
                "SlotStatusChoice",
                {
                    "FREE": Choice(value="free", display_name="Свободен"),
                    "HELD": Choice(value="held", display_name="Забронирован"),
                    "BOOKED": Choice(value="booked", display_name="Занят"),
                    "RESERVED": Choice(
                        value="reserved",
                        display_name="Предложен из листа ожидания",
                    ),
                },
            )
        },
        old_params={
            "choices": Enum(
                "SlotStatusChoice",
                {
                    "FREE": Choice(value="free", display_name="Свободен"),
                    "HELD": Choice(value="held", display_name="Забронирован"),
                    "BOOKED": Choice(value="booked", display_name="Занят"),
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
