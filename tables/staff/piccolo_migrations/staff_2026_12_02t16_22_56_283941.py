from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.choices import Choice
from piccolo.columns.column_types import Varchar

ID = "2026-12-02T16:22:56:283941"
VERSION = "1.38.0"
DESCRIPTION = "True"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="staff", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="ContactAccessLogTable",
        tablename="contact_access_log",
        column_name="action",
        db_column_name="action",
        params={
            "choices": Enum(
                "ContactAccessKindChoice",
                {
                    "CONTACT_REVEAL": Choice(
                        value="contact_reveal", display_name="Просмотр контакта"
                    ),
                    "EXPORT_WITH_CONTACTS": Choice(
                        value="export_with_contacts",
                        display_name="Выгрузка с контактами",
                    ),
                    "CONSENT_WITHDRAWAL": Choice(
                        value="consent_withdrawal",
                        display_name="Отзыв согласия (контакт удалён)",
                    ),
                },
            )
        },
        old_params={
            "choices": Enum(
                "ContactAccessKindChoice",
                {
                    "CONTACT_REVEAL": Choice(
                        value="contact_reveal", display_name="Просмотр контакта"
                    ),
                    "EXPORT_WITH_CONTACTS": Choice(
                        value="export_with_contacts",
                        display_name="Выгрузка с контактами",
                    ),
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
