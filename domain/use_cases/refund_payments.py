"""Give back the money of payments we could not honour: exactly one refund per payment."""

from __future__ import annotations

import logging
from datetime import timedelta

from domain.errors import ProviderRejected, ProviderUnavailable
from domain.payment_ports import NoPaymentEventHook, PaymentEventHook, PaymentGateway
from domain.payments import (
    CreateProviderRefund,
    Payment,
    PaymentStatus,
    ProviderRefund,
    ProviderRefundStatus,
)
from domain.ports import Clock, UnitOfWorkFactory
from domain.use_cases.payment_status import apply_refund_state, record_refunded_elsewhere

logger = logging.getLogger("domain.payments")

REFUND_DESCRIPTION = "Возврат оплаты: запись не может состояться"


class RefundPaymentsUseCase:
    """Refunds ``refund_pending`` payments in full through the provider.

    - One refund per payment, whatever the retries, workers, redeliveries or crashes: the
      request carries the Idempotence-Key derived from our payment id and the same body every
      time, so the provider answers a repeat with the refund it already made. A process that
      died between the provider's answer and our write simply asks again.
    - Once the provider's refund id is recorded, we only ask about that refund.
    - A refund the provider refuses is checked against the payment: if its whole amount is
      already refunded (a refund made outside us, or one whose key the provider forgot after
      24 hours), that is recorded; otherwise the payment goes to ``refund_failed`` and staff
      are told through the log (ids only).
    - The provider being unavailable leaves the payment for the next pass.
    - The worker's pass (``execute``) claims payments with a lease, so several workers may
      run; ``refund`` is also called right after a webhook found a payment to refund.
    """

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        gateway: PaymentGateway,
        hook: PaymentEventHook | None = None,
        retry_after: timedelta = timedelta(seconds=30),
        lease: timedelta = timedelta(minutes=2),
        batch_size: int = 50,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._gateway = gateway
        self._hook = hook or NoPaymentEventHook()
        self._retry_after = retry_after
        self._lease = lease
        self._batch_size = batch_size

    async def execute(self) -> int:
        """One worker pass: returns how many payments changed."""
        now = self._clock.now()
        async with self._uow() as uow:
            claimed = await uow.payments.claim_stale(
                PaymentStatus.REFUND_PENDING,
                now - self._retry_after,
                now,
                now + self._lease,
                self._batch_size,
            )
            await uow.commit()
        changed = 0
        for payment in claimed:
            changed += await self.refund(payment)
        return changed

    async def refund(self, payment: Payment) -> bool:
        """Ask the provider for this payment's one refund and record what it says."""
        if payment.status is not PaymentStatus.REFUND_PENDING or not payment.provider_payment_id:
            return False
        try:
            remote = await self._ask(payment, payment.provider_payment_id)
        except ProviderUnavailable:
            logger.info("payment %s: refund not confirmed by the provider yet", payment.id)
            return False
        except ProviderRejected:
            return await self._rejected(payment, payment.provider_payment_id)
        if remote is None:
            logger.error(
                "payment %s: the provider does not know its refund %s",
                payment.id,
                payment.provider_refund_id,
            )
            return False
        if remote.status is ProviderRefundStatus.PENDING:
            logger.info("payment %s: refund %s pending", payment.id, remote.provider_refund_id)
        return await self._record(payment, remote)

    async def _ask(self, payment: Payment, provider_payment_id: str) -> ProviderRefund | None:
        if payment.provider_refund_id is not None:
            return await self._gateway.get_refund(payment.provider_refund_id)
        return await self._gateway.create_refund(
            CreateProviderRefund(
                idempotence_key=payment.refund_idempotence_key,
                provider_payment_id=provider_payment_id,
                amount=payment.amount,
                description=REFUND_DESCRIPTION,
            )
        )

    async def _record(self, payment: Payment, remote: ProviderRefund) -> bool:
        now = self._clock.now()
        async with self._uow() as uow:
            current = await uow.payments.get(payment.id)
            if current is None:  # pragma: no cover - payments are never deleted
                return False
            if await apply_refund_state(uow, current, remote, now, self._hook):
                await uow.commit()
                if current.status is PaymentStatus.REFUNDED:
                    logger.info("payment %s refunded (%s)", current.id, current.refund_reason)
                return True
        return False

    async def _rejected(self, payment: Payment, provider_payment_id: str) -> bool:
        try:
            remote = await self._gateway.get_payment(provider_payment_id)
        except (ProviderUnavailable, ProviderRejected):
            return False
        now = self._clock.now()
        async with self._uow() as uow:
            current = await uow.payments.get(payment.id)
            if current is None or current.status is not PaymentStatus.REFUND_PENDING:
                return False
            if remote is not None and remote.refunded_amount == current.amount:
                written = await record_refunded_elsewhere(uow, current, now, self._hook)
            else:
                current.advance_to(PaymentStatus.REFUND_FAILED, now)
                written = await uow.payments.save(current, PaymentStatus.REFUND_PENDING)
                if written:
                    logger.error(
                        "payment %s: the provider refused its refund; staff must return the money",
                        current.id,
                    )
            if written:
                await uow.commit()
            return written
