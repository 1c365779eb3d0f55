"""Waitlist offers on the real database (SQLite and PostgreSQL): the database records freed
slots, the worker offers each to the oldest matching request, the offer email reaches a real
SMTP server, its link is accepted over HTTP, the appointment is paid in the YooKassa sandbox
and confirmed; offers expire to the next person; concurrent workers never double-offer."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import httpx
import pytest
from piccolo.apps.user.tables import BaseUser

from adapters.smtp_mailer import SmtpMailer
from adapters.yookassa.sandbox import YooKassaSandbox
from api.app import create_app
from api.config import ApiConfig
from api.dependencies import ApiPorts, OfferPorts, PaymentPorts
from domain.crm import WaitlistStatus
from domain.errors import OfferExpired, SlotNotAvailable
from domain.models import ConsentEvidence, StaffRole
from domain.offers import OfferOutcome, issue_offer_token
from domain.staff import StaffMember
from domain.use_cases.accept_waitlist_offer import (
    AcceptWaitlistOfferCommand,
    AcceptWaitlistOfferUseCase,
)
from domain.use_cases.create_waitlist_request import CreateWaitlistRequestCommand
from domain.use_cases.get_offer_page import GetOfferPageUseCase
from domain.use_cases.handle_payment_notification import PaymentNotification
from domain.use_cases.hold_slot import HoldSlotCommand
from domain.use_cases.offer_freed_slots import OfferFreedSlotsUseCase
from domain.use_cases.record_offer_outcome import (
    RecordOfferOutcomeCommand,
    RecordOfferOutcomeUseCase,
)
from domain.use_cases.send_pending_emails import SendPendingEmailsUseCase
from tables.core.tables import AppointmentTable, ServiceTable, SlotTable, TrackingEventTable
from tables.crm.privacy import PiccoloContactErasure
from tables.crm.tables import (
    EmailOutboxTable,
    FreedSlotTable,
    LeadTimelineEventTable,
    WaitlistOfferTable,
    WaitlistRequestTable,
)
from tables.uow import PiccoloUnitOfWork
from tests.support.payment_world import PaymentsWorld
from tests.support.smtp_inbox import Inbox, smtp_inbox
from tests.support.staff_fakes import FakeStaffDirectory

pytestmark = [pytest.mark.anyio, pytest.mark.db]

MSK = ZoneInfo("Europe/Moscow")
SLUG = "offer-session"
OFFER_FOR = timedelta(minutes=120)
SENDER = "Эмоциональный баланс <noreply@emotional-balance.test>"


def weekday_at(hour: int, *, weekend: bool = False) -> datetime:
    """A day at least a week ahead (a weekday, or a Saturday) at ``hour`` in Moscow, as UTC."""
    day = datetime.now(MSK).date() + timedelta(days=7)
    while (day.weekday() >= 5) != weekend:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, tzinfo=MSK).astimezone(UTC)


class Offers:
    """The offer use cases on the test's clock, wired as the container wires them."""

    def __init__(self, world: PaymentsWorld) -> None:
        container = world.container
        engine = container.engine

        def uow() -> PiccoloUnitOfWork:
            return PiccoloUnitOfWork(engine)

        self.world = world
        self.uow = uow
        self.job = OfferFreedSlotsUseCase(
            uow=uow, clock=world.clock, timezone=container.settings.practice_time
        )
        self.accept = AcceptWaitlistOfferUseCase(
            uow=uow,
            clock=world.clock,
            encryptor=container.encryptor,
            hold_for=timedelta(minutes=30),
        )
        self.page = GetOfferPageUseCase(
            uow=uow, clock=world.clock, timezone=container.settings.practice_time
        )

    def app(self) -> Any:
        world = self.world
        ports = ApiPorts(
            list_services=world.container.list_services,
            get_availability=world.container.get_availability,
            hold_slot=world.container.hold_slot,
            readiness=_Ready(),
            payments=PaymentPorts(
                create_payment_intent=world.create,
                get_payment=world.get,
                handle_payment_notification=world.notify,
            ),
            offers=OfferPorts(get_offer_page=self.page, accept_offer=self.accept),
        )
        return create_app(ports, ApiConfig())

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app(), client=("203.0.113.9", 40000)),
            base_url="http://testserver",
        )

    async def token_for(self, offer_id: UUID) -> str:
        """A link's token for an offer, as the sending worker issues one."""
        token, token_hash = issue_offer_token()
        async with self.uow() as uow:
            await uow.offers.add_token(offer_id, token_hash, self.world.clock.now())
            await uow.commit()
        return token


