"""Staff work on the waitlist queue: roles, typed reasons, the contact access audit.

Everything a staff member may do is decided here, from the role stored for their account,
never from what a screen shows or hides.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.crm import TimeWindow, WaitlistStatus, waitlist_transition_allowed
from domain.models import ContactMethod, StaffRole

# The queue works on the waitlist's own lifecycle (``domain.crm``); staff may make every move
# of it except ``new -> in_progress``, which is the claim form's job because it also assigns.
QueueStatus = WaitlistStatus

STAFF_TRANSITIONS: dict[WaitlistStatus, frozenset[WaitlistStatus]] = {
    current: frozenset(
        target
        for target in WaitlistStatus
        if target is not WaitlistStatus.IN_PROGRESS and waitlist_transition_allowed(current, target)
    )
    for current in WaitlistStatus
}


class StatusOutcome(enum.StrEnum):
    """Why a request changed status: a typed choice, never free text."""

    CLIENT_REACHED = "client_reached"
    NO_ANSWER = "no_answer"
    SESSION_BOOKED = "session_booked"
    CLIENT_DECLINED = "client_declined"
    NO_SUITABLE_TIME = "no_suitable_time"
    CLIENT_WITHDREW = "client_withdrew"
    DUPLICATE = "duplicate"
    NO_RESPONSE_TOO_LONG = "no_response_too_long"


OUTCOMES_BY_STATUS: dict[QueueStatus, frozenset[StatusOutcome]] = {
    QueueStatus.CONTACTED: frozenset({StatusOutcome.CLIENT_REACHED, StatusOutcome.NO_ANSWER}),
    QueueStatus.BOOKED: frozenset({StatusOutcome.SESSION_BOOKED}),
    QueueStatus.DECLINED: frozenset(
        {StatusOutcome.CLIENT_DECLINED, StatusOutcome.NO_SUITABLE_TIME}
    ),
    QueueStatus.WITHDRAWN: frozenset({StatusOutcome.CLIENT_WITHDREW, StatusOutcome.DUPLICATE}),
    QueueStatus.EXPIRED: frozenset({StatusOutcome.NO_RESPONSE_TOO_LONG, StatusOutcome.NO_ANSWER}),
}


class AccessReason(enum.StrEnum):
    """Why a staff member needs a plaintext contact: a typed choice, never free text."""

    CALL_BACK_CLIENT = "call_back_client"
    OFFER_SLOT = "offer_slot"
    CONFIRM_BOOKING = "confirm_booking"
    DATA_SUBJECT_REQUEST = "data_subject_request"
    MARKETING_CAMPAIGN = "marketing_campaign"
    REPORTING = "reporting"


class ContactAccessKind(enum.StrEnum):
    CONTACT_REVEAL = "contact_reveal"
    EXPORT_WITH_CONTACTS = "export_with_contacts"
    SUBJECT_ACCESS = "subject_access"  # everything stored for a contact, for the person
    # Staff recorded a withdrawal received by phone or Telegram: the contact was erased.
    CONSENT_WITHDRAWAL = "consent_withdrawal"


@dataclass(frozen=True, slots=True)
class StaffMember:
    user_id: int
    username: str
    role: StaffRole

    def may_reveal_any_contact(self) -> bool:
        return self.role.at_least(StaffRole.MANAGER)

    def may_export_leads(self) -> bool:
        return self.role.at_least(StaffRole.MANAGER)

    def may_answer_subject_access(self) -> bool:
        return self.role.at_least(StaffRole.MANAGER)

    def may_work_any_request(self) -> bool:
        return self.role.at_least(StaffRole.MANAGER)


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A waitlist request as the queue sees it: no contact, not even encrypted."""

    id: UUID
    status: QueueStatus
    assignee_id: int | None
    lead_id: UUID | None
    service_id: UUID | None
    created_at: datetime


class PickPurpose(enum.StrEnum):
    """What a staff member picks a request for in a form."""

    CLAIM = "claim"  # take a ``new`` request into work
    WORK = "work"  # change the status of, or reveal the contact of, a request in work
    WITHDRAW = "withdraw"  # record a withdrawal of consent for the request's contact


@dataclass(frozen=True, slots=True)
class PickableRequest:
    """A waitlist request as a form offers it to pick: readable, and no contact at all."""

    id: UUID
    status: QueueStatus
    service_title: str
    time_window: TimeWindow
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RevealedContact:
    """A decrypted contact, in memory only, for the staff member who asked for it."""

    waitlist_request_id: UUID
    method: ContactMethod
    value: str

    def __repr__(self) -> str:
        return (
            f"RevealedContact(waitlist_request_id={self.waitlist_request_id}, "
            f"method={self.method.value!r}, value='***')"
        )

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class ContactAccessEntry:
    """One row of the append-only ``contact_access_log``."""

    id: UUID
    staff_user_id: int
    kind: ContactAccessKind
    reason: AccessReason
    occurred_at: datetime
    waitlist_request_id: UUID | None = None
    lead_id: UUID | None = None
    export_id: UUID | None = None
    row_count: int = 1


@dataclass(frozen=True, slots=True)
class LeadExportFilter:
    """Leads first seen in ``[created_from, created_before)`` and until ``snapshot_at``."""

    snapshot_at: datetime
    created_from: datetime | None = None
    created_before: datetime | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class LeadExportRow:
    """One lead as exported. ``contact_ciphertext`` is present only when contacts are wanted."""

    lead_id: UUID
    status: str
    source: str
    contact_method: str | None
    first_activity_at: datetime
    last_activity_at: datetime | None
    contact_ciphertext: str | None = None

    def __repr__(self) -> str:
        return f"LeadExportRow(lead_id={self.lead_id}, status={self.status!r}, contact=***)"
