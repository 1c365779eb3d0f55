"""Every outbox's backlog for the metrics scrape: one count-and-minimum query per outbox.

Each query filters on an indexed column (``email_outbox.status``, ``tracking_events.delivered_at``,
``payments.status``), so a scrape stays cheap however much history the tables hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from piccolo.columns import Column
from piccolo.query.functions.aggregate import Count, Min
from piccolo.table import Table

from domain.emails import EmailStatus
from domain.payments import PaymentStatus
from domain.ports import OutboxBacklog
from tables.core.tables import TrackingEventTable
from tables.crm.tables import EmailOutboxTable
from tables.database import as_utc_or_none
from tables.payments.tables import PaymentTable


class PiccoloOutboxBacklogProbe:
    """The outboxes the worker drains, named as the ``outbox`` label of the metrics:

    - ``emails``: ``email_outbox`` rows still ``pending`` (``send-emails``), by queueing time;
    - ``tracking_events``: ``tracking_events`` not yet delivered (``deliver-tracking``);
    - ``payment_creations``: payments still ``creating`` at YooKassa (``reconcile-payments``
      completes those a visitor's request left behind);
    - ``refunds``: payments ``refund_pending`` (``reconcile-payments`` pays them back), by the
      time they were last changed.
    """

    async def backlogs(self, now: datetime) -> Sequence[OutboxBacklog]:
        e, t, p = EmailOutboxTable, TrackingEventTable, PaymentTable
        return [
            await _backlog("emails", e, e.status == EmailStatus.PENDING.value, e.created_at, now),
            await _backlog("tracking_events", t, t.delivered_at.is_null(), t.occurred_at, now),
            await _backlog(
                "payment_creations",
                p,
                p.status == PaymentStatus.CREATING.value,
                p.created_at,
                now,
            ),
            await _backlog(
                "refunds", p, p.status == PaymentStatus.REFUND_PENDING.value, p.updated_at, now
            ),
        ]


async def _backlog(
    name: str, table: type[Table], where: Any, since: Column, now: datetime
) -> OutboxBacklog:
    query = table.select(Count(alias="pending"), Min(since, alias="oldest")).where(where)
    row = await query.first()
    pending = int(row["pending"]) if row else 0
    oldest = as_utc_or_none(row["oldest"]) if row else None
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return OutboxBacklog(outbox=name, pending=pending, oldest_age_seconds=age)
