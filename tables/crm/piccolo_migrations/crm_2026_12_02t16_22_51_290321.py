"""The last waitlist confirmation queued per contact and service (the 24-hour rule); its
unique index follows in the next migration (Piccolo runs raw steps before new tables)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import UUID
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class ServiceTable(Table, tablename="services", schema=None):
    id = UUID(
        default=UUID4(),
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
        verbose_name="ID",
    )


ID = "2026-12-02T16:22:51:290321"
VERSION = "1.38.0"
DESCRIPTION = "the last waitlist confirmation per contact and service"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="crm", description=DESCRIPTION
    )

    manager.add_table(
        class_name="WaitlistConfirmationTable",
        tablename="waitlist_confirmations",
        schema=None,
        columns=None,
    )

    manager.add_column(
        table_class_name="WaitlistConfirmationTable",
        tablename="waitlist_confirmations",
        column_name="contact_index",
        db_column_name="contact_index",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": True,
            "verbose_name": "Индекс контакта",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="WaitlistConfirmationTable",
        tablename="waitlist_confirmations",
        column_name="service",
        db_column_name="service",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": ServiceTable,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
            "verbose_name": "Услуга",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="WaitlistConfirmationTable",
        tablename="waitlist_confirmations",
        column_name="queued_at",
        db_column_name="queued_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
            "verbose_name": "Подтверждение отправлено",
        },
        schema=None,
    )

    return manager
