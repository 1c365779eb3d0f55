"""The tracking outbox as the delivering worker sees it: lease-based claims.

Each call is one statement outside any unit of work. Claims are conditional UPDATEs on
``claimed_until``: of several workers, exactly one takes each event, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.models import TrackingEvent
from domain.payment_ports import ClaimedTrackingEvent
from tables.core.tables import TrackingEventTable
from tables.database import as_utc


def _properties(raw: Any) -> dict[str, str | int | bool | None]:
    if isinstance(raw, str):
        import json

        raw = json.loads(raw)
    return dict(raw or {})


class PiccoloTrackingDeliveryQueue:
    async def claim(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> Sequence[ClaimedTrackingEvent]:
        t = TrackingEventTable
        free = (
            t.delivered_at.is_null()
            & (t.claimed_until.is_null() | (t.claimed_until < now))
            & (t.next_attempt_at.is_null() | (t.next_attempt_at <= now))
        )
        candidates = await t.select(t.id).where(free).order_by(t.occurred_at).limit(limit)
        if not candidates:
            return []
        won = (
            await t.update({t.claimed_until: lease_until})
            .where(t.id.is_in([row["id"] for row in candidates]) & free)
            .returning(t.id)
        )
        if not won:
            return []
        rows = (
            await t.select().where(t.id.is_in([row["id"] for row in won])).order_by(t.occurred_at)
        )
        return [
            ClaimedTrackingEvent(
                event=TrackingEvent(
                    id=row["id"],
                    name=row["name"],
                    properties=_properties(row["properties"]),
                    occurred_at=as_utc(row["occurred_at"]),
                    source=row["source"],
                ),
                attempts=int(row["attempts"] or 0),
            )
            for row in rows
        ]

    async def mark_delivered(
        self, event_ids: Sequence[UUID], lease_until: datetime, now: datetime
    ) -> int:
        if not event_ids:
            return 0
        t = TrackingEventTable
        done = (
            await t.update({t.delivered_at: now, t.claimed_until: None})
            .where(
                t.id.is_in(list(event_ids))
                & t.delivered_at.is_null()
                & (t.claimed_until == lease_until)
            )
            .returning(t.id)
        )
        return len(done)

    async def retry_later(
        self, event_id: UUID, lease_until: datetime, next_attempt_at: datetime
    ) -> None:
        t = TrackingEventTable
        await t.update(
            {t.claimed_until: None, t.next_attempt_at: next_attempt_at, t.attempts: t.attempts + 1}
        ).where((t.id == event_id) & (t.claimed_until == lease_until))