class _Ready:
    async def is_ready(self) -> bool:
        return True


@pytest.fixture
async def offers(world: PaymentsWorld) -> Offers:
    # The demo's slots were recorded as freed when they were seeded: not this test's.
    await FreedSlotTable.delete(force=True)
    return Offers(world)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_inbox() as served:
        yield served


async def add_service(slug: str = SLUG) -> UUID:
    service_id = uuid4()
    await ServiceTable.insert(
        ServiceTable(
            id=service_id,
            slug=slug,
            title="Консультация психолога",
            duration_minutes=50,
            price=Decimal("3000.00"),
            deposit=Decimal("1000.00"),
            active=True,
        )
    )
    return service_id


async def add_slot(service_id: UUID, starts_at: datetime, status: str = "free") -> UUID:
    slot_id = uuid4()
    await SlotTable.insert(
        SlotTable(
            id=slot_id,
            service=service_id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=50),
            status=status,
        )
    )
    return slot_id


async def wait_for(
    world: PaymentsWorld, address: str, window: str, *, method: str = "email", slug: str = SLUG
) -> UUID:
    result = await world.container.create_waitlist_request.execute(
        CreateWaitlistRequestCommand(
            service_slug=slug,
            preferred_contact_method=method,
            contact_value=address,
            preferred_time_window=window,
            personal_data_consent=True,
            communications_consent=True,
            consent_version="2026-11-01",
            evidence=ConsentEvidence(ip=None, user_agent=None),
        )
    )
    assert result.waitlist_request_id is not None
    # Later requests are younger: the queue is oldest first.
    await asyncio.sleep(0.002)
    return result.waitlist_request_id


async def freed_count() -> int:
    return int(await FreedSlotTable.count())


async def offers_of(slot_id: UUID) -> list[dict[str, Any]]:
    rows = await WaitlistOfferTable.select().where(WaitlistOfferTable.slot == slot_id)
    return list(rows)


async def slot_status(slot_id: UUID) -> str:
    row = await SlotTable.select(SlotTable.status).where(SlotTable.id == slot_id).first()
    assert row is not None
    return str(row["status"])


def params_of(row: dict[str, Any]) -> dict[str, str]:
    params = row["params"]
    return params if isinstance(params, dict) else json.loads(params)


async def test_the_database_records_every_slot_that_becomes_free(offers: Offers) -> None:
    service_id = await add_service()
    free = await add_slot(service_id, weekday_at(10))
    assert await freed_count() == 1
    held = await add_slot(service_id, weekday_at(11), status="held")
    assert await freed_count() == 1  # a held slot is not free

    await SlotTable.update({SlotTable.status: "free"}).where(SlotTable.id == held)
    assert await freed_count() == 2
    # A change that leaves a free slot free is not a new freeing.
    await SlotTable.update({SlotTable.ends_at: weekday_at(12)}).where(SlotTable.id == free)
    await SlotTable.update({SlotTable.status: "free"}).where(SlotTable.id == free)
    assert await freed_count() == 2
    # An expired hold frees its slot through the ordinary path: recorded too.
    async with offers.uow() as uow:
        assert await uow.slots.try_hold(free, offers.world.clock.now())
        await uow.slots.release(free)
        await uow.commit()
    rows = await FreedSlotTable.select(FreedSlotTable.slot).order_by(FreedSlotTable.id)
    assert [row["slot"] for row in rows] == [free, held, free]


