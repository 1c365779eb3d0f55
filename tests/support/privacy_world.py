"""A waitlist with one person, the email worker and the withdrawal use cases, on fakes."""

from __future__ import annotations

from domain.contacts import ContactNormaliser
from domain.models import ConsentEvidence, StaffRole
from domain.staff import StaffMember
from domain.use_cases.create_waitlist_request import (
    CreateWaitlistRequestCommand,
    CreateWaitlistRequestUseCase,
)
from domain.use_cases.record_consent_withdrawal import RecordConsentWithdrawalUseCase
from domain.use_cases.send_pending_emails import SendPendingEmailsUseCase
from domain.use_cases.withdraw_consent import WithdrawConsentUseCase
from tests.support.builders import a_service
from tests.support.crm_fakes import InMemoryWaitlistSubmissions, RecordingMailer
from tests.support.fakes import (
    FakeEmailParser,
    FakeEncryptor,
    FakePhoneParser,
    FixedClock,
    InMemoryStore,
    InMemoryUnitOfWorkFactory,
)
from tests.support.staff_fakes import FakeStaffDirectory

ADDRESS = "anna@example.com"
SITE = "https://balance.example"
OPERATOR = StaffMember(user_id=7, username="olga", role=StaffRole.OPERATOR)


class World:
    def __init__(self) -> None:
        self.uow = InMemoryUnitOfWorkFactory()
        self.clock = FixedClock()
        self.encryptor = FakeEncryptor()
        for slug in ("family-session", "couples-session"):
            service = a_service(slug)
            self.uow.store.services[service.id] = service
        self.create = CreateWaitlistRequestUseCase(
            clock=self.clock,
            encryptor=self.encryptor,
            contacts=ContactNormaliser(
                phone_parser=FakePhoneParser(), email_parser=FakeEmailParser()
            ),
            submissions=InMemoryWaitlistSubmissions(self.uow.store),
        )
        self.mailer = RecordingMailer()
        self.send = SendPendingEmailsUseCase(
            uow=self.uow,
            clock=self.clock,
            encryptor=self.encryptor,
            mailer=self.mailer,
            public_site_url=SITE,
        )
        self.withdraw = WithdrawConsentUseCase(uow=self.uow, clock=self.clock)
        self.record = RecordConsentWithdrawalUseCase(
            uow=self.uow, clock=self.clock, staff=FakeStaffDirectory(OPERATOR)
        )

    @property
    def store(self) -> InMemoryStore:
        return self.uow.store

    async def submit(self, contact: str = ADDRESS, slug: str = "family-session") -> None:
        await self.create.execute(
            CreateWaitlistRequestCommand(
                service_slug=slug,
                preferred_contact_method="email" if "@" in contact else "phone",
                contact_value=contact,
                preferred_time_window="evening",
                personal_data_consent=True,
                communications_consent=True,
                consent_version="2026-11-01",
                evidence=ConsentEvidence(ip="203.0.113.9", user_agent="Test/1.0"),
            )
        )

    def token_in(self, message_text: str) -> str:
        return message_text.split("?token=", 1)[1].split()[0]
