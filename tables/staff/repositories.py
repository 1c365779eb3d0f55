"""Piccolo repositories of the staff side: the queue, the access log, the directory, export."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from piccolo.columns.combination import And, Or, Where
from piccolo.engine.base import Engine

from domain.crm import EncryptedContact, LeadTimelineEventType, TimeWindow
from domain.models import ContactMethod, StaffRole
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
from tables.crm.tables import LeadTable, LeadTimelineEventTable, WaitlistRequestTable
from tables.database import as_utc, as_utc_or_none, is_sqlite
from tables.staff.tables import ContactAccessLogTable, StaffRoleTable

_W = WaitlistRequestTable
_QUEUE_COLUMNS = (_W.id, _W.status, _W.assignee, _W.lead, _W.service, _W.created_at)
CLAIM_ATTEMPTS = 5


def queue_item_from_row(row: dict[str, Any]) -> QueueItem:
    return QueueItem(
        id=row["id"],
        status=QueueStatus(row["status"]),
        assignee_id=row["assignee"],
        lead_id=row["lead"],
        service_id=row["service"],
        created_at=as_utc(row["created_at"]),
    )


class PiccoloStaffQueueRepository:
    """Implements ``StaffQueueRepository``; every change is one conditional UPDATE.

    On PostgreSQL the oldest ``new`` request is picked with ``FOR UPDATE SKIP LOCKED``, so
    concurrent claims take different rows instead of waiting for each other; on SQLite the
    unit of work's ``BEGIN IMMEDIATE`` already serialises writers.
    """

    def __init__(self, engine: Engine) -> None:  # type: ignore[type-arg]
        self._sqlite = is_sqlite(engine)

    async def _take(self, request_id: UUID, staff_user_id: int, now: datetime) -> QueueItem | None:
        rows = (
            await _W.update(
                {
                    _W.status: QueueStatus.IN_PROGRESS.value,
                    _W.assignee: staff_user_id,
                    _W.assigned_at: now,
                    _W.updated_at: now,
                }
            )
            .where((_W.id == request_id) & (_W.status == QueueStatus.NEW.value))
            .returning(*_QUEUE_COLUMNS)
        )
        return queue_item_from_row(rows[0]) if rows else None

    async def claim_oldest_new(self, staff_user_id: int, now: datetime) -> QueueItem | None:
        for _ in range(CLAIM_ATTEMPTS):
            query = (
                _W.select(_W.id)
                .where(_W.status == QueueStatus.NEW.value)
                .order_by(_W.created_at, _W.id)
                .limit(1)
            )
            if not self._sqlite:
                query = query.lock_rows("UPDATE", skip_locked=True, of=(_W,))
            candidates = await query
            if not candidates:
                return None
            taken = await self._take(candidates[0]["id"], staff_user_id, now)
            if taken is not None:
                return taken
        return None

    async def claim(self, request_id: UUID, staff_user_id: int, now: datetime) -> QueueItem | None:
        return await self._take(request_id, staff_user_id, now)

    async def get(self, request_id: UUID) -> QueueItem | None:
        row = await _W.select(*_QUEUE_COLUMNS).where(_W.id == request_id).first()
        return None if row is None else queue_item_from_row(row)

    async def transition(
        self,
        request_id: UUID,
        expected: QueueStatus,
        target: QueueStatus,
        outcome: StatusOutcome,
        now: datetime,
    ) -> bool:
        rows = (
            await _W.update(
                {_W.status: target.value, _W.status_reason: outcome.value, _W.updated_at: now}
            )
            .where((_W.id == request_id) & (_W.status == expected.value))
            .returning(_W.id)
        )
        return bool(rows)

    async def contact_of(self, request_id: UUID) -> EncryptedContact | None:
        row = (
            await _W.select(_W.preferred_contact_method, _W.contact_encrypted, _W.contact_index)
            .where(_W.id == request_id)
            .first()
        )
        if row is None:
            return None
        return EncryptedContact(
            method=ContactMethod(row["preferred_contact_method"]),
            ciphertext=row["contact_encrypted"],
            blind_index=row["contact_index"],
        )

    async def record_timeline(
        self,
        item: QueueItem,
        *,
        target: QueueStatus,
        outcome: StatusOutcome | None,
        staff_user_id: int,
        now: datetime,
    ) -> None:
        if item.lead_id is None:
            return
        event_type = (
            LeadTimelineEventType.WAITLIST_CLAIMED
            if target is QueueStatus.IN_PROGRESS
            else LeadTimelineEventType.WAITLIST_STATUS_CHANGED
        )
        await LeadTimelineEventTable.insert(
            LeadTimelineEventTable(
                id=uuid4(),
                lead=item.lead_id,
                type=event_type.value,
                occurred_at=now,
                waitlist_request=item.id,
                staff_user=staff_user_id,
                waitlist_status=target.value,
                outcome=None if outcome is None else outcome.value,
            )
        )


class PiccoloPickableRequests:
    """Implements ``PickableRequests``: one query, the service's title joined in."""

    async def oldest(
        self, *, statuses: frozenset[QueueStatus], assignee_id: int | None, limit: int
    ) -> Sequence[PickableRequest]:
        where: Any = _W.status.is_in(sorted(status.value for status in statuses))
        if assignee_id is not None:
            where &= _W.assignee == assignee_id
        rows = (
            await _W.select(
                _W.id,
                _W.status,
                _W.preferred_time_window,
                _W.created_at,
                _W.service.title.as_alias("service_title"),
            )
            .where(where)
            .order_by(_W.created_at, _W.id)
            .limit(limit)
        )
        return [
            PickableRequest(
                id=row["id"],
                status=QueueStatus(row["status"]),
                service_title=row["service_title"] or "",
                time_window=TimeWindow(row["preferred_time_window"]),
                created_at=as_utc(row["created_at"]),
            )
            for row in rows
        ]


