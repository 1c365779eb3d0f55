"""Staff roles and the contact access log, linked to Piccolo's user table (the admin login).

Staff see both in the admin: Russian ``verbose_name`` on every column, Russian ``choices``.
"""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import UUID, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from tables.labels import AccessReasonChoice, ContactAccessKindChoice, StaffRoleChoice, titled


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
