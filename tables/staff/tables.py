"""Staff roles and the contact access log, linked to Piccolo's user table (the admin login)."""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import UUID, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from domain.staff import AccessReason, ContactAccessKind


class StaffRoleTable(Table, tablename="staff_roles"):
    user = ForeignKey(BaseUser, on_delete=OnDelete.cascade, unique=True, index=True)
    role = Varchar(length=16)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ContactAccessLogTable(Table, tablename="contact_access_log"):
    """Append-only audit of every contact reveal and every export with contacts.

    Rows are only ever inserted (the admin shows the table read-only, to admins only); the
    references are plain UUIDs so the audit outlives any deletion of what it points to.
    """

    id = UUID(primary_key=True)
    staff_user = ForeignKey(BaseUser, on_delete=OnDelete.restrict, index=True)
    action = Varchar(length=32, choices=ContactAccessKind)
    reason = Varchar(length=32, choices=AccessReason)
    waitlist_request_id = UUID(null=True, default=None, index=True)
    lead_id = UUID(null=True, default=None, index=True)
    export_id = UUID(null=True, default=None)
    row_count = Integer(default=0)
    occurred_at = Timestamptz(default=TimestamptzNow(), index=True)
