"""The schedule's audit, ``schedule_changes`` (made append-only by the next migration)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.choices import Choice
from piccolo.columns.column_types import Date
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Serial
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import UUID
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class BaseUser(Table, tablename="piccolo_user", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


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


ID = "2026-12-02T20:35:07:449012"
VERSION = "1.38.0"
DESCRIPTION = "schedule_changes: the audit of slots added by admins"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="staff", description=DESCRIPTION
    )

    manager.add_table(
        class_name="ScheduleChangeTable",
        tablename="schedule_changes",
        schema=None,
        columns=None,
    )

    manager.add_column(
        table_class_name="ScheduleChangeTable",
        tablename="schedule_changes",
        column_name="id",
        db_column_name="id",
        column_class_name="UUID",
        column_class=UUID,
        params={
            "default": UUID4(),
            "null": False,
            "primary_key": True,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
            "verbose_name": "ID",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ScheduleChangeTable",
        tablename="schedule_changes",
        column_name="actor",
        db_column_name="actor",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": BaseUser,
            "on_delete": OnDelete.restrict,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
            "verbose_name": "Кто изменил",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ScheduleChangeTable",
        tablename="schedule_changes",
        column_name="kind",
        db_column_name="kind",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 32,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": Enum(
                "ScheduleChangeKindChoice",
                {
                    "SLOTS_ADDED": Choice(
                        value="slots_added", display_name="Добавлены окна"
                    )
                },
            ),
            "db_column_name": None,
            "secret": False,
            "verbose_name": "Что сделано",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ScheduleChangeTable",
        tablename="schedule_changes",
        column_name="service",
        db_column_name="service",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": ServiceTable,
            "on_delete": OnDelete.restrict,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
            "verbose_name": "Услуга",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ScheduleChangeTable",
        tablename="schedule_changes",
        column_name="date_from",
        db_column_name="date_from",
        column_class_name="Date",
        column_class=Date,
        params={
            "default": DateNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
            "verbose_name": "С даты",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ScheduleChangeTable",
        tablename="schedule_changes",
        column_name="date_to",
        db_column_name="date_to",
        column_class_name="Date",
        column_class=Date,
        params={
            "default": DateNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
            "verbose_name": "По дату",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ScheduleChangeTable",
        tablename="schedule_changes",
        column_name="weekdays",
        db_column_name="weekdays",
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
            "secret": False,
            "verbose_name": "Дни недели",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ScheduleChangeTable",
        tablename="schedule_changes",
        column_name="start_times",
        db_column_name="start_times",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 400,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
            "verbose_name": "Время начала",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ScheduleChangeTable",
        tablename="schedule_changes",
        column_name="created_count",
        db_column_name="created_count",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
            "verbose_name": "Создано окон",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ScheduleChangeTable",
        tablename="schedule_changes",
        column_name="existing_count",
        db_column_name="existing_count",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
            "verbose_name": "Уже были",
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="ScheduleChangeTable",
        tablename="schedule_changes",
        column_name="occurred_at",
        db_column_name="occurred_at",
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
            "verbose_name": "Когда",
        },
        schema=None,
    )

    return manager
