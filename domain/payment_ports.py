"""Ports of the payment use cases: the provider gateway, payment and idempotency storage,
tracking delivery, and the hook other features use to react to payment events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.crm_ports import EmailOutbox, LeadRepository, LeadTimelineRepository
from domain.models import Appointment, Service, Slot, TrackingEvent
from domain.payments import (
    CreateProviderPayment,
    CreateProviderRefund,
    IdempotencyRecord,
    Payment,
    PaymentEventType,
    PaymentStatus,
    ProviderPayment,
    ProviderRefund,
)


class PaymentGateway(Protocol):
    """The payment provider, in domain types only.

    Both calls raise ``ProviderUnavailable`` when the provider did not answer usefully within
    the gateway's time budget (safe to retry with the same request) and ``ProviderRejected``
    when it refused the request.
    """

    async def create_payment(self, request: CreateProviderPayment) -> ProviderPayment: ...

    async def get_payment(self, provider_payment_id: str) -> ProviderPayment | None:
        """The provider's current view, or ``None`` when it does not know the payment."""
        ...

    async def create_refund(self, request: CreateProviderRefund) -> ProviderRefund:
        """``POST /v3/refunds`` under ``request.idempotence_key``: the same key and body give
        the same refund however often it is sent."""
        ...

    async def get_refund(self, provider_refund_id: str) -> ProviderRefund | None:
        """The provider's current view of a refund, or ``None`` when it does not know it."""
        ...


class PaymentRepository(Protocol):
    async def add(self, payment: Payment) -> None:
        """Insert; raises ``LivePaymentExists`` when the appointment already has a live
        payment (``creating``, ``pending``, ``waiting_for_capture``) of any kind: the
        database decides between concurrent inserts."""
        ...

    async def get(self, payment_id: UUID) -> Payment | None: ...

    async def get_by_provider_id(self, provider_payment_id: str) -> Payment | None: ...

    async def find_live(self, appointment_id: UUID) -> Payment | None:
        """The appointment's live payment, of whatever kind, if it has one."""
        ...

    async def has_paid_other(self, appointment_id: UUID, payment_id: UUID) -> bool:
        """Whether another payment of the appointment succeeded and is kept (not refunded)."""
        ...

    async def save(self, payment: Payment, expected: PaymentStatus) -> bool:
        """Compare-and-set: write the payment only if its stored status is still ``expected``."""
        ...

    async def claim_stale(
        self,
        status: PaymentStatus,
        updated_before: datetime,
        now: datetime,
        lease_until: datetime,
        limit: int,
    ) -> Sequence[Payment]:
        """Claim payments in ``status`` untouched since ``updated_before`` for one worker:
        a conditional UPDATE on ``claimed_until``, so concurrent workers never share one."""
        ...


class IdempotencyKeyRepository(Protocol):
    async def claim(
        self,
        key: str,
        request_hash: str,
        now: datetime,
        locked_until: datetime,
        expires_at: datetime,
    ) -> IdempotencyRecord | None:
        """Take the key for this request: ``None`` when we now hold it (new, expired, or a
        stale in-flight claim of the same request); otherwise the record that holds it."""
        ...

    async def complete(self, key: str, response_body: str) -> None:
        """Keep the first successful result under the key, for repeats to get back."""
        ...

    async def release(self, key: str) -> None:
        """Forget an in-flight key whose request produced no answer worth replaying."""
        ...

    async def purge_expired(self, now: datetime, limit: int) -> int: ...


@dataclass(frozen=True, slots=True)
class ClaimedTrackingEvent:
    event: TrackingEvent
    attempts: int


class TrackingDeliveryQueue(Protocol):
    """The tracking outbox seen from the delivering worker (each call is its own statement)."""

    async def claim(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> Sequence[ClaimedTrackingEvent]: ...

    async def mark_delivered(
        self, event_ids: Sequence[UUID], lease_until: datetime, now: datetime
    ) -> int:
        """Mark claimed events delivered; only rows still held under ``lease_until``."""
        ...

    async def retry_later(
        self, event_id: UUID, lease_until: datetime, next_attempt_at: datetime
    ) -> None: ...


class TrackingSink(Protocol):
    async def deliver(self, events: Sequence[TrackingEvent]) -> None:
        """Deliver a batch or raise; events carry stable ids so receivers can deduplicate."""
        ...


class ServiceLookup(Protocol):
    async def get(self, service_id: UUID) -> Service | None:
        """A service, active or not."""
        ...


class SlotLookup(Protocol):
    async def get(self, slot_id: UUID) -> Slot | None: ...


class PaymentEventUnitOfWork(Protocol):
    """What a payment event hook may read and write: the transaction recording the payment."""

    @property
    def leads(self) -> LeadRepository: ...

    @property
    def lead_timeline(self) -> LeadTimelineRepository: ...

    @property
    def email_outbox(self) -> EmailOutbox: ...

    @property
    def services(self) -> ServiceLookup: ...

    @property
    def slots(self) -> SlotLookup: ...


class PaymentEventHook(Protocol):
    """Extension point: called inside the transaction that records a payment event.

    The lead timeline (CRM) plugs in here: whatever it writes through ``uow`` commits or rolls
    back together with the payment change.
    """

    async def on_payment_event(
        self,
        uow: PaymentEventUnitOfWork,
        event: PaymentEventType,
        payment: Payment,
        appointment: Appointment | None,
        now: datetime,
    ) -> None: ...


class PaymentEventHooks:
    """Several hooks as one: each hears every event, in the order given, in the same
    transaction (a hook that raises rolls back what the others wrote)."""

    def __init__(self, *hooks: PaymentEventHook) -> None:
        self._hooks = hooks

    async def on_payment_event(
        self,
        uow: PaymentEventUnitOfWork,
        event: PaymentEventType,
        payment: Payment,
        appointment: Appointment | None,
        now: datetime,
    ) -> None:
        for hook in self._hooks:
            await hook.on_payment_event(uow, event, payment, appointment, now)


class NoPaymentEventHook:
    """The default hook: nothing else reacts to payment events yet."""

    async def on_payment_event(
        self,
        uow: PaymentEventUnitOfWork,
        event: PaymentEventType,
        payment: Payment,
        appointment: Appointment | None,
        now: datetime,
    ) -> None:
        return None
