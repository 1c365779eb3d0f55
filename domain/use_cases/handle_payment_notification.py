"""Process a YooKassa HTTP notification: trust nothing in it but the payment id."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from domain.payment_ports import NoPaymentEventHook, PaymentEventHook, PaymentGateway
from domain.payments import PaymentStatus
from domain.ports import Clock, UnitOfWorkFactory
from domain.use_cases.payment_status import apply_provider_state, apply_refund_state
from domain.use_cases.refund_payments import RefundPaymentsUseCase

logger = logging.getLogger("domain.payments")

PAYMENT_EVENTS = frozenset({"payment.succeeded", "payment.waiting_for_capture", "payment.canceled"})
REFUND_SUCCEEDED = "refund.succeeded"


@dataclass(frozen=True, slots=True)
class PaymentNotification:
    """The only parts of a notification we use: the event name and the provider ids."""

    event: str
    object_id: str
    payment_id: str | None = None  # a refund's payment


class NotificationOutcome(enum.StrEnum):
    APPLIED = "applied"
    UNCHANGED = "unchanged"
    UNKNOWN_PAYMENT = "unknown_payment"
    IGNORED_EVENT = "ignored_event"
    WRONG_MODE = "wrong_mode"


class HandlePaymentNotificationUseCase:
    """Applies a payment notification, idempotently and monotonically.

    - The notification is only a hint: the payment is re-fetched from the provider and only
      that answer is trusted (the body's status, amount and metadata are ignored).
    - Unknown events, unknown payments and payments the provider does not know are safely
      ignored (the caller answers 200, so the provider stops redelivering).
    - Duplicates and out-of-order events change nothing: states only move forward.
    - A payment whose re-fetched ``test`` flag differs from the shop's mode (a test payment
      reaching a live shop, or the reverse) is ignored and logged with ids only: no money
      moved, or not the way this shop believes.
    - A payment that succeeded for an appointment we cannot honour is refunded right away
      (``refund_pending``); if the provider does not answer in time the worker finishes it.
    - ``refund.succeeded`` is also only a hint: the refund is re-fetched, and only a full
      refund of one of our payments, as the provider reports it, marks it ``refunded``.
    - The provider being unreachable raises ``provider_unavailable`` (delivery is retried).
    """

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        gateway: PaymentGateway,
        test_shop: bool,
        refunds: RefundPaymentsUseCase,
        hook: PaymentEventHook | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._gateway = gateway
        self._test_shop = test_shop
        self._hook = hook or NoPaymentEventHook()
        self._refunds = refunds

    async def execute(self, notification: PaymentNotification) -> NotificationOutcome:
        if notification.event == REFUND_SUCCEEDED:
            return await self._refund(notification)
        if notification.event not in PAYMENT_EVENTS:
            return NotificationOutcome.IGNORED_EVENT
        async with self._uow() as uow:
            known = await uow.payments.get_by_provider_id(notification.object_id)
        if known is None:
            logger.info("notification for an unknown payment ignored")
            return NotificationOutcome.UNKNOWN_PAYMENT
        remote = await self._gateway.get_payment(notification.object_id)
        if remote is None:
            logger.warning("payment %s is unknown to the provider; ignored", known.id)
            return NotificationOutcome.UNKNOWN_PAYMENT
        if remote.test is not self._test_shop:
            logger.warning(
                "payment %s (provider id %s): test=%s in a %s shop; ignored",
                known.id,
                remote.provider_payment_id,
                remote.test,
                "test" if self._test_shop else "live",
            )
            return NotificationOutcome.WRONG_MODE
        for _ in range(3):
            now = self._clock.now()
            async with self._uow() as uow:
                payment = await uow.payments.get(known.id)
                if payment is None:  # pragma: no cover - payments are never deleted
                    return NotificationOutcome.UNKNOWN_PAYMENT
                before = payment.status
                if not await apply_provider_state(uow, payment, remote, now, self._hook):
                    reread = await uow.payments.get(known.id)
                    if reread is not None and reread.status is before:
                        return NotificationOutcome.UNCHANGED  # nothing to move
                    continue  # a concurrent writer won: look again
                await uow.commit()
            if payment.status is before:
                return NotificationOutcome.UNCHANGED
            logger.info("payment %s: %s -> %s", payment.id, before.value, payment.status.value)
            if payment.status is PaymentStatus.REFUND_PENDING:
                # After the commit, outside any transaction: the provider call.
                await self._refunds.refund(payment)
            return NotificationOutcome.APPLIED
        return NotificationOutcome.UNCHANGED

    async def _refund(self, notification: PaymentNotification) -> NotificationOutcome:
        if not notification.payment_id:
            return NotificationOutcome.IGNORED_EVENT
        async with self._uow() as uow:
            known = await uow.payments.get_by_provider_id(notification.payment_id)
        if known is None:
            logger.info("refund notification for an unknown payment ignored")
            return NotificationOutcome.UNKNOWN_PAYMENT
        remote = await self._gateway.get_refund(notification.object_id)
        if remote is None or remote.provider_payment_id != known.provider_payment_id:
            logger.warning("payment %s: a refund the provider does not confirm; ignored", known.id)
            return NotificationOutcome.UNKNOWN_PAYMENT
        for _ in range(3):
            now = self._clock.now()
            async with self._uow() as uow:
                payment = await uow.payments.get(known.id)
                if payment is None:  # pragma: no cover - payments are never deleted
                    return NotificationOutcome.UNKNOWN_PAYMENT
                before = payment.status
                if await apply_refund_state(uow, payment, remote, now, self._hook):
                    await uow.commit()
                    logger.info(
                        "payment %s: %s -> %s (refund %s)",
                        payment.id,
                        before.value,
                        payment.status.value,
                        remote.provider_refund_id,
                    )
                    return NotificationOutcome.APPLIED
                reread = await uow.payments.get(known.id)
                if reread is not None and reread.status is before:
                    return NotificationOutcome.UNCHANGED
        return NotificationOutcome.UNCHANGED
