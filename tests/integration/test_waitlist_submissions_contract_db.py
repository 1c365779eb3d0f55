"""One contract for every ``WaitlistSubmissions``, run against each of them.

- ``group_commit``: ``PostgresWaitlistSubmissions``, the statement shared by concurrent
  submissions (PostgreSQL only);
- ``unit_of_work``: ``UnitOfWorkWaitlistSubmissions``, a transaction per submission (SQLite and
  PostgreSQL);
- ``in_memory``: ``InMemoryWaitlistSubmissions``, the fake the unit tests use, so that it
  cannot pass a test the real stores would fail.

Each test hands drafts to the store and reads back what it keeps, through the tables for the
real stores and through the in-memory state for the fake.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID, uuid4

import pytest
from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import Finder

from domain.crm import (
    EncryptedContact,
    Lead,
    LeadSource,
    LeadTimelineEvent,
    TimeWindow,
    WaitlistDraft,
    WaitlistRequest,
    WaitlistStatus,
)
from domain.crm_ports import WaitlistOutcome, WaitlistSubmissions
from domain.emails import CONFIRMATION_INTERVAL, EmailTemplate, OutgoingEmail
from domain.errors import ServiceNotFound
from domain.models import (
    ConsentChannel,
    ConsentKind,
    ConsentRecord,
    ConsentSubject,
    ContactMethod,
    TrackingEvent,
)
from tables.core.tables import ConsentRecordTable, ServiceTable, TrackingEventTable
from tables.crm.repositories import (
    PiccoloWaitlistConfirmations,
    email_from_row,
    lead_from_row,
    timeline_from_row,
    waitlist_from_row,
)
from tables.crm.tables import (
    EmailOutboxTable,
    LeadTable,
    LeadTimelineEventTable,
    WaitlistConfirmationTable,
    WaitlistRequestTable,
)
from tables.crm.waitlist_submissions import PostgresWaitlistSubmissions
from tables.crm.waitlist_unit_of_work import UnitOfWorkWaitlistSubmissions
from tables.database import as_utc, is_sqlite
from tests.support.builders import a_service
from tests.support.crm_fakes import InMemoryWaitlistSubmissions
from tests.support.fakes import FakeEncryptor, FixedClock, InMemoryStore

pytestmark = [pytest.mark.anyio, pytest.mark.db]

SLUG = "family-session"
OTHER_SLUG = "couples-session"
RETIRED_SLUG = "retired-session"
EMAIL = "secret.person@example.org"
PHONE = "+79991234567"
TELEGRAM = "secret_person_42"
ENCRYPTOR = FakeEncryptor()


# The stores and what they keep ---------------------------------------------------------------


@dataclass(frozen=True)
class Kept:
    """Everything a store holds after the test, in domain terms."""

    requests: list[WaitlistRequest]
    leads: list[Lead]
    consents: list[ConsentRecord]
    timeline: list[LeadTimelineEvent]
    tracking: list[TrackingEvent]
    emails: list[OutgoingEmail]

    @classmethod
    def of(cls, **kinds: Sequence[Any]) -> Kept:
        """Each kind in the order of its ids: the stores keep no order."""
        return cls(**{kind: by_id(items) for kind, items in kinds.items()})


class World(Protocol):
    submissions: WaitlistSubmissions
    services: dict[str, UUID]

    async def kept(self) -> Kept: ...

    async def set_status(self, request_id: UUID, status: WaitlistStatus) -> None:
        """What staff do to a request: take it in work, close it."""
        ...

    async def everything_as_text(self) -> str: ...


class DatabaseWorld:
    def __init__(self, submissions: WaitlistSubmissions, services: dict[str, UUID]) -> None:
        self.submissions: WaitlistSubmissions = submissions
        self.services = services

    @classmethod
    async def create(cls, submissions: WaitlistSubmissions) -> DatabaseWorld:
        services = {}
        for service in _services():
            await ServiceTable.insert(
                ServiceTable(
                    id=service.id,
                    slug=service.slug,
                    title=service.title,
                    duration_minutes=service.duration_minutes,
                    price=Decimal("5000.00"),
                    deposit=None,
                    active=service.active,
                )
            )
            services[service.slug] = service.id
        return cls(submissions, services)

    async def kept(self) -> Kept:
        return Kept.of(
            requests=[waitlist_from_row(r) for r in await WaitlistRequestTable.select()],
            leads=[lead_from_row(r) for r in await LeadTable.select()],
            consents=[_consent_from_row(r) for r in await ConsentRecordTable.select()],
            timeline=[timeline_from_row(r) for r in await LeadTimelineEventTable.select()],
            tracking=[_tracking_from_row(r) for r in await TrackingEventTable.select()],
            emails=[email_from_row(r) for r in await EmailOutboxTable.select()],
        )

    async def set_status(self, request_id: UUID, status: WaitlistStatus) -> None:
        await WaitlistRequestTable.update({WaitlistRequestTable.status: status.value}).where(
            WaitlistRequestTable.id == request_id
        )

    async def everything_as_text(self) -> str:
        parts = []
        for table in Finder().get_table_classes():
            if table is not Migration:
                rows = await table.select()
                parts.append(json.dumps(rows, default=str, ensure_ascii=False))
        return "\n".join(parts)


class MemoryWorld:
    def __init__(self) -> None:
        self.store = InMemoryStore()
        self.submissions: WaitlistSubmissions = InMemoryWaitlistSubmissions(self.store)
        self.services: dict[str, UUID] = {}
        for service in _services():
            self.store.services[service.id] = service
            self.services[service.slug] = service.id

    async def kept(self) -> Kept:
        copy = dataclasses.replace
        return Kept.of(
            requests=[copy(r) for r in self.store.waitlist.values()],
            leads=[copy(lead) for lead in self.store.leads.values()],
            consents=list(self.store.consents),
            timeline=list(self.store.lead_timeline),
            tracking=list(self.store.tracking),
            emails=list(self.store.emails.values()),
        )

    async def set_status(self, request_id: UUID, status: WaitlistStatus) -> None:
        self.store.waitlist[request_id].status = status

    async def everything_as_text(self) -> str:
        kept = await self.kept()
        return json.dumps(
            [[dataclasses.asdict(item) for item in items] for items in vars(kept).values()],
            default=str,
            ensure_ascii=False,
        )


def _services() -> list[Any]:
    return [a_service(SLUG), a_service(OTHER_SLUG), a_service(RETIRED_SLUG, active=False)]


def _consent_from_row(row: dict[str, Any]) -> ConsentRecord:
    return ConsentRecord(
        id=row["id"],
        subject_type=ConsentSubject(row["subject_type"]),
        subject_id=row["subject_id"],
        kind=ConsentKind(row["kind"]),
        text_version=row["text_version"],
        channel=ConsentChannel(row["channel"]),
        granted_at=as_utc(row["granted_at"]),
        evidence_ciphertext=row["evidence_encrypted"],
        withdrawn_at=None if row["withdrawn_at"] is None else as_utc(row["withdrawn_at"]),
    )


def _tracking_from_row(row: dict[str, Any]) -> TrackingEvent:
    properties = row["properties"]
    return TrackingEvent(
        id=row["id"],
        name=row["name"],
        properties=json.loads(properties) if isinstance(properties, str) else properties,
        occurred_at=as_utc(row["occurred_at"]),
        source=row["source"],
    )


@pytest.fixture(params=["group_commit", "unit_of_work", "in_memory"])
async def world(request: pytest.FixtureRequest, db: Any) -> World:
    if request.param == "in_memory":
        return MemoryWorld()
    if request.param == "group_commit":
        if is_sqlite(db):
            pytest.skip("the group commit is PostgreSQL's")
        return await DatabaseWorld.create(PostgresWaitlistSubmissions(db))
    return await DatabaseWorld.create(UnitOfWorkWaitlistSubmissions(db))


# Drafts --------------------------------------------------------------------------------------

CLOCK = FixedClock()


def a_draft(
    contact: str = EMAIL,
    method: ContactMethod = ContactMethod.EMAIL,
    *,
    slug: str = SLUG,
    at: datetime | None = None,
) -> WaitlistDraft:
    """A draft as the use case builds it, for a normalised contact."""
    now = at or CLOCK.now()
    encrypted = EncryptedContact(
        method=method,
        ciphertext=ENCRYPTOR.encrypt(contact),
        blind_index=ENCRYPTOR.blind_index(method.value, contact),
    )
    request_id = uuid4()
    return WaitlistDraft(
        service_slug=slug,
        lead=Lead.first_seen(contact=encrypted, source=LeadSource.WAITLIST, now=now),
        request_id=request_id,
        time_window=TimeWindow.EVENING,
        submitted_at=now,
        consents=tuple(
            ConsentRecord(
                id=uuid4(),
                subject_type=ConsentSubject.WAITLIST_REQUEST,
                subject_id=request_id,
                kind=kind,
                text_version="2026-11-01",
                channel=ConsentChannel.WAITLIST_FORM,
                granted_at=now,
                evidence_ciphertext=ENCRYPTOR.encrypt("203.0.113.9\ncontract"),
            )
            for kind in (ConsentKind.PERSONAL_DATA, ConsentKind.COMMUNICATIONS)
        ),
        timeline_event_id=uuid4(),
        tracking_event=TrackingEvent(
            id=uuid4(),
            name="waitlist_submitted",
            properties={
                "service_slug": slug,
                "preferred_contact_method": method.value,
                "preferred_time_window": "evening",
            },
            occurred_at=now,
        ),
        email=(
            OutgoingEmail.queue(
                recipient_ciphertext=encrypted.ciphertext,
                template=EmailTemplate.WAITLIST_CONFIRMATION,
                params={"request_ref": str(request_id)[:8]},
                now=now,
            )
            if method is ContactMethod.EMAIL
            else None
        ),
    )


def later(minutes: int) -> datetime:
    return CLOCK.now() + timedelta(minutes=minutes)


def by_id(items: Sequence[Any]) -> list[Any]:
    return sorted(items, key=lambda item: str(item.id))


# The contract --------------------------------------------------------------------------------


async def test_a_new_contact_gets_its_request_consents_lead_timeline_tracking_and_email(
    world: World,
) -> None:
    draft = a_draft()

    outcome = await world.submissions.submit(draft)

    assert outcome == WaitlistOutcome(created=True)
    kept = await world.kept()
    service_id = world.services[SLUG]
    assert kept.requests == [draft.request(service_id=service_id, lead_id=draft.lead.id)]
    assert kept.leads == [draft.lead]
    assert kept.consents == by_id(draft.consents)
    assert kept.timeline == [draft.timeline_event(draft.lead.id)]
    assert kept.tracking == [draft.tracking_event]
    assert kept.emails == [draft.email]


@pytest.mark.parametrize(
    ("contact", "method"), [(PHONE, ContactMethod.PHONE), (TELEGRAM, ContactMethod.TELEGRAM)]
)
async def test_only_an_email_contact_gets_an_email(
    world: World, contact: str, method: ContactMethod
) -> None:
    draft = a_draft(contact, method)

    outcome = await world.submissions.submit(draft)

    assert outcome.created
    kept = await world.kept()
    assert kept.emails == []
    assert [r.id for r in kept.requests] == [draft.request_id]
    assert len(kept.consents) == 2 and len(kept.timeline) == 1 and len(kept.tracking) == 1


async def test_a_repeat_while_active_makes_nothing_and_moves_only_the_leads_activity(
    world: World,
) -> None:
    first = a_draft()
    await world.submissions.submit(first)
    before = await world.kept()

    repeat = a_draft(at=later(5))
    outcome = await world.submissions.submit(repeat)

    assert outcome == WaitlistOutcome(created=False)
    after = await world.kept()
    [lead] = after.leads
    assert lead == dataclasses.replace(first.lead, last_activity_at=repeat.submitted_at)
    assert dataclasses.replace(after, leads=before.leads) == before


async def test_a_request_in_progress_is_active_too(world: World) -> None:
    first = a_draft(PHONE, ContactMethod.PHONE)
    await world.submissions.submit(first)
    await world.set_status(first.request_id, WaitlistStatus.IN_PROGRESS)

    outcome = await world.submissions.submit(a_draft(PHONE, ContactMethod.PHONE, at=later(1)))

    assert outcome == WaitlistOutcome(created=False)
    [request] = (await world.kept()).requests
    assert (request.id, request.status) == (first.request_id, WaitlistStatus.IN_PROGRESS)


async def test_a_closed_request_does_not_block_a_new_one_on_the_same_lead(world: World) -> None:
    first = a_draft()
    await world.submissions.submit(first)
    await world.set_status(first.request_id, WaitlistStatus.DECLINED)

    second = a_draft(at=later(60))
    outcome = await world.submissions.submit(second)

    assert outcome == WaitlistOutcome(created=True)
    kept = await world.kept()
    # The contact's lead stays the first one; the second draft's proposed lead is not used.
    assert [lead.id for lead in kept.leads] == [first.lead.id]
    [new] = [r for r in kept.requests if r.id == second.request_id]
    assert new.lead_id == first.lead.id and new.status is WaitlistStatus.NEW
    assert draft_rows_written(kept, without_email(second), lead_id=first.lead.id)
    # within 24 hours of the first confirmation: no second one
    assert len(kept.requests) == 2 and len(kept.consents) == 4 and kept.emails == [first.email]


async def test_a_day_after_the_last_confirmation_a_new_request_gets_one_again(
    world: World,
) -> None:
    first = a_draft()
    await world.submissions.submit(first)
    await world.set_status(first.request_id, WaitlistStatus.DECLINED)
    too_soon = a_draft(at=first.submitted_at + CONFIRMATION_INTERVAL - timedelta(seconds=1))
    await world.submissions.submit(too_soon)
    await world.set_status(too_soon.request_id, WaitlistStatus.EXPIRED)

    # counted from the first confirmation queued, not from the last submission
    a_day_later = a_draft(at=first.submitted_at + CONFIRMATION_INTERVAL)
    outcome = await world.submissions.submit(a_day_later)

    assert outcome.created
    kept = await world.kept()
    assert kept.emails == by_id([first.email, a_day_later.email])
    assert len(kept.requests) == 3


async def test_a_repeat_while_active_queues_no_confirmation_even_a_day_later(
    world: World,
) -> None:
    first = a_draft()
    await world.submissions.submit(first)

    await world.submissions.submit(a_draft(at=first.submitted_at + 2 * CONFIRMATION_INTERVAL))

    assert (await world.kept()).emails == [first.email]


async def test_the_confirmation_rule_is_per_contact_and_service(world: World) -> None:
    first = a_draft()
    await world.submissions.submit(first)
    await world.set_status(first.request_id, WaitlistStatus.DECLINED)

    submitted = [
        a_draft(slug=OTHER_SLUG, at=later(1)),
        a_draft("someone.else@example.org", at=later(2)),
        a_draft(at=later(3)),  # the first contact and service again: none
    ]
    for draft in submitted:
        await world.submissions.submit(draft)

    kept = await world.kept()
    assert kept.emails == by_id([first.email, submitted[0].email, submitted[1].email])


async def test_concurrent_submissions_of_one_email_queue_one_confirmation(world: World) -> None:
    drafts = [a_draft(at=later(n)) for n in range(8)]

    outcomes = await asyncio.gather(*(world.submissions.submit(d) for d in drafts))

    [winner] = [d for d, o in zip(drafts, outcomes, strict=True) if o.created]
    assert (await world.kept()).emails == [winner.email]


async def test_one_confirmation_even_when_staff_close_requests_among_concurrent_submissions(
    world: World,
) -> None:
    """Requests closed while submissions of the same contact run: several requests may be
    made, one after the other, but the 24-hour rule still lets one confirmation through."""
    drafts = [a_draft(at=later(n)) for n in range(12)]

    async def close_every_request() -> None:
        for _ in range(12):
            for request in (await world.kept()).requests:
                if request.status is WaitlistStatus.NEW:
                    await world.set_status(request.id, WaitlistStatus.DECLINED)
            await asyncio.sleep(0)

    async def submit_in_turns(turn: int) -> None:
        for draft in drafts[turn::3]:
            await world.submissions.submit(draft)
            await asyncio.sleep(0)

    await asyncio.gather(close_every_request(), *(submit_in_turns(t) for t in range(3)))
    # However the turns fell under load: staff close what is open, the person submits again.
    for request in (await world.kept()).requests:
        if request.status is WaitlistStatus.NEW:
            await world.set_status(request.id, WaitlistStatus.DECLINED)
    await world.submissions.submit(a_draft(at=later(13)))

    kept = await world.kept()
    # several requests were made (each closed by staff in turn), one confirmation queued
    assert len(kept.requests) > 1
    assert len(kept.emails) == 1 and kept.emails[0] in [d.email for d in drafts]


@pytest.mark.postgres
async def test_concurrent_transactions_let_one_confirmation_through(db: Any) -> None:
    """The upsert under the stores' rule, alone: eight transactions at once for one contact
    and service, each holding its row lock a while; one may queue, whatever the snapshots."""
    world = await DatabaseWorld.create(UnitOfWorkWaitlistSubmissions(db))
    confirmations = PiccoloWaitlistConfirmations()
    now = CLOCK.now()

    async def claim() -> bool:
        async with db.transaction():
            allowed = await confirmations.claim(
                "f" * 64, world.services[SLUG], now, now - CONFIRMATION_INTERVAL
            )
            await asyncio.sleep(0.05)  # the others arrive while this one holds the row
            return allowed

    results = await asyncio.gather(*(claim() for _ in range(8)))

    assert sorted(results) == [False] * 7 + [True]
    [row] = await WaitlistConfirmationTable.select()
    assert as_utc(row["queued_at"]) == now


async def test_another_service_gets_its_own_request_on_the_same_lead(world: World) -> None:
    first = a_draft()
    await world.submissions.submit(first)

    elsewhere = a_draft(slug=OTHER_SLUG, at=later(1))
    outcome = await world.submissions.submit(elsewhere)

    assert outcome.created
    kept = await world.kept()
    [new] = [r for r in kept.requests if r.id == elsewhere.request_id]
    assert new.service_id == world.services[OTHER_SLUG] and new.lead_id == first.lead.id
    assert [lead.id for lead in kept.leads] == [first.lead.id]
    assert draft_rows_written(kept, elsewhere, lead_id=first.lead.id)


@pytest.mark.parametrize("slug", ["no-such-service", RETIRED_SLUG])
async def test_an_unknown_or_inactive_service_is_refused_and_nothing_is_written(
    world: World, slug: str
) -> None:
    with pytest.raises(ServiceNotFound):
        await world.submissions.submit(a_draft(slug=slug))

    assert await world.kept() == Kept([], [], [], [], [], [])


async def test_concurrent_identical_submissions_make_one_request(world: World) -> None:
    drafts = [a_draft(PHONE, ContactMethod.PHONE, at=later(n)) for n in range(8)]

    outcomes = await asyncio.gather(*(world.submissions.submit(d) for d in drafts))

    assert sorted(o.created for o in outcomes) == [False] * 7 + [True]
    [winner] = [d for d, o in zip(drafts, outcomes, strict=True) if o.created]
    kept = await world.kept()
    assert [r.id for r in kept.requests] == [winner.request_id]
    assert len(kept.leads) == 1
    assert {c.subject_id for c in kept.consents} == {winner.request_id}
    assert len(kept.consents) == 2 and len(kept.timeline) == 1 and len(kept.tracking) == 1


async def test_concurrent_submissions_of_different_people_are_each_written_whole(
    world: World,
) -> None:
    drafts = [a_draft(f"person.{n}@example.org") for n in range(6)]
    drafts.insert(3, a_draft("lost@example.org", slug="no-such-service"))

    outcomes = await asyncio.gather(
        *(world.submissions.submit(d) for d in drafts), return_exceptions=True
    )

    assert isinstance(outcomes.pop(3), ServiceNotFound)
    written = [d for n, d in enumerate(drafts) if n != 3]
    assert outcomes == [WaitlistOutcome(created=True)] * len(written)
    kept = await world.kept()
    for draft in written:
        assert draft_rows_written(kept, draft, lead_id=draft.lead.id)
    assert len(kept.requests) == len(kept.leads) == len(kept.emails) == 6
    assert len(kept.consents) == 12


async def test_the_plaintext_contact_is_never_stored(world: World) -> None:
    for contact, method in (
        (EMAIL, ContactMethod.EMAIL),
        (PHONE, ContactMethod.PHONE),
        (TELEGRAM, ContactMethod.TELEGRAM),
    ):
        await world.submissions.submit(a_draft(contact, method))
        await world.submissions.submit(a_draft(contact, method, at=later(1)))

    stored = (await world.everything_as_text()).lower()
    for needle in (EMAIL, "secret.person", PHONE, "9991234567", TELEGRAM, "203.0.113.9"):
        assert needle.lower() not in stored, needle
    # and the test can fail: what is stored decrypts to the contacts
    kept = await world.kept()
    assert {ENCRYPTOR.decrypt(lead.contact.ciphertext) for lead in kept.leads} == {
        EMAIL,
        PHONE,
        TELEGRAM,
    }
    assert {ENCRYPTOR.decrypt(r.contact.ciphertext) for r in kept.requests} == {
        EMAIL,
        PHONE,
        TELEGRAM,
    }


def without_email(draft: WaitlistDraft) -> WaitlistDraft:
    return dataclasses.replace(draft, email=None)


def draft_rows_written(kept: Kept, draft: WaitlistDraft, *, lead_id: UUID) -> bool:
    """Whether the rows of ``draft``'s request are there, on ``lead_id``."""
    consents = [c for c in kept.consents if c.subject_id == draft.request_id]
    return (
        by_id(consents) == by_id(draft.consents)
        and draft.timeline_event(lead_id) in kept.timeline
        and draft.tracking_event in kept.tracking
        and (draft.email is None or draft.email in kept.emails)
    )
