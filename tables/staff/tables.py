"""Staff roles, linked to Piccolo's own user table (which the admin logs in with)."""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class StaffRoleTable(Table, tablename="staff_roles"):
    user = ForeignKey(BaseUser, on_delete=OnDelete.cascade, unique=True, index=True)
    role = Varchar(length=16)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
