"""Change a staff member's role or active flag (the admin form ``Изменить доступ сотрудника``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import uuid4

from domain.errors import LastAdmin, RoleRequired, StaffAccountNotFound
from domain.models import StaffRole
from domain.ports import Clock
from domain.staff_access import (
    StaffAccessChange,
    StaffAccessField,
    StaffAccessUnitOfWorkFactory,
    StaffAccount,
    access_value,
)


@dataclass(frozen=True, slots=True)
class ChangeStaffAccessCommand:
    actor_user_id: int
    target_user_id: int
    role: StaffRole | None = None  # None: leave the role as it is
    active: bool | None = None  # None: leave the flag as it is


@dataclass(frozen=True, slots=True)
class StaffAccessResult:
    account: StaffAccount
    changes: tuple[StaffAccessChange, ...]


class ChangeStaffAccessUseCase:
    """Gives an account a role, or (de)activates it.

    - Only an active admin may (``role_required`` for anyone else), checked inside the same
      transaction as the change, so an admin demoted a moment ago can no longer change others.
    - The last active admin can be neither demoted nor deactivated (``last_admin``): every
      active admin is locked first, so two admins demoting each other at once cannot both
      succeed.
    - Every changed field writes one append-only audit row (who, whom, field, old, new, when)
      in the same transaction; a change to the same value writes nothing.
    """

    def __init__(self, *, uow: StaffAccessUnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def execute(self, command: ChangeStaffAccessCommand) -> StaffAccessResult:
        now = self._clock.now()
        async with self._uow() as uow:
            accounts = uow.staff_accounts
            admins = {a.user_id: a for a in await accounts.lock_active_admins()}
            actor = admins.get(command.actor_user_id)
            if actor is None:
                raise RoleRequired()
            target = await accounts.lock(command.target_user_id)
            if target is None:
                raise StaffAccountNotFound()
            after = replace(
                target,
                role=target.role if command.role is None else command.role,
                active=target.active if command.active is None else command.active,
            )
            if target.is_active_admin and not after.is_active_admin and len(admins) <= 1:
                raise LastAdmin()
            changes = tuple(
                StaffAccessChange(
                    id=uuid4(),
                    actor_user_id=actor.user_id,
                    target_user_id=target.user_id,
                    field=field,
                    old_value=access_value(field, target),
                    new_value=access_value(field, after),
                    occurred_at=now,
                )
                for field in StaffAccessField
                if access_value(field, target) != access_value(field, after)
            )
            if after.role is not None and after.role is not target.role:
                await accounts.set_role(target.user_id, after.role)
            if after.active != target.active:
                await accounts.set_active(target.user_id, after.active)
            for change in changes:
                await accounts.record(change)
            await uow.commit()
        return StaffAccessResult(account=after, changes=changes)
