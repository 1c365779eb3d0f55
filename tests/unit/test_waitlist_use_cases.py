"""The waitlist, lead and tracking use cases on fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.contacts import ContactNormaliser
from domain.crm import (
    LeadStatus,
    LeadTimelineEventType,
    WaitlistRequest,
    WaitlistStatus,
    waitlist_transition_allowed,
)
from domain.emails import EmailStatus
from domain.errors import (
    ConsentRequired,
    InvalidContact,
    InvalidStatusTransition,
    InvalidTrackingEvent,
    ServiceNotFound,
    ValidationFailed,
)
from domain.models import ConsentEvidence, ConsentKind, ConsentSubject, SlotStatus
from domain.practice_time import MOSCOW
from domain.use_cases.create_or_update_lead import CreateOrUpdateLeadUseCase
from domain.use_cases.create_waitlist_request import (
    CreateWaitlistRequestCommand,
    CreateWaitlistRequestUseCase,
)
from domain.use_cases.get_no_slots_page import GetNoSlotsPageCommand, GetNoSlotsPageUseCase
from domain.use_cases.record_frontend_event import (
    RecordFrontendEventCommand,
    RecordFrontendEventUseCase,
)
from tests.support.builders import a_service, a_slot
from tests.support.crm_fakes import FixedConciergeLinks, InMemoryWaitlistSubmissions
from tests.support.fakes import (
    FakeEmailParser,
    FakeEncryptor,
    FakePhoneParser,
    FixedClock,
    InMemoryStore,
    InMemoryUnitOfWorkFactory,
)

pytestmark = pytest.mark.anyio

SLUG = "family-session"
EVIDENCE = ConsentEvidence(ip="203.0.113.9", user_agent="Test/1.0")


class Flow:
    def __init__(self) -> None:
        self.uow = InMemoryUnitOfWorkFactory()
        self.clock = FixedClock()
        self.encryptor = FakeEncryptor()
        self.service = a_service(SLUG)
        self.other = a_service("couples-session")
        for service in (self.service, self.other, a_service("retired", active=False)):
            self.uow.store.services[service.id] = service
        self.submissions = InMemoryWaitlistSubmissions(self.uow.store)
        self.create = CreateWaitlistRequestUseCase(
            clock=self.clock,
            encryptor=self.encryptor,
            contacts=ContactNormaliser(
                phone_parser=FakePhoneParser(), email_parser=FakeEmailParser()
            ),
            submissions=self.submissions,
        )

    @property
    def store(self) -> InMemoryStore:
        return self.uow.store


def command(
    contact: str = "Anna@Example.com",
    method: str = "email",
    *,
    slug: str = SLUG,
    personal: bool = True,
    comms: bool = True,
    window: str = "evening",
    version: str = "2026-11-01",
) -> CreateWaitlistRequestCommand:
    return CreateWaitlistRequestCommand(
        service_slug=slug,
        preferred_contact_method=method,
        contact_value=contact,
        preferred_time_window=window,
        personal_data_consent=personal,
        communications_consent=comms,
        consent_version=version,
        evidence=EVIDENCE,
    )


def written(store: InMemoryStore) -> int:
    return (
        len(store.waitlist)
        + len(store.leads)
        + len(store.lead_timeline)
        + len(store.emails)
        + len(store.consents)
        + len(store.tracking)
    )


@pytest.mark.parametrize(("personal", "comms"), [(False, True), (True, False), (False, False)])
async def test_without_both_consents_nothing_is_written(personal: bool, comms: bool) -> None:
    flow = Flow()
    with pytest.raises(ConsentRequired):
        await flow.create.execute(command(personal=personal, comms=comms))
    assert written(flow.store) == 0
    assert flow.submissions.drafts == []


@pytest.mark.parametrize(
    ("method", "value"),
    [
        ("email", "not-an-email"),
        ("email", "anna@localhost"),
        ("phone", "12345"),
        ("phone", "+1 555 0100"),
        ("telegram", "@ab"),
        ("telegram", "anna smith"),
    ],
)
async def test_an_invalid_contact_for_its_method_is_refused(method: str, value: str) -> None:
    flow = Flow()
    with pytest.raises(InvalidContact) as caught:
        await flow.create.execute(command(value, method))
    assert value not in caught.value.message
    assert written(flow.store) == 0


async def test_unknown_method_window_service_or_consent_version_are_refused() -> None:
    flow = Flow()
    with pytest.raises(ValidationFailed):
        await flow.create.execute(command(method="pigeon"))
    with pytest.raises(ValidationFailed):
        await flow.create.execute(command(window="midnight"))
    with pytest.raises(ValidationFailed):
        await flow.create.execute(command(version="1999-01-01"))
    with pytest.raises(ServiceNotFound):
        await flow.create.execute(command(slug="retired"))
    assert written(flow.store) == 0


async def test_a_submission_writes_request_consents_lead_timeline_tracking_and_email() -> None:
    flow = Flow()
    result = await flow.create.execute(command("  Anna@Example.COM "))

    assert result.created and result.waitlist_request_id is not None
    request = flow.store.waitlist[result.waitlist_request_id]
    assert request.status is WaitlistStatus.NEW
    assert flow.encryptor.decrypt(request.contact.ciphertext) == "anna@example.com"
    assert request.contact.blind_index == flow.encryptor.blind_index("email", "anna@example.com")
    assert request.service_id == flow.service.id
    assert request.preferred_time_window.value == "evening"

    consents = flow.store.consents
    assert {c.kind for c in consents} == {ConsentKind.PERSONAL_DATA, ConsentKind.COMMUNICATIONS}
    assert all(c.subject_type is ConsentSubject.WAITLIST_REQUEST for c in consents)
    assert all(c.subject_id == request.id and c.text_version == "2026-11-01" for c in consents)
    evidence = consents[0].evidence_ciphertext
    assert evidence is not None and "203.0.113.9" not in evidence
    assert flow.encryptor.decrypt(evidence).startswith("203.0.113.9\n")

    [lead] = flow.store.leads.values()
    assert lead.status is LeadStatus.NEW and lead.id == request.lead_id
    [event] = flow.store.lead_timeline
    assert event.type is LeadTimelineEventType.WAITLIST_SUBMITTED
    assert event.waitlist_request_id == request.id

    [tracked] = flow.store.tracking
    assert tracked.name == "waitlist_submitted"
    assert tracked.properties == {
        "service_slug": SLUG,
        "preferred_contact_method": "email",
        "preferred_time_window": "evening",
    }
    [email] = flow.store.emails.values()
    assert email.status is EmailStatus.PENDING
    assert flow.encryptor.decrypt(email.recipient_ciphertext) == "anna@example.com"
    assert "anna" not in repr(email.params)


async def test_one_draft_names_the_service_by_its_slug_and_proposes_a_new_lead() -> None:
    flow = Flow()
    result = await flow.create.execute(command("Anna@Example.com"))

    [draft] = flow.submissions.drafts
    assert draft.service_slug == SLUG
    assert result.waitlist_request_id == draft.request_id
    # The lead is only proposed: a fresh id, used because the contact had no lead.
    assert draft.lead.id not in {flow.service.id, flow.other.id}
    assert list(flow.store.leads) == [draft.lead.id]
    assert {c.subject_id for c in draft.consents} == {draft.request_id}
    assert draft.email is not None
    assert draft.email.params == {"request_ref": str(draft.request_id)[:8]}
    assert "anna" not in repr(draft).lower()


@pytest.mark.parametrize(
    ("method", "value"), [("phone", "+7 999 123-45-67"), ("telegram", "@Anna_Smith")]
)
async def test_only_email_contacts_get_a_confirmation_email(method: str, value: str) -> None:
    flow = Flow()
    await flow.create.execute(command(value, method))
    assert flow.store.emails == {}
    assert len(flow.store.waitlist) == 1


async def test_the_same_phone_in_any_format_is_one_lead_and_one_active_request() -> None:
    flow = Flow()
    first = await flow.create.execute(command("+7 999 123-45-67", "phone"))
    flow.clock.advance(timedelta(minutes=5))
    second = await flow.create.execute(command("8 (999) 123-45-67", "phone"))
    third = await flow.create.execute(command("79991234567", "phone"))

    assert first.created and not second.created and not third.created
    assert second.waitlist_request_id is None and third.waitlist_request_id is None
    assert list(flow.store.waitlist) == [first.waitlist_request_id]
    [lead] = flow.store.leads.values()
    assert lead.last_activity_at == flow.clock.now() > lead.first_activity_at
    assert len(flow.store.tracking) == 1
    assert len(flow.store.lead_timeline) == 1


async def test_the_same_person_for_another_service_gets_a_second_request_on_one_lead() -> None:
    flow = Flow()
    a = await flow.create.execute(command("anna@example.com"))
    b = await flow.create.execute(command("anna@example.com", slug="couples-session"))
    assert a.waitlist_request_id != b.waitlist_request_id
    assert len(flow.store.leads) == 1
    assert len(flow.store.lead_timeline) == 2


async def test_a_closed_request_does_not_block_a_new_one() -> None:
    flow = Flow()
    first = await flow.create.execute(command("anna@example.com"))
    flow.store.waitlist[first.waitlist_request_id].status = WaitlistStatus.DECLINED
    second = await flow.create.execute(command("anna@example.com"))
    assert second.created and second.waitlist_request_id != first.waitlist_request_id


async def test_one_confirmation_email_per_contact_and_service_in_24_hours() -> None:
    flow = Flow()

    def close_all() -> None:
        for request in flow.store.waitlist.values():
            request.status = WaitlistStatus.DECLINED

    await flow.create.execute(command("anna@example.com"))
    await flow.create.execute(command("ANNA@example.com"))  # a repeat: none
    close_all()
    flow.clock.advance(timedelta(hours=23, minutes=59))
    await flow.create.execute(command("anna@example.com"))  # a new request, too soon: none
    await flow.create.execute(command("anna@example.com", slug="couples-session"))  # its own
    assert len(flow.store.emails) == 2
    close_all()
    flow.clock.advance(timedelta(minutes=1))
    await flow.create.execute(command("anna@example.com"))  # 24 hours after the first: one
    assert len(flow.store.emails) == 3
    assert len(flow.store.waitlist) == 4


async def test_the_command_and_results_never_show_the_contact_in_repr() -> None:
    flow = Flow()
    cmd = command("anna@example.com")
    result = await flow.create.execute(cmd)
    request = flow.store.waitlist[result.waitlist_request_id]
    for shown in (repr(cmd), repr(request), repr(EVIDENCE), repr(result)):
        assert "anna@example.com" not in shown
        assert "203.0.113.9" not in shown


async def test_the_lead_use_case_deduplicates_by_blind_index() -> None:
    flow = Flow()
    contacts = ContactNormaliser(phone_parser=FakePhoneParser(), email_parser=FakeEmailParser())
    leads = CreateOrUpdateLeadUseCase(uow=flow.uow, clock=flow.clock, encryptor=flow.encryptor)
    from domain.crm import LeadSource
    from domain.models import ContactMethod
    from domain.use_cases.create_or_update_lead import CreateOrUpdateLeadCommand

    a = await leads.execute(
        CreateOrUpdateLeadCommand(
            contacts.normalise(ContactMethod.EMAIL, "A@b.ru"), LeadSource.WAITLIST
        )
    )
    b = await leads.execute(
        CreateOrUpdateLeadCommand(
            contacts.normalise(ContactMethod.EMAIL, " a@B.RU"), LeadSource.BOOKING
        )
    )
    assert a.created and not b.created
    assert a.lead.id == b.lead.id and b.lead.source is LeadSource.WAITLIST
    assert len(flow.store.leads) == 1


def test_the_waitlist_status_machine() -> None:
    assert waitlist_transition_allowed(WaitlistStatus.NEW, WaitlistStatus.IN_PROGRESS)
    assert waitlist_transition_allowed(WaitlistStatus.IN_PROGRESS, WaitlistStatus.CONTACTED)
    for end in ("booked", "declined", "expired", "withdrawn"):
        assert waitlist_transition_allowed(WaitlistStatus.CONTACTED, WaitlistStatus(end))
        assert not waitlist_transition_allowed(WaitlistStatus(end), WaitlistStatus.NEW)
    assert not waitlist_transition_allowed(WaitlistStatus.NEW, WaitlistStatus.BOOKED)
    flow_request = WaitlistRequest.submit(
        service_id=a_service().id,
        lead_id=a_service().id,
        contact=None,  # type: ignore[arg-type]
        time_window=__import__("domain.crm", fromlist=["TimeWindow"]).TimeWindow.ANY,
        now=FixedClock().now(),
    )
    with pytest.raises(InvalidStatusTransition):
        flow_request.transition_to(WaitlistStatus.BOOKED, FixedClock().now())


def no_slots_page(flow: Flow) -> GetNoSlotsPageUseCase:
    return GetNoSlotsPageUseCase(
        uow=flow.uow, links=FixedConciergeLinks(), clock=flow.clock, timezone=MOSCOW
    )


async def test_the_page_model_has_both_consents_windows_methods_and_the_concierge() -> None:
    flow = Flow()
    use_case = no_slots_page(flow)
    page = await use_case.execute(GetNoSlotsPageCommand(SLUG))
    assert page.service.slug == SLUG
    assert page.free_times == () and not page.has_free_times
    assert [m.value for m, _ in page.contact_methods] == ["email", "phone", "telegram"]
    assert [w.value for w, _ in page.time_windows] == [
        "morning",
        "afternoon",
        "evening",
        "weekend",
        "any",
    ]
    assert page.personal_data_consent.kind is ConsentKind.PERSONAL_DATA
    assert page.communications_consent.kind is ConsentKind.COMMUNICATIONS
    assert page.personal_data_consent.version == "2026-11-01"
    assert page.concierge_url.endswith(f"start=concierge-{SLUG}")
    assert "START" in page.concierge_start_hint
    with pytest.raises(ServiceNotFound):
        await use_case.execute(GetNoSlotsPageCommand("retired"))


async def test_a_service_with_free_times_lists_them_in_moscow_time_earliest_first() -> None:
    flow = Flow()
    now = flow.clock.now()  # 22 November 2026, 09:00 UTC: 12:00 in Moscow
    later = a_slot(flow.service, datetime(2026, 11, 26, 11, 0, tzinfo=UTC))
    sooner = a_slot(flow.service, now + timedelta(hours=2))
    not_shown = [
        a_slot(flow.service, now - timedelta(minutes=1)),  # started
        a_slot(flow.service, now + timedelta(hours=3), status=SlotStatus.HELD),
        a_slot(flow.other, now + timedelta(hours=4)),  # another service
        a_slot(flow.service, now + timedelta(days=31)),  # beyond the coming 30 days
    ]
    for slot in (later, sooner, *not_shown):
        flow.store.slots[slot.id] = slot

    page = await no_slots_page(flow).execute(GetNoSlotsPageCommand(SLUG))

    assert page.has_free_times and not page.more_free_times
    assert [t.slot_id for t in page.free_times] == [sooner.id, later.id]
    first, second = page.free_times
    assert (first.date_text, first.time_text) == (
        "воскресенье, 22 ноября 2026",
        "14:00–14:50",
    )
    assert (second.date_text, second.time_text) == (
        "четверг, 26 ноября 2026",
        "14:00–14:50",
    )
    assert page.zone_label == "Москва"
    assert (page.price_text, page.deposit_text) == ("5\u00a0000\u00a0₽", "1\u00a0500\u00a0₽")


async def test_at_most_twenty_free_times_are_listed_and_the_page_says_there_are_more() -> None:
    flow = Flow()
    for hour in range(1, 23):
        slot = a_slot(flow.service, flow.clock.now() + timedelta(hours=hour))
        flow.store.slots[slot.id] = slot
    page = await no_slots_page(flow).execute(GetNoSlotsPageCommand(SLUG))
    assert len(page.free_times) == 20 and page.more_free_times
    assert page.free_times[0].starts_at == flow.clock.now() + timedelta(hours=1)


async def test_a_frontend_event_of_the_plan_is_stored_with_its_source() -> None:
    flow = Flow()
    use_case = RecordFrontendEventUseCase(uow=flow.uow, clock=flow.clock)
    await use_case.execute(
        RecordFrontendEventCommand(
            "cta_tg_click", {"service_slug": SLUG, "tg_flow": "concierge", "placement": None}
        )
    )
    [event] = flow.store.tracking
    assert event.source == "frontend"
    assert event.properties == {"service_slug": SLUG, "tg_flow": "concierge"}


@pytest.mark.parametrize(
    "properties",
    [
        {"tg_flow": "concierge"},  # the seed's shape (FEAT-BKG-05): no service, no placement
        {"tg_flow": "concierge", "placement": "no_slots_page"},
        {"tg_flow": "concierge", "service_slug": SLUG},
    ],
)
async def test_a_concierge_click_needs_only_its_tg_flow(properties: dict[str, object]) -> None:
    flow = Flow()
    use_case = RecordFrontendEventUseCase(uow=flow.uow, clock=flow.clock)

    await use_case.execute(RecordFrontendEventCommand("cta_tg_click", properties))

    [event] = flow.store.tracking
    assert event.name == "cta_tg_click" and event.properties == properties


@pytest.mark.parametrize(
    ("name", "properties"),
    [
        ("waitlist_submitted", {"service_slug": SLUG}),  # server-side only
        ("page_view", {}),
        ("show_no_slots", {}),
        ("show_no_slots", {"service_slug": SLUG, "extra": "x"}),
        ("show_no_slots", {"service_slug": "Not A Slug"}),
        ("show_no_slots", {"service_slug": 5}),
        ("cta_tg_click", {"service_slug": SLUG, "tg_flow": "booking"}),
        ("cta_tg_click", {"service_slug": SLUG}),  # tg_flow is the one required property
        ("cta_tg_click", {}),
        ("cta_tg_click", {"tg_flow": "Concierge"}),
        ("cta_tg_click", {"tg_flow": "concierge", "placement": "footer"}),
        ("show_no_slots", {"service_slug": "anna@example.com"}),
        ("show_no_slots", {"service_slug": "79991234567"}),
        ("waitlist_form_error", {"service_slug": SLUG, "error_code": "@anna_smith"}),
        ("waitlist_form_error", {"service_slug": SLUG, "error_code": "+7 (999) 123-45-67"}),
    ],
)
async def test_events_outside_the_plan_or_carrying_contacts_are_refused(
    name: str, properties: dict[str, object]
) -> None:
    flow = Flow()
    use_case = RecordFrontendEventUseCase(uow=flow.uow, clock=flow.clock)
    with pytest.raises(InvalidTrackingEvent) as caught:
        await use_case.execute(RecordFrontendEventCommand(name, properties))
    for value in properties.values():
        if isinstance(value, str) and len(value) > 3:
            assert value not in caught.value.message
    assert flow.store.tracking == []
