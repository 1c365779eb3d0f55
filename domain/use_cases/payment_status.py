"""Applying the provider's view of a payment: shared by the API, the webhook and the worker."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import uuid4

from domain.models import Appointment, AppointmentStatus, Money, Service, TrackingEvent
from domain.payment_ports import PaymentEventHook
from domain.payments import (
    PROVIDER_YOOKASSA,
    ConfirmationType,
    CreateProviderPayment,
    Payment,
    PaymentEventType,
    PaymentKind,
    PaymentStatus,
    ProviderPayment,
    ProviderRefund,
    ReceiptPaymentMode,
    ReceiptRequest,
    RefundReason,
)
from domain.ports import Encryptor, UnitOfWork

logger = logging.getLogger("domain.payments")

RETURN_PATH = "/booking/payment-return/"
DESCRIPTION_LIMIT = 128


@dataclass(frozen=True, slots=True)
class PaymentSettings:
    """What the payment use cases need from the configuration."""

    public_site_url: str
    confirmation_type: ConfirmationType = ConfirmationType.REDIRECT
    receipts_enabled: bool = False
    vat_code: int = 1
    idempotency_ttl: timedelta = timedelta(hours=24)
    in_flight_lease: timedelta = timedelta(minutes=2)
    # YooKassa honours an Idempotence-Key for 24 hours: a create may be re-sent until then.
    provider_key_ttl: timedelta = timedelta(hours=24)

    def return_url(self, payment: Payment) -> str:
        return f"{self.public_site_url.rstrip('/')}{RETURN_PATH}?payment_id={payment.id}"


def payment_started_event(payment: Payment, service: Service, now: datetime) -> TrackingEvent:
    return TrackingEvent(
        id=uuid4(),
        name="payment_started",
        properties={
            "provider": PROVIDER_YOOKASSA,
            "amount": payment.amount.value,
            "currency": payment.amount.currency,
            "service_slug": service.slug,
        },
        occurred_at=now,
    )


def amount_for(service: Service, kind: PaymentKind) -> Money:
    if kind is PaymentKind.DEPOSIT:
        if service.deposit is None:  # callers resolve the kind first
            raise ValueError("the service takes no deposit")
        return service.deposit
    return service.price


class ProviderRequestBuilder:
    """Builds the provider's create request from stored data only, so every retry of one
    payment sends the same body with the same key."""

    def __init__(self, *, settings: PaymentSettings, encryptor: Encryptor) -> None:
        self._settings = settings
        self._encryptor = encryptor

    def build(
        self, payment: Payment, appointment: Appointment, service: Service
    ) -> CreateProviderPayment:
        kind_text = "предоплата" if payment.kind is PaymentKind.DEPOSIT else "оплата"
        description = f"{service.title}: {kind_text} записи"[:DESCRIPTION_LIMIT]
        return CreateProviderPayment(
            idempotence_key=payment.idempotence_key,
            amount=payment.amount,
            description=description,
            return_url=self._settings.return_url(payment),
            confirmation_type=self._settings.confirmation_type,
            payment_id=payment.id,
            appointment_id=payment.appointment_id,
            receipt=self._receipt(payment, appointment, description),
        )

    def _receipt(
        self, payment: Payment, appointment: Appointment, description: str
    ) -> ReceiptRequest | None:
        if not self._settings.receipts_enabled:
            return None
        client = appointment.client
        # Decrypted here, in memory, only to hand to the provider; email is preferred.
        email = self._encryptor.decrypt(client.email) if client.email else None
        phone = None
        if email is None and client.phone:
            phone = self._encryptor.decrypt(client.phone).lstrip("+")
        return ReceiptRequest(
            customer_email=email,
            customer_phone=phone,
            item_description=description,
            amount=payment.amount,
            vat_code=self._settings.vat_code,
            payment_mode=(
                ReceiptPaymentMode.PARTIAL_PREPAYMENT
                if payment.kind is PaymentKind.DEPOSIT
                else ReceiptPaymentMode.FULL_PREPAYMENT
            ),
        )


_EVENT_FOR = {
    PaymentStatus.WAITING_FOR_CAPTURE: PaymentEventType.WAITING_FOR_CAPTURE,
    PaymentStatus.SUCCEEDED: PaymentEventType.SUCCEEDED,
    PaymentStatus.CANCELED: PaymentEventType.CANCELED,
}


async def apply_provider_state(
    uow: UnitOfWork,
    payment: Payment,
    remote: ProviderPayment,
    now: datetime,
    hook: PaymentEventHook,
) -> bool:
    """Move ``payment`` forward to what the provider says, inside ``uow``.

    - Only forward moves happen; a stale or repeated view changes nothing.
    - A view whose amount differs from ours is refused (logged by id), never applied.
    - ``succeeded`` confirms a ``pending_payment`` appointment and books its slot. When the
      appointment cannot be honoured (its hold expired, it was cancelled, or another payment
      already paid it) the payment moves on to ``refund_pending`` in the same transaction
      and the appointment stays as it is; ``RefundPaymentsUseCase`` gives the money back.
    - ``canceled`` cancels a ``pending_payment`` appointment and frees the slot.
    - The hook hears about every event.
    - Returns whether anything was written; ``False`` also when a concurrent writer won.
    """
    if remote.amount != payment.amount:
        logger.error("provider amount differs from ours for payment %s; not applied", payment.id)
        return False
    expected = payment.status
    learned_ids = False
    if payment.provider_payment_id is None:
        payment.provider_payment_id = remote.provider_payment_id
        learned_ids = True
    if payment.confirmation is None and remote.confirmation is not None:
        payment.confirmation = remote.confirmation
        learned_ids = True
    target = remote.status
    moves = target is not payment.status and payment.can_advance_to(target)
    if target is PaymentStatus.CREATING and payment.status is PaymentStatus.CREATING:
        moves = False
    if moves:
        payment.advance_to(target, now, cancellation_reason=remote.cancellation_reason)
    elif not learned_ids:
        return False
    else:
        payment.updated_at = now
    if not await uow.payments.save(payment, expected):
        return False
    if not moves:
        return True
    appointment = await uow.appointments.get(payment.appointment_id)
    if target is PaymentStatus.SUCCEEDED:
        reason = await _confirm(uow, payment, appointment, now)
        if reason is not None:
            # Paid for an appointment we cannot honour: the whole amount goes back. The
            # refund itself is a provider call, made after this transaction commits.
            payment.start_refund(reason, now)
            if not await uow.payments.save(payment, PaymentStatus.SUCCEEDED):
                return False  # pragma: no cover - we wrote the row in this transaction
            logger.warning(
                "payment %s succeeded for appointment %s that cannot be honoured (%s): "
                "refund pending",
                payment.id,
                payment.appointment_id,
                reason.value,
            )
    elif target is PaymentStatus.CANCELED:
        await _release(uow, appointment, now)
    event = _EVENT_FOR.get(target)
    if event is not None:
        await hook.on_payment_event(uow, event, payment, appointment, now)
    return True


async def _confirm(
    uow: UnitOfWork, payment: Payment, appointment: Appointment | None, now: datetime
) -> RefundReason | None:
    """Confirm the appointment; or say why it cannot be honoured, so the money goes back."""
    if appointment is None:  # pragma: no cover - appointments are never deleted
        return None
    if await uow.appointments.transition(
        appointment.id, AppointmentStatus.PENDING_PAYMENT, AppointmentStatus.CONFIRMED, now
    ):
        await uow.slots.book(appointment.slot_id)
        appointment.status = AppointmentStatus.CONFIRMED
        return None
    current = await uow.appointments.get(appointment.id)
    status = appointment.status if current is None else current.status
    appointment.status = status
    if status is AppointmentStatus.EXPIRED:
        return RefundReason.HOLD_EXPIRED
    if status is AppointmentStatus.CANCELLED:
        return RefundReason.APPOINTMENT_CANCELLED
    if status is AppointmentStatus.CONFIRMED and await uow.payments.has_paid_other(
        appointment.id, payment.id
    ):
        return RefundReason.ALREADY_PAID
    return None


async def _release(uow: UnitOfWork, appointment: Appointment | None, now: datetime) -> None:
    if appointment is None:
        return
    if await uow.appointments.transition(
        appointment.id, AppointmentStatus.PENDING_PAYMENT, AppointmentStatus.CANCELLED, now
    ):
        await uow.slots.release(appointment.slot_id)
        appointment.status = AppointmentStatus.CANCELLED


async def apply_refund_state(
    uow: UnitOfWork,
    payment: Payment,
    refund: ProviderRefund,
    now: datetime,
    hook: PaymentEventHook,
) -> bool:
    """Record the provider's view of a refund of ``payment`` inside ``uow``.

    Only a full refund of this payment counts; ``refunded`` is told to the hook (the lead
    timeline's ``payment_refunded``, the client's email). Returns whether anything was
    written; ``False`` also when a concurrent writer won.
    """
    expected = payment.status
    if not payment.record_refund(refund, now):
        return False
    return await _save_refund(uow, payment, expected, now, hook)


async def record_refunded_elsewhere(
    uow: UnitOfWork, payment: Payment, now: datetime, hook: PaymentEventHook
) -> bool:
    """The provider says the whole amount was refunded, by a refund we hold no id of."""
    expected = payment.status
    if not payment.mark_refunded(now):
        return False
    return await _save_refund(uow, payment, expected, now, hook)


async def _save_refund(
    uow: UnitOfWork,
    payment: Payment,
    expected: PaymentStatus,
    now: datetime,
    hook: PaymentEventHook,
) -> bool:
    if not await uow.payments.save(payment, expected):
        return False
    if payment.status is PaymentStatus.REFUNDED and expected is not PaymentStatus.REFUNDED:
        appointment = await uow.appointments.get(payment.appointment_id)
        await hook.on_payment_event(uow, PaymentEventType.REFUNDED, payment, appointment, now)
    elif payment.status is PaymentStatus.REFUND_FAILED:
        logger.error(
            "payment %s: the provider cancelled its refund %s; staff must return the money",
            payment.id,
            payment.provider_refund_id,
        )
    return True
