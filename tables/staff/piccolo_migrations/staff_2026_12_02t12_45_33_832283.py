from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.choices import Choice
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import UUID
from piccolo.columns.column_types import Varchar

ID = "2026-12-02T12:45:33:832283"
VERSION = "1.38.0"
DESCRIPTION = "Russian column names and choices for the admin; ciphertext and keys secret"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="staff", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="StaffRoleTable",
        tablename="staff_roles",
        column_name="user",
        db_column_name="user",
        params={"verbose_name": "Сотрудник"},
        old_params={"verbose_name": None},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="StaffRoleTable",
        tablename="staff_roles",
        column_name="role",
        db_column_name="role",
        params={
            "verbose_name": "Роль",
            "choices": Enum(
                "StaffRoleChoice",
                {
                    "OPERATOR": Choice(value="operator", display_name="Оператор"),
                    "MANAGER": Choice(value="manager", display_name="Менеджер"),
                    "ADMIN": Choice(value="admin", display_name="Администратор"),
                },
            ),
        },
        old_params={"verbose_name": None, "choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="StaffRoleTable",
        tablename="staff_roles",
        column_name="created_at",
        db_column_name="created_at",
        params={"verbose_name": "Назначена"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="StaffRoleTable",
        tablename="staff_roles",
        column_name="updated_at",
        db_column_name="updated_at",
        params={"verbose_name": "Изменена"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ContactAccessLogTable",
        tablename="contact_access_log",
        column_name="id",
        db_column_name="id",
        params={"verbose_name": "ID"},
        old_params={"verbose_name": None},
        column_class=UUID,
        old_column_class=UUID,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ContactAccessLogTable",
        tablename="contact_access_log",
        column_name="staff_user",
        db_column_name="staff_user",
        params={"verbose_name": "Сотрудник"},
        old_params={"verbose_name": None},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ContactAccessLogTable",
        tablename="contact_access_log",
        column_name="action",
        db_column_name="action",
        params={
            "verbose_name": "Действие",
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
            ),
        },
        old_params={
            "verbose_name": None,
            "choices": Enum(
                "ContactAccessKind",
                {
                    "CONTACT_REVEAL": "contact_reveal",
                    "EXPORT_WITH_CONTACTS": "export_with_contacts",
                },
            ),
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ContactAccessLogTable",
        tablename="contact_access_log",
        column_name="reason",
        db_column_name="reason",
        params={
            "verbose_name": "Причина",
            "choices": Enum(
                "AccessReasonChoice",
                {
                    "CALL_BACK_CLIENT": Choice(
                        value="call_back_client",
                        display_name="Перезвонить клиенту",
                    ),
                    "OFFER_SLOT": Choice(
                        value="offer_slot", display_name="Предложить время приёма"
                    ),
                    "CONFIRM_BOOKING": Choice(
                        value="confirm_booking", display_name="Подтвердить запись"
                    ),
                    "DATA_SUBJECT_REQUEST": Choice(
                        value="data_subject_request",
                        display_name="Запрос субъекта персональных данных",
                    ),
                    "MARKETING_CAMPAIGN": Choice(
                        value="marketing_campaign",
                        display_name="Рассылка по согласию на коммуникации",
                    ),
                    "REPORTING": Choice(
                        value="reporting", display_name="Отчётность"
                    ),
                },
            ),
        },
        old_params={
            "verbose_name": None,
            "choices": Enum(
                "AccessReason",
                {
                    "CALL_BACK_CLIENT": "call_back_client",
                    "OFFER_SLOT": "offer_slot",
                    "CONFIRM_BOOKING": "confirm_booking",
                    "DATA_SUBJECT_REQUEST": "data_subject_request",
                    "MARKETING_CAMPAIGN": "marketing_campaign",
                    "REPORTING": "reporting",
                },
            ),
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ContactAccessLogTable",
        tablename="contact_access_log",
        column_name="waitlist_request_id",
        db_column_name="waitlist_request_id",
        params={"verbose_name": "ID заявки"},
        old_params={"verbose_name": None},
        column_class=UUID,
        old_column_class=UUID,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ContactAccessLogTable",
        tablename="contact_access_log",
        column_name="lead_id",
        db_column_name="lead_id",
        params={"verbose_name": "ID лида"},
        old_params={"verbose_name": None},
        column_class=UUID,
        old_column_class=UUID,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ContactAccessLogTable",
        tablename="contact_access_log",
        column_name="export_id",
        db_column_name="export_id",
        params={"verbose_name": "ID выгрузки"},
        old_params={"verbose_name": None},
        column_class=UUID,
        old_column_class=UUID,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ContactAccessLogTable",
        tablename="contact_access_log",
        column_name="row_count",
        db_column_name="row_count",
        params={"verbose_name": "Строк"},
        old_params={"verbose_name": None},
        column_class=Integer,
        old_column_class=Integer,
        schema=None,
    )

    manager.alter_column(
        table_class_name="ContactAccessLogTable",
        tablename="contact_access_log",
        column_name="occurred_at",
        db_column_name="occurred_at",
        params={"verbose_name": "Когда"},
        old_params={"verbose_name": None},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    return manager
