"""A process that dies right after YooKassa made something, before we record it.

Run: ``python -m tests.support.crash_between_call_and_write payment API_URL APPOINTMENT_ID KEY``
(dies once YooKassa created the payment) or ``... refund API_URL PROVIDER_PAYMENT_ID`` (applies
the ``payment.succeeded`` notification, and dies once YooKassa made the refund).
It uses the database of ``DATABASE_URL`` (the test's), calls the real use case with the real
SDK gateway, and ``os._exit``s the moment the provider's answer arrives: no ``finally``, no
rollback handler, no cleanup runs, exactly as if the server had been killed.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any
from uuid import UUID

from domain.use_cases.create_payment_intent import CreatePaymentIntentCommand
from domain.use_cases.handle_payment_notification import PaymentNotification
from tests.support.payment_world import payments_world

KILLED = 137


class DieAfter:
    """The gateway, except that the process dies as soon as ``fatal`` has answered."""

    def __init__(self, inner: Any, fatal: str) -> None:
        self._inner = inner
        self._fatal = fatal

    def __getattr__(self, name: str) -> Any:
        call = getattr(self._inner, name)
        if name != self._fatal:
            return call

        async def then_die(*args: Any, **kwargs: Any) -> Any:
            await call(*args, **kwargs)
            sys.stdout.flush()
            os._exit(KILLED)

        return then_die


async def create_payment(api_url: str, appointment_id: UUID, key: str) -> None:
    world = payments_world(api_url)
    world.create._gateway = DieAfter(world.gateway, "create_payment")  # type: ignore[assignment]
    await world.create.execute(
        CreatePaymentIntentCommand(appointment_id=appointment_id, idempotency_key=key)
    )


async def refund_payment(api_url: str, provider_payment_id: str) -> None:
    world = payments_world(api_url)
    refunds = world.notify._refunds
    refunds._gateway = DieAfter(refunds._gateway, "create_refund")  # type: ignore[assignment]
    await world.notify.execute(PaymentNotification("payment.succeeded", provider_payment_id))


if __name__ == "__main__":
    if sys.argv[1] == "payment":
        asyncio.run(create_payment(sys.argv[2], UUID(sys.argv[3]), sys.argv[4]))
    else:
        asyncio.run(refund_payment(sys.argv[2], sys.argv[3]))
    sys.exit(0)  # not reached when the crash happens
