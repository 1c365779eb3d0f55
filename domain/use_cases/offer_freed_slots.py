"""The worker job ``offer-freed-slots``: end the offers whose time ran out, offer freed slots."""

from __future__ import annotations

import logging
from datetime import timedelta
from uuid import UUID, uuid4

from domain.crm import LeadTimelineEvent, LeadTimelineEventType, TimeWindow
from domain.emails import EmailTemplate, OutgoingEmail, waitlist_offer_params
from domain.models import SlotStatus, TrackingEvent
from domain.offer_ports import OfferUnitOfWork, OfferUnitOfWorkFactory
from domain.offers import (
    DEFAULT_OFFER_FOR,
    OfferChannel,
    OfferStatus,
    WaitlistOffer,
    reserved_until_text,
    window_contains,
)
from domain.ports import Clock
from domain.practice_time import MOSCOW, PracticeTimezone
from domain.tracking_plan import validate_server_event

logger = logging.getLogger("domain.offers")

WAITLIST_OFFER_SENT = "waitlist_offer_sent"


class OfferFreedSlotsUseCase:
    """Offers freed slots to the waitlist; returns how many offers it made or ended.

    - First, open offers that must end do: past their ``expires_at`` (``offer_expired`` on
      the lead's timeline), whose request is no longer active (withdrawn, closed by staff),
      or whose slot an admin changed by hand (no longer ``reserved``). Each frees its slot
      again (if still reserved), in the same transaction, so it goes to the next person.
    - Then each recorded freed slot (an admin added it, a hold expired, an appointment was
      cancelled, an offer ended: the database records every change of a slot to free) is
      taken by one worker, in its own transaction, and matched: the oldest active request of
      the slot's service whose time window holds the slot's start in the practice's time
      zone (morning 9-12, afternoon 12-17, evening 17-21, weekend Sat-Sun, any), whose
      communications consent stands, that has no open offer, has not accepted one (that
      person is booking already) and never had this slot.
    - A slot that is no longer free, has started, or whose service is closed is not offered.
    - The slot is reserved (``reserved``: out of public availability and of holds) for
      ``offer_for``; of concurrent workers only one can reserve it, and the database keeps
      one open offer per slot and per request.
    - Email contacts get a Russian offer email through the outbox (the sending worker adds
      the link with a fresh token); phone and Telegram contacts go to the staff queue.
      ``offer_sent`` goes on the lead's timeline, ``waitlist_offer_sent`` (service and
      channel, no contact) to tracking.
    """

    def __init__(
        self,
        *,
        uow: OfferUnitOfWorkFactory,
        clock: Clock,
        timezone: PracticeTimezone = MOSCOW,
        offer_for: timedelta = DEFAULT_OFFER_FOR,
        batch_size: int = 50,
    ) -> None:
        if offer_for <= timedelta(0):
            raise ValueError("offer_for must be positive")
        self._uow = uow
        self._clock = clock
        self._timezone = timezone
        self._offer_for = offer_for
        self._batch_size = batch_size

    async def execute(self) -> int:
        done = await self._end_offers()
        for _ in range(self._batch_size):
            async with self._uow() as uow:
                slot_id = await uow.offers.claim_freed_slot()
                if slot_id is None:
                    break
                offered = await self._offer(uow, slot_id)
                await uow.commit()
            done += offered
        return done

    async def _end_offers(self) -> int:
        now = self._clock.now()
        async with self._uow() as uow:
            ended = 0
            for offer in await uow.offers.list_ending(now, self._batch_size):
                if not await uow.offers.close(offer.id, OfferStatus.EXPIRED, now):
                    continue  # accepted or ended by someone else meanwhile
                await uow.offers.free_reserved_slot(offer.slot_id)
                await uow.lead_timeline.add(
                    LeadTimelineEvent.of(
                        offer.lead_id,
                        LeadTimelineEventType.OFFER_EXPIRED,
                        now,
                        waitlist_request_id=offer.request_id,
                    )
                )
                ended += 1
            await uow.commit()
        if ended:
            logger.info("%d waitlist offers expired", ended)
        return ended

    async def _offer(self, uow: OfferUnitOfWork, slot_id: UUID) -> int:
        now = self._clock.now()
        slot = await uow.slots.get(slot_id)
        if slot is None or slot.status is not SlotStatus.FREE or slot.has_started(now):
            return 0
        service = await uow.services.get(slot.service_id)
        if service is None or not service.active:
            return 0
        windows = [w for w in TimeWindow if window_contains(w, slot.starts_at, self._timezone)]
        request = await uow.offers.next_candidate(slot, windows)
        if request is None:
            return 0
        if await uow.offers.reserve_slot(slot.id, now) is None:
            return 0  # another worker or a client took it meanwhile
        offer = WaitlistOffer.make(
            slot_id=slot.id, request=request, now=now, offer_for=self._offer_for
        )
        await uow.offers.add(offer)
        await uow.lead_timeline.add(
            LeadTimelineEvent.of(
                offer.lead_id,
                LeadTimelineEventType.OFFER_SENT,
                now,
                waitlist_request_id=request.id,
            )
        )
        await uow.tracking.add(
            TrackingEvent(
                id=uuid4(),
                name=WAITLIST_OFFER_SENT,
                properties=validate_server_event(
                    WAITLIST_OFFER_SENT,
                    {"service_slug": service.slug, "offer_channel": offer.channel.value},
                ),
                occurred_at=now,
            )
        )
        if offer.channel is OfferChannel.EMAIL:
            tz = self._timezone
            await uow.email_outbox.add(
                OutgoingEmail.queue(
                    recipient_ciphertext=request.contact.ciphertext,
                    recipient_index=request.contact.blind_index,
                    template=EmailTemplate.WAITLIST_OFFER,
                    params=waitlist_offer_params(
                        offer_id=offer.id,
                        service_title=service.title,
                        when=tz.describe(slot.starts_at, slot.ends_at),
                        reserved_until=reserved_until_text(tz, offer.expires_at),
                    ),
                    now=now,
                )
            )
        logger.info("slot %s offered (offer %s, %s)", slot.id, offer.id, offer.channel.value)
        return 1
