"""The staff accounts an admin may change (the pick list of ``Изменить доступ сотрудника``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.errors import RoleRequired
from domain.models import StaffRole
from domain.staff_access import StaffAccessUnitOfWorkFactory, StaffAccount
from domain.staff_ports import StaffDirectory
from domain.use_cases.staff_access import require_staff


@dataclass(frozen=True, slots=True)
class ListStaffAccountsCommand:
    staff_user_id: int


class ListStaffAccountsUseCase:
    """Every login with its role and active flag, by username.

    - Admins only (``role_required`` for anyone else): other roles see no account flags.
    - Reads nothing but usernames, roles and flags: no email, no password hash.
    """

    def __init__(self, *, uow: StaffAccessUnitOfWorkFactory, staff: StaffDirectory) -> None:
        self._uow = uow
        self._staff = staff

    async def execute(self, command: ListStaffAccountsCommand) -> Sequence[StaffAccount]:
        member = await require_staff(self._staff, command.staff_user_id)
        if member.role is not StaffRole.ADMIN:
            raise RoleRequired()
        async with self._uow() as uow:
            return await uow.staff_accounts.all()