async def test_a_freed_slot_goes_to_the_oldest_request_whose_window_holds_its_start(
    offers: Offers,
) -> None:
    world = offers.world
    service_id = await add_service()
    await wait_for(world, "evening@example.org", "evening")  # oldest, but 10:00 is no evening
    first = await wait_for(world, "first@example.org", "morning")
    await wait_for(world, "second@example.org", "morning")
    await wait_for(world, "weekend@example.org", "weekend")
    slot_id = await add_slot(service_id, weekday_at(10))

    assert await offers.job.execute() == 1
    assert await offers.job.execute() == 0  # nothing left to do: one slot, one offer

    [offer] = await offers_of(slot_id)
    assert offer["waitlist_request"] == first and offer["status"] == "offered"
    assert offer["channel"] == "email"
    assert await slot_status(slot_id) == "reserved"
    # Hidden from the public and from holds while it is reserved.
    now = world.clock.now()
    async with offers.uow() as uow:
        assert await uow.slots.list_free(service_id, now, now + timedelta(days=30)) == []
    with pytest.raises(SlotNotAvailable):
        await world.container.hold_slot.execute(
            HoldSlotCommand(
                slot_id=slot_id,
                client_name="Кто-то другой",
                email="other@example.org",
                phone=None,
                personal_data_consent=True,
                communications_consent=False,
                consent_version="2026-11-01",
                evidence=ConsentEvidence(ip=None, user_agent=None),
            )
        )

    [mail] = await EmailOutboxTable.select().where(EmailOutboxTable.template == "waitlist_offer")
    request = await WaitlistRequestTable.select().where(WaitlistRequestTable.id == first).first()
    assert request is not None
    assert mail["recipient_index"] == request["contact_index"]
    assert params_of(mail)["offer_id"] == str(offer["id"])
    assert "first@example.org" not in json.dumps(params_of(mail))
    events = await LeadTimelineEventTable.select().where(
        LeadTimelineEventTable.type == "offer_sent"
    )
    assert [e["waitlist_request"] for e in events] == [first]
    [tracked] = await TrackingEventTable.select().where(
        TrackingEventTable.name == "waitlist_offer_sent"
    )
    properties = tracked["properties"]
    properties = properties if isinstance(properties, dict) else json.loads(properties)
    assert properties == {"service_slug": SLUG, "offer_channel": "email"}


async def test_the_whole_loop_from_a_freed_slot_to_a_confirmed_appointment(
    offers: Offers, sandbox: YooKassaSandbox, smtp: tuple[Inbox, int]
) -> None:
    world = offers.world
    inbox, port = smtp
    service_id = await add_service()
    await wait_for(world, "anna.offer@example.org", "any")
    slot_id = await add_slot(service_id, weekday_at(15))
    assert await offers.job.execute() == 1

    sender = SendPendingEmailsUseCase(
        uow=offers.uow,
        clock=world.clock,
        encryptor=world.container.encryptor,
        mailer=SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER, timeout=5),
        public_site_url="https://balance.example",
    )
    assert await sender.execute() == 2  # the waitlist confirmation, then the offer
    assert {tuple(rcpt) for _, rcpt, _ in inbox.messages} == {("anna.offer@example.org",)}
    messages = [
        email.message_from_bytes(m, policy=email.policy.default) for *_, m in inbox.messages
    ]
    [message] = [m for m in messages if str(m["Subject"]).startswith("Освободилось время: ")]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Консультация психолога" in text and "(Москва)" in text
    assert "/privacy/withdraw/?token=" in text  # the withdrawal footer of every email
    match = re.search(r"https://balance\.example/booking/offer/\?token=([A-Za-z0-9_-]{43})", text)
    assert match is not None
    token = match.group(1)
    # Stored only as its hash.
    stored = json.dumps([dict(r) for r in await EmailOutboxTable.select()], default=str)
    assert token not in stored

    async with offers.client() as http:
        page = await http.get("/booking/offer/", params={"token": token})
        assert page.status_code == 200
        assert "Консультация психолога" in page.text and "Записаться на это время" in page.text
        assert await slot_status(slot_id) == "reserved"  # opening the page changed nothing

        accepted = await http.post("/api/public/waitlist/offers/accept", json={"token": token})
        assert accepted.status_code == 201, accepted.text
        body = accepted.json()
        assert body["status"] == "pending_payment" and set(body) == {
            "appointment_id",
            "status",
            "hold_expires_at",
        }
        again = await http.post("/api/public/waitlist/offers/accept", json={"token": token})
        assert again.status_code == 201 and again.json() == body  # idempotent

        unknown = await http.post("/api/public/waitlist/offers/accept", json={"token": "x" * 43})
        assert unknown.status_code == 404 and unknown.json()["code"] == "offer_not_found"

        appointment_id = UUID(body["appointment_id"])
        paid = await http.post(
            "/api/public/payments",
            json={"appointment_id": str(appointment_id)},
            headers={"Idempotency-Key": f"offer-{appointment_id}"},
        )
        assert paid.status_code == 201, paid.text

    row = await AppointmentTable.select().where(AppointmentTable.id == appointment_id).first()
    assert row is not None and row["slot"] == slot_id
    request = await WaitlistRequestTable.select().first()
    assert request is not None
    # The contact the request held, copied encrypted: never written as plaintext.
    assert row["client_email_encrypted"] == request["contact_encrypted"]
    assert row["client_email_index"] == request["contact_index"]
    assert "anna.offer" not in json.dumps(dict(row), default=str)

    [provider_id] = [
        pid
        for pid in sandbox.payment_ids()
        if sandbox.payment(pid)["metadata"].get("appointment_id") == str(appointment_id)
    ]
    sandbox.settle(provider_id, "succeeded")
    await world.notify.execute(PaymentNotification("payment.succeeded", provider_id))

    row = await AppointmentTable.select().where(AppointmentTable.id == appointment_id).first()
    assert row is not None and row["status"] == "confirmed"
    assert await slot_status(slot_id) == "booked"
    types = {r["type"] for r in await LeadTimelineEventTable.select(LeadTimelineEventTable.type)}
    assert {"offer_sent", "offer_accepted", "payment_succeeded"} <= types
    tracked = {r["name"] for r in await TrackingEventTable.select(TrackingEventTable.name)}
    assert {"waitlist_offer_sent", "waitlist_offer_accepted"} <= tracked


