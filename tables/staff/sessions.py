"""The staff admin's login sessions: Piccolo API's ``sessions`` table."""

from __future__ import annotations

from datetime import datetime

from piccolo_api.session_auth.tables import SessionsBase


def piccolo_local_time(now: datetime) -> datetime:
    """``now`` as Piccolo's session code writes and compares it: naive local time."""
    return now.astimezone().replace(tzinfo=None) if now.tzinfo is not None else now


class PiccoloStaffSessionStore:
    """Implements ``domain.staff_ports.StaffSessionStore``."""

    def __init__(self, table: type[SessionsBase] = SessionsBase) -> None:
        self._table = table

    async def purge_expired(self, now: datetime, limit: int) -> int:
        table = self._table
        cutoff = piccolo_local_time(now)
        dead = (table.expiry_date <= cutoff) | (table.max_expiry_date <= cutoff)
        rows = await table.select(table.id).where(dead).limit(limit)
        if not rows:
            return 0
        deleted = (
            await table.delete()
            .where(table.id.is_in([row["id"] for row in rows]) & dead)
            .returning(table.id)
        )
        return len(deleted)
