"""The waitlist and the CRM: waitlist requests, leads and the lead timeline.

A waitlist request and a lead hold a contact only as ciphertext plus a blind index (the dedup
key). Timeline events carry references (ids) and a type, never free text: nothing typed by a
person can end up in the timeline.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from domain.emails import CONFIRMATION_INTERVAL, OutgoingEmail
from domain.errors import InvalidStatusTransition
from domain.models import ConsentRecord, ContactMethod, TrackingEvent, require_aware


class TimeWindow(enum.StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"
    WEEKEND = "weekend"
    ANY = "any"


TIME_WINDOW_LABELS: dict[TimeWindow, str] = {
    TimeWindow.MORNING: "Утро (9:00–12:00)",
    TimeWindow.AFTERNOON: "День (12:00–17:00)",
    TimeWindow.EVENING: "Вечер (17:00–21:00)",
    TimeWindow.WEEKEND: "Выходные",
    TimeWindow.ANY: "Любое время",
}

CONTACT_METHOD_LABELS: dict[ContactMethod, str] = {
    ContactMethod.EMAIL: "Электронная почта",
    ContactMethod.PHONE: "Телефон",
    ContactMethod.TELEGRAM: "Telegram",
}


class WaitlistStatus(enum.StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    CONTACTED = "contacted"
    BOOKED = "booked"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"

    @property
    def is_active(self) -> bool:
        return self in ACTIVE_WAITLIST_STATUSES


ACTIVE_WAITLIST_STATUSES = frozenset(
    {WaitlistStatus.NEW, WaitlistStatus.IN_PROGRESS, WaitlistStatus.CONTACTED}
)

# The main path is new -> in_progress -> contacted -> booked/declined/expired/withdrawn. A
# request nobody has reached yet can still expire or be withdrawn by the person, and an
# operator who settles it on the first call skips ``contacted``. Terminal states never change.
# (The staff forms in ``domain/staff.py`` allow the same moves.)
_WAITLIST_TRANSITIONS: dict[WaitlistStatus, frozenset[WaitlistStatus]] = {
    WaitlistStatus.NEW: frozenset(
        {WaitlistStatus.IN_PROGRESS, WaitlistStatus.EXPIRED, WaitlistStatus.WITHDRAWN}
    ),
    WaitlistStatus.IN_PROGRESS: frozenset(
        {
            WaitlistStatus.CONTACTED,
            WaitlistStatus.BOOKED,
            WaitlistStatus.DECLINED,
            WaitlistStatus.EXPIRED,
            WaitlistStatus.WITHDRAWN,
        }
    ),
    WaitlistStatus.CONTACTED: frozenset(
        {
            WaitlistStatus.BOOKED,
            WaitlistStatus.DECLINED,
            WaitlistStatus.EXPIRED,
            WaitlistStatus.WITHDRAWN,
        }
    ),
    WaitlistStatus.BOOKED: frozenset(),
    WaitlistStatus.DECLINED: frozenset(),
    WaitlistStatus.EXPIRED: frozenset(),
    WaitlistStatus.WITHDRAWN: frozenset(),
}


def waitlist_transition_allowed(current: WaitlistStatus, target: WaitlistStatus) -> bool:
    return target in _WAITLIST_TRANSITIONS[current]


@dataclass(frozen=True, slots=True)
class EncryptedContact:
    """A contact as it is stored: method, ciphertext and blind index."""

    method: ContactMethod
    ciphertext: str
    blind_index: str

    def __repr__(self) -> str:
        return f"EncryptedContact(method={self.method.value!r}, ciphertext=***)"


@dataclass(slots=True)
class WaitlistRequest:
    id: UUID
    service_id: UUID
    lead_id: UUID
    contact: EncryptedContact
    preferred_time_window: TimeWindow
    status: WaitlistStatus
    created_at: datetime
    updated_at: datetime
    assignee_id: int | None = None

    @classmethod
    def submit(
        cls,
        *,
        service_id: UUID,
        lead_id: UUID,
        contact: EncryptedContact,
        time_window: TimeWindow,
        now: datetime,
    ) -> WaitlistRequest:
        require_aware(now)
        return cls(
            id=uuid4(),
            service_id=service_id,
            lead_id=lead_id,
            contact=contact,
            preferred_time_window=time_window,
            status=WaitlistStatus.NEW,
            created_at=now,
            updated_at=now,
        )

    def transition_to(self, target: WaitlistStatus, now: datetime) -> None:
        if not waitlist_transition_allowed(self.status, target):
            raise InvalidStatusTransition()
        self.status = target
        self.updated_at = require_aware(now)


class LeadStatus(enum.StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    CONVERTED = "converted"
    LOST = "lost"

    @property
    def is_terminal(self) -> bool:
        return self in {LeadStatus.CONVERTED, LeadStatus.LOST}


_LEAD_TRANSITIONS: dict[LeadStatus, frozenset[LeadStatus]] = {
    LeadStatus.NEW: frozenset({LeadStatus.IN_PROGRESS, LeadStatus.CONVERTED, LeadStatus.LOST}),
    LeadStatus.IN_PROGRESS: frozenset({LeadStatus.CONVERTED, LeadStatus.LOST}),
    LeadStatus.CONVERTED: frozenset(),
    LeadStatus.LOST: frozenset(),
}


def lead_transition_allowed(current: LeadStatus, target: LeadStatus) -> bool:
    return target in _LEAD_TRANSITIONS[current]


class LeadSource(enum.StrEnum):
    WAITLIST = "waitlist"
    BOOKING = "booking"
    TELEGRAM = "telegram"


@dataclass(slots=True)
class Lead:
    id: UUID
    contact: EncryptedContact
    source: LeadSource
    status: LeadStatus
    first_activity_at: datetime
    last_activity_at: datetime

    @classmethod
    def first_seen(cls, *, contact: EncryptedContact, source: LeadSource, now: datetime) -> Lead:
        require_aware(now)
        return cls(
            id=uuid4(),
            contact=contact,
            source=source,
            status=LeadStatus.NEW,
            first_activity_at=now,
            last_activity_at=now,
        )

    def transition_to(self, target: LeadStatus) -> None:
        if not lead_transition_allowed(self.status, target):
            raise InvalidStatusTransition()
        self.status = target


class LeadTimelineEventType(enum.StrEnum):
    WAITLIST_SUBMITTED = "waitlist_submitted"
    WAITLIST_CLAIMED = "waitlist_claimed"
    WAITLIST_STATUS_CHANGED = "waitlist_status_changed"
    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_CANCELED = "payment_canceled"
    PAYMENT_REFUNDED = "payment_refunded"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    OFFER_SENT = "offer_sent"
    OFFER_ACCEPTED = "offer_accepted"
    OFFER_EXPIRED = "offer_expired"
    OFFER_DECLINED = "offer_declined"


@dataclass(frozen=True, slots=True)
class LeadTimelineEvent:
    """An append-only fact about a lead: a type and references, never free text.

    ``waitlist_status`` and ``outcome`` are typed codes (a status, a ``StatusOutcome``) for
    staff changes; ``staff_user_id`` says who made them.
    """

    id: UUID
    lead_id: UUID
    type: LeadTimelineEventType
    occurred_at: datetime
    waitlist_request_id: UUID | None = None
    appointment_id: UUID | None = None
    payment_id: UUID | None = None
    staff_user_id: int | None = None
    waitlist_status: str | None = None
    outcome: str | None = None

    @classmethod
    def of(
        cls,
        lead_id: UUID,
        type_: LeadTimelineEventType,
        now: datetime,
        *,
        waitlist_request_id: UUID | None = None,
        appointment_id: UUID | None = None,
        payment_id: UUID | None = None,
    ) -> LeadTimelineEvent:
        return cls(
            id=uuid4(),
            lead_id=lead_id,
            type=type_,
            occurred_at=require_aware(now),
            waitlist_request_id=waitlist_request_id,
            appointment_id=appointment_id,
            payment_id=payment_id,
        )


@dataclass(frozen=True, slots=True)
class WaitlistDraft:
    """A waitlist submission, validated and encrypted, as it goes to ``WaitlistSubmissions``.

    It holds every row a new request writes, but leaves open the two references only the
    store can settle: the service, named by ``service_slug`` (the active service with that
    slug), and the lead. ``lead`` is the lead to create when the contact has none yet; a
    contact with a lead keeps it (only its last activity moves to ``submitted_at``), and
    ``lead.id`` is then used nowhere. ``request_id`` is the id of the request if one is
    created: the consent records, the timeline event and the email refer to it. ``email``,
    the confirmation, is queued only with a new request, and only when the contact had no
    confirmation for that service queued since ``confirmation_quiet_since``.
    """

    service_slug: str
    lead: Lead
    request_id: UUID
    time_window: TimeWindow
    submitted_at: datetime
    consents: tuple[ConsentRecord, ...]
    timeline_event_id: UUID
    tracking_event: TrackingEvent
    email: OutgoingEmail | None

    @property
    def contact(self) -> EncryptedContact:
        return self.lead.contact

    @property
    def confirmation_quiet_since(self) -> datetime:
        """A confirmation queued after this instant, for this contact and service, means no
        second one now (``CONFIRMATION_INTERVAL`` before the submission)."""
        return self.submitted_at - CONFIRMATION_INTERVAL

    def request(self, *, service_id: UUID, lead_id: UUID) -> WaitlistRequest:
        """The new request, once the store knows the service and the lead."""
        return WaitlistRequest(
            id=self.request_id,
            service_id=service_id,
            lead_id=lead_id,
            contact=self.lead.contact,
            preferred_time_window=self.time_window,
            status=WaitlistStatus.NEW,
            created_at=self.submitted_at,
            updated_at=self.submitted_at,
        )

    def timeline_event(self, lead_id: UUID) -> LeadTimelineEvent:
        """The ``waitlist_submitted`` event on the lead the store settled on."""
        return LeadTimelineEvent(
            id=self.timeline_event_id,
            lead_id=lead_id,
            type=LeadTimelineEventType.WAITLIST_SUBMITTED,
            occurred_at=self.submitted_at,
            waitlist_request_id=self.request_id,
        )
