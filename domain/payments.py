"""Payments: the entity, its monotonic status machine and the provider-facing value objects.

A payment moves only forward: ``creating -> pending -> (waiting_for_capture) -> succeeded |
canceled``; ``failed`` when the provider refused our create request. A succeeded payment for
an appointment we cannot honour goes on to ``refund_pending -> refunded`` (``refund_failed``
when the provider cancelled our refund: staff take over). Nothing moves back, so duplicated or
out-of-order notifications cannot undo anything.
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
    REFUND_PENDING = "refund_pending"
    REFUNDED = "refunded"
    REFUND_FAILED = "refund_failed"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL

    @property
    def is_live(self) -> bool:
        """In progress: counts against "one live payment per appointment", of any kind."""
        return self in LIVE_STATUSES


# Terminal for the provider's payment object: YooKassa never moves these again.
_TERMINAL = frozenset(
    {
        PaymentStatus.SUCCEEDED,
        PaymentStatus.CANCELED,
        PaymentStatus.FAILED,
        PaymentStatus.REFUND_PENDING,
        PaymentStatus.REFUNDED,
        PaymentStatus.REFUND_FAILED,
    }
)
# Money the client has paid that has not gone back (yet).
MONEY_TAKEN_STATUSES = frozenset(
    {PaymentStatus.SUCCEEDED, PaymentStatus.REFUND_PENDING, PaymentStatus.REFUND_FAILED}
)
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
    # A refund we start, or a full refund staff made in YooKassa's dashboard.
    PaymentStatus.SUCCEEDED: frozenset({PaymentStatus.REFUND_PENDING, PaymentStatus.REFUNDED}),
    PaymentStatus.CANCELED: frozenset(),
    PaymentStatus.FAILED: frozenset(),
    PaymentStatus.REFUND_PENDING: frozenset({PaymentStatus.REFUNDED, PaymentStatus.REFUND_FAILED}),
    PaymentStatus.REFUNDED: frozenset(),
    # Staff finish it by hand in YooKassa; its refund.succeeded notification closes it here.
    PaymentStatus.REFUND_FAILED: frozenset({PaymentStatus.REFUNDED}),
}


class RefundReason(enum.StrEnum):
    """Why we gave a client's money back: the appointment could not be honoured."""

    HOLD_EXPIRED = "hold_expired"
    APPOINTMENT_CANCELLED = "appointment_cancelled"
    ALREADY_PAID = "already_paid"
    # A full refund made outside this service (staff in YooKassa's dashboard).
    BY_STAFF = "by_staff"


class ProviderRefundStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"


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
    refund_reason: RefundReason | None = None
    provider_refund_id: str | None = None
    refunded_at: datetime | None = None

    @property
    def refund_idempotence_key(self) -> str:
        """The Idempotence-Key of this payment's one refund: derived, never random, so every
        retry, worker and redelivery asks the provider for the same refund."""
        return f"eb-refund-{self.id}"

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

    def start_refund(self, reason: RefundReason, now: datetime) -> None:
        """A succeeded payment we cannot honour: the money goes back in full."""
        self.advance_to(PaymentStatus.REFUND_PENDING, now)
        self.refund_reason = reason

    def record_refund(self, refund: ProviderRefund, now: datetime) -> bool:
        """The provider's view of a refund of this payment; returns whether anything changed.

        - Only a refund of this payment for its whole amount counts: a partial refund made
          by hand in YooKassa changes nothing here.
        - ``succeeded`` ends in ``refunded`` (also for a full refund staff made in YooKassa).
        - Our own refund's ``pending`` remembers its id; its ``canceled`` (the provider
          would not pay it out) ends in ``refund_failed``, for staff.
        """
        if refund.provider_payment_id != self.provider_payment_id or refund.amount != self.amount:
            return False
        if refund.status is ProviderRefundStatus.SUCCEEDED:
            return self.mark_refunded(now, refund.provider_refund_id)
        if self.status is not PaymentStatus.REFUND_PENDING:
            return False
        if self.provider_refund_id not in (None, refund.provider_refund_id):
            return False  # another refund's state says nothing about ours
        changed = self.provider_refund_id is None
        self.provider_refund_id = refund.provider_refund_id
        if refund.status is ProviderRefundStatus.CANCELED:
            self.advance_to(PaymentStatus.REFUND_FAILED, now)
            changed = True
        if changed:
            self.updated_at = now
        return changed

    def mark_refunded(self, now: datetime, provider_refund_id: str | None = None) -> bool:
        """The whole amount is back with the client; ``False`` if already recorded."""
        if not self.can_advance_to(PaymentStatus.REFUNDED):
            return False
        self.advance_to(PaymentStatus.REFUNDED, now)
        self.provider_refund_id = provider_refund_id or self.provider_refund_id
        self.refunded_at = now
        self.refund_reason = self.refund_reason or RefundReason.BY_STAFF
        return True

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
    refunded_amount: Money | None = None  # what the provider has refunded of it so far


@dataclass(frozen=True, slots=True)
class CreateProviderRefund:
    """Our refund request (``POST /v3/refunds``): the whole amount of one payment, under the
    payment's own derived key, identical on every retry."""

    idempotence_key: str
    provider_payment_id: str
    amount: Money
    description: str

    def __post_init__(self) -> None:
        if not 1 <= len(self.idempotence_key) <= MAX_PROVIDER_IDEMPOTENCE_KEY:
            raise ValueError("the provider idempotence key is 1 to 64 characters")


@dataclass(frozen=True, slots=True)
class ProviderRefund:
    """The provider's view of a refund, reduced to what we keep."""

    provider_refund_id: str
    provider_payment_id: str
    status: ProviderRefundStatus
    amount: Money


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
