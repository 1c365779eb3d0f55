"""Subject access (152-FZ art. 14): everything stored for one contact, found by blind index.

The read port returns the rows as stored: codes, times, references and ciphertext. The use
case (``domain/use_cases/report_subject_data.py``) decrypts them in memory only, into a
:class:`SubjectDataReport` that masks itself in ``repr``; nothing here is logged.

Codes stay plain strings: the file shows whatever a row holds, with its Russian label when
there is one, so a code added later never breaks a subject's answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from domain.models import ConsentEvidence, ContactMethod
from domain.staff_ports import ContactAccessLogRepository


@dataclass(frozen=True, slots=True)
class SubjectLookup:
    """A contact as the database can find it: its method and blind index, never plaintext.

    Requests and leads index a contact under its method (``blind_index(method, value)``);
    appointments index email and phone separately, under the same namespaces.
    """

    method: ContactMethod
    blind_index: str

    def __repr__(self) -> str:
        return f"SubjectLookup(method={self.method.value!r}, blind_index=***)"


@dataclass(frozen=True, slots=True)
class StoredLead:
    id: UUID
    contact_method: str | None
    contact_ciphertext: str | None
    source: str
    status: str
    first_activity_at: datetime
    last_activity_at: datetime | None

    def __repr__(self) -> str:
        return f"StoredLead(id={self.id}, contact=***)"


@dataclass(frozen=True, slots=True)
class StoredWaitlistRequest:
    id: UUID
    lead_id: UUID | None
    service_title: str | None
    contact_method: str
    contact_ciphertext: str | None
    time_window: str
    status: str
    status_reason: str | None
    created_at: datetime
    updated_at: datetime | None

    def __repr__(self) -> str:
        return f"StoredWaitlistRequest(id={self.id}, contact=***)"


@dataclass(frozen=True, slots=True)
class StoredConsent:
    id: UUID
    subject_type: str
    subject_id: UUID
    kind: str
    text_version: str
    channel: str
    granted_at: datetime
    withdrawn_at: datetime | None
    evidence_ciphertext: str | None

    def __repr__(self) -> str:
        return f"StoredConsent(id={self.id}, kind={self.kind!r}, evidence=***)"


@dataclass(frozen=True, slots=True)
class StoredTimelineEvent:
    """A timeline event: a type, a time and references; who on the staff is left out."""

    id: UUID
    lead_id: UUID
    type: str
    occurred_at: datetime
    waitlist_request_id: UUID | None
    appointment_id: UUID | None
    payment_id: UUID | None
    waitlist_status: str | None
    outcome: str | None


@dataclass(frozen=True, slots=True)
class StoredAppointment:
    id: UUID
    service_title: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    status: str
    created_at: datetime
    client_name_ciphertext: str | None
    email_ciphertext: str | None
    phone_ciphertext: str | None

    def __repr__(self) -> str:
        return f"StoredAppointment(id={self.id}, client=***)"


@dataclass(frozen=True, slots=True)
class StoredPayment:
    """What the client paid and how it went: never keys, confirmation links or tokens."""

    id: UUID
    appointment_id: UUID
    kind: str
    amount: Decimal
    currency: str
    status: str
    created_at: datetime
    updated_at: datetime | None
    refund_reason: str | None
    refunded_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredSubjectData:
    """Every row stored for one contact, as stored."""

    leads: tuple[StoredLead, ...] = ()
    requests: tuple[StoredWaitlistRequest, ...] = ()
    consents: tuple[StoredConsent, ...] = ()
    timeline: tuple[StoredTimelineEvent, ...] = ()
    appointments: tuple[StoredAppointment, ...] = ()
    payments: tuple[StoredPayment, ...] = ()

    @property
    def row_count(self) -> int:
        return (
            len(self.leads)
            + len(self.requests)
            + len(self.consents)
            + len(self.timeline)
            + len(self.appointments)
            + len(self.payments)
        )


class SubjectDataSource(Protocol):
    """The read port: everything stored for a contact, read outside any transaction."""

    async def find(self, lookup: SubjectLookup) -> StoredSubjectData:
        """Leads and waitlist requests with the contact's index, appointments with it as
        their email or phone index, the consent records of all of these, the timeline of
        the leads (and events about the appointments), the payments of the appointments."""
        ...


class SubjectAccessUnitOfWork(Protocol):
    """The one write of a subject access: its audit row."""

    @property
    def contact_access_log(self) -> ContactAccessLogRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


SubjectAccessUnitOfWorkFactory = Callable[[], SubjectAccessUnitOfWork]


def unpack_evidence(plaintext: str) -> ConsentEvidence:
    """The consent's evidence as ``hold_slot.encrypt_evidence`` packs it: ``ip\\nuser agent``."""
    ip, _, user_agent = plaintext.partition("\n")
    return ConsentEvidence(ip=ip or None, user_agent=user_agent or None)


# What the report holds, decrypted: the stored row and its plaintext beside it.


@dataclass(frozen=True, slots=True)
class SubjectLead:
    record: StoredLead
    contact: str | None

    def __repr__(self) -> str:
        return f"SubjectLead(id={self.record.id}, contact=***)"


@dataclass(frozen=True, slots=True)
class SubjectWaitlistRequest:
    record: StoredWaitlistRequest
    contact: str | None

    def __repr__(self) -> str:
        return f"SubjectWaitlistRequest(id={self.record.id}, contact=***)"


@dataclass(frozen=True, slots=True)
class SubjectConsent:
    record: StoredConsent
    text: str | None  # the text the person agreed to, by its version; None: unknown version
    evidence: ConsentEvidence | None

    def __repr__(self) -> str:
        return f"SubjectConsent(id={self.record.id}, evidence=***)"


@dataclass(frozen=True, slots=True)
class SubjectAppointment:
    record: StoredAppointment
    client_name: str | None
    email: str | None
    phone: str | None

    def __repr__(self) -> str:
        return f"SubjectAppointment(id={self.record.id}, client=***)"


@dataclass(frozen=True, slots=True)
class SubjectDataReport:
    """Everything stored for one contact, decrypted, in memory only, for one file.

    ``reference`` is the id of the ``contact_access_log`` row that recorded this access.
    """

    reference: UUID
    generated_at: datetime
    method: ContactMethod
    contact: str
    leads: tuple[SubjectLead, ...]
    requests: tuple[SubjectWaitlistRequest, ...]
    consents: tuple[SubjectConsent, ...]
    timeline: tuple[StoredTimelineEvent, ...]
    appointments: tuple[SubjectAppointment, ...]
    payments: tuple[StoredPayment, ...]
    row_count: int

    @property
    def is_empty(self) -> bool:
        return self.row_count == 0

    def __repr__(self) -> str:
        return (
            f"SubjectDataReport(reference={self.reference}, method={self.method.value!r}, "
            f"contact=***, row_count={self.row_count})"
        )

    __str__ = __repr__
