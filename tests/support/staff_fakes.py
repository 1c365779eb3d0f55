"""Fakes of the staff ports: the queue, the contact access log, the directory, lead export."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING
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

if TYPE_CHECKING:
    from tests.support.fakes import InMemoryStore


@dataclass(frozen=True, slots=True)
class RecordedQueueChange:
    request_id: UUID
    lead_id: UUID | None
    target: QueueStatus
    outcome: StatusOutcome | None
    staff_user_id: int
    at: datetime


class InMemoryStaffQueue:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    def _take(self, item: QueueItem, staff_user_id: int, now: datetime) -> QueueItem:
        taken = replace(item, status=QueueStatus.IN_PROGRESS, assignee_id=staff_user_id)
        self._store.queue[item.id] = taken
        return taken

    async def claim_oldest_new(self, staff_user_id: int, now: datetime) -> QueueItem | None:
        new = [i for i in self._store.queue.values() if i.status is QueueStatus.NEW]
        if not new:
            return None
        oldest = min(new, key=lambda i: (i.created_at, i.id))
        return self._take(oldest, staff_user_id, now)

    async def claim(self, request_id: UUID, staff_user_id: int, now: datetime) -> QueueItem | None:
        item = self._store.queue.get(request_id)
        if item is None or item.status is not QueueStatus.NEW:
            return None
        return self._take(item, staff_user_id, now)

    async def get(self, request_id: UUID) -> QueueItem | None:
        return self._store.queue.get(request_id)

    async def transition(
        self,
        request_id: UUID,
        expected: QueueStatus,
        target: QueueStatus,
        outcome: StatusOutcome,
        now: datetime,
    ) -> bool:
        item = self._store.queue.get(request_id)
        if item is None or item.status is not expected:
            return False
        self._store.queue[request_id] = replace(item, status=target)
        return True

    async def contact_of(self, request_id: UUID) -> EncryptedContact | None:
        return self._store.queue_contacts.get(request_id)

    async def record_timeline(
        self,
        item: QueueItem,
        *,
        target: QueueStatus,
        outcome: StatusOutcome | None,
        staff_user_id: int,
        now: datetime,
    ) -> None:
        self._store.queue_changes.append(
            RecordedQueueChange(item.id, item.lead_id, target, outcome, staff_user_id, now)
        )


class InMemoryContactAccessLog:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def add(self, entry: ContactAccessEntry) -> None:
        self._store.contact_access.append(entry)


class FakeStaffDirectory:
    def __init__(self, *members: StaffMember) -> None:
        self.members = {m.user_id: m for m in members}

    async def get(self, user_id: int) -> StaffMember | None:
        return self.members.get(user_id)

    async def get_by_username(self, username: str) -> StaffMember | None:
        return next((m for m in self.members.values() if m.username == username), None)


class InMemoryLeadExportSource:
    """Leads in memory, filtered and paged like the real keyset query."""

    def __init__(self, rows: Sequence[LeadExportRow] = ()) -> None:
        self.rows = sorted(rows, key=lambda r: (r.first_activity_at, str(r.lead_id)))
        self.pages_served = 0

    def _matching(self, filters: LeadExportFilter) -> list[LeadExportRow]:
        return [
            r
            for r in self.rows
            if r.first_activity_at <= filters.snapshot_at
            and (filters.created_from is None or r.first_activity_at >= filters.created_from)
            and (filters.created_before is None or r.first_activity_at < filters.created_before)
            and (filters.status is None or r.status == filters.status)
        ]

    async def count(self, filters: LeadExportFilter) -> int:
        return len(self._matching(filters))

    async def page(
        self,
        filters: LeadExportFilter,
        *,
        after: tuple[datetime, UUID] | None,
        limit: int,
        with_contacts: bool,
    ) -> Sequence[LeadExportRow]:
        self.pages_served += 1
        rows = self._matching(filters)
        if after is not None:
            rows = [
                r for r in rows if (r.first_activity_at, str(r.lead_id)) > (after[0], str(after[1]))
            ]
        page = rows[:limit]
        return page if with_contacts else [replace(r, contact_ciphertext=None) for r in page]


class InMemoryPickableRequests:
    """Requests with their assignees, filtered and ordered like the real query."""

    def __init__(self) -> None:
        self.rows: list[tuple[PickableRequest, int | None]] = []
        self.asked: list[tuple[frozenset[QueueStatus], int | None, int]] = []

    def add(self, request: PickableRequest, assignee_id: int | None = None) -> None:
        self.rows.append((request, assignee_id))

    async def oldest(
        self, *, statuses: frozenset[QueueStatus], assignee_id: int | None, limit: int
    ) -> Sequence[PickableRequest]:
        self.asked.append((statuses, assignee_id, limit))
        matching = [
            request
            for request, assignee in self.rows
            if request.status in statuses and (assignee_id is None or assignee == assignee_id)
        ]
        matching.sort(key=lambda r: (r.created_at, str(r.id)))
        return matching[:limit]
