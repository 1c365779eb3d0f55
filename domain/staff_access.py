"""Who may open the staff admin, as what: accounts, their changes, and the audit of each.

A staff account is a login (active or not) with at most one role. Only an admin changes a
role or the active flag, never so that no active admin is left, and every change leaves an
append-only row: who, whom, which field, old value, new value, when.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from domain.models import StaffRole


class StaffAccessField(enum.StrEnum):
    ROLE = "role"
    ACTIVE = "active"


@dataclass(frozen=True, slots=True)
class StaffAccount:
    user_id: int
    username: str
    role: StaffRole | None
    active: bool

    @property
    def is_active_admin(self) -> bool:
        return self.active and self.role is StaffRole.ADMIN


@dataclass(frozen=True, slots=True)
class StaffAccessChange:
    """One row of the append-only ``staff_access_changes``; ``actor`` None: the command line."""

    id: UUID
    actor_user_id: int | None
    target_user_id: int
    field: StaffAccessField
    old_value: str | None
    new_value: str | None
    occurred_at: datetime


def access_value(field: StaffAccessField, account: StaffAccount) -> str | None:
    if field is StaffAccessField.ROLE:
        return None if account.role is None else account.role.value
    return "true" if account.active else "false"


class StaffAccounts(Protocol):
    """Staff accounts inside one transaction; reads lock what a change depends on."""

    async def lock(self, user_id: int) -> StaffAccount | None:
        """The account, locked until the transaction ends, or ``None``."""
        ...

    async def lock_active_admins(self) -> Sequence[StaffAccount]:
        """Every active admin, locked, so two changes cannot both remove 'the other' admin."""
        ...

    async def set_role(self, user_id: int, role: StaffRole) -> None: ...

    async def set_active(self, user_id: int, active: bool) -> None: ...

    async def record(self, change: StaffAccessChange) -> None:
        """Append one row to the audit of access changes."""
        ...

    async def all(self) -> Sequence[StaffAccount]:
        """Every login, by username (for the admin's pick list; nothing locked)."""
        ...


class StaffAccessUnitOfWork(Protocol):
    @property
    def staff_accounts(self) -> StaffAccounts: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


StaffAccessUnitOfWorkFactory = Callable[[], StaffAccessUnitOfWork]
