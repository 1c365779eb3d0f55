"""Staff accounts: Piccolo's user (the admin login) with our password rules, plus its role.

Piccolo's ``BaseUser`` runs PBKDF2 (600 000 rounds, a tenth of a second of CPU or more) inside
its async ``login`` and ``update_password``, on the event loop: every login attempt froze every
other request of the process. :class:`StaffUser` is the same ``piccolo_user`` table whose
hashing runs in a small thread pool (``hashlib`` releases the GIL while it hashes), and whose
minimum password length is the staff rule; Piccolo's own change-password endpoint reads that
length from the admin's ``auth_table``, so the admin and ``create-staff`` share one rule.
"""

from __future__ import annotations

import asyncio
import hmac
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from uuid import uuid4

from piccolo.apps.user.tables import BaseUser
from piccolo.columns.combination import Where

from domain.models import StaffRole
from domain.staff_access import StaffAccessField
from tables.database import write_transaction
from tables.staff.sessions import piccolo_local_time
from tables.staff.tables import StaffAccessChangeTable, StaffRoleTable

MIN_PASSWORD_LENGTH = 12
PASSWORD_TOO_SHORT = (
    f"пароль слишком короткий, нужно не меньше {MIN_PASSWORD_LENGTH} символов "
    f"(password too short: at least {MIN_PASSWORD_LENGTH} characters)"
)
# Two threads: logins go on while a hash runs, and a flood of attempts cannot take every core.
_HASHING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pbkdf2")


class StaffUser(BaseUser, tablename="piccolo_user"):
    """Piccolo's user table (no new columns, no migration) for the admin and the CLI."""

    _min_password_length = MIN_PASSWORD_LENGTH

    @classmethod
    def _validate_password(cls, password: str) -> None:
        if password and len(password) < cls._min_password_length:
            raise ValueError(PASSWORD_TOO_SHORT)
        super()._validate_password(password)

    @classmethod
    async def hash_password_off_loop(
        cls, password: str, salt: str = "", iterations: int | None = None
    ) -> str:
        """``hash_password`` in the hashing pool; the event loop keeps serving meanwhile."""
        loop = asyncio.get_running_loop()
        hashed: str = await loop.run_in_executor(
            _HASHING, partial(cls.hash_password, password, salt, iterations)
        )
        return hashed

    @classmethod
    async def login(cls, username: str, password: str) -> int | None:
        """``BaseUser.login`` with the hashing off the loop and a constant-time comparison."""
        max_username_length = cls.username.length
        if max_username_length and len(username) > max_username_length:
            return None
        if len(password) > cls._max_password_length:
            return None
        row = (
            await cls.select(cls._meta.primary_key, cls.password)
            .where(cls.username == username)
            .first()
        )
        if row is None:
            # Hash anyway, so the answer takes as long as for a real account.
            await cls.hash_password_off_loop(password)
            return None
        stored: str = row["password"]
        _, rounds, salt, _ = cls.split_stored_password(stored)
        iterations = int(rounds)
        candidate = await cls.hash_password_off_loop(password, salt, iterations)
        if not hmac.compare_digest(candidate.encode(), stored.encode()):
            return None
        if iterations != cls._pbkdf2_iteration_count:
            # Re-hash with today's rounds. No length check: this is the account's own password.
            await cls._store_password(cls.username == username, password)
        last_login = piccolo_local_time(datetime.now(UTC))  # a naive column, as Piccolo writes it
        await cls.update({cls.last_login: last_login}).where(cls.username == username)
        return int(row["id"])

    @classmethod
    async def update_password(cls, user: str | int, password: str) -> None:
        """``BaseUser.update_password`` with the staff rules and the hashing off the loop."""
        if isinstance(user, str):
            clause = cls.username == user
        elif isinstance(user, int):
            clause = cls.id == user
        else:
            raise ValueError("The `user` arg must be a user id, or a username.")
        cls._validate_password(password)
        await cls._store_password(clause, password)

    @classmethod
    async def _store_password(cls, clause: Where, password: str) -> None:
        hashed = await cls.hash_password_off_loop(password)
        await cls.update({cls.password: hashed}).where(clause)


class StaffAccountError(ValueError):
    """A staff account cannot be created; the message is safe to print."""


async def create_staff_user(
    username: str, password: str, role: StaffRole, email: str | None = None
) -> int:
    """Create an active admin-UI user with a role, in one transaction. Returns the user id."""
    if not username:
        raise StaffAccountError("a username must be provided")
    try:
        StaffUser._validate_password(password)
    except ValueError as exc:  # Piccolo's password rules and ours
        raise StaffAccountError(str(exc)) from exc
    if await StaffUser.exists().where(StaffUser.username == username):
        raise StaffAccountError(f"a user named {username!r} already exists")
    if email and await StaffUser.exists().where(StaffUser.email == email):
        raise StaffAccountError("another user already has this email address")
    # Hashed before the write transaction opens, so no lock waits on PBKDF2.
    hashed = await StaffUser.hash_password_off_loop(password)
    async with write_transaction(StaffUser._meta.db):
        user = StaffUser(  # type: ignore[no-untyped-call]  # BaseUser.__init__(**kwargs)
            username=username,
            password=hashed,
            # The column is unique: a placeholder keeps accounts without an email apart.
            email=email or f"{username}@staff.invalid",
            active=True,
            admin=True,  # may open the admin UI; what they may do there is their role's
            superuser=False,
        )
        await user.save()
        await StaffRoleTable.insert(StaffRoleTable(user=user.id, role=role.value))
        # The role given on the command line is audited like one given in the admin.
        await StaffAccessChangeTable.insert(
            StaffAccessChangeTable(
                id=uuid4(),
                actor=None,
                target_user=user.id,
                field=StaffAccessField.ROLE.value,
                old_value=None,
                new_value=role.value,
            )
        )
    return int(user.id)


async def role_of(user_id: int) -> StaffRole | None:
    row = (
        await StaffRoleTable.select(StaffRoleTable.role)
        .where(StaffRoleTable.user == user_id)
        .first()
    )
    return None if row is None else StaffRole(row["role"])
