"""Payments: the entity, its monotonic status machine and the provider-facing value objects.

A payment moves only forward: ``creating -> pending -> (waiting_for_capture) -> succeeded |
canceled``; ``failed`` when the provider refused our create request. Terminal states never
change back, so duplicated or out-of-order notifications cannot undo anything.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID, uuid4

from domain.errors import InvalidStatusTransition
from domain.models import Money, require_aware

PROVIDER_YOOKASSA = "yookassa"
MAX_PROVIDER_IDEMPOTENCE_KEY = 64


class PaymentKind(enum.StrEnum):
    DEPOSIT = "deposit"
    FULL = "full"


class PaymentStatus(enum.StrEnum):
    CREATING = "creating"
    PENDING = "pending"
    WAITING_FOR_CAPTURE = "waiting_for_capture"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL

    @property
    def is_live(self) -> bool:
        """In progress: counts against "one live payment per appointment", of any kind."""
        return self in LIVE_STATUSES


_TERMINAL = frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.CANCELED, PaymentStatus.FAILED})
LIVE_STATUSES = frozenset(
    {PaymentStatus.CREATING, PaymentStatus.PENDING, PaymentStatus.WAITING_FOR_CAPTURE}
)
_PAYMENT_TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.CREATING: frozenset(
        {
            PaymentStatus.PENDING,
            PaymentStatus.WAITING_FOR_CAPTURE,
            PaymentStatus.SUCCEEDED,
            PaymentStatus.CANCELED,
            PaymentStatus.FAILED,
        }
    ),
    PaymentStatus.PENDING: frozenset(
        {PaymentStatus.WAITING_FOR_CAPTURE, PaymentStatus.SUCCEEDED, PaymentStatus.CANCELED}
    ),
    PaymentStatus.WAITING_FOR_CAPTURE: frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.CANCELED}),
    PaymentStatus.SUCCEEDED: frozenset(),
    PaymentStatus.CANCELED: frozenset(),
    PaymentStatus.FAILED: frozenset(),
}


class ConfirmationType(enum.StrEnum):
    REDIRECT = "redirect"
    EMBEDDED = "embedded"


@dataclass(frozen=True, slots=True)
class Confirmation:
    """What the front end needs to let the client pay: a URL or a widget token."""

    type: ConfirmationType
    confirmation_url: str | None = None
    confirmation_token: str | None = None


@dataclass(slots=True)
class Payment:
    id: UUID
    appointment_id: UUID
    kind: PaymentKind
    amount: Money
    status: PaymentStatus
    idempotence_key: str
    request_fingerprint: str
    created_at: datetime
    updated_at: datetime
    provider: str = PROVIDER_YOOKASSA
    provider_payment_id: str | None = None
    confirmation: Confirmation | None = None
    cancellation_reason: str | None = None

    @classmethod
    def start(
        cls,
        *,
        appointment_id: UUID,
        kind: PaymentKind,
        amount: Money,
        request_fingerprint: str,
        now: datetime,
    ) -> Payment:
        """A new payment in ``creating``, with the key we will always send to the provider."""
        require_aware(now)
        payment_id = uuid4()
        return cls(
            id=payment_id,
            appointment_id=appointment_id,
            kind=kind,
            amount=amount,
            status=PaymentStatus.CREATING,
            # Ours, stable across every retry of this payment, well under the provider's 64.
            idempotence_key=f"eb-{payment_id}",
            request_fingerprint=request_fingerprint,
            created_at=now,
            updated_at=now,
        )

    def can_advance_to(self, target: PaymentStatus) -> bool:
        return target in _PAYMENT_TRANSITIONS[self.status]

    def advance_to(
        self, target: PaymentStatus, now: datetime, *, cancellation_reason: str | None = None
    ) -> None:
        if not self.can_advance_to(target):
            raise InvalidStatusTransition()
        self.status = target
        self.updated_at = now
        if target is PaymentStatus.CANCELED and cancellation_reason:
            self.cancellation_reason = cancellation_reason[:64]

    def record_created(self, created: ProviderPayment, now: datetime) -> None:
        """The provider's answer to our create request (a no-op once already recorded)."""
        if self.provider_payment_id is None:
            self.provider_payment_id = created.provider_payment_id
        if created.confirmation is not None and self.confirmation is None:
            self.confirmation = created.confirmation
        if self.status is PaymentStatus.CREATING and created.status is PaymentStatus.CREATING:
            return
        if self.can_advance_to(created.status):
            self.advance_to(created.status, now, cancellation_reason=created.cancellation_reason)
        self.updated_at = now


def request_fingerprint(appointment_id: UUID, kind: PaymentKind) -> str:
    """A digest of what a create request means (not how it was spelled)."""
    return hashlib.sha256(f"payments:{appointment_id}:{kind.value}".encode()).hexdigest()


class ReceiptPaymentMode(enum.StrEnum):
    PARTIAL_PREPAYMENT = "partial_prepayment"
    FULL_PREPAYMENT = "full_prepayment"


@dataclass(frozen=True, slots=True)
class ReceiptRequest:
    """A 54-FZ receipt with one item. Holds a plaintext contact: in memory only, masked."""

    customer_email: str | None
    customer_phone: str | None
    item_description: str
    amount: Money
    vat_code: int
    payment_mode: ReceiptPaymentMode
    payment_subject: str = "service"

    def __repr__(self) -> str:
        return (
            f"ReceiptRequest(customer=***, amount={self.amount.value}, "
            f"payment_mode={self.payment_mode.value!r})"
        )

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class CreateProviderPayment:
    """Our create request, rebuilt identically for every retry of one payment."""

    idempotence_key: str
    amount: Money
    description: str
    return_url: str
    confirmation_type: ConfirmationType
    payment_id: UUID
    appointment_id: UUID
    receipt: ReceiptRequest | None = None

    def __post_init__(self) -> None:
        if not 1 <= len(self.idempotence_key) <= MAX_PROVIDER_IDEMPOTENCE_KEY:
            raise ValueError("the provider idempotence key is 1 to 64 characters")

    @property
    def metadata(self) -> dict[str, str]:
        """Only our ids ever travel to the provider."""
        return {"appointment_id": str(self.appointment_id), "payment_id": str(self.payment_id)}


@dataclass(frozen=True, slots=True)
class ProviderPayment:
    """The provider's view of a payment, reduced to what we keep (never card details)."""

    provider_payment_id: str
    status: PaymentStatus
    amount: Money
    confirmation: Confirmation | None = None
    cancellation_reason: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    test: bool = False  # made in a test shop: no money moved


class PaymentEventType(enum.StrEnum):
    """What happened to a payment, for hooks such as a lead timeline."""

    WAITING_FOR_CAPTURE = "payment_waiting_for_capture"
    SUCCEEDED = "payment_succeeded"
    CANCELED = "payment_canceled"
    REFUNDED = "payment_refunded"


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """A stored Idempotency-Key: who holds it, for which request, and its first result."""

    key: str
    request_hash: str
    in_flight: bool
    response_body: str | None  # the first successful result, as ``to_json`` wrote it
    locked_until: datetime | None
    expires_at: datetime
