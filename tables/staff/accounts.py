"""Staff accounts: a Piccolo user (for the admin login) plus its role."""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser

from domain.models import StaffRole
from tables.database import write_transaction
from tables.staff.tables import StaffRoleTable


class StaffAccountError(ValueError):
    """A staff account cannot be created; the message is safe to print."""


async def create_staff_user(
    username: str, password: str, role: StaffRole, email: str | None = None
) -> int:
    """Create an active admin-UI user with a role, in one transaction. Returns the user id."""
    if await BaseUser.exists().where(BaseUser.username == username):
        raise StaffAccountError(f"a user named {username!r} already exists")
    if email and await BaseUser.exists().where(BaseUser.email == email):
        raise StaffAccountError("another user already has this email address")
    async with write_transaction(BaseUser._meta.db):
        try:
            user = await BaseUser.create_user(
                username=username,
                password=password,
                # The column is unique: a placeholder keeps accounts without an email apart.
                email=email or f"{username}@staff.invalid",
                active=True,
                admin=True,  # may open the admin UI; what they may do there is their role's
                superuser=False,
            )
        except ValueError as exc:  # Piccolo's password and username rules
            raise StaffAccountError(str(exc)) from exc
        await StaffRoleTable.insert(StaffRoleTable(user=user.id, role=role.value))
    return int(user.id)


async def role_of(user_id: int) -> StaffRole | None:
    row = (
        await StaffRoleTable.select(StaffRoleTable.role)
        .where(StaffRoleTable.user == user_id)
        .first()
    )
    return None if row is None else StaffRole(row["role"])
