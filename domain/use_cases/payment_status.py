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
    ReceiptPaymentMode,
    ReceiptRequest,
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
    - ``succeeded`` confirms a ``pending_payment`` appointment and books its slot;
      ``canceled`` cancels it and frees the slot; the hook hears about every event.
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
        await _confirm(uow, payment, appointment, now)
    elif target is PaymentStatus.CANCELED:
        await _release(uow, appointment, now)
    event = _EVENT_FOR.get(target)
    if event is not None:
        await hook.on_payment_event(uow, event, payment, appointment, now)
    return True


async def _confirm(
    uow: UnitOfWork, payment: Payment, appointment: Appointment | None, now: datetime
) -> None:
    if appointment is None:
        return
    if await uow.appointments.transition(
        appointment.id, AppointmentStatus.PENDING_PAYMENT, AppointmentStatus.CONFIRMED, now
    ):
        await uow.slots.book(appointment.slot_id)
        appointment.status = AppointmentStatus.CONFIRMED
        return
    if appointment.status is not AppointmentStatus.CONFIRMED:
        # Paid after the hold expired or was cancelled: staff must sort it out (refund).
        logger.warning(
            "payment %s succeeded for appointment %s in status %s",
            payment.id,
            appointment.id,
            appointment.status.value,
        )


async def _release(uow: UnitOfWork, appointment: Appointment | None, now: datetime) -> None:
    if appointment is None:
        return
    if await uow.appointments.transition(
        appointment.id, AppointmentStatus.PENDING_PAYMENT, AppointmentStatus.CANCELLED, now
    ):
        await uow.slots.release(appointment.slot_id)
        appointment.status = AppointmentStatus.CANCELLED
