"""A process that dies right after YooKassa created the payment, before we record it.

Run: ``python -m tests.support.crash_between_call_and_write API_URL APPOINTMENT_ID KEY``.
It uses the database of ``DATABASE_URL`` (the test's), calls the real use case with the real
SDK gateway, and ``os._exit``s the moment the provider's answer arrives: no ``finally``, no
rollback handler, no cleanup runs, exactly as if the server had been killed.
"""

from __future__ import annotations

import asyncio
import os
import sys
from uuid import UUID

from domain.payments import CreateProviderPayment, ProviderPayment
from domain.use_cases.create_payment_intent import CreatePaymentIntentCommand
from tests.support.payment_world import payments_world

KILLED = 137


class DieAfterCreate:
    def __init__(self, inner: object) -> None:
        self._inner = inner

    async def create_payment(self, request: CreateProviderPayment) -> ProviderPayment:
        await self._inner.create_payment(request)  # type: ignore[attr-defined]
        sys.stdout.flush()
        os._exit(KILLED)

    async def get_payment(self, provider_payment_id: str) -> ProviderPayment | None:
        return await self._inner.get_payment(provider_payment_id)  # type: ignore[attr-defined, no-any-return]


async def run(api_url: str, appointment_id: UUID, key: str) -> None:
    world = payments_world(api_url)
    world.create._gateway = DieAfterCreate(world.gateway)  # type: ignore[assignment]
    await world.create.execute(
        CreatePaymentIntentCommand(appointment_id=appointment_id, idempotency_key=key)
    )


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1], UUID(sys.argv[2]), sys.argv[3]))
    sys.exit(0)  # not reached when the crash happens
