"""Answer a person's subject access request (the admin form ``Данные субъекта``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from domain.consent_texts import consent_text
from domain.contacts import ContactNormaliser
from domain.errors import RoleRequired, UnknownConsentVersion
from domain.models import ConsentKind, ContactMethod
from domain.ports import Clock, Encryptor
from domain.staff import AccessReason, ContactAccessEntry, ContactAccessKind
from domain.staff_ports import StaffDirectory
from domain.subject_access import (
    StoredConsent,
    StoredSubjectData,
    SubjectAccessUnitOfWorkFactory,
    SubjectAppointment,
    SubjectConsent,
    SubjectDataReport,
    SubjectDataSource,
    SubjectLead,
    SubjectLookup,
    SubjectWaitlistRequest,
    unpack_evidence,
)
from domain.use_cases.staff_access import require_staff


@dataclass(frozen=True, slots=True)
class ReportSubjectDataCommand:
    staff_user_id: int
    contact_method: ContactMethod
    contact_value: str

    def __repr__(self) -> str:
        return (
            f"ReportSubjectDataCommand(staff_user_id={self.staff_user_id}, "
            f"method={self.contact_method.value!r}, contact=***)"
        )


class ReportSubjectDataUseCase:
    """Collects everything stored for one contact, for the person it belongs to.

    - Managers and admins only (``role_required``); operators and accounts without a role
      learn nothing, not even whether anything is stored.
    - The contact is normalised exactly as the public forms normalise it (``invalid_contact``)
      and looked up by its blind index only: leads and waitlist requests with that index,
      appointments with it as their email or phone index, the consent records of those,
      the leads' timeline and the appointments' payments. Nothing of another contact.
    - Every lookup, found or not, commits one ``contact_access_log`` row (who, the reason
      ``data_subject_request``, how many rows were found, the lead if there is one) before
      anything is decrypted; without it nothing is returned.
    - Ciphertexts are decrypted in memory, into a report that masks itself in ``repr``.
      Consents carry the text of their version; provider keys, confirmation links and tokens
      are never read.
    """

    def __init__(
        self,
        *,
        uow: SubjectAccessUnitOfWorkFactory,
        clock: Clock,
        staff: StaffDirectory,
        encryptor: Encryptor,
        contacts: ContactNormaliser,
        source: SubjectDataSource,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._staff = staff
        self._encryptor = encryptor
        self._contacts = contacts
        self._source = source

    async def execute(self, command: ReportSubjectDataCommand) -> SubjectDataReport:
        member = await require_staff(self._staff, command.staff_user_id)
        if not member.may_answer_subject_access():
            raise RoleRequired()
        contact = self._contacts.normalise(command.contact_method, command.contact_value)
        lookup = SubjectLookup(
            method=contact.method,
            blind_index=self._encryptor.blind_index(contact.method.value, contact.value),
        )
        stored = await self._source.find(lookup)
        now = self._clock.now()
        reference = uuid4()
        async with self._uow() as uow:
            await uow.contact_access_log.add(
                ContactAccessEntry(
                    id=reference,
                    staff_user_id=member.user_id,
                    kind=ContactAccessKind.SUBJECT_ACCESS,
                    reason=AccessReason.DATA_SUBJECT_REQUEST,
                    occurred_at=now,
                    waitlist_request_id=_only(r.id for r in stored.requests),
                    lead_id=_only(lead.id for lead in stored.leads),
                    row_count=stored.row_count,
                )
            )
            await uow.commit()
        return self._report(reference, now, contact.method, contact.value, stored)

    def _report(
        self,
        reference: UUID,
        now: datetime,
        method: ContactMethod,
        value: str,
        stored: StoredSubjectData,
    ) -> SubjectDataReport:
        return SubjectDataReport(
            reference=reference,
            generated_at=now,
            method=method,
            contact=value,
            leads=tuple(
                SubjectLead(lead, self._open(lead.contact_ciphertext)) for lead in stored.leads
            ),
            requests=tuple(
                SubjectWaitlistRequest(request, self._open(request.contact_ciphertext))
                for request in stored.requests
            ),
            consents=tuple(self._consent(consent) for consent in stored.consents),
            timeline=stored.timeline,
            appointments=tuple(
                SubjectAppointment(
                    appointment,
                    client_name=self._open(appointment.client_name_ciphertext),
                    email=self._open(appointment.email_ciphertext),
                    phone=self._open(appointment.phone_ciphertext),
                )
                for appointment in stored.appointments
            ),
            payments=stored.payments,
            row_count=stored.row_count,
        )

    def _open(self, token: str | None) -> str | None:
        """The plaintext; ``None`` where nothing is stored (or it was erased)."""
        return self._encryptor.decrypt(token) if token else None

    def _consent(self, consent: StoredConsent) -> SubjectConsent:
        try:
            text: str | None = consent_text(ConsentKind(consent.kind), consent.text_version).text
        except (ValueError, UnknownConsentVersion):
            text = None
        evidence = self._open(consent.evidence_ciphertext)
        return SubjectConsent(
            consent, text=text, evidence=None if evidence is None else unpack_evidence(evidence)
        )


def _only(ids: Iterable[UUID]) -> UUID | None:
    """The one id when there is exactly one, for the audit row's reference."""
    found = list(ids)
    return found[0] if len(found) == 1 else None
