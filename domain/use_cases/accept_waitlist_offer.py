"""Accept a waitlist offer: the reserved slot becomes a hold, as if the person had booked it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import uuid4

from domain.crm import EncryptedContact, LeadTimelineEvent, LeadTimelineEventType
from domain.errors import OfferExpired, OfferNotFound, OfferTaken
from domain.models import (
    DEFAULT_HOLD,
    Appointment,
    ContactMethod,
    EncryptedClient,
    TrackingEvent,
)
from domain.offer_ports import OfferUnitOfWork, OfferUnitOfWorkFactory
from domain.offers import (
    OfferStatus,
    WaitlistOffer,
    hash_offer_token,
    is_well_formed_offer_token,
)
from domain.ports import Clock, Encryptor
from domain.privacy import is_erased
from domain.tracking_plan import validate_server_event
from domain.use_cases.hold_slot import AppointmentHoldResult

WAITLIST_OFFER_ACCEPTED = "waitlist_offer_accepted"
# The waitlist asks for no name; an appointment needs one. This says only where it came from.
WAITLIST_CLIENT_NAME = "Клиент из листа ожидания"


@dataclass(frozen=True, slots=True)
class AcceptWaitlistOfferCommand:
    token: str

    def __repr__(self) -> str:
        return "AcceptWaitlistOfferCommand(token=***)"


def client_from_contact(contact: EncryptedContact, name_ciphertext: str) -> EncryptedClient:
    """The appointment's client from the request's stored contact: its ciphertext and blind
    index are copied as they are, never decrypted."""
    email = contact.method is ContactMethod.EMAIL
    phone = contact.method is ContactMethod.PHONE
    return EncryptedClient(
        name=name_ciphertext,
        email=contact.ciphertext if email else None,
        phone=contact.ciphertext if phone else None,
        email_index=contact.blind_index if email else None,
        phone_index=contact.blind_index if phone else None,
    )


@dataclass(frozen=True, slots=True)
class OfferAcceptance:
    result: AppointmentHoldResult
    new: bool  # False: the offer had been accepted before, this is its appointment


async def accept_offer(
    uow: OfferUnitOfWork,
    offer: WaitlistOffer,
    *,
    now: datetime,
    hold_for: timedelta,
    encryptor: Encryptor,
    staff_user_id: int | None = None,
) -> OfferAcceptance:
    """Turn an open offer into a ``pending_payment`` appointment, inside ``uow``.

    Raises ``OfferExpired`` or ``OfferTaken``; answers the existing appointment when the offer
    was already accepted (also by a concurrent accept that won). On a new acceptance writes
    ``offer_accepted`` on the lead's timeline.
    """
    if offer.status is OfferStatus.ACCEPTED:
        return OfferAcceptance(await _existing(uow, offer), new=False)
    if not offer.is_open(now):
        raise OfferExpired()
    request = await uow.waitlist.get(offer.request_id)
    if request is None or not request.status.is_active or is_erased(request.contact.ciphertext):
        raise OfferExpired()
    slot = await uow.slots.get(offer.slot_id)
    if slot is None or not await uow.offers.hold_reserved_slot(slot.id, now):
        again = await uow.offers.get(offer.id)
        if again is not None and again.status is OfferStatus.ACCEPTED:
            # A concurrent accept of the same offer won: the same appointment.
            return OfferAcceptance(await _existing(uow, again), new=False)
        raise OfferTaken()
    appointment = Appointment.hold(
        slot=slot,
        client=client_from_contact(request.contact, encryptor.encrypt(WAITLIST_CLIENT_NAME)),
        now=now,
        hold_for=hold_for,
    )
    await uow.appointments.add(appointment)
    if not await uow.offers.close(
        offer.id,
        OfferStatus.ACCEPTED,
        now,
        appointment_id=appointment.id,
        staff_user_id=staff_user_id,
    ):
        raise OfferExpired()  # ended while we held the slot: the caller rolls back
    event = LeadTimelineEvent.of(
        offer.lead_id,
        LeadTimelineEventType.OFFER_ACCEPTED,
        now,
        waitlist_request_id=offer.request_id,
        appointment_id=appointment.id,
    )
    await uow.lead_timeline.add(replace(event, staff_user_id=staff_user_id))
    service = await uow.services.get(slot.service_id)
    if service is not None:
        await uow.tracking.add(
            TrackingEvent(
                id=uuid4(),
                name=WAITLIST_OFFER_ACCEPTED,
                properties=validate_server_event(
                    WAITLIST_OFFER_ACCEPTED,
                    {"service_slug": service.slug, "offer_channel": offer.channel.value},
                ),
                occurred_at=now,
            )
        )
    return OfferAcceptance(
        AppointmentHoldResult(
            appointment_id=appointment.id,
            status=appointment.status,
            hold_expires_at=appointment.hold_expires_at,
        ),
        new=True,
    )


async def _existing(uow: OfferUnitOfWork, offer: WaitlistOffer) -> AppointmentHoldResult:
    appointment = await uow.appointments.get(offer.appointment_id) if offer.appointment_id else None
    if appointment is None:
        raise OfferExpired()
    return AppointmentHoldResult(
        appointment_id=appointment.id,
        status=appointment.status,
        hold_expires_at=appointment.hold_expires_at,
    )


class AcceptWaitlistOfferUseCase:
    """Accepts an offer by the token from its email.

    - An unknown or malformed token is ``offer_not_found`` (404), and says nothing more.
    - An offer past its time, ended, or whose request was closed or withdrawn meanwhile is
      ``offer_expired`` (409); a reserved slot that is no longer reserved (staff used it, it
      started) is ``offer_taken`` (409).
    - Otherwise the slot goes from ``reserved`` to ``held`` and a ``pending_payment``
      appointment is created from the contact the request holds (ciphertext and blind index
      copied, never decrypted), held for ``hold_for`` like any booking; the visitor then
      pays as in section 4.
    - Idempotent: the same token again answers the same appointment, also when two accepts
      race (one wins the slot, the other finds the offer accepted).
    - ``offer_accepted`` on the lead's timeline; ``waitlist_offer_accepted`` to tracking.
    - All in one transaction, or nothing.
    """

    def __init__(
        self,
        *,
        uow: OfferUnitOfWorkFactory,
        clock: Clock,
        encryptor: Encryptor,
        hold_for: timedelta = DEFAULT_HOLD,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._encryptor = encryptor
        self._hold_for = hold_for

    async def execute(self, command: AcceptWaitlistOfferCommand) -> AppointmentHoldResult:
        if not is_well_formed_offer_token(command.token):
            raise OfferNotFound()
        now = self._clock.now()
        async with self._uow() as uow:
            offer = await uow.offers.find_by_token(hash_offer_token(command.token))
            if offer is None:
                raise OfferNotFound()
            acceptance = await accept_offer(
                uow, offer, now=now, hold_for=self._hold_for, encryptor=self._encryptor
            )
            if acceptance.new:
                await uow.commit()
        return acceptance.result
