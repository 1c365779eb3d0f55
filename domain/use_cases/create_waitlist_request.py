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
    TimeWindow,
    WaitlistDraft,
)
from domain.crm_ports import WaitlistSubmissions
from domain.emails import EmailTemplate, OutgoingEmail
from domain.errors import ConsentRequired, ValidationFailed
from domain.models import (
    ConsentChannel,
    ConsentEvidence,
    ConsentKind,
    ConsentRecord,
    ConsentSubject,
    ContactMethod,
    TrackingEvent,
)
from domain.ports import Clock, Encryptor
from domain.tracking_plan import validate_server_event
from domain.use_cases.create_or_update_lead import encrypt_contact
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
    """``created``: this submission made the request ``waitlist_request_id`` (status new);
    otherwise the contact already had an active request for the service, left unnamed."""

    created: bool
    waitlist_request_id: UUID | None = None


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
      contacted) makes no second request (``created=False``, the active request unnamed);
      only the lead's last activity changes. Callers answer both cases alike: whether a
      person is on the waitlist is nobody's business but theirs.
    - At most one confirmation email per contact and service in ``CONFIRMATION_INTERVAL``
      (24 hours), whatever the requests and repeats: ``submissions`` enforces it.
    - Otherwise one atomic write stores the request, a consent record per consent (with
      encrypted evidence), the lead (created or updated by blind index), a
      ``waitlist_submitted`` timeline event, the ``waitlist_submitted`` tracking event
      (service, method, time window) and, for an email contact, the confirmation email.
    - The use case builds that submission as one draft; ``submissions`` writes it (and
      decides how: a unit of work, or statements shared by concurrent submissions).
    """

    def __init__(
        self,
        *,
        clock: Clock,
        encryptor: Encryptor,
        contacts: ContactNormaliser,
        submissions: WaitlistSubmissions,
    ) -> None:
        self._clock = clock
        self._encryptor = encryptor
        self._contacts = contacts
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
        draft = _draft(
            service_slug=command.service_slug,
            encrypted=encrypt_contact(self._encryptor, contact),
            evidence=encrypt_evidence(self._encryptor, command.evidence),
            window=window,
            version=version,
            now=self._clock.now(),
        )
        outcome = await self._submissions.submit(draft)
        if not outcome.created:
            return WaitlistRequestResult(created=False)
        return WaitlistRequestResult(created=True, waitlist_request_id=draft.request_id)


def _draft(
    *,
    service_slug: str,
    encrypted: EncryptedContact,
    evidence: str | None,
    window: TimeWindow,
    version: str,
    now: datetime,
) -> WaitlistDraft:
    """The request with its lead, consent records, timeline event, tracking event and email."""
    request_id = uuid4()
    consents = tuple(
        ConsentRecord(
            id=uuid4(),
            subject_type=ConsentSubject.WAITLIST_REQUEST,
            subject_id=request_id,
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
                "preferred_contact_method": encrypted.method.value,
                "preferred_time_window": window.value,
            },
        ),
        occurred_at=now,
        source="server",
    )
    email = (
        OutgoingEmail.queue(
            recipient_ciphertext=encrypted.ciphertext,
            recipient_index=encrypted.blind_index,
            template=EmailTemplate.WAITLIST_CONFIRMATION,
            params={"request_ref": str(request_id)[:8]},
            now=now,
        )
        if encrypted.method is ContactMethod.EMAIL
        else None
    )
    return WaitlistDraft(
        service_slug=service_slug,
        lead=Lead.first_seen(contact=encrypted, source=LeadSource.WAITLIST, now=now),
        request_id=request_id,
        time_window=window,
        submitted_at=now,
        consents=consents,
        timeline_event_id=uuid4(),
        tracking_event=tracking,
        email=email,
    )