async def test_an_offer_not_accepted_in_time_passes_to_the_next_person(
    offers: Offers, world: PaymentsWorld
) -> None:
    service_id = await add_service()
    first = await wait_for(world, "first@example.org", "afternoon")
    second = await wait_for(world, "second@example.org", "any")
    slot_id = await add_slot(service_id, weekday_at(13))
    assert await offers.job.execute() == 1
    [offer] = await offers_of(slot_id)
    token = await offers.token_for(offer["id"])

    world.clock.offset += OFFER_FOR + timedelta(minutes=1)  # type: ignore[attr-defined]
    assert await offers.job.execute() == 2  # one expired, one made

    by_request = {o["waitlist_request"]: o for o in await offers_of(slot_id)}
    assert by_request[first]["status"] == "expired"
    assert by_request[second]["status"] == "offered"
    assert await slot_status(slot_id) == "reserved"
    with pytest.raises(OfferExpired):
        await offers.accept.execute(AcceptWaitlistOfferCommand(token=token))
    async with offers.client() as http:
        late = await http.post("/api/public/waitlist/offers/accept", json={"token": token})
        assert late.status_code == 409 and late.json()["code"] == "offer_expired"
        page = await http.get("/booking/offer/", params={"token": token})
        assert page.status_code == 200 and "Срок предложения истёк" in page.text
    expired = await LeadTimelineEventTable.select().where(
        LeadTimelineEventTable.type == "offer_expired"
    )
    assert [e["waitlist_request"] for e in expired] == [first]

    # Nobody is left who has not had it: when the second offer ends too, the slot is free.
    world.clock.offset += OFFER_FOR + timedelta(minutes=1)  # type: ignore[attr-defined]
    assert await offers.job.execute() == 1
    assert await slot_status(slot_id) == "free"
    assert await freed_count() == 0


async def test_a_withdrawal_cancels_the_offer_email_and_ends_the_offer(
    offers: Offers, world: PaymentsWorld
) -> None:
    service_id = await add_service()
    request_id = await wait_for(world, "gone@example.org", "any")
    slot_id = await add_slot(service_id, weekday_at(18))
    assert await offers.job.execute() == 1
    request = (
        await WaitlistRequestTable.select().where(WaitlistRequestTable.id == request_id).first()
    )
    assert request is not None

    async with offers.uow() as uow:  # what a withdrawal does with the contact's emails
        erasure = PiccoloContactErasure()
        # The waitlist confirmation and the offer.
        assert await erasure.cancel_emails(request["contact_index"], [], world.clock.now()) == 2
        assert await erasure.withdraw_requests([request_id], world.clock.now()) == 1
        await uow.commit()
    [mail] = await EmailOutboxTable.select().where(EmailOutboxTable.template == "waitlist_offer")
    assert mail["status"] == "cancelled"

    assert await offers.job.execute() == 1  # the offer ends at once, not when its time runs out
    [offer] = await offers_of(slot_id)
    assert offer["status"] == "expired"
    assert await slot_status(slot_id) == "free"
    status = await WaitlistRequestTable.select(WaitlistRequestTable.status).first()
    assert status is not None and status["status"] == WaitlistStatus.WITHDRAWN.value


async def test_phone_and_telegram_requests_are_offered_through_the_staff_queue(
    offers: Offers, world: PaymentsWorld
) -> None:
    service_id = await add_service()
    await wait_for(world, "+79161234567", "any", method="phone")
    slot_id = await add_slot(service_id, weekday_at(10))
    assert await offers.job.execute() == 1
    [offer] = await offers_of(slot_id)
    assert offer["channel"] == "staff"
    assert await EmailOutboxTable.count().where(EmailOutboxTable.template == "waitlist_offer") == 0
    assert await slot_status(slot_id) == "reserved"


