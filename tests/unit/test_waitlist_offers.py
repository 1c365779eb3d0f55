"""Waitlist offers with a fixed clock on the in-memory store: matching, reservation, expiry,
acceptance, the offer email and the page's states."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.crm import EncryptedContact, TimeWindow, WaitlistRequest, WaitlistStatus
from domain.emails import EmailStatus, EmailTemplate
from domain.errors import (
    NoOpenOffer,
    NotAssignedToYou,
    OfferExpired,
    OfferNotFound,
    OfferTaken,
    RoleRequired,
)
from domain.models import (
    AppointmentStatus,
    ConsentChannel,
    ConsentKind,
    ConsentRecord,
    ConsentSubject,
    ContactMethod,
    Service,
    SlotStatus,
    StaffRole,
)
from domain.offers import (
    OfferChannel,
    OfferOutcome,
    OfferPageState,
    OfferStatus,
    issue_offer_token,
    window_contains,
)
from domain.practice_time import MOSCOW
from domain.staff import StaffMember
from domain.use_cases.accept_waitlist_offer import (
    AcceptWaitlistOfferCommand,
    AcceptWaitlistOfferUseCase,
)
from domain.use_cases.get_offer_page import GetOfferPageCommand, GetOfferPageUseCase
from domain.use_cases.offer_freed_slots import OfferFreedSlotsUseCase
from domain.use_cases.record_offer_outcome import (
    RecordOfferOutcomeCommand,
    RecordOfferOutcomeUseCase,
)
from domain.use_cases.send_pending_emails import SendPendingEmailsUseCase
from tests.support.builders import a_service, a_slot
from tests.support.crm_fakes import RecordingMailer
from tests.support.fakes import FakeEncryptor, FixedClock, InMemoryUnitOfWorkFactory
from tests.support.staff_fakes import FakeStaffDirectory

pytestmark = pytest.mark.anyio

OFFER_FOR = timedelta(minutes=120)
# Monday 23 November 2026, 10:00 in Moscow (07:00 UTC): a morning.
MONDAY_10_MSK = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def msk(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of November 2026 given on Moscow's wall clock (UTC+3)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=3)


@pytest.mark.parametrize(
    ("window", "starts_at", "suits"),
    [
        (TimeWindow.MORNING, msk(23, 9), True),
        (TimeWindow.MORNING, msk(23, 11, 59), True),
        (TimeWindow.MORNING, msk(23, 12), False),
        (TimeWindow.MORNING, msk(23, 8, 59), False),
        (TimeWindow.AFTERNOON, msk(23, 12), True),
        (TimeWindow.AFTERNOON, msk(23, 17), False),
        (TimeWindow.EVENING, msk(23, 17), True),
        (TimeWindow.EVENING, msk(23, 20, 59), True),
        (TimeWindow.EVENING, msk(23, 21), False),
        (TimeWindow.WEEKEND, msk(28, 10), True),  # Saturday
        (TimeWindow.WEEKEND, msk(29, 20), True),  # Sunday
        (TimeWindow.WEEKEND, msk(27, 10), False),  # Friday
        (TimeWindow.ANY, msk(24, 3), True),
        # 20:30 UTC on Friday is 23:30 Friday in Moscow: not yet the weekend.
        (TimeWindow.WEEKEND, datetime(2026, 11, 27, 20, 30, tzinfo=UTC), False),
        # 21:30 UTC on Friday is 00:30 Saturday in Moscow.
        (TimeWindow.WEEKEND, datetime(2026, 11, 27, 21, 30, tzinfo=UTC), True),
    ],
)
def test_a_time_window_is_read_on_the_practice_s_wall_clock(
    window: TimeWindow, starts_at: datetime, suits: bool
) -> None:
    assert window_contains(window, starts_at, MOSCOW) is suits


class World:
    def __init__(self) -> None:
        self.clock = FixedClock(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
        self.uow = InMemoryUnitOfWorkFactory()
        self.encryptor = FakeEncryptor()
        self.service = a_service()
        self.uow.store.services[self.service.id] = self.service
        self.job = OfferFreedSlotsUseCase(uow=self.uow, clock=self.clock, offer_for=OFFER_FOR)
        self.accept = AcceptWaitlistOfferUseCase(
            uow=self.uow, clock=self.clock, encryptor=self.encryptor
        )
        self.page = GetOfferPageUseCase(uow=self.uow, clock=self.clock)

    @property
    def store(self):  # type: ignore[no-untyped-def]
        return self.uow.store

    def wait(
        self,
        window: TimeWindow,
        *,
        method: ContactMethod = ContactMethod.EMAIL,
        consent: bool = True,
        service: Service | None = None,
        minutes_ago: int = 0,
    ) -> WaitlistRequest:
        n = len(self.store.waitlist)
        value = f"person{n}@example.org" if method is ContactMethod.EMAIL else f"+7916000000{n}"
        created = self.clock.now() - timedelta(days=1) + timedelta(minutes=n - minutes_ago)
        request = WaitlistRequest(
            id=uuid4(),
            service_id=(service or self.service).id,
            lead_id=uuid4(),
            contact=EncryptedContact(
                method=method,
                ciphertext=self.encryptor.encrypt(value),
                blind_index=self.encryptor.blind_index(method.value, value),
            ),
            preferred_time_window=window,
            status=WaitlistStatus.NEW,
            created_at=created,
            updated_at=created,
        )
        self.store.waitlist[request.id] = request
        self.store.consents.append(
            ConsentRecord(
                id=uuid4(),
                subject_type=ConsentSubject.WAITLIST_REQUEST,
                subject_id=request.id,
                kind=ConsentKind.COMMUNICATIONS,
                text_version="2026-11-01",
                channel=ConsentChannel.WAITLIST_FORM,
                granted_at=created,
                evidence_ciphertext=None,
                withdrawn_at=None if consent else created,
            )
        )
        return request

    def free_slot(self, starts_at: datetime = MONDAY_10_MSK) -> UUID:
        slot = a_slot(self.service, starts_at)
        self.store.slots[slot.id] = slot
        self.store.freed_slots.append(slot.id)  # what the trigger records on insert
        return slot.id

    def open_offer(self) -> tuple[UUID, UUID]:
        [offer] = [o for o in self.store.offers.values() if o.status is OfferStatus.OFFERED]
        return offer.id, offer.request_id

    def token_for(self, offer_id: UUID) -> str:
        token, token_hash = issue_offer_token()
        self.store.offer_tokens[token_hash] = offer_id
        return token


@pytest.fixture
def world() -> World:
    return World()


async def test_the_oldest_request_whose_window_holds_the_start_gets_the_offer(
    world: World,
) -> None:
    world.wait(TimeWindow.EVENING, minutes_ago=60)  # oldest, but 10:00 is not evening
    first = world.wait(TimeWindow.MORNING)
    world.wait(TimeWindow.ANY)
    slot_id = world.free_slot()

    assert await world.job.execute() == 1

    offer_id, request_id = world.open_offer()
    offer = world.store.offers[offer_id]
    assert request_id == first.id
    assert offer.expires_at == world.clock.now() + OFFER_FOR
    assert offer.channel is OfferChannel.EMAIL
    assert world.store.slots[slot_id].status is SlotStatus.RESERVED
    [email] = world.store.emails.values()
    assert email.template is EmailTemplate.WAITLIST_OFFER
    assert email.recipient_index == first.contact.blind_index
    assert email.params["offer_id"] == str(offer_id)
    assert email.params["when"] == "понедельник, 23 ноября 2026, 10:00–10:50 (Москва)"
    # 09:00 UTC + 2 h is 14:00 in Moscow, with its day: it may be tomorrow.
    assert email.params["reserved_until"] == "14:00, 20 ноября (Москва)"
    assert [e.type.value for e in world.store.lead_timeline] == ["offer_sent"]
    [tracked] = world.store.tracking
    assert tracked.name == "waitlist_offer_sent"
    assert tracked.properties == {"service_slug": world.service.slug, "offer_channel": "email"}


async def test_nobody_who_withdrew_consent_or_is_closed_is_offered(world: World) -> None:
    world.wait(TimeWindow.ANY, consent=False)
    closed = world.wait(TimeWindow.ANY)
    world.store.waitlist[closed.id].status = WaitlistStatus.DECLINED
    other_service = a_service("couples-session")
    world.store.services[other_service.id] = other_service
    world.wait(TimeWindow.ANY, service=other_service)
    slot_id = world.free_slot()

    assert await world.job.execute() == 0

    assert world.store.offers == {}
    assert world.store.slots[slot_id].status is SlotStatus.FREE
    assert world.store.freed_slots == []  # consumed: it comes back when freed again


async def test_a_started_slot_or_a_closed_service_is_not_offered(world: World) -> None:
    world.wait(TimeWindow.ANY)
    world.free_slot(world.clock.now() - timedelta(minutes=1))
    assert await world.job.execute() == 0
    world.store.services[world.service.id] = a_service(active=False, service_id=world.service.id)
    world.free_slot()
    assert await world.job.execute() == 0
    assert world.store.offers == {}


async def test_one_person_is_offered_one_slot_at_a_time(world: World) -> None:
    world.wait(TimeWindow.ANY)
    first = world.free_slot(msk(23, 10))
    second = world.free_slot(msk(23, 15))

    assert await world.job.execute() == 1

    assert world.store.slots[first].status is SlotStatus.RESERVED
    assert world.store.slots[second].status is SlotStatus.FREE


async def test_an_offer_not_accepted_in_time_passes_to_the_next_match(world: World) -> None:
    first = world.wait(TimeWindow.MORNING)
    second = world.wait(TimeWindow.ANY)
    slot_id = world.free_slot()
    await world.job.execute()
    offer_id, _ = world.open_offer()
    token = world.token_for(offer_id)

    world.clock.advance(OFFER_FOR - timedelta(seconds=1))
    assert await world.job.execute() == 0  # not yet
    world.clock.advance(timedelta(seconds=1))
    assert await world.job.execute() == 2  # one expired, one made

    assert world.store.offers[offer_id].status is OfferStatus.EXPIRED
    _, request_id = world.open_offer()
    assert request_id == second.id
    assert world.store.slots[slot_id].status is SlotStatus.RESERVED
    expired = [e for e in world.store.lead_timeline if e.type.value == "offer_expired"]
    assert [e.waitlist_request_id for e in expired] == [first.id]
    with pytest.raises(OfferExpired):
        await world.accept.execute(AcceptWaitlistOfferCommand(token=token))
    page = await world.page.execute(GetOfferPageCommand(token))
    assert page.state is OfferPageState.EXPIRED


async def test_a_request_closed_meanwhile_ends_its_offer_at_once(world: World) -> None:
    request = world.wait(TimeWindow.ANY)
    slot_id = world.free_slot()
    await world.job.execute()
    world.store.waitlist[request.id].status = WaitlistStatus.WITHDRAWN

    assert await world.job.execute() == 1

    assert world.store.slots[slot_id].status is SlotStatus.FREE
    [offer] = world.store.offers.values()
    assert offer.status is OfferStatus.EXPIRED


async def test_accepting_holds_the_slot_with_the_stored_contact_and_is_idempotent(
    world: World,
) -> None:
    request = world.wait(TimeWindow.ANY)
    slot_id = world.free_slot()
    await world.job.execute()
    offer_id, _ = world.open_offer()
    token = world.token_for(offer_id)
    page = await world.page.execute(GetOfferPageCommand(token))
    assert page.state is OfferPageState.OPEN
    assert page.date_text == "понедельник, 23 ноября 2026"
    assert page.time_text == "10:00–10:50 (Москва)"
    assert world.store.slots[slot_id].status is SlotStatus.RESERVED  # the page changed nothing

    result = await world.accept.execute(AcceptWaitlistOfferCommand(token=token))
    again = await world.accept.execute(AcceptWaitlistOfferCommand(token=token))

    assert again == result
    assert result.status is AppointmentStatus.PENDING_PAYMENT
    assert result.hold_expires_at == world.clock.now() + timedelta(minutes=30)
    [appointment] = world.store.appointments.values()
    assert appointment.client.email == request.contact.ciphertext  # copied, not re-encrypted
    assert appointment.client.email_index == request.contact.blind_index
    assert world.store.slots[slot_id].status is SlotStatus.HELD
    assert world.store.offers[offer_id].status is OfferStatus.ACCEPTED
    assert [e.type.value for e in world.store.lead_timeline] == ["offer_sent", "offer_accepted"]
    assert [t.name for t in world.store.tracking] == [
        "waitlist_offer_sent",
        "waitlist_offer_accepted",
    ]
    page = await world.page.execute(GetOfferPageCommand(token))
    assert page.state is OfferPageState.ACCEPTED and page.appointment_id == result.appointment_id
    world.store.appointments[result.appointment_id].status = AppointmentStatus.CONFIRMED
    assert (await world.page.execute(GetOfferPageCommand(token))).state is OfferPageState.BOOKED
    world.store.appointments[result.appointment_id].status = AppointmentStatus.EXPIRED
    assert (await world.page.execute(GetOfferPageCommand(token))).state is OfferPageState.EXPIRED


async def test_a_slot_taken_meanwhile_is_offer_taken(world: World) -> None:
    world.wait(TimeWindow.ANY)
    slot_id = world.free_slot()
    await world.job.execute()
    offer_id, _ = world.open_offer()
    token = world.token_for(offer_id)
    slot = world.store.slots[slot_id]
    world.store.slots[slot_id] = type(slot)(
        slot.id, slot.service_id, slot.starts_at, slot.ends_at, SlotStatus.BOOKED
    )

    assert (await world.page.execute(GetOfferPageCommand(token))).state is OfferPageState.TAKEN
    with pytest.raises(OfferTaken):
        await world.accept.execute(AcceptWaitlistOfferCommand(token=token))
    assert world.store.appointments == {}


@pytest.mark.parametrize("token", ["", "short", "x" * 43, "ы" * 43])
async def test_an_unknown_token_is_not_found(world: World, token: str) -> None:
    with pytest.raises(OfferNotFound):
        await world.accept.execute(AcceptWaitlistOfferCommand(token=token))
    assert (await world.page.execute(GetOfferPageCommand(token))).state is OfferPageState.UNKNOWN


async def test_phone_contacts_are_offered_through_staff_without_an_email(world: World) -> None:
    world.wait(TimeWindow.ANY, method=ContactMethod.PHONE)
    world.free_slot()

    assert await world.job.execute() == 1

    offer_id, _ = world.open_offer()
    assert world.store.offers[offer_id].channel is OfferChannel.STAFF
    assert world.store.emails == {}
    assert world.store.tracking[0].properties["offer_channel"] == "staff"


async def test_the_offer_email_carries_a_fresh_link_and_an_ended_offer_is_never_sent(
    world: World,
) -> None:
    world.wait(TimeWindow.ANY)
    world.wait(TimeWindow.ANY)
    world.free_slot()
    await world.job.execute()
    mailer = RecordingMailer()
    sender = SendPendingEmailsUseCase(
        uow=world.uow,
        clock=world.clock,
        encryptor=world.encryptor,
        mailer=mailer,
        public_site_url="https://balance.example",
    )

    assert await sender.execute() == 1

    [message] = mailer.sent
    assert message.to == "person0@example.org"
    match = re.search(r"https://balance\.example/booking/offer/\?token=(\S{43})", message.text)
    assert match is not None
    offer_id, _ = world.open_offer()
    assert world.store.offer_tokens  # only hashes are kept
    assert match.group(1) not in world.store.offer_tokens
    result = await world.accept.execute(AcceptWaitlistOfferCommand(token=match.group(1)))
    assert world.store.offers[offer_id].appointment_id == result.appointment_id

    # The second person's offer ends before its email goes out: it is never sent. (The
    # first person, who accepted, is offered nothing more.)
    world.clock.advance(timedelta(days=1))
    world.store.freed_slots.clear()
    other = world.free_slot(msk(24, 10))
    await world.job.execute()
    assert world.store.slots[other].status is SlotStatus.RESERVED
    world.clock.advance(OFFER_FOR)
    await world.job.execute()  # ends it
    assert await sender.execute() == 0
    assert len(mailer.sent) == 1
    statuses = sorted(e.status.value for e in world.store.emails.values())
    assert statuses == [EmailStatus.FAILED.value, EmailStatus.SENT.value]


OPERATOR = StaffMember(user_id=7, username="olga", role=StaffRole.OPERATOR)
OTHER_OPERATOR = StaffMember(user_id=8, username="ivan", role=StaffRole.OPERATOR)


def outcome_use_case(world: World) -> RecordOfferOutcomeUseCase:
    return RecordOfferOutcomeUseCase(
        uow=world.uow,
        clock=world.clock,
        staff=FakeStaffDirectory(OPERATOR, OTHER_OPERATOR),
        encryptor=world.encryptor,
    )


def phone_offer(world: World) -> tuple[WaitlistRequest, UUID]:
    request = world.wait(TimeWindow.ANY, method=ContactMethod.PHONE)
    world.store.waitlist[request.id].assignee_id = OPERATOR.user_id
    slot_id = world.free_slot()
    return request, slot_id


async def test_staff_record_a_yes_and_the_reserved_slot_becomes_an_appointment(
    world: World,
) -> None:
    request, slot_id = phone_offer(world)
    await world.job.execute()

    result = await outcome_use_case(world).execute(
        RecordOfferOutcomeCommand(OPERATOR.user_id, request.id, OfferOutcome.ACCEPTED)
    )

    assert result.hold is not None
    appointment = world.store.appointments[result.hold.appointment_id]
    assert appointment.status is AppointmentStatus.PENDING_PAYMENT
    assert appointment.client.phone == request.contact.ciphertext
    assert appointment.client.phone_index == request.contact.blind_index
    assert world.store.slots[slot_id].status is SlotStatus.HELD
    assert world.store.offers[result.offer_id].status is OfferStatus.ACCEPTED
    assert world.store.offer_staff[result.offer_id] == OPERATOR.user_id
    [accepted] = [e for e in world.store.lead_timeline if e.type.value == "offer_accepted"]
    assert accepted.staff_user_id == OPERATOR.user_id


async def test_staff_record_a_no_and_the_slot_goes_to_the_next_person(world: World) -> None:
    request, slot_id = phone_offer(world)
    following = world.wait(TimeWindow.ANY)
    await world.job.execute()

    result = await outcome_use_case(world).execute(
        RecordOfferOutcomeCommand(OPERATOR.user_id, request.id, OfferOutcome.DECLINED)
    )

    assert result.hold is None
    assert world.store.offers[result.offer_id].status is OfferStatus.DECLINED
    [declined] = [e for e in world.store.lead_timeline if e.type.value == "offer_declined"]
    assert declined.staff_user_id == OPERATOR.user_id
    assert world.store.slots[slot_id].status is SlotStatus.FREE
    assert await world.job.execute() == 1
    _, request_id = world.open_offer()
    assert request_id == following.id


async def test_the_outcome_form_keeps_to_the_queue_s_rules(world: World) -> None:
    request, _ = phone_offer(world)
    use_case = outcome_use_case(world)
    with pytest.raises(NoOpenOffer):
        await use_case.execute(
            RecordOfferOutcomeCommand(OPERATOR.user_id, request.id, OfferOutcome.ACCEPTED)
        )
    await world.job.execute()
    with pytest.raises(NotAssignedToYou):
        await use_case.execute(
            RecordOfferOutcomeCommand(OTHER_OPERATOR.user_id, request.id, OfferOutcome.ACCEPTED)
        )
    with pytest.raises(RoleRequired):
        await use_case.execute(RecordOfferOutcomeCommand(99, request.id, OfferOutcome.ACCEPTED))
    world.clock.advance(OFFER_FOR)
    with pytest.raises(OfferExpired):
        await use_case.execute(
            RecordOfferOutcomeCommand(OPERATOR.user_id, request.id, OfferOutcome.ACCEPTED)
        )
    assert world.store.appointments == {}
