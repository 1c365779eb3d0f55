"""Staff record what a phone or Telegram contact answered to a waitlist offer."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from uuid import UUID

from domain.crm import LeadTimelineEvent, LeadTimelineEventType
from domain.errors import NoOpenOffer, NotAssignedToYou, OfferExpired, WaitlistRequestNotFound
from domain.models import DEFAULT_HOLD
from domain.offer_ports import OfferUnitOfWorkFactory
from domain.offers import OfferOutcome, OfferStatus
from domain.ports import Clock, Encryptor
from domain.staff_ports import StaffDirectory
from domain.use_cases.accept_waitlist_offer import accept_offer
from domain.use_cases.hold_slot import AppointmentHoldResult
from domain.use_cases.staff_access import require_staff


@dataclass(frozen=True, slots=True)
class RecordOfferOutcomeCommand:
    staff_user_id: int
    waitlist_request_id: UUID
    outcome: OfferOutcome


@dataclass(frozen=True, slots=True)
class OfferOutcomeResult:
    offer_id: UUID
    outcome: OfferOutcome
    hold: AppointmentHoldResult | None  # the appointment made when the person accepted


class RecordOfferOutcomeUseCase:
    """Records the answer to an offer that went to the staff queue (phone, Telegram).

    - Staff only (``role_required``); an operator answers only for requests assigned to them
      (``not_assigned_to_you``), managers and admins for any.
    - The request must have an open offer (``no_open_offer``) whose time has not run out
      (``offer_expired``: the worker passes it on).
    - ``accepted``: the reserved slot becomes a ``pending_payment`` appointment exactly as
      when a person accepts by link (the stored contact, encrypted, copied; ``offer_taken``
      when the slot is no longer reserved); ``offer_accepted`` on the timeline.
    - ``declined``: the offer ends and the slot is freed again, so the worker offers it to
      the next person; ``offer_declined`` on the timeline.
    - Audited: the offer keeps who recorded the answer and the timeline event names them.
    - One transaction.
    """

    def __init__(
        self,
        *,
        uow: OfferUnitOfWorkFactory,
        clock: Clock,
        staff: StaffDirectory,
        encryptor: Encryptor,
        hold_for: timedelta = DEFAULT_HOLD,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._staff = staff
        self._encryptor = encryptor
        self._hold_for = hold_for

    async def execute(self, command: RecordOfferOutcomeCommand) -> OfferOutcomeResult:
        member = await require_staff(self._staff, command.staff_user_id)
        now = self._clock.now()
        async with self._uow() as uow:
            request = await uow.waitlist.get(command.waitlist_request_id)
            if request is None:
                raise WaitlistRequestNotFound()
            if not member.may_work_any_request() and request.assignee_id != member.user_id:
                raise NotAssignedToYou()
            offer = await uow.offers.open_for_request(request.id)
            if offer is None:
                raise NoOpenOffer()
            if not offer.is_open(now):
                raise OfferExpired()
            hold = None
            if command.outcome is OfferOutcome.ACCEPTED:
                acceptance = await accept_offer(
                    uow,
                    offer,
                    now=now,
                    hold_for=self._hold_for,
                    encryptor=self._encryptor,
                    staff_user_id=member.user_id,
                )
                hold = acceptance.result
            else:
                if not await uow.offers.close(
                    offer.id, OfferStatus.DECLINED, now, staff_user_id=member.user_id
                ):
                    raise NoOpenOffer()
                await uow.offers.free_reserved_slot(offer.slot_id)
                event = LeadTimelineEvent.of(
                    offer.lead_id,
                    LeadTimelineEventType.OFFER_DECLINED,
                    now,
                    waitlist_request_id=offer.request_id,
                )
                await uow.lead_timeline.add(replace(event, staff_user_id=member.user_id))
            await uow.commit()
        return OfferOutcomeResult(offer_id=offer.id, outcome=command.outcome, hold=hold)
