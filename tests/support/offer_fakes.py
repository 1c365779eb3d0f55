"""Waitlist offers on the in-memory store, with the database's rules: a slot that becomes
free is recorded (as the triggers on ``slots`` do), one open offer per slot and per request,
a slot offered to a request once."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.crm import ACTIVE_WAITLIST_STATUSES, TimeWindow, WaitlistRequest
from domain.models import ConsentKind, Slot, SlotStatus
from domain.offers import OfferStatus, WaitlistOffer


class InMemoryOffers:
    def __init__(self, store: Any) -> None:
        self._store = store

    async def claim_freed_slot(self) -> UUID | None:
        freed: list[UUID] = self._store.freed_slots
        return freed.pop(0) if freed else None

    async def next_candidate(
        self, slot: Slot, windows: Collection[TimeWindow]
    ) -> WaitlistRequest | None:
        offers: dict[UUID, WaitlistOffer] = self._store.offers
        busy = {
            o.request_id
            for o in offers.values()
            if o.status in (OfferStatus.OFFERED, OfferStatus.ACCEPTED)
        }
        had = {o.request_id for o in offers.values() if o.slot_id == slot.id}
        consenting = {
            c.subject_id
            for c in self._store.consents
            if c.kind is ConsentKind.COMMUNICATIONS and c.withdrawn_at is None
        }
        candidates = [
            r
            for r in self._store.waitlist.values()
            if r.service_id == slot.service_id
            and r.status in ACTIVE_WAITLIST_STATUSES
            and r.preferred_time_window in windows
            and r.contact.ciphertext
            and r.id in consenting
            and r.id not in busy
            and r.id not in had
        ]
        if not candidates:
            return None
        return replace(min(candidates, key=lambda r: (r.created_at, str(r.id))))

    def _set_slot(self, slot_id: UUID, expected: SlotStatus, target: SlotStatus) -> Slot | None:
        slot: Slot | None = self._store.slots.get(slot_id)
        if slot is None or slot.status is not expected:
            return None
        changed = replace(slot, status=target)
        self._store.slots[slot_id] = changed
        if target is SlotStatus.FREE:
            self._store.freed_slots.append(slot_id)
        return changed

    async def reserve_slot(self, slot_id: UUID, now: datetime) -> Slot | None:
        slot = self._store.slots.get(slot_id)
        if slot is None or slot.starts_at <= now:
            return None
        return self._set_slot(slot_id, SlotStatus.FREE, SlotStatus.RESERVED)

    async def free_reserved_slot(self, slot_id: UUID) -> bool:
        return self._set_slot(slot_id, SlotStatus.RESERVED, SlotStatus.FREE) is not None

    async def hold_reserved_slot(self, slot_id: UUID, now: datetime) -> bool:
        slot = self._store.slots.get(slot_id)
        if slot is None or slot.starts_at <= now:
            return False
        return self._set_slot(slot_id, SlotStatus.RESERVED, SlotStatus.HELD) is not None

    async def add(self, offer: WaitlistOffer) -> None:
        for other in self._store.offers.values():
            open_ = other.status is OfferStatus.OFFERED and offer.status is OfferStatus.OFFERED
            if (open_ and other.slot_id == offer.slot_id) or (
                open_ and other.request_id == offer.request_id
            ):
                raise AssertionError("unique index: one open offer per slot and per request")
            if other.slot_id == offer.slot_id and other.request_id == offer.request_id:
                raise AssertionError("unique index: a slot is offered to a request once")
        self._store.offers[offer.id] = offer

    async def get(self, offer_id: UUID) -> WaitlistOffer | None:
        found: WaitlistOffer | None = self._store.offers.get(offer_id)
        return found

    async def open_for_request(self, request_id: UUID) -> WaitlistOffer | None:
        found = [
            o
            for o in self._store.offers.values()
            if o.request_id == request_id and o.status is OfferStatus.OFFERED
        ]
        return found[0] if found else None

    async def list_ending(self, now: datetime, limit: int) -> Sequence[WaitlistOffer]:
        ending = [
            o
            for o in self._store.offers.values()
            if o.status is OfferStatus.OFFERED
            and (
                o.expires_at <= now
                or not await self.request_is_active(o.request_id)
                or self._store.slots[o.slot_id].status is not SlotStatus.RESERVED
            )
        ]
        return sorted(ending, key=lambda o: o.expires_at)[:limit]

    async def close(
        self,
        offer_id: UUID,
        target: OfferStatus,
        now: datetime,
        *,
        appointment_id: UUID | None = None,
        staff_user_id: int | None = None,
    ) -> bool:
        offer = self._store.offers.get(offer_id)
        if offer is None or offer.status is not OfferStatus.OFFERED:
            return False
        self._store.offers[offer_id] = replace(
            offer, status=target, decided_at=now, appointment_id=appointment_id
        )
        if staff_user_id is not None:
            self._store.offer_staff[offer_id] = staff_user_id
        return True

    async def add_token(self, offer_id: UUID, token_hash: str, now: datetime) -> None:
        self._store.offer_tokens[token_hash] = offer_id

    async def find_by_token(self, token_hash: str) -> WaitlistOffer | None:
        offer_id = self._store.offer_tokens.get(token_hash)
        return None if offer_id is None else self._store.offers.get(offer_id)

    async def request_is_active(self, request_id: UUID) -> bool:
        request = self._store.waitlist.get(request_id)
        return request is not None and request.status in ACTIVE_WAITLIST_STATUSES
