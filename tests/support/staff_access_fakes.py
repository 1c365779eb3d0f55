"""An in-memory unit of work for staff access changes: accounts and the audit rows."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Self

from domain.models import StaffRole
from domain.staff_access import StaffAccessChange, StaffAccount


@dataclass
class StaffAccessStore:
    accounts: dict[int, StaffAccount] = field(default_factory=dict)
    changes: list[StaffAccessChange] = field(default_factory=list)

    def add(self, user_id: int, username: str, role: StaffRole | None, active: bool = True) -> None:
        self.accounts[user_id] = StaffAccount(user_id, username, role, active)


class InMemoryStaffAccounts:
    def __init__(self, store: StaffAccessStore) -> None:
        self._store = store

    async def lock(self, user_id: int) -> StaffAccount | None:
        return self._store.accounts.get(user_id)

    async def lock_active_admins(self) -> Sequence[StaffAccount]:
        return sorted(
            (a for a in self._store.accounts.values() if a.is_active_admin),
            key=lambda a: a.user_id,
        )

    async def set_role(self, user_id: int, role: StaffRole) -> None:
        self._store.accounts[user_id] = replace(self._store.accounts[user_id], role=role)

    async def set_active(self, user_id: int, active: bool) -> None:
        self._store.accounts[user_id] = replace(self._store.accounts[user_id], active=active)

    async def record(self, change: StaffAccessChange) -> None:
        self._store.changes.append(change)

    async def all(self) -> Sequence[StaffAccount]:
        return sorted(self._store.accounts.values(), key=lambda a: a.username)


class InMemoryStaffAccessUnitOfWork:
    """Works on a copy; only ``commit()`` makes the copy the store's state."""

    def __init__(self, store: StaffAccessStore) -> None:
        self._store = store
        self._working = copy.deepcopy(store)
        self.staff_accounts = InMemoryStaffAccounts(self._working)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        self._store.accounts = self._working.accounts
        self._store.changes = self._working.changes
