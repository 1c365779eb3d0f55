"""The subject access use case on fakes: who may ask, how the contact is found, the audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.consent_texts import consent_text
from domain.contacts import ContactNormaliser
from domain.errors import InvalidContact, RoleRequired
from domain.models import ConsentEvidence, ConsentKind, ContactMethod, StaffRole
from domain.staff import AccessReason, ContactAccessKind, StaffMember
from domain.subject_access import (
    StoredAppointment,
    StoredConsent,
    StoredLead,
    StoredPayment,
    StoredSubjectData,
    StoredTimelineEvent,
    StoredWaitlistRequest,
    SubjectDataReport,
    SubjectLookup,
    unpack_evidence,
)
from domain.use_cases.hold_slot import encrypt_evidence
from domain.use_cases.report_subject_data import (
    ReportSubjectDataCommand,
    ReportSubjectDataUseCase,
)
from tests.support.fakes import (
    FakeEmailParser,
    FakeEncryptor,
    FakePhoneParser,
    FixedClock,
    InMemoryUnitOfWorkFactory,
)
from tests.support.staff_fakes import FakeStaffDirectory
from tests.support.subject_fakes import InMemorySubjectData

pytestmark = pytest.mark.anyio

OPERATOR = StaffMember(1, "olga", StaffRole.OPERATOR)
MANAGER = StaffMember(3, "maria", StaffRole.MANAGER)
ADMIN = StaffMember(4, "anna", StaffRole.ADMIN)
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PHONE = "+79165550011"
ENC = FakeEncryptor()


class World:
    def __init__(self) -> None:
        self.uow = InMemoryUnitOfWorkFactory()
        self.source = InMemorySubjectData()
        self.clock = FixedClock(T0 + timedelta(days=10))
        self.use_case = ReportSubjectDataUseCase(
            uow=self.uow,
            clock=self.clock,
            staff=FakeStaffDirectory(OPERATOR, MANAGER, ADMIN),
            encryptor=ENC,
            contacts=ContactNormaliser(
                phone_parser=FakePhoneParser(), email_parser=FakeEmailParser()
            ),
            source=self.source,
        )

    async def report(self, member: StaffMember, method: str, value: str) -> SubjectDataReport:
        return await self.use_case.execute(
            ReportSubjectDataCommand(member.user_id, ContactMethod(method), value)
        )


def phone_lookup(value: str = PHONE) -> SubjectLookup:
    return SubjectLookup(ContactMethod.PHONE, ENC.blind_index("phone", value))


def stored_for_phone() -> StoredSubjectData:
    lead_id, request_id, appointment_id, payment_id = uuid4(), uuid4(), uuid4(), uuid4()
    evidence = encrypt_evidence(ENC, ConsentEvidence(ip="203.0.113.7", user_agent="Firefox"))
    return StoredSubjectData(
        leads=(StoredLead(lead_id, "phone", ENC.encrypt(PHONE), "waitlist", "new", T0, T0),),
        requests=(
            StoredWaitlistRequest(
                request_id,
                lead_id,
                "Индивидуальная консультация",
                "phone",
                ENC.encrypt(PHONE),
                "evening",
                "new",
                None,
                T0,
                T0,
            ),
        ),
        consents=(
            StoredConsent(
                uuid4(),
                "waitlist_request",
                request_id,
                "personal_data",
                "2026-11-01",
                "waitlist_form",
                T0,
                None,
                evidence,
            ),
            StoredConsent(
                uuid4(),
                "appointment",
                appointment_id,
                "communications",
                "1999-01-01",  # a version this build does not know
                "booking_api",
                T0,
                T0 + timedelta(days=1),
                None,
            ),
        ),
        timeline=(
            StoredTimelineEvent(
                uuid4(), lead_id, "waitlist_submitted", T0, request_id, None, None, None, None
            ),
        ),
        appointments=(
            StoredAppointment(
                appointment_id,
                "Индивидуальная консультация",
                T0 + timedelta(days=3),
                T0 + timedelta(days=3, minutes=50),
                "confirmed",
                T0,
                ENC.encrypt("Анна"),
                ENC.encrypt("anna@example.org"),
                ENC.encrypt(PHONE),
            ),
        ),
        payments=(
            StoredPayment(
                payment_id,
                appointment_id,
                "deposit",
                Decimal("1500.00"),
                "RUB",
                "succeeded",
                T0,
                T0,
                None,
                None,
            ),
        ),
    )


async def test_a_manager_gets_everything_stored_for_the_contact_decrypted() -> None:
    world = World()
    stored = stored_for_phone()
    world.source.file(phone_lookup(), stored)

    report = await world.use_case.execute(
        ReportSubjectDataCommand(MANAGER.user_id, ContactMethod.PHONE, "8 (916) 555-00-11")
    )

    assert report.contact == PHONE
    assert report.row_count == 7
    assert [lead.contact for lead in report.leads] == [PHONE]
    assert [request.contact for request in report.requests] == [PHONE]
    [appointment] = report.appointments
    assert (appointment.client_name, appointment.email, appointment.phone) == (
        "Анна",
        "anna@example.org",
        PHONE,
    )
    known, unknown = report.consents
    assert known.text == consent_text(ConsentKind.PERSONAL_DATA, "2026-11-01").text
    assert known.evidence == ConsentEvidence(ip="203.0.113.7", user_agent="Firefox")
    assert (unknown.text, unknown.evidence) == (None, None)
    assert report.timeline == stored.timeline
    assert report.payments == stored.payments


async def test_every_lookup_is_audited_with_its_row_count_and_lead() -> None:
    world = World()
    stored = stored_for_phone()
    world.source.file(phone_lookup(), stored)

    report = await world.report(ADMIN, "phone", "+7 916 555 00 11")

    [entry] = world.uow.store.contact_access
    assert entry.id == report.reference  # the file names the audit row that recorded it
    assert entry.staff_user_id == ADMIN.user_id
    assert entry.kind is ContactAccessKind.SUBJECT_ACCESS
    assert entry.reason is AccessReason.DATA_SUBJECT_REQUEST
    assert entry.row_count == 7
    assert entry.lead_id == stored.leads[0].id
    assert entry.waitlist_request_id == stored.requests[0].id
    assert entry.occurred_at == world.clock.now()


async def test_an_unknown_contact_gets_an_empty_report_and_is_audited_the_same() -> None:
    world = World()
    world.source.file(phone_lookup(), stored_for_phone())

    report = await world.report(MANAGER, "email", "Nobody@Example.org")

    assert report.is_empty and report.row_count == 0
    assert report.contact == "nobody@example.org"
    [entry] = world.uow.store.contact_access
    assert (entry.row_count, entry.lead_id, entry.waitlist_request_id) == (0, None, None)


async def test_the_lookup_uses_the_normalised_contact_under_its_method_never_plaintext() -> None:
    world = World()

    await world.report(MANAGER, "telegram", "https://t.me/Some_User")
    await world.report(MANAGER, "phone", "8 916 555 00 11")

    assert world.source.lookups == [
        SubjectLookup(ContactMethod.TELEGRAM, ENC.blind_index("telegram", "some_user")),
        phone_lookup(),
    ]
    assert "some_user" not in repr(world.source.lookups)


@pytest.mark.parametrize("member", [OPERATOR, StaffMember(99, "ghost", StaffRole.ADMIN)])
async def test_operators_and_strangers_learn_nothing_and_nothing_is_looked_up(
    member: StaffMember,
) -> None:
    world = World()
    world.source.file(phone_lookup(), stored_for_phone())

    with pytest.raises(RoleRequired):
        await world.report(member, "phone", PHONE)

    assert world.source.lookups == []
    assert world.uow.store.contact_access == []


async def test_an_invalid_contact_is_refused_before_any_lookup() -> None:
    world = World()

    with pytest.raises(InvalidContact):
        await world.report(MANAGER, "telegram", "no spaces allowed")

    assert world.source.lookups == []
    assert world.uow.store.contact_access == []


async def test_the_report_and_its_parts_never_show_plaintext_in_repr() -> None:
    world = World()
    world.source.file(phone_lookup(), stored_for_phone())

    report = await world.report(MANAGER, "phone", PHONE)
    command = ReportSubjectDataCommand(MANAGER.user_id, ContactMethod.PHONE, PHONE)

    shown = " ".join(
        repr(part)
        for part in (
            report,
            command,
            *report.leads,
            *report.requests,
            *report.consents,
            *report.appointments,
        )
    )
    for secret in (PHONE, "Анна", "anna@example.org", "203.0.113.7", "Firefox"):
        assert secret not in shown
    assert str(report) == repr(report)


def test_evidence_unpacks_as_the_booking_and_waitlist_pack_it() -> None:
    for evidence in (
        ConsentEvidence(ip="203.0.113.7", user_agent="Mozilla/5.0"),
        ConsentEvidence(ip=None, user_agent="Mozilla/5.0"),
        ConsentEvidence(ip="::1", user_agent=None),
    ):
        packed = encrypt_evidence(ENC, evidence)
        assert packed is not None
        assert unpack_evidence(ENC.decrypt(packed)) == evidence


class UnreadableEncryptor(FakeEncryptor):
    """Indexes like the real one but cannot decrypt: shows what happens before decryption."""

    def decrypt(self, token: str) -> str:
        raise RuntimeError("no key for this token")


async def test_the_audit_row_is_committed_before_anything_is_decrypted() -> None:
    world = World()
    world.source.file(phone_lookup(), stored_for_phone())
    use_case = ReportSubjectDataUseCase(
        uow=world.uow,
        clock=world.clock,
        staff=FakeStaffDirectory(MANAGER),
        encryptor=UnreadableEncryptor(),
        contacts=ContactNormaliser(phone_parser=FakePhoneParser(), email_parser=FakeEmailParser()),
        source=world.source,
    )

    with pytest.raises(RuntimeError):
        await use_case.execute(
            ReportSubjectDataCommand(MANAGER.user_id, ContactMethod.PHONE, PHONE)
        )

    [entry] = world.uow.store.contact_access
    assert (entry.kind, entry.row_count) == (ContactAccessKind.SUBJECT_ACCESS, 7)
