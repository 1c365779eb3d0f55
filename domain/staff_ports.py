"""Ports of the staff side: who a staff member is, the queue, the access log, lead export."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.crm import EncryptedContact
from domain.staff import (
    ContactAccessEntry,
    LeadExportFilter,
    LeadExportRow,
    PickableRequest,
    QueueItem,
    QueueStatus,
    StaffMember,
    StatusOutcome,
)


class StaffDirectory(Protocol):
    async def get(self, user_id: int) -> StaffMember | None:
        """The active staff member with a role, or ``None`` (no account, inactive, no role)."""
        ...

    async def get_by_username(self, username: str) -> StaffMember | None: ...


class StaffQueueRepository(Protocol):
    """The waitlist queue as staff work it; every change is one conditional statement."""

    async def claim_oldest_new(self, staff_user_id: int, now: datetime) -> QueueItem | None:
        """Atomically assign the oldest ``new`` request and move it to ``in_progress``."""
        ...

    async def claim(self, request_id: UUID, staff_user_id: int, now: datetime) -> QueueItem | None:
        """Atomically claim this request if it is still ``new``; ``None`` otherwise."""
        ...

    async def get(self, request_id: UUID) -> QueueItem | None: ...

    async def transition(
        self,
        request_id: UUID,
        expected: QueueStatus,
        target: QueueStatus,
        outcome: StatusOutcome,
        now: datetime,
    ) -> bool:
        """Compare-and-set the status; ``False`` when it was no longer ``expected``."""
        ...

    async def contact_of(self, request_id: UUID) -> EncryptedContact | None: ...

    async def record_timeline(
        self,
        item: QueueItem,
        *,
        target: QueueStatus,
        outcome: StatusOutcome | None,
        staff_user_id: int,
        now: datetime,
    ) -> None:
        """A typed lead timeline event (and a staff action row) for a queue change."""
        ...


class PickableRequests(Protocol):
    """The requests a form offers to pick, read outside any transaction."""

    async def oldest(
        self, *, statuses: frozenset[QueueStatus], assignee_id: int | None, limit: int
    ) -> Sequence[PickableRequest]:
        """Requests in one of ``statuses`` (only ``assignee_id``'s when given), oldest first,
        at most ``limit``, each with its service's title."""
        ...


class ContactAccessLogRepository(Protocol):
    async def add(self, entry: ContactAccessEntry) -> None: ...


class LeadExportSource(Protocol):
    """Leads page by page (keyset on ``(first_activity_at, id)``), outside any transaction."""

    async def count(self, filters: LeadExportFilter) -> int: ...

    async def page(
        self,
        filters: LeadExportFilter,
        *,
        after: tuple[datetime, UUID] | None,
        limit: int,
        with_contacts: bool,
    ) -> Sequence[LeadExportRow]: ...


class StaffSessionStore(Protocol):
    """The staff admin's login sessions (Piccolo's session table)."""

    async def purge_expired(self, now: datetime, limit: int) -> int:
        """Delete up to ``limit`` sessions past their idle expiry or maximum age; how many."""
        ...
