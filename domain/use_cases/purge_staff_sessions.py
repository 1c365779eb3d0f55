"""Forget the staff admin's dead login sessions."""

from __future__ import annotations

from domain.ports import Clock
from domain.staff_ports import StaffSessionStore


class PurgeStaffSessionsUseCase:
    """Deletes sessions nobody can use any more.

    - A session is dead once its idle expiry or its maximum age has passed: the admin never
      extends an expired session, so nothing brings it back.
    - Live sessions are never touched, however old.
    - Works in bounded batches; returns how many sessions were deleted.
    """

    def __init__(self, *, sessions: StaffSessionStore, clock: Clock, batch_size: int = 500) -> None:
        self._sessions = sessions
        self._clock = clock
        self._batch_size = batch_size

    async def execute(self) -> int:
        return await self._sessions.purge_expired(self._clock.now(), self._batch_size)
