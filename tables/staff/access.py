"""Staff accounts for access changes: Piccolo's users with their roles, and the audit.

Implements ``domain.staff_access.StaffAccounts`` inside the unit of work's transaction. On
PostgreSQL the reads that a change depends on lock their rows (``FOR UPDATE``, active admins
first and in id order, so concurrent changes queue instead of deadlocking); on SQLite the
unit of work's ``BEGIN IMMEDIATE`` already serialises writers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from piccolo.apps.user.tables import BaseUser
from piccolo.engine.base import Engine

from domain.models import StaffRole
from domain.staff_access import StaffAccessChange, StaffAccount
from tables.database import is_sqlite
from tables.staff.tables import StaffAccessChangeTable, StaffRoleTable

_ACCOUNT = """
    SELECT u.id AS user_id, u.username, u.active, r.role
    FROM piccolo_user u LEFT JOIN staff_roles r ON r."user" = u.id
"""


def _account(row: dict[str, Any]) -> StaffAccount:
    role = row["role"]
    return StaffAccount(
        user_id=int(row["user_id"]),
        username=row["username"],
        role=StaffRole(role) if role in StaffRole.__members__.values() else None,
        active=bool(row["active"]),
    )


class PiccoloStaffAccounts:
    def __init__(self, engine: Engine) -> None:  # type: ignore[type-arg]
        self._lock = "" if is_sqlite(engine) else " FOR UPDATE"

    async def lock(self, user_id: int) -> StaffAccount | None:
        lock = self._lock and " FOR UPDATE OF u"
        rows = await BaseUser.raw(f"{_ACCOUNT} WHERE u.id = {{}}{lock}", user_id)
        return _account(rows[0]) if rows else None

    async def lock_active_admins(self) -> Sequence[StaffAccount]:
        lock = self._lock and " FOR UPDATE OF u, r"
        rows = await BaseUser.raw(
            f"{_ACCOUNT} WHERE r.role = {{}} AND u.active ORDER BY u.id{lock}",
            StaffRole.ADMIN.value,
        )
        return [_account(row) for row in rows]

    async def set_role(self, user_id: int, role: StaffRole) -> None:
        updated = (
            await StaffRoleTable.update({StaffRoleTable.role: role.value})
            .where(StaffRoleTable.user == user_id)
            .returning(StaffRoleTable.user)
        )
        if not updated:
            await StaffRoleTable.insert(StaffRoleTable(user=user_id, role=role.value))

    async def set_active(self, user_id: int, active: bool) -> None:
        await BaseUser.update({BaseUser.active: active}).where(BaseUser.id == user_id)

    async def record(self, change: StaffAccessChange) -> None:
        await StaffAccessChangeTable.insert(
            StaffAccessChangeTable(
                id=change.id,
                actor=change.actor_user_id,
                target_user=change.target_user_id,
                field=change.field.value,
                old_value=change.old_value,
                new_value=change.new_value,
                occurred_at=change.occurred_at,
            )
        )

    async def all(self) -> Sequence[StaffAccount]:
        rows = await BaseUser.raw(f"{_ACCOUNT} ORDER BY u.username")
        return [_account(row) for row in rows]
