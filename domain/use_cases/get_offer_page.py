"""What the offer page shows: read only, so opening the link changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.models import AppointmentStatus, SlotStatus
from domain.offer_ports import OfferUnitOfWorkFactory
from domain.offers import (
    OfferPageState,
    OfferStatus,
    hash_offer_token,
    is_well_formed_offer_token,
    reserved_until_text,
)
from domain.ports import Clock
from domain.practice_time import MOSCOW, PracticeTimezone


@dataclass(frozen=True, slots=True)
class GetOfferPageCommand:
    token: str | None

    def __repr__(self) -> str:
        return "GetOfferPageCommand(token=***)"


@dataclass(frozen=True, slots=True)
class OfferPage:
    state: OfferPageState
    service_title: str = ""
    date_text: str = ""  # «четверг, 10 декабря 2026»
    time_text: str = ""  # «14:00–14:50 (Москва)»
    reserved_until: str = ""  # «16:30 (Москва)»
    reserved_until_at: datetime | None = None
    appointment_id: UUID | None = None


class GetOfferPageUseCase:
    """The state of the offer behind a token, for its page.

    - Never writes: mail scanners and link previews open links too.
    - ``open`` (the slot is still reserved for this person and the time has not run out),
      ``accepted`` (taken, not paid yet: on to payment), ``booked`` (taken and paid),
      ``expired`` (time ran out, the request was closed, or the hold lapsed unpaid),
      ``taken`` (the slot went another way), ``unknown``.
    - Dates and times in the practice's time zone, in words.
    """

    def __init__(
        self, *, uow: OfferUnitOfWorkFactory, clock: Clock, timezone: PracticeTimezone = MOSCOW
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._timezone = timezone

    async def execute(self, command: GetOfferPageCommand) -> OfferPage:
        token = command.token
        if token is None or not is_well_formed_offer_token(token):
            return OfferPage(OfferPageState.UNKNOWN)
        now = self._clock.now()
        async with self._uow() as uow:
            offer = await uow.offers.find_by_token(hash_offer_token(token))
            if offer is None:
                return OfferPage(OfferPageState.UNKNOWN)
            slot = await uow.slots.get(offer.slot_id)
            service = await uow.services.get(slot.service_id) if slot else None
            active = await uow.offers.request_is_active(offer.request_id)
            appointment = (
                await uow.appointments.get(offer.appointment_id) if offer.appointment_id else None
            )
        if slot is None or service is None:
            return OfferPage(OfferPageState.TAKEN)
        tz = self._timezone
        if offer.status is OfferStatus.ACCEPTED:
            if appointment is not None and appointment.status is AppointmentStatus.CONFIRMED:
                state = OfferPageState.BOOKED
            elif appointment is not None and appointment.is_payable(now):
                state = OfferPageState.ACCEPTED
            else:  # the hold ran out unpaid, or the appointment was cancelled
                state = OfferPageState.EXPIRED
        elif not offer.is_open(now) or not active:
            state = OfferPageState.EXPIRED
        elif slot.status is not SlotStatus.RESERVED or slot.has_started(now):
            state = OfferPageState.TAKEN
        else:
            state = OfferPageState.OPEN
        return OfferPage(
            state=state,
            service_title=service.title,
            date_text=tz.date_text(slot.starts_at),
            time_text=tz.time_range_text(slot.starts_at, slot.ends_at),
            reserved_until=reserved_until_text(tz, offer.expires_at),
            reserved_until_at=offer.expires_at,
            appointment_id=offer.appointment_id,
        )
