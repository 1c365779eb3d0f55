"""Reconcile payments whose outcome we do not know: stuck in ``creating`` or ``pending``, or
with a refund in flight."""

from __future__ import annotations

import logging
from datetime import timedelta

from domain.errors import ProviderRejected, ProviderUnavailable
from domain.payment_ports import NoPaymentEventHook, PaymentEventHook, PaymentGateway
from domain.payments import Payment, PaymentStatus, ProviderPayment
from domain.ports import Clock, Encryptor, UnitOfWorkFactory
from domain.use_cases.payment_status import (
    PaymentSettings,
    ProviderRequestBuilder,
    apply_provider_state,
)
from domain.use_cases.refund_payments import RefundPaymentsUseCase

logger = logging.getLogger("domain.payments")


class ReconcilePaymentsUseCase:
    """Asks the provider about payments we lost track of.

    - ``creating`` for longer than ``creating_grace``: the create is re-sent with the same
      key and the same body (the provider answers with the payment it may already have
      made), while the provider still honours the key (24 hours); after that the payment
      fails.
    - ``pending`` / ``waiting_for_capture`` untouched for ``pending_grace``: the provider's
      current state is applied (a notification may have been lost).
    - Each payment is claimed by one worker at a time (a lease), so several workers may run.
    - ``refund_pending``: the refund is asked for again, or its state fetched
      (``RefundPaymentsUseCase``): a refund whose process died, or that the provider had not
      finished, completes here.
    - A provider's view whose ``test`` flag differs from the shop's mode is not applied, as
      for notifications (logged with ids only).
    - A provider that is unavailable leaves the payment for the next pass. Returns how many
      payments changed.
    """

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        gateway: PaymentGateway,
        encryptor: Encryptor,
        settings: PaymentSettings,
        test_shop: bool,
        refunds: RefundPaymentsUseCase,
        hook: PaymentEventHook | None = None,
        creating_grace: timedelta = timedelta(minutes=1),
        pending_grace: timedelta = timedelta(minutes=10),
        lease: timedelta = timedelta(minutes=2),
        batch_size: int = 50,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._gateway = gateway
        self._settings = settings
        self._requests = ProviderRequestBuilder(settings=settings, encryptor=encryptor)
        self._hook = hook or NoPaymentEventHook()
        self._refunds = refunds
        self._test_shop = test_shop
        self._creating_grace = creating_grace
        self._pending_grace = pending_grace
        self._lease = lease
        self._batch_size = batch_size

    async def execute(self) -> int:
        changed = 0
        for payment in await self._claim(PaymentStatus.CREATING, self._creating_grace):
            changed += await self._reconcile_creating(payment)
        for status in (PaymentStatus.PENDING, PaymentStatus.WAITING_FOR_CAPTURE):
            for payment in await self._claim(status, self._pending_grace):
                changed += await self._reconcile_pending(payment)
        return changed + await self._refunds.execute()

    async def _claim(self, status: PaymentStatus, grace: timedelta) -> list[Payment]:
        now = self._clock.now()
        async with self._uow() as uow:
            claimed = await uow.payments.claim_stale(
                status, now - grace, now, now + self._lease, self._batch_size
            )
            await uow.commit()
        return list(claimed)

    async def _reconcile_creating(self, payment: Payment) -> int:
        now = self._clock.now()
        if now - payment.created_at >= self._settings.provider_key_ttl:
            return await self._fail(payment, "provider_unreachable")
        async with self._uow() as uow:
            appointment = await uow.appointments.get(payment.appointment_id)
            service = (
                None if appointment is None else await uow.services.get(appointment.service_id)
            )
        if appointment is None or service is None:
            return await self._fail(payment, "appointment_missing")
        request = self._requests.build(payment, appointment, service)
        try:
            remote = await self._gateway.create_payment(request)
        except ProviderUnavailable:
            logger.info("payment %s: provider unavailable, retry next pass", payment.id)
            return 0
        except ProviderRejected:
            return await self._fail(payment, "provider_rejected")
        return await self._apply(payment, remote)

    async def _reconcile_pending(self, payment: Payment) -> int:
        if payment.provider_payment_id is None:  # pragma: no cover - pending implies an id
            return 0
        try:
            remote = await self._gateway.get_payment(payment.provider_payment_id)
        except (ProviderUnavailable, ProviderRejected) as exc:
            logger.info("payment %s: provider %s, retry next pass", payment.id, type(exc).__name__)
            return 0
        if remote is None:
            logger.warning("payment %s is unknown to the provider", payment.id)
            return 0
        return await self._apply(payment, remote)

    async def _apply(self, payment: Payment, remote: ProviderPayment) -> int:
        if remote.test is not self._test_shop:
            logger.warning(
                "payment %s (provider id %s): test=%s in a %s shop; not applied",
                payment.id,
                remote.provider_payment_id,
                remote.test,
                "test" if self._test_shop else "live",
            )
            return 0
        now = self._clock.now()
        async with self._uow() as uow:
            current = await uow.payments.get(payment.id)
            if current is None:  # pragma: no cover - payments are never deleted
                return 0
            if not await apply_provider_state(uow, current, remote, now, self._hook):
                return 0
            await uow.commit()
        if current.status is PaymentStatus.REFUND_PENDING:
            await self._refunds.refund(current)
        return 1

    async def _fail(self, payment: Payment, reason: str) -> int:
        now = self._clock.now()
        async with self._uow() as uow:
            current = await uow.payments.get(payment.id)
            if current is None or current.status is not PaymentStatus.CREATING:
                return 0
            current.advance_to(PaymentStatus.FAILED, now)
            current.cancellation_reason = reason
            if not await uow.payments.save(current, PaymentStatus.CREATING):
                return 0
            await uow.commit()
        logger.warning("payment %s failed: %s", payment.id, reason)
        return 1