@pytest.mark.postgres
async def test_concurrent_workers_never_offer_one_slot_twice(
    offers: Offers, world: PaymentsWorld
) -> None:
    service_id = await add_service()
    for n in range(4):
        await wait_for(world, f"person{n}@example.org", "any")
    slots = [await add_slot(service_id, weekday_at(10 + n)) for n in range(3)]
    # The same slot freed again meanwhile: a second record of it.
    await SlotTable.update({SlotTable.status: "held"}).where(SlotTable.id == slots[0])
    await SlotTable.update({SlotTable.status: "free"}).where(SlotTable.id == slots[0])

    jobs = [
        OfferFreedSlotsUseCase(uow=offers.uow, clock=world.clock, batch_size=1) for _ in range(8)
    ]
    results = await asyncio.gather(*(job.execute() for job in jobs))

    assert sum(results) == 3
    rows = await WaitlistOfferTable.select()
    assert len(rows) == 3
    assert len({r["slot"] for r in rows}) == 3  # each slot offered once
    assert len({r["waitlist_request"] for r in rows}) == 3  # each person one slot at a time
    assert await freed_count() == 0


@pytest.mark.postgres
async def test_concurrent_accepts_of_one_offer_make_one_appointment(
    offers: Offers, world: PaymentsWorld
) -> None:
    service_id = await add_service()
    await wait_for(world, "clicker@example.org", "any")
    slot_id = await add_slot(service_id, weekday_at(11))
    assert await offers.job.execute() == 1
    [offer] = await offers_of(slot_id)
    token = await offers.token_for(offer["id"])

    results = await asyncio.gather(
        *(offers.accept.execute(AcceptWaitlistOfferCommand(token=token)) for _ in range(6))
    )

    assert len({r.appointment_id for r in results}) == 1
    assert await AppointmentTable.count() == 1


async def test_staff_record_a_phone_contact_s_yes_as_an_appointment(
    offers: Offers, world: PaymentsWorld
) -> None:
    user = await BaseUser.create_user(username="maria", password="a-long-test-password-1")
    manager = StaffMember(user_id=int(user.id), username="maria", role=StaffRole.MANAGER)
    service_id = await add_service()
    request_id = await wait_for(world, "+79161234567", "any", method="phone")
    slot_id = await add_slot(service_id, weekday_at(10))
    assert await offers.job.execute() == 1
    record = RecordOfferOutcomeUseCase(
        uow=offers.uow,
        clock=world.clock,
        staff=FakeStaffDirectory(manager),
        encryptor=world.container.encryptor,
    )

    result = await record.execute(
        RecordOfferOutcomeCommand(manager.user_id, request_id, OfferOutcome.ACCEPTED)
    )

    assert result.hold is not None
    row = (
        await AppointmentTable.select()
        .where(AppointmentTable.id == result.hold.appointment_id)
        .first()
    )
    request = (
        await WaitlistRequestTable.select().where(WaitlistRequestTable.id == request_id).first()
    )
    assert row is not None and request is not None
    assert row["client_phone_encrypted"] == request["contact_encrypted"]
    assert row["client_phone_index"] == request["contact_index"]
    assert row["status"] == "pending_payment"
    assert await slot_status(slot_id) == "held"
    [offer] = await offers_of(slot_id)
    assert offer["status"] == "accepted" and offer["appointment"] == row["id"]
    assert offer["staff_user"] == manager.user_id  # who recorded it


async def test_a_reserved_slot_an_admin_sets_free_by_hand_is_offered_afresh(
    offers: Offers, world: PaymentsWorld
) -> None:
    service_id = await add_service()
    first = await wait_for(world, "first@example.org", "any")
    second = await wait_for(world, "second@example.org", "any")
    slot_id = await add_slot(service_id, weekday_at(12))
    assert await offers.job.execute() == 1
    # The admin's CRUD: the slot back to free while the offer is open.
    await SlotTable.update({SlotTable.status: "free"}).where(SlotTable.id == slot_id)

    assert await offers.job.execute() == 2  # the stale offer ends, the slot is offered again

    by_request = {o["waitlist_request"]: o["status"] for o in await offers_of(slot_id)}
    assert by_request == {first: "expired", second: "offered"}
    assert await slot_status(slot_id) == "reserved"
