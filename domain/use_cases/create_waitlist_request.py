"""Join the waitlist of a service that has no free slot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from domain.consent_texts import require_known_version
from domain.contacts import ContactNormaliser
from domain.crm import (
    EncryptedContact,
    Lead,
    LeadSource,
    LeadTimelineEvent,
    LeadTimelineEventType,
    TimeWindow,
    WaitlistRequest,
    WaitlistStatus,
    WaitlistSubmission,
)
from domain.crm_ports import WaitlistSubmissions
from domain.emails import EmailTemplate, OutgoingEmail
from domain.errors import ConsentRequired, ServiceNotFound, ValidationFailed
from domain.models import (
    ConsentChannel,
    ConsentEvidence,
    ConsentKind,
    ConsentRecord,
    ConsentSubject,
    ContactMethod,
    TrackingEvent,
)
from domain.ports import Clock, Encryptor, UnitOfWorkFactory
from domain.tracking_plan import validate_server_event
from domain.use_cases.create_or_update_lead import (
    CreateOrUpdateLeadCommand,
    CreateOrUpdateLeadUseCase,
    encrypt_contact,
)
from domain.use_cases.hold_slot import encrypt_evidence

WAITLIST_SUBMITTED = "waitlist_submitted"


@dataclass(frozen=True, slots=True)
class CreateWaitlistRequestCommand:
    service_slug: str
    preferred_contact_method: str
    contact_value: str
    preferred_time_window: str
    personal_data_consent: bool
    communications_consent: bool
    consent_version: str
    evidence: ConsentEvidence

    def __repr__(self) -> str:
        return (
            f"CreateWaitlistRequestCommand(service_slug={self.service_slug!r}, "
            f"method={self.preferred_contact_method!r}, contact=***)"
        )


@dataclass(frozen=True, slots=True)
class WaitlistRequestResult:
    waitlist_request_id: UUID
    status: WaitlistStatus
    created: bool


class CreateWaitlistRequestUseCase:
    """Puts a person on the waitlist of a service.

    - Both consents are required, personal data and communications, each an explicit yes;
      without either: ``consent_required`` and nothing is written. The consent text version
      must be one we have shown.
    - The contact is validated and normalised for its method (``invalid_contact``); the time
      window is one of the known ones. The service must be active (``service_not_found``).
    - The contact is stored only encrypted, with its blind index; it never reaches the
      tracking event, the timeline or any message.
    - The same contact for the same service while a request is active (new, in progress,
      contacted) gets that request back (``created=False``); only the lead's last activity
      changes.
    - Otherwise one transaction writes the request, a consent record per consent (with
      encrypted evidence), the lead (created or updated by blind index), a
      ``waitlist_submitted`` timeline event, the ``waitlist_submitted`` tracking event
      (service, method, time window) and, for an email contact, the confirmation email.
    - With ``submissions`` (PostgreSQL) all of the above after validation is one atomic
      database operation; without it (SQLite, fakes) it is one unit of work.
    """

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        encryptor: Encryptor,
        contacts: ContactNormaliser,
        leads: CreateOrUpdateLeadUseCase,
        submissions: WaitlistSubmissions | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._encryptor = encryptor
        self._contacts = contacts
        self._leads = leads
        self._submissions = submissions

    async def execute(self, command: CreateWaitlistRequestCommand) -> WaitlistRequestResult:
        if not command.personal_data_consent:
            raise ConsentRequired(
                "Consent to the processing of personal data is required to join the waitlist."
            )
        if not command.communications_consent:
            raise ConsentRequired(
                "Consent to receive messages is required to join the waitlist: without it we "
                "cannot tell you when a slot frees up."
            )
        version = require_known_version(command.consent_version)
        try:
            method = ContactMethod(command.preferred_contact_method)
            window = TimeWindow(command.preferred_time_window)
        except ValueError:
            raise ValidationFailed("Unknown contact method or time window.") from None
        contact = self._contacts.normalise(method, command.contact_value)
        encrypted = encrypt_contact(self._encryptor, contact)
        evidence = encrypt_evidence(self._encryptor, command.evidence)
        now = self._clock.now()

        if self._submissions is not None:
            # One atomic operation: service lookup, lead upsert, dedup and every write.
            lead = Lead.first_seen(contact=encrypted, source=LeadSource.WAITLIST, now=now)
            submission = _submission(
                service_id=_RESOLVED_BY_STORE,
                service_slug=command.service_slug,
                lead_id=lead.id,
                encrypted=encrypted,
                evidence=evidence,
                method=method,
                window=window,
                version=version,
                now=now,
            )
            outcome = await self._submissions.submit(command.service_slug, lead, submission)
            if outcome.waitlist_request_id is None:
                raise ServiceNotFound()
            return WaitlistRequestResult(
                outcome.waitlist_request_id, outcome.status, created=outcome.created
            )

        async with self._uow() as uow:
            service = await uow.services.get_active_by_slug(command.service_slug)
            if service is None:
                raise ServiceNotFound()
            upserted = await self._leads.apply(
                uow,
                CreateOrUpdateLeadCommand(
                    contact=contact, source=LeadSource.WAITLIST, encrypted=encrypted
                ),
                now,
            )
            lead = upserted.lead
            # Every request upserts the lead of its contact first, so a lead this call just
            # created cannot have a request yet; a known lead's row is now locked by us, so
            # the lookup sees any request a concurrent submission committed.
            existing = (
                None
                if upserted.created
                else await uow.waitlist.find_active(encrypted.blind_index, service.id)
            )
            if existing is not None:
                await uow.commit()
                return WaitlistRequestResult(existing.id, existing.status, created=False)

            submission = _submission(
                service_id=service.id,
                service_slug=service.slug,
                lead_id=lead.id,
                encrypted=encrypted,
                evidence=evidence,
                method=method,
                window=window,
                version=version,
                now=now,
            )
            await uow.waitlist.add_submission(submission)
            await uow.commit()
        return WaitlistRequestResult(submission.request.id, submission.request.status, created=True)


# Stands for the service id in a submission handed to ``WaitlistSubmissions``, which
# resolves it from the slug in the same statement.
_RESOLVED_BY_STORE = UUID(int=0)


def _submission(
    *,
    service_id: UUID,
    service_slug: str,
    lead_id: UUID,
    encrypted: EncryptedContact,
    evidence: str | None,
    method: ContactMethod,
    window: TimeWindow,
    version: str,
    now: datetime,
) -> WaitlistSubmission:
    """The request with its consent records, timeline event, tracking event and email."""
    request = WaitlistRequest.submit(
        service_id=service_id,
        lead_id=lead_id,
        contact=encrypted,
        time_window=window,
        now=now,
    )
    consents = tuple(
        ConsentRecord(
            id=uuid4(),
            subject_type=ConsentSubject.WAITLIST_REQUEST,
            subject_id=request.id,
            kind=kind,
            text_version=version,
            channel=ConsentChannel.WAITLIST_FORM,
            granted_at=now,
            evidence_ciphertext=evidence,
        )
        for kind in (ConsentKind.PERSONAL_DATA, ConsentKind.COMMUNICATIONS)
    )
    tracking = TrackingEvent(
        id=uuid4(),
        name=WAITLIST_SUBMITTED,
        properties=validate_server_event(
            WAITLIST_SUBMITTED,
            {
                "service_slug": service_slug,
                "preferred_contact_method": method.value,
                "preferred_time_window": window.value,
            },
        ),
        occurred_at=now,
        source="server",
    )
    email = (
        OutgoingEmail.queue(
            recipient_ciphertext=encrypted.ciphertext,
            template=EmailTemplate.WAITLIST_CONFIRMATION,
            params={"request_ref": str(request.id)[:8]},
            now=now,
        )
        if method is ContactMethod.EMAIL
        else None
    )
    return WaitlistSubmission(
        request=request,
        consents=consents,
        timeline_event=LeadTimelineEvent.of(
            lead_id,
            LeadTimelineEventType.WAITLIST_SUBMITTED,
            now,
            waitlist_request_id=request.id,
        ),
        tracking_event=tracking,
        email=email,
    )
