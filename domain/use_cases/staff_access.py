"""The one place a staff member's role is looked up for a use case."""

from __future__ import annotations

from domain.errors import RoleRequired
from domain.staff import StaffMember
from domain.staff_ports import StaffDirectory


async def require_staff(directory: StaffDirectory, user_id: int) -> StaffMember:
    """The active staff member with a role; anybody else may do nothing at all."""
    member = await directory.get(user_id)
    if member is None:
        raise RoleRequired()
    return member
