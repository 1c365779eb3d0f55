"""The visitor's bounded wait (YOOKASSA_REQUEST_BUDGET_SECONDS) on the real database, with the
real SDK gateway against a slow sandbox over real HTTP: past the budget the answer is ``503`` +
``Retry-After``, and the client's retry with the same key, or the worker, completes the same
provider payment, never a second one."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import anyio
import httpx
import pytest

from adapters.settings import load_settings
from adapters.yookassa.sandbox import YooKassaSandbox
from composition.container import build_container
from domain.errors import ProviderUnavailable
from domain.use_cases.create_payment_intent import CreatePaymentIntentCommand
from tables.payments.tables import PaymentTable
from tests.support.payment_world import (
    SECRET_KEY,
    SHOP_ID,
    OffsetClock,
    PaymentsWorld,
    payments_world,
    sandbox_server,
    seeded,
)

pytestmark = [pytest.mark.anyio, pytest.mark.db]

REQUEST_BUDGET = 0.5
# Far longer than the request budget, well inside the worker's (6 s in the test world).
PROVIDER_DELAY = 2.0
HANG_GUARD = 30.0
# The worker re-sends a create left in ``creating`` for a minute.
PAST_THE_CREATING_GRACE = timedelta(minutes=2)


@pytest.fixture
def sandbox_and_url() -> Iterator[tuple[YooKassaSandbox, str]]:
    # One sandbox per test: a late answer to a request we gave up on lands in this test only.
    with sandbox_server() as served:
        yield served


@pytest.fixture
async def world(
    db: object, sandbox_and_url: tuple[YooKassaSandbox, str]
) -> AsyncIterator[PaymentsWorld]:
    await seeded()
    built = payments_world(sandbox_and_url[1], clock=OffsetClock(), request_budget=REQUEST_BUDGET)
    yield built
    built.close()


def client(world: PaymentsWorld) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=world.app(), client=("203.0.113.5", 40000)),
        base_url="http://testserver",
        timeout=HANG_GUARD,
    )


async def pay(http: httpx.AsyncClient, appointment_id: UUID, key: str) -> httpx.Response:
    with anyio.fail_after(HANG_GUARD):
        return await http.post(
            "/api/public/payments",
            json={"appointment_id": str(appointment_id)},
            headers={"Idempotency-Key": key},
        )


async def the_late_create_has_landed(sandbox: YooKassaSandbox, creates: int) -> None:
    """Wait (hang-guarded) until the sandbox has answered every create sent so far, the one
    we gave up on included, so that a second provider payment would be visible."""
    with anyio.fail_after(HANG_GUARD):
        while sandbox.create_requests < creates:  # noqa: ASYNC110 - set in the server thread
            await anyio.sleep(0.05)


async def payment_rows(appointment_id: UUID) -> list[dict[str, Any]]:
    return await PaymentTable.select(
        PaymentTable.id, PaymentTable.status, PaymentTable.provider_payment_id
    ).where(PaymentTable.appointment_id == appointment_id)


async def a_503_past_the_budget(
    world: PaymentsWorld, sandbox: YooKassaSandbox, http: httpx.AsyncClient, key: str
) -> UUID:
    appointment_id = await world.hold()
    sandbox.inject("slow", seconds=PROVIDER_DELAY)
    response = await pay(http, appointment_id, key)
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "provider_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    return appointment_id


async def test_a_slow_provider_answers_503_with_retry_after_within_the_request_budget(
    world: PaymentsWorld, sandbox_and_url: tuple[YooKassaSandbox, str]
) -> None:
    sandbox = sandbox_and_url[0]
    async with client(world) as http:
        appointment_id = await a_503_past_the_budget(world, sandbox, http, "visit-1")

    [row] = await payment_rows(appointment_id)
    assert row["status"] == "creating" and row["provider_payment_id"] is None


async def test_the_retry_with_the_same_key_after_recovery_returns_the_same_payment_once(
    world: PaymentsWorld, sandbox_and_url: tuple[YooKassaSandbox, str]
) -> None:
    sandbox = sandbox_and_url[0]
    async with client(world) as http:
        appointment_id = await a_503_past_the_budget(world, sandbox, http, "visit-2")
        [first] = await payment_rows(appointment_id)
        retried = await pay(http, appointment_id, "visit-2")  # the slow fault was the only one

    assert retried.status_code == 201, retried.text
    assert retried.json()["payment_id"] == str(first["id"])
    assert retried.json()["status"] == "pending"
    await the_late_create_has_landed(sandbox, creates=2)
    assert sandbox.payment_count == 1
    [row] = await payment_rows(appointment_id)
    assert row["status"] == "pending"
    assert sandbox.payment(str(row["provider_payment_id"]))["metadata"]["payment_id"] == str(
        first["id"]
    )


async def test_the_worker_completes_the_payment_the_visitor_gave_up_on_once(
    world: PaymentsWorld, sandbox_and_url: tuple[YooKassaSandbox, str]
) -> None:
    sandbox = sandbox_and_url[0]
    async with client(world) as http:
        appointment_id = await a_503_past_the_budget(world, sandbox, http, "visit-3")
    [first] = await payment_rows(appointment_id)

    assert isinstance(world.clock, OffsetClock)
    world.clock.offset += PAST_THE_CREATING_GRACE
    with anyio.fail_after(HANG_GUARD):
        changed = await world.reconcile.execute()

    assert changed == 1
    await the_late_create_has_landed(sandbox, creates=2)
    assert sandbox.payment_count == 1
    [row] = await payment_rows(appointment_id)
    assert row["id"] == first["id"] and row["status"] == "pending"
    assert sandbox.payment(str(row["provider_payment_id"]))["metadata"]["payment_id"] == str(
        first["id"]
    )


async def test_the_worker_keeps_its_longer_budget_for_a_slow_provider(
    world: PaymentsWorld, sandbox_and_url: tuple[YooKassaSandbox, str]
) -> None:
    sandbox = sandbox_and_url[0]
    async with client(world) as http:
        appointment_id = await a_503_past_the_budget(world, sandbox, http, "visit-4")
    await the_late_create_has_landed(sandbox, creates=1)

    # Still slow, but answering inside the worker's budget (and its 2 s read timeout): the
    # worker waits for it where a visitor would have had a 503.
    sandbox.inject("slow", seconds=REQUEST_BUDGET * 3)
    assert isinstance(world.clock, OffsetClock)
    world.clock.offset += PAST_THE_CREATING_GRACE
    with anyio.fail_after(HANG_GUARD):
        changed = await world.reconcile.execute()

    assert changed == 1
    assert sandbox.payment_count == 1
    [row] = await payment_rows(appointment_id)
    assert row["status"] == "pending"


# Composition: the API path takes YOOKASSA_REQUEST_BUDGET_SECONDS, the worker its own -------


async def test_the_container_bounds_the_request_path_and_not_the_worker(
    world: PaymentsWorld, sandbox_and_url: tuple[YooKassaSandbox, str]
) -> None:
    sandbox, api_url = sandbox_and_url
    env = {k: v for k, v in os.environ.items() if not k.startswith("YOOKASSA_")}
    settings = load_settings(
        env
        | {
            "YOOKASSA_API_URL": api_url,
            "YOOKASSA_SHOP_ID": SHOP_ID,
            "YOOKASSA_SECRET_KEY": SECRET_KEY,
            "YOOKASSA_REQUEST_BUDGET_SECONDS": str(REQUEST_BUDGET),
        }
    )
    clock = OffsetClock()
    container = build_container(settings, clock=clock)
    payments = container.payments
    try:
        assert payments.request_gateway.budget_seconds == REQUEST_BUDGET
        assert payments.gateway.budget_seconds > PROVIDER_DELAY
        appointment_id = await world.hold()
        sandbox.inject("slow", seconds=PROVIDER_DELAY)
        with anyio.fail_after(HANG_GUARD), pytest.raises(ProviderUnavailable):
            await payments.create_payment_intent.execute(
                CreatePaymentIntentCommand(appointment_id=appointment_id, idempotency_key="k-5")
            )
        await the_late_create_has_landed(sandbox, creates=1)

        sandbox.inject("slow", seconds=PROVIDER_DELAY)  # the worker waits it out
        clock.offset += PAST_THE_CREATING_GRACE
        with anyio.fail_after(HANG_GUARD):
            assert await payments.reconcile.execute() == 1
    finally:
        payments.gateway.close()

    assert sandbox.payment_count == 1
    [row] = await payment_rows(appointment_id)
    assert row["status"] == "pending"
