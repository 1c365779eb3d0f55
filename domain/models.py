"""Entities and value objects of the practice.

Times are timezone-aware UTC; money is ``Decimal`` with two places in roubles. Public
identifiers are UUIDs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from uuid import UUID, uuid4

from domain.errors import InvalidMoney, InvalidStatusTransition

CURRENCY_RUB = "RUB"
_CENTS = Decimal("0.01")


def require_aware(moment: datetime) -> datetime:
    """Reject naive datetimes: every moment in the domain is an absolute instant."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: the domain only works with timezone-aware times")
    return moment


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in a currency, always with exactly two decimal places."""

    amount: Decimal
    currency: str = CURRENCY_RUB

    def __post_init__(self) -> None:
        if isinstance(self.amount, float):
            raise InvalidMoney("Money is never built from a float.")
        try:
            quantised = Decimal(self.amount).quantize(_CENTS, rounding=ROUND_HALF_UP)
        except (InvalidOperation, TypeError) as exc:
            raise InvalidMoney() from exc
        if not quantised.is_finite() or quantised < 0:
            raise InvalidMoney("An amount is a finite, non-negative number.")
        if self.currency != CURRENCY_RUB:
            raise InvalidMoney("Only roubles (RUB) are supported.")
        object.__setattr__(self, "amount", quantised)

    @classmethod
    def rub(cls, value: str | int | Decimal) -> Money:
        if isinstance(value, float):
            raise InvalidMoney("Money is never built from a float.")
        try:
            amount = Decimal(value)
        except (InvalidOperation, TypeError, ValueError) as exc:
            raise InvalidMoney() from exc
        return cls(amount)

    @property
    def value(self) -> str:
        """The amount as YooKassa and our API write it: ``"1500.00"``."""
        return f"{self.amount:.2f}"

    @property
    def is_zero(self) -> bool:
        return self.amount == 0


@dataclass(frozen=True, slots=True)
class Service:
    id: UUID
    slug: str
    title: str
    duration_minutes: int
    price: Money
    deposit: Money | None
    active: bool = True


class SlotStatus(enum.StrEnum):
    FREE = "free"
    HELD = "held"
    BOOKED = "booked"
    # Kept for the person a waitlist offer went to (``domain/offers.py``): not free, not held.
    RESERVED = "reserved"


@dataclass(frozen=True, slots=True)
class Slot:
    id: UUID
    service_id: UUID
    starts_at: datetime
    ends_at: datetime
    status: SlotStatus = SlotStatus.FREE

    def has_started(self, now: datetime) -> bool:
        return self.starts_at <= now


class AppointmentStatus(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"
    CONFIRMED = "confirmed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


_APPOINTMENT_TRANSITIONS: dict[AppointmentStatus, frozenset[AppointmentStatus]] = {
    AppointmentStatus.PENDING_PAYMENT: frozenset(
        {AppointmentStatus.CONFIRMED, AppointmentStatus.EXPIRED, AppointmentStatus.CANCELLED}
    ),
    AppointmentStatus.CONFIRMED: frozenset({AppointmentStatus.CANCELLED}),
    AppointmentStatus.EXPIRED: frozenset(),
    AppointmentStatus.CANCELLED: frozenset(),
}

DEFAULT_HOLD = timedelta(minutes=30)


class ContactMethod(enum.StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    TELEGRAM = "telegram"


@dataclass(frozen=True, slots=True)
class Contact:
    """A normalised contact; build it with :class:`domain.contacts.ContactNormaliser`."""

    method: ContactMethod
    value: str

    def __repr__(self) -> str:  # plaintext contacts never reach logs through a repr
        return f"Contact(method={self.method.value!r}, value='***')"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class ClientDetails:
    """A client's name and contacts, in memory only: stored encrypted."""

    name: str
    email: Contact | None
    phone: Contact | None

    def __repr__(self) -> str:
        return "ClientDetails(***)"

    __str__ = __repr__

    def primary_contact(self) -> Contact:
        contact = self.email or self.phone
        if contact is None:  # guaranteed by the use case that builds it
            raise ValueError("a client always has at least one contact")
        return contact


@dataclass(frozen=True, slots=True)
class EncryptedClient:
    """The encrypted form of :class:`ClientDetails` as it is stored."""

    name: str
    email: str | None
    phone: str | None
    email_index: str | None
    phone_index: str | None


@dataclass(slots=True)
class Appointment:
    id: UUID
    slot_id: UUID
    service_id: UUID
    client: EncryptedClient
    status: AppointmentStatus
    hold_expires_at: datetime
    created_at: datetime
    updated_at: datetime

    @classmethod
    def hold(
        cls,
        *,
        slot: Slot,
        client: EncryptedClient,
        now: datetime,
        hold_for: timedelta = DEFAULT_HOLD,
    ) -> Appointment:
        require_aware(now)
        return cls(
            id=uuid4(),
            slot_id=slot.id,
            service_id=slot.service_id,
            client=client,
            status=AppointmentStatus.PENDING_PAYMENT,
            hold_expires_at=now + hold_for,
            created_at=now,
            updated_at=now,
        )

    def can_transition_to(self, target: AppointmentStatus) -> bool:
        return target in _APPOINTMENT_TRANSITIONS[self.status]

    def transition_to(self, target: AppointmentStatus, now: datetime) -> None:
        if not self.can_transition_to(target):
            raise InvalidStatusTransition()
        self.status = target
        self.updated_at = now

    def is_payable(self, now: datetime) -> bool:
        return self.status is AppointmentStatus.PENDING_PAYMENT and self.hold_expires_at > now


class ConsentKind(enum.StrEnum):
    PERSONAL_DATA = "personal_data"
    COMMUNICATIONS = "communications"


class ConsentSubject(enum.StrEnum):
    APPOINTMENT = "appointment"
    LEAD = "lead"
    WAITLIST_REQUEST = "waitlist_request"


class ConsentChannel(enum.StrEnum):
    BOOKING_API = "booking_api"
    WAITLIST_FORM = "waitlist_form"


@dataclass(frozen=True, slots=True)
class ConsentEvidence:
    """Where a consent came from. Stored encrypted: an IP address is personal data."""

    ip: str | None
    user_agent: str | None

    def __repr__(self) -> str:
        return "ConsentEvidence(***)"


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    id: UUID
    subject_type: ConsentSubject
    subject_id: UUID
    kind: ConsentKind
    text_version: str
    channel: ConsentChannel
    granted_at: datetime
    evidence_ciphertext: str | None
    withdrawn_at: datetime | None = None

    def withdraw(self, now: datetime) -> ConsentRecord:
        if self.withdrawn_at is not None:
            return self
        return replace(self, withdrawn_at=require_aware(now))


class StaffRole(enum.StrEnum):
    OPERATOR = "operator"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return {"operator": 1, "manager": 2, "admin": 3}[self.value]

    def at_least(self, other: StaffRole) -> bool:
        return self.rank >= other.rank


@dataclass(frozen=True, slots=True)
class TrackingEvent:
    """An analytics event: a whitelisted name and whitelisted, contact-free properties."""

    id: UUID
    name: str
    properties: dict[str, str | int | bool | None]
    occurred_at: datetime
    source: str = "server"
