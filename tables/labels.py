"""What staff read in the admin: Russian column names and Russian ``choices``.

- :func:`titled` gives a column its Russian name, its ``verbose_name``. Piccolo has no such
  argument (its column keywords are typed), so the name goes where Piccolo keeps a column's
  declaration, ``column._meta.params``: migrations record it like ``choices``, and
  ``admin.table_schemas`` shows it as the column's title.
- The ``*Choice`` enums are the domain's codes with their labels from ``domain.labels``
  (``Choice(value=code, display_name=label)``): the stored values are exactly the domain's,
  and building one with a label missing fails at import. Piccolo Admin shows the labels in
  lists, filters and edit screens; the database keeps the codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum
from typing import TypeVar

from piccolo.columns import Column
from piccolo.columns.choices import Choice

from domain.crm import LeadSource, LeadStatus, LeadTimelineEventType, TimeWindow, WaitlistStatus
from domain.labels import (
    ACCESS_REASON_LABELS,
    APPOINTMENT_STATUS_LABELS,
    CONSENT_CHANNEL_LABELS,
    CONSENT_KIND_LABELS,
    CONSENT_SUBJECT_LABELS,
    CONTACT_ACCESS_KIND_LABELS,
    CONTACT_METHOD_LABELS,
    LEAD_SOURCE_LABELS,
    LEAD_STATUS_LABELS,
    OFFER_CHANNEL_LABELS,
    OFFER_STATUS_LABELS,
    PAYMENT_KIND_LABELS,
    PAYMENT_STATUS_LABELS,
    REFUND_REASON_LABELS,
    SCHEDULE_CHANGE_KIND_LABELS,
    SLOT_STATUS_LABELS,
    STAFF_ROLE_LABELS,
    STATUS_OUTCOME_LABELS,
    TIME_WINDOW_LABELS,
    TIMELINE_EVENT_LABELS,
    WAITLIST_STATUS_LABELS,
)
from domain.models import (
    AppointmentStatus,
    ConsentChannel,
    ConsentKind,
    ConsentSubject,
    ContactMethod,
    SlotStatus,
    StaffRole,
)
from domain.offers import OfferChannel, OfferStatus
from domain.payments import PaymentKind, PaymentStatus, RefundReason
from domain.schedule import ScheduleChangeKind
from domain.staff import AccessReason, ContactAccessKind, StatusOutcome

E = TypeVar("E", bound=StrEnum)
C = TypeVar("C", bound=Column)


def titled(verbose_name: str, column: C) -> C:
    """``column``, named ``verbose_name`` for staff."""
    column._meta.params["verbose_name"] = verbose_name
    return column


def labelled(name: str, codes: type[E], labels: Mapping[E, str]) -> type[Enum]:
    """``name``: an Enum whose members are ``Choice(value=code, display_name=label)``."""
    missing = [code.value for code in codes if code not in labels]
    if missing:
        raise LookupError(f"{name}: no Russian label for {', '.join(missing)}")
    members = {code.name: Choice(value=code.value, display_name=labels[code]) for code in codes}
    return Enum(name, members)  # type: ignore[misc,return-value]


WaitlistStatusChoice = labelled("WaitlistStatusChoice", WaitlistStatus, WAITLIST_STATUS_LABELS)
StatusOutcomeChoice = labelled("StatusOutcomeChoice", StatusOutcome, STATUS_OUTCOME_LABELS)
ContactMethodChoice = labelled("ContactMethodChoice", ContactMethod, CONTACT_METHOD_LABELS)
TimeWindowChoice = labelled("TimeWindowChoice", TimeWindow, TIME_WINDOW_LABELS)
LeadStatusChoice = labelled("LeadStatusChoice", LeadStatus, LEAD_STATUS_LABELS)
LeadSourceChoice = labelled("LeadSourceChoice", LeadSource, LEAD_SOURCE_LABELS)
TimelineEventChoice = labelled("TimelineEventChoice", LeadTimelineEventType, TIMELINE_EVENT_LABELS)
PaymentStatusChoice = labelled("PaymentStatusChoice", PaymentStatus, PAYMENT_STATUS_LABELS)
RefundReasonChoice = labelled("RefundReasonChoice", RefundReason, REFUND_REASON_LABELS)
PaymentKindChoice = labelled("PaymentKindChoice", PaymentKind, PAYMENT_KIND_LABELS)
AppointmentStatusChoice = labelled(
    "AppointmentStatusChoice", AppointmentStatus, APPOINTMENT_STATUS_LABELS
)
SlotStatusChoice = labelled("SlotStatusChoice", SlotStatus, SLOT_STATUS_LABELS)
ConsentKindChoice = labelled("ConsentKindChoice", ConsentKind, CONSENT_KIND_LABELS)
ConsentSubjectChoice = labelled("ConsentSubjectChoice", ConsentSubject, CONSENT_SUBJECT_LABELS)
ConsentChannelChoice = labelled("ConsentChannelChoice", ConsentChannel, CONSENT_CHANNEL_LABELS)
AccessReasonChoice = labelled("AccessReasonChoice", AccessReason, ACCESS_REASON_LABELS)
ContactAccessKindChoice = labelled(
    "ContactAccessKindChoice", ContactAccessKind, CONTACT_ACCESS_KIND_LABELS
)
StaffRoleChoice = labelled("StaffRoleChoice", StaffRole, STAFF_ROLE_LABELS)
ScheduleChangeKindChoice = labelled(
    "ScheduleChangeKindChoice", ScheduleChangeKind, SCHEDULE_CHANGE_KIND_LABELS
)
OfferStatusChoice = labelled("OfferStatusChoice", OfferStatus, OFFER_STATUS_LABELS)
OfferChannelChoice = labelled("OfferChannelChoice", OfferChannel, OFFER_CHANNEL_LABELS)

# Every choice enum with the domain enum it mirrors (the unit tests walk this).
CHOICES: tuple[tuple[type[Enum], type[StrEnum]], ...] = (
    (WaitlistStatusChoice, WaitlistStatus),
    (StatusOutcomeChoice, StatusOutcome),
    (ContactMethodChoice, ContactMethod),
    (TimeWindowChoice, TimeWindow),
    (LeadStatusChoice, LeadStatus),
    (LeadSourceChoice, LeadSource),
    (TimelineEventChoice, LeadTimelineEventType),
    (PaymentStatusChoice, PaymentStatus),
    (PaymentKindChoice, PaymentKind),
    (RefundReasonChoice, RefundReason),
    (AppointmentStatusChoice, AppointmentStatus),
    (SlotStatusChoice, SlotStatus),
    (ConsentKindChoice, ConsentKind),
    (ConsentSubjectChoice, ConsentSubject),
    (ConsentChannelChoice, ConsentChannel),
    (AccessReasonChoice, AccessReason),
    (ContactAccessKindChoice, ContactAccessKind),
    (StaffRoleChoice, StaffRole),
    (ScheduleChangeKindChoice, ScheduleChangeKind),
    (OfferStatusChoice, OfferStatus),
    (OfferChannelChoice, OfferChannel),
)
