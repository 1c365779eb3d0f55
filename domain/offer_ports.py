"""Ports of waitlist offers: the freed-slot records, the offers, their tokens."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from domain.crm import TimeWindow, WaitlistRequest
from domain.crm_ports import EmailOutbox, LeadTimelineRepository, WaitlistRepository
from domain.models import Slot
from domain.offers import OfferStatus, WaitlistOffer
from domain.ports import (
    AppointmentRepository,
    ServiceRepository,
    SlotRepository,
    TrackingOutbox,
)


class OfferRepository(Protocol):
    async def claim_freed_slot(self) -> UUID | None:
        """Take (delete) the oldest record of a freed slot, one no other transaction holds;
        ``None`` when there is none. Of concurrent workers each gets a different record."""
        ...

    async def next_candidate(
        self, slot: Slot, windows: Collection[TimeWindow]
    ) -> WaitlistRequest | None:
        """The oldest active request of the slot's service with one of these time windows,
        whose communications consent stands, that has no open or accepted offer and was never
        offered this slot; locked until the transaction ends (skipping requests other transactions
        hold), so two workers never offer one person two slots at once."""
        ...

    async def reserve_slot(self, slot_id: UUID, now: datetime) -> Slot | None:
        """Free and future -> ``reserved``, one conditional UPDATE; ``None`` when it was not."""
        ...

    async def free_reserved_slot(self, slot_id: UUID) -> bool:
        """``reserved`` -> ``free`` (the database records the slot as freed again)."""
        ...

    async def hold_reserved_slot(self, slot_id: UUID, now: datetime) -> bool:
        """``reserved`` and future -> ``held``; ``False`` when the slot is not reserved."""
        ...

    async def add(self, offer: WaitlistOffer) -> None: ...

    async def get(self, offer_id: UUID) -> WaitlistOffer | None: ...

    async def open_for_request(self, request_id: UUID) -> WaitlistOffer | None:
        """The request's open (``offered``) offer, if it has one."""
        ...

    async def list_ending(self, now: datetime, limit: int) -> Sequence[WaitlistOffer]:
        """Open offers that must end: past ``expires_at``, whose request is no longer
        active (withdrawn, closed by staff), or whose slot is no longer reserved (an admin
        edited it)."""
        ...

    async def close(
        self,
        offer_id: UUID,
        target: OfferStatus,
        now: datetime,
        *,
        appointment_id: UUID | None = None,
        staff_user_id: int | None = None,
    ) -> bool:
        """Compare-and-set ``offered`` -> ``target`` (with the appointment it became, the
        member of staff who recorded it); ``False`` when it was no longer open."""
        ...

    async def add_token(self, offer_id: UUID, token_hash: str, now: datetime) -> None: ...

    async def find_by_token(self, token_hash: str) -> WaitlistOffer | None: ...

    async def request_is_active(self, request_id: UUID) -> bool: ...


class OfferUnitOfWork(Protocol):
    """One transaction for offers (the Piccolo unit of work satisfies it)."""

    @property
    def offers(self) -> OfferRepository: ...

    @property
    def services(self) -> ServiceRepository: ...

    @property
    def slots(self) -> SlotRepository: ...

    @property
    def waitlist(self) -> WaitlistRepository: ...

    @property
    def appointments(self) -> AppointmentRepository: ...

    @property
    def lead_timeline(self) -> LeadTimelineRepository: ...

    @property
    def tracking(self) -> TrackingOutbox: ...

    @property
    def email_outbox(self) -> EmailOutbox: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


OfferUnitOfWorkFactory = Callable[[], OfferUnitOfWork]
