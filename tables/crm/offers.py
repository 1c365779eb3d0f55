"""Piccolo store of waitlist offers, freed-slot records and offer tokens (``OfferRepository``).

Runs inside the current unit of work. On PostgreSQL the claims skip rows other transactions
hold (``FOR UPDATE SKIP LOCKED``), so concurrent workers take different freed slots and
different people; SQLite's unit of work (``BEGIN IMMEDIATE``) already lets one writer in at
a time. The partial unique indexes of ``waitlist_offers`` are the last word either way.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from piccolo.engine.base import Engine

from domain.crm import ACTIVE_WAITLIST_STATUSES, TimeWindow, WaitlistRequest
from domain.models import ConsentKind, Slot, SlotStatus
from domain.offers import OfferChannel, OfferStatus, WaitlistOffer
from tables.core.repositories import slot_from_row
from tables.core.tables import SlotTable
from tables.crm.repositories import waitlist_from_row
from tables.crm.tables import (
    FreedSlotTable,
    WaitlistOfferTable,
    WaitlistOfferTokenTable,
    WaitlistRequestTable,
)
from tables.database import as_utc, as_utc_or_none, is_sqlite

_ACTIVE = sorted(status.value for status in ACTIVE_WAITLIST_STATUSES)
_MAX_STALE_CANDIDATES = 5


def offer_from_row(row: dict[str, Any]) -> WaitlistOffer:
    return WaitlistOffer(
        id=row["id"],
        slot_id=row["slot"],
        request_id=row["waitlist_request"],
        lead_id=row["lead"],
        channel=OfferChannel(row["channel"]),
        status=OfferStatus(row["status"]),
        offered_at=as_utc(row["offered_at"]),
        expires_at=as_utc(row["expires_at"]),
        appointment_id=row["appointment"],
        decided_at=as_utc_or_none(row["decided_at"]),
    )


class PiccoloOfferRepository:
    def __init__(self, engine: Engine) -> None:  # type: ignore[type-arg]
        self._locks = not is_sqlite(engine)

    async def claim_freed_slot(self) -> UUID | None:
        skip = " FOR UPDATE SKIP LOCKED" if self._locks else ""
        # Constants only (the lock clause); S608 cannot tell.
        rows = await FreedSlotTable.raw(
            "DELETE FROM freed_slots WHERE id = "  # noqa: S608
            f"(SELECT id FROM freed_slots ORDER BY id LIMIT 1{skip}) RETURNING slot"
        )
        if not rows:
            return None
        slot = rows[0]["slot"]
        return slot if isinstance(slot, UUID) else UUID(str(slot))

    async def next_candidate(
        self, slot: Slot, windows: Collection[TimeWindow]
    ) -> WaitlistRequest | None:
        if not windows:
            return None
        stale: list[UUID] = []
        for _ in range(_MAX_STALE_CANDIDATES):
            request = await self._candidate(slot, windows, stale)
            if request is None:
                return None
            # Locked now; a fresh statement (a fresh snapshot) checks no offer was committed
            # for this person between our query's snapshot and our lock.
            if not await self._has_open_offer(request.id):
                return request
            stale.append(request.id)
        return None

    async def _candidate(
        self, slot: Slot, windows: Collection[TimeWindow], stale: Sequence[UUID]
    ) -> WaitlistRequest | None:
        args: list[Any] = [slot.service_id]
        statuses = ", ".join("{}" for _ in _ACTIVE)
        args += _ACTIVE
        window_marks = ", ".join("{}" for _ in windows)
        args += [w.value for w in windows]
        args += [
            ConsentKind.COMMUNICATIONS.value,
            OfferStatus.OFFERED.value,
            OfferStatus.ACCEPTED.value,
            slot.id,
        ]
        not_stale = ""
        if stale:
            not_stale = " AND w.id NOT IN (" + ", ".join("{}" for _ in stale) + ")"
            args += list(stale)
        lock = " FOR UPDATE OF w SKIP LOCKED" if self._locks else ""
        # Placeholders and constants only: every value is a parameter (S608 cannot tell).
        rows = await WaitlistRequestTable.raw(
            "SELECT w.* FROM waitlist_requests w "  # noqa: S608
            f"WHERE w.service = {{}} AND w.status IN ({statuses}) "
            f"AND w.preferred_time_window IN ({window_marks}) "
            "AND w.contact_encrypted <> '' "
            "AND EXISTS (SELECT 1 FROM consent_records c WHERE c.subject_id = w.id "
            "AND c.kind = {} AND c.withdrawn_at IS NULL) "
            "AND NOT EXISTS (SELECT 1 FROM waitlist_offers o WHERE o.waitlist_request = w.id "
            "AND (o.status IN ({}, {}) OR o.slot = {}))"
            f"{not_stale} ORDER BY w.created_at, w.id LIMIT 1{lock}",
            *args,
        )
        return waitlist_from_row(rows[0]) if rows else None

    async def _has_open_offer(self, request_id: UUID) -> bool:
        t = WaitlistOfferTable
        return bool(
            await t.exists().where(
                (t.waitlist_request == request_id) & (t.status == OfferStatus.OFFERED.value)
            )
        )

    async def reserve_slot(self, slot_id: UUID, now: datetime) -> Slot | None:
        rows = (
            await SlotTable.update({SlotTable.status: SlotStatus.RESERVED.value})
            .where(
                (SlotTable.id == slot_id)
                & (SlotTable.status == SlotStatus.FREE.value)
                & (SlotTable.starts_at > now)
            )
            .returning(*SlotTable.all_columns())
        )
        return slot_from_row(rows[0]) if rows else None

    async def free_reserved_slot(self, slot_id: UUID) -> bool:
        rows = (
            await SlotTable.update({SlotTable.status: SlotStatus.FREE.value})
            .where((SlotTable.id == slot_id) & (SlotTable.status == SlotStatus.RESERVED.value))
            .returning(SlotTable.id)
        )
        return len(rows) == 1

    async def hold_reserved_slot(self, slot_id: UUID, now: datetime) -> bool:
        rows = (
            await SlotTable.update({SlotTable.status: SlotStatus.HELD.value})
            .where(
                (SlotTable.id == slot_id)
                & (SlotTable.status == SlotStatus.RESERVED.value)
                & (SlotTable.starts_at > now)
            )
            .returning(SlotTable.id)
        )
        return len(rows) == 1

    async def add(self, offer: WaitlistOffer) -> None:
        await WaitlistOfferTable.insert(
            WaitlistOfferTable(
                id=offer.id,
                slot=offer.slot_id,
                waitlist_request=offer.request_id,
                lead=offer.lead_id,
                channel=offer.channel.value,
                status=offer.status.value,
                offered_at=offer.offered_at,
                expires_at=offer.expires_at,
                decided_at=offer.decided_at,
                appointment=offer.appointment_id,
            )
        )

    async def get(self, offer_id: UUID) -> WaitlistOffer | None:
        row = await WaitlistOfferTable.select().where(WaitlistOfferTable.id == offer_id).first()
        return None if row is None else offer_from_row(row)

    async def open_for_request(self, request_id: UUID) -> WaitlistOffer | None:
        t = WaitlistOfferTable
        row = (
            await t.select()
            .where((t.waitlist_request == request_id) & (t.status == OfferStatus.OFFERED.value))
            .first()
        )
        return None if row is None else offer_from_row(row)

    async def list_ending(self, now: datetime, limit: int) -> Sequence[WaitlistOffer]:
        t = WaitlistOfferTable
        inactive = WaitlistRequestTable.select(WaitlistRequestTable.id).where(
            WaitlistRequestTable.status.not_in(_ACTIVE)
        )
        not_reserved = SlotTable.select(SlotTable.id).where(
            SlotTable.status != SlotStatus.RESERVED.value
        )
        rows = (
            await t.select()
            .where(
                (t.status == OfferStatus.OFFERED.value)
                & (
                    (t.expires_at <= now)
                    | t.waitlist_request.is_in(inactive)
                    | t.slot.is_in(not_reserved)
                )
            )
            .order_by(t.expires_at)
            .limit(limit)
        )
        return [offer_from_row(row) for row in rows]

    async def close(
        self,
        offer_id: UUID,
        target: OfferStatus,
        now: datetime,
        *,
        appointment_id: UUID | None = None,
        staff_user_id: int | None = None,
    ) -> bool:
        t = WaitlistOfferTable
        values: dict[Any, Any] = {t.status: target.value, t.decided_at: now}
        if appointment_id is not None:
            values[t.appointment] = appointment_id
        if staff_user_id is not None:
            values[t.staff_user] = staff_user_id
        rows = (
            await t.update(values)
            .where((t.id == offer_id) & (t.status == OfferStatus.OFFERED.value))
            .returning(t.id)
        )
        return len(rows) == 1

    async def add_token(self, offer_id: UUID, token_hash: str, now: datetime) -> None:
        await WaitlistOfferTokenTable.insert(
            WaitlistOfferTokenTable(
                id=uuid4(), offer=offer_id, token_hash=token_hash, created_at=now
            )
        )

    async def find_by_token(self, token_hash: str) -> WaitlistOffer | None:
        t = WaitlistOfferTokenTable
        row = await t.select(t.offer).where(t.token_hash == token_hash).first()
        return None if row is None else await self.get(row["offer"])

    async def request_is_active(self, request_id: UUID) -> bool:
        t = WaitlistRequestTable
        return bool(await t.exists().where((t.id == request_id) & t.status.is_in(_ACTIVE)))