class PiccoloContactAccessLog:
    """Implements ``ContactAccessLogRepository``: insert only, nothing here updates a row."""

    async def add(self, entry: ContactAccessEntry) -> None:
        await ContactAccessLogTable.insert(
            ContactAccessLogTable(
                id=entry.id,
                staff_user=entry.staff_user_id,
                action=entry.kind.value,
                reason=entry.reason.value,
                waitlist_request_id=entry.waitlist_request_id,
                lead_id=entry.lead_id,
                export_id=entry.export_id,
                row_count=entry.row_count,
                occurred_at=entry.occurred_at,
            )
        )


class PiccoloStaffDirectory:
    """Implements ``StaffDirectory``: an active Piccolo user with a ``staff_roles`` row."""

    async def _one(self, where: Where | And | Or) -> StaffMember | None:
        row = (
            await StaffRoleTable.select(
                StaffRoleTable.role,
                StaffRoleTable.user.id.as_alias("user_id"),
                StaffRoleTable.user.username.as_alias("username"),
            )
            .where(where & (StaffRoleTable.user.active == True))  # noqa: E712
            .first()
        )
        if row is None or row["role"] not in StaffRole.__members__.values():
            return None
        return StaffMember(
            user_id=int(row["user_id"]), username=row["username"], role=StaffRole(row["role"])
        )

    async def get(self, user_id: int) -> StaffMember | None:
        return await self._one(StaffRoleTable.user == user_id)

    async def get_by_username(self, username: str) -> StaffMember | None:
        return await self._one(StaffRoleTable.user.username == username)


class PiccoloLeadExportSource:
    """Implements ``LeadExportSource``: keyset pages on ``(first_activity_at, id)``."""

    def _where(self, filters: LeadExportFilter) -> Any:
        where: Any = LeadTable.first_activity_at <= _utc(filters.snapshot_at)
        if filters.created_from is not None:
            where &= LeadTable.first_activity_at >= _utc(filters.created_from)
        if filters.created_before is not None:
            where &= LeadTable.first_activity_at < _utc(filters.created_before)
        if filters.status is not None:
            where &= LeadTable.status == filters.status
        return where

    async def count(self, filters: LeadExportFilter) -> int:
        return int(await LeadTable.count().where(self._where(filters)))

    async def page(
        self,
        filters: LeadExportFilter,
        *,
        after: tuple[datetime, UUID] | None,
        limit: int,
        with_contacts: bool,
    ) -> Sequence[LeadExportRow]:
        columns = [
            LeadTable.id,
            LeadTable.status,
            LeadTable.source,
            LeadTable.contact_method,
            LeadTable.first_activity_at,
            LeadTable.last_activity_at,
        ]
        if with_contacts:
            columns.append(LeadTable.contact_encrypted)
        where = self._where(filters)
        if after is not None:
            moment, lead_id = _utc(after[0]), after[1]
            # The ``>=`` alone is what an index on ``first_activity_at`` can seek to.
            where &= (LeadTable.first_activity_at >= moment) & (
                (LeadTable.first_activity_at > moment) | (LeadTable.id > lead_id)
            )
        rows = (
            await LeadTable.select(*columns)
            .where(where)
            .order_by(LeadTable.first_activity_at, LeadTable.id)
            .limit(limit)
        )
        return [
            LeadExportRow(
                lead_id=row["id"],
                status=row["status"],
                source=row["source"],
                contact_method=row["contact_method"],
                first_activity_at=as_utc(row["first_activity_at"]),
                last_activity_at=as_utc_or_none(row["last_activity_at"]),
                contact_ciphertext=row.get("contact_encrypted"),
            )
            for row in rows
        ]


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
