"""Staff roles and the contact access log, linked to Piccolo's user table (the admin login).

Staff see both in the admin: Russian ``verbose_name`` on every column, Russian ``choices``.
"""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import UUID, Date, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from domain.staff_access import StaffAccessField
from tables.core.tables import ServiceTable
from tables.labels import (
    AccessReasonChoice,
    ContactAccessKindChoice,
    ScheduleChangeKindChoice,
    StaffRoleChoice,
    labelled,
    titled,
)

StaffAccessFieldChoice = labelled(
    "StaffAccessFieldChoice",
    StaffAccessField,
    {StaffAccessField.ROLE: "Роль", StaffAccessField.ACTIVE: "Активен"},
)


class StaffRoleTable(Table, tablename="staff_roles"):
    user = titled(
        "Сотрудник", ForeignKey(BaseUser, on_delete=OnDelete.cascade, unique=True, index=True)
    )
    role = titled("Роль", Varchar(length=16, choices=StaffRoleChoice))
    created_at = titled("Назначена", Timestamptz(default=TimestamptzNow()))
    updated_at = titled("Изменена", Timestamptz(default=TimestamptzNow()))


class ContactAccessLogTable(Table, tablename="contact_access_log"):
    """Append-only audit of every contact reveal and every export with contacts.

    Rows are only ever inserted (the admin shows the table read-only, to admins only); the
    references are plain UUIDs so the audit outlives any deletion of what it points to.
    """

    id = titled("ID", UUID(primary_key=True))
    staff_user = titled("Сотрудник", ForeignKey(BaseUser, on_delete=OnDelete.restrict, index=True))
    action = titled("Действие", Varchar(length=32, choices=ContactAccessKindChoice))
    reason = titled("Причина", Varchar(length=32, choices=AccessReasonChoice))
    waitlist_request_id = titled("ID заявки", UUID(null=True, default=None, index=True))
    lead_id = titled("ID лида", UUID(null=True, default=None, index=True))
    export_id = titled("ID выгрузки", UUID(null=True, default=None))
    row_count = titled("Строк", Integer(default=0))
    occurred_at = titled("Когда", Timestamptz(default=TimestamptzNow(), index=True))


class StaffAccessChangeTable(Table, tablename="staff_access_changes"):
    """Append-only audit of every change to a staff role or active flag.

    Rows are only ever inserted (by the change-access use case and ``create-staff``); on
    PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE. ``actor`` is empty for a change
    made on the command line.
    """

    id = titled("ID", UUID(primary_key=True))
    actor = titled(
        "Кто изменил", ForeignKey(BaseUser, on_delete=OnDelete.restrict, null=True, index=True)
    )
    target_user = titled(
        "Чей доступ", ForeignKey(BaseUser, on_delete=OnDelete.restrict, index=True)
    )
    field = titled("Что", Varchar(length=16, choices=StaffAccessFieldChoice))
    old_value = titled("Было", Varchar(length=16, null=True, default=None))
    new_value = titled("Стало", Varchar(length=16, null=True, default=None))
    occurred_at = titled("Когда", Timestamptz(default=TimestamptzNow(), index=True))


class ScheduleChangeTable(Table, tablename="schedule_changes"):
    """Append-only audit of schedule changes made in the admin (``Добавить окна``).

    One row per submitted change: who, which service, which days, weekdays and start times
    (as staff read them: «пн, ср», «10:00, 11:30»), how many slots were created and how many
    were already there. On PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE.
    """

    id = titled("ID", UUID(primary_key=True))
    actor = titled("Кто изменил", ForeignKey(BaseUser, on_delete=OnDelete.restrict, index=True))
    kind = titled("Что сделано", Varchar(length=32, choices=ScheduleChangeKindChoice))
    service = titled("Услуга", ForeignKey(ServiceTable, on_delete=OnDelete.restrict, index=True))
    date_from = titled("С даты", Date())
    date_to = titled("По дату", Date())
    weekdays = titled("Дни недели", Varchar(length=64))
    start_times = titled("Время начала", Varchar(length=400))
    created_count = titled("Создано окон", Integer(default=0))
    existing_count = titled("Уже были", Integer(default=0))
    occurred_at = titled("Когда", Timestamptz(default=TimestamptzNow(), index=True))
