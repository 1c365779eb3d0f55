"""Refunds: the real YooKassa SDK, through our gateway, against the sandbox over real HTTP.

One refund per payment whatever is lost on the way: every retry carries the key derived from
our payment with the same body, and the provider's answers are read in domain terms.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from uuid import uuid4

import anyio
import httpx
import pytest
from yookassa.domain.notification import WebhookNotificationFactory
from yookassa.domain.response import RefundResponse

from adapters.yookassa.gateway import (
    GatewayTimeouts,
    YooKassaPaymentGateway,
    to_provider_refund,
)
from adapters.yookassa.sandbox import YooKassaSandbox
from domain.errors import ProviderRejected, ProviderUnavailable
from domain.models import Money
from domain.payments import CreateProviderRefund, ProviderRefund, ProviderRefundStatus
from tests.integration import test_yookassa_gateway as payment_tests
from tests.support.live_server import free_port, live_server

pytestmark = pytest.mark.anyio

# The payment tests' sandbox served over HTTP, its fault reset and the gateway on it.
sandbox_server = payment_tests.sandbox_server
sandbox = payment_tests.sandbox
gateway = payment_tests.gateway

SHOP = payment_tests.SHOP
SECRET = payment_tests.SECRET
DESCRIPTION = "Возврат: запись не может состояться"

# YooKassa's documented refund.succeeded notification (yookassa-examples/, from the SDK's
# tests): ``comment`` is the old name of ``description``, ``receipt_registration`` comes only
# with a receipt, and an amount may come as a number.
EXAMPLE_REFUND_NOTIFICATION: dict[str, Any] = {
    "type": "notification",
    "event": "refund.succeeded",
    "object": {
        "id": "21b23b5b-000f-5061-a000-0674e49a8c10",
        "payment_id": "21b23365-000f-500b-9000-070fa3554403",
        "created_at": "2017-11-30T15:11:33+00:00",
        "amount": {"value": 250.0, "currency": "RUB"},
        "receipt_registration": "pending",
        "comment": "test comment",
        "status": "pending",
    },
}


async def a_paid_payment(sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway) -> str:
    """A payment of 1500.00 the client has paid: its provider id."""
    created = await gateway.create_payment(payment_tests.a_request())
    sandbox.settle(created.provider_payment_id, "succeeded")
    return created.provider_payment_id


def a_refund(
    provider_payment_id: str,
    *,
    amount: str = "1500.00",
    key: str | None = None,
    description: str = DESCRIPTION,
) -> CreateProviderRefund:
    return CreateProviderRefund(
        idempotence_key=key or f"eb-refund-{uuid4()}",
        provider_payment_id=provider_payment_id,
        amount=Money.rub(amount),
        description=description,
    )


def without_sdk_sources(body: dict[str, Any]) -> dict[str, Any]:
    """The body as we built it: the SDK adds an empty ``sources`` list to every refund."""
    assert body.get("sources", []) == []
    return {k: v for k, v in body.items() if k != "sources"}


async def test_a_refund_is_created_under_our_key_with_our_body(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway
) -> None:
    payment_id = await a_paid_payment(sandbox, gateway)
    request = a_refund(payment_id)

    refund = await gateway.create_refund(request)

    assert refund.status is ProviderRefundStatus.SUCCEEDED
    assert refund.provider_payment_id == payment_id
    assert refund.amount == Money.rub("1500.00")
    key, body = sandbox.refund_request(refund.provider_refund_id)
    assert key == request.idempotence_key
    assert without_sdk_sources(body) == {
        "payment_id": payment_id,
        "amount": {"value": "1500.00", "currency": "RUB"},
        "description": DESCRIPTION,
    }
    stored = sandbox.refund(refund.provider_refund_id)
    assert stored["amount"] == {"value": "1500.00", "currency": "RUB"}
    assert stored["description"] == DESCRIPTION
    assert stored["status"] == "succeeded"


async def test_repeating_the_refund_request_returns_the_same_single_refund(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway
) -> None:
    payment_id = await a_paid_payment(sandbox, gateway)
    request = a_refund(payment_id)

    first = await gateway.create_refund(request)
    again = await gateway.create_refund(request)

    assert again == first
    assert [r["id"] for r in sandbox.refunds_for(payment_id)] == [first.provider_refund_id]


@pytest.mark.parametrize(
    ("fault", "times", "seconds"),
    [
        ("500_after_create", 2, 0.0),
        ("reset_after_create", 1, 0.0),
        ("500", 2, 0.0),
        ("html_502", 1, 0.0),
        ("202", 1, 0.0),
        ("429", 1, 0.0),
        ("reset", 1, 0.0),
        ("slow", 1, 1.5),
    ],
)
async def test_a_lost_or_failed_refund_answer_is_retried_into_the_one_refund(
    sandbox: YooKassaSandbox,
    gateway: YooKassaPaymentGateway,
    fault: str,
    times: int,
    seconds: float,
) -> None:
    payment_id = await a_paid_payment(sandbox, gateway)
    requests_before = sandbox.refund_requests
    sandbox.inject(fault, times=times, seconds=seconds)

    refund = await gateway.create_refund(a_refund(payment_id))

    assert refund.status is ProviderRefundStatus.SUCCEEDED
    if fault == "slow":
        # The slow original is still being processed: let it land, then count.
        with anyio.fail_after(10):
            while sandbox.refund_requests - requests_before < 2:  # noqa: ASYNC110 - server thread
                await anyio.sleep(0.05)
    assert [r["id"] for r in sandbox.refunds_for(payment_id)] == [refund.provider_refund_id]
    if fault.endswith("_after_create") or fault == "slow":
        # YooKassa made the refund but its answer was lost: the retry got that one back.
        assert sandbox.refund_requests - requests_before >= 2


async def test_a_refund_answered_after_the_budget_is_the_same_refund_when_asked_again(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway
) -> None:
    payment_id = await a_paid_payment(sandbox, gateway)
    request = a_refund(payment_id)
    hurried = gateway.with_budget(0.3)
    requests_before = sandbox.refund_requests

    sandbox.inject("slow", seconds=1.5)
    with anyio.fail_after(10), pytest.raises(ProviderUnavailable) as raised:
        await hurried.create_refund(request)
    assert raised.value.retry_after_seconds > 0

    with anyio.fail_after(10):  # the late original lands on the provider all the same
        while sandbox.refund_requests == requests_before:  # noqa: ASYNC110 - server thread
            await anyio.sleep(0.05)
    refund = await gateway.create_refund(request)  # e.g. the worker, later
    assert [r["id"] for r in sandbox.refunds_for(payment_id)] == [refund.provider_refund_id]


async def test_a_provider_that_stays_down_is_unavailable_and_refunds_nothing(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway
) -> None:
    payment_id = await a_paid_payment(sandbox, gateway)
    sandbox.inject("500", times=1000)
    with pytest.raises(ProviderUnavailable):
        await gateway.create_refund(a_refund(payment_id))
    sandbox.clear_faults()
    assert sandbox.refunds_for(payment_id) == []


async def test_another_refund_beyond_what_is_left_of_the_payment_is_rejected(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway
) -> None:
    payment_id = await a_paid_payment(sandbox, gateway)
    first = await gateway.create_refund(a_refund(payment_id))

    with pytest.raises(ProviderRejected):
        await gateway.create_refund(a_refund(payment_id))  # another key: a second refund
    with pytest.raises(ProviderRejected):
        await gateway.create_refund(a_refund(payment_id, amount="0.01"))

    assert [r["id"] for r in sandbox.refunds_for(payment_id)] == [first.provider_refund_id]


async def test_partial_refunds_may_take_the_rest_of_a_payment_and_no_more(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway
) -> None:
    payment_id = await a_paid_payment(sandbox, gateway)
    await gateway.create_refund(a_refund(payment_id, amount="1000.00"))
    with pytest.raises(ProviderRejected):
        await gateway.create_refund(a_refund(payment_id, amount="500.01"))
    await gateway.create_refund(a_refund(payment_id, amount="500.00"))

    payment = sandbox.payment(payment_id)
    assert payment["refunded_amount"] == {"value": "1500.00", "currency": "RUB"}
    assert payment["refundable"] is False
    assert len(sandbox.refunds_for(payment_id)) == 2


async def test_the_same_key_with_another_body_is_rejected(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway
) -> None:
    payment_id = await a_paid_payment(sandbox, gateway)
    first = a_refund(payment_id, amount="100.00")
    await gateway.create_refund(first)
    with pytest.raises(ProviderRejected):
        await gateway.create_refund(
            a_refund(payment_id, amount="200.00", key=first.idempotence_key)
        )
    assert len(sandbox.refunds_for(payment_id)) == 1


@pytest.mark.parametrize("outcome", ["pending", "canceled"])
async def test_a_payment_that_has_not_succeeded_cannot_be_refunded(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway, outcome: str
) -> None:
    created = await gateway.create_payment(payment_tests.a_request())
    if outcome != "pending":
        sandbox.settle(created.provider_payment_id, outcome)
    with pytest.raises(ProviderRejected):
        await gateway.create_refund(a_refund(created.provider_payment_id))
    assert sandbox.refunds_for(created.provider_payment_id) == []


async def test_a_refund_of_an_unknown_payment_is_rejected(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway
) -> None:
    requests_before = sandbox.refund_requests
    with pytest.raises(ProviderRejected):
        await gateway.create_refund(a_refund("2f3c0000-000f-5000-8000-000000000000"))
    assert sandbox.refund_requests == requests_before + 1  # refused by the provider, once


async def test_a_payment_id_the_sdk_refuses_is_rejected_without_a_call(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway
) -> None:
    requests_before = sandbox.refund_requests
    with anyio.fail_after(2), pytest.raises(ProviderRejected):
        await gateway.create_refund(a_refund("not-a-yookassa-payment-id"))
    assert sandbox.refund_requests == requests_before


async def test_a_long_description_is_cut_to_yookassas_limit_and_an_empty_one_left_out(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway
) -> None:
    payment_id = await a_paid_payment(sandbox, gateway)
    long = await gateway.create_refund(a_refund(payment_id, amount="100.00", description="я" * 300))
    empty = await gateway.create_refund(a_refund(payment_id, amount="100.00", description=""))

    assert sandbox.refund(long.provider_refund_id)["description"] == "я" * 250
    assert "description" not in sandbox.refund_request(empty.provider_refund_id)[1]


async def test_a_known_refund_is_read_back_and_an_unknown_one_is_none(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway
) -> None:
    payment_id = await a_paid_payment(sandbox, gateway)
    refund = await gateway.create_refund(a_refund(payment_id))

    assert await gateway.get_refund(refund.provider_refund_id) == refund
    assert await gateway.get_refund("2f3c0000-000f-5061-a000-000000000000") is None


@pytest.mark.parametrize("refund_id", ["", "a" * 65, "../payments/x", "id?x=1", "id with space"])
async def test_a_malformed_refund_id_is_none_without_a_call(refund_id: str) -> None:
    # Nothing listens here: a call would end in ProviderUnavailable, not None.
    nowhere = YooKassaPaymentGateway(
        shop_id=SHOP,
        secret_key=SECRET,
        api_url=f"http://127.0.0.1:{free_port()}/v3",
        timeouts=GatewayTimeouts(connect=0.2, read=0.2, budget=0.5, backoff_base=0.05),
    )
    try:
        assert await nowhere.get_refund(refund_id) is None
    finally:
        nowhere.close()


async def test_a_pending_refund_settled_later_is_seen_by_get_refund(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway
) -> None:
    payment_id = await a_paid_payment(sandbox, gateway)
    sandbox.hold_next_refunds()
    created = await gateway.create_refund(a_refund(payment_id))
    assert created.status is ProviderRefundStatus.PENDING
    assert await gateway.get_refund(created.provider_refund_id) == created

    sandbox.settle_refund(created.provider_refund_id, "succeeded")

    settled = await gateway.get_refund(created.provider_refund_id)
    assert settled is not None
    assert settled.status is ProviderRefundStatus.SUCCEEDED
    assert settled.provider_refund_id == created.provider_refund_id
    # Only the next refund was held.
    other = await gateway.create_refund(a_refund(await a_paid_payment(sandbox, gateway)))
    assert other.status is ProviderRefundStatus.SUCCEEDED


async def test_a_cancelled_refund_gives_the_amount_back_to_the_payment(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway
) -> None:
    payment_id = await a_paid_payment(sandbox, gateway)
    sandbox.hold_next_refunds()
    request = a_refund(payment_id)
    created = await gateway.create_refund(request)
    taken = await gateway.get_payment(payment_id)
    assert taken is not None and taken.refunded_amount == Money.rub("1500.00")
    assert sandbox.payment(payment_id)["refundable"] is False

    sandbox.settle_refund(created.provider_refund_id, "canceled")

    canceled = await gateway.get_refund(created.provider_refund_id)
    assert canceled is not None and canceled.status is ProviderRefundStatus.CANCELED
    assert sandbox.refund(created.provider_refund_id)["cancellation_details"]["party"]
    given_back = await gateway.get_payment(payment_id)
    assert given_back is not None and given_back.refunded_amount == Money.rub("0.00")
    assert sandbox.payment(payment_id)["refundable"] is True
    # The same request still means that cancelled refund: never a second one by itself.
    assert await gateway.create_refund(request) == canceled
    assert len(sandbox.refunds_for(payment_id)) == 1


async def test_the_payment_carries_what_has_been_refunded_of_it(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway
) -> None:
    created = await gateway.create_payment(payment_tests.a_request())
    assert created.refunded_amount is None  # pending: YooKassa sends no refunded_amount
    sandbox.settle(created.provider_payment_id, "succeeded")
    paid = await gateway.get_payment(created.provider_payment_id)
    assert paid is not None and paid.refunded_amount == Money.rub("0.00")

    await gateway.create_refund(a_refund(created.provider_payment_id))

    refunded = await gateway.get_payment(created.provider_payment_id)
    assert refunded is not None and refunded.refunded_amount == Money.rub("1500.00")


async def test_refund_calls_log_neither_bodies_nor_credentials_nor_amounts(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway, caplog: pytest.LogCaptureFixture
) -> None:
    payment_id = await a_paid_payment(sandbox, gateway)
    caplog.set_level(logging.DEBUG)
    sandbox.inject("500")
    sandbox.inject("html_502")
    refund = await gateway.create_refund(a_refund(payment_id))
    await gateway.get_refund(refund.provider_refund_id)
    await gateway.get_payment(payment_id)
    with pytest.raises(ProviderRejected):
        await gateway.create_refund(a_refund(payment_id))

    text = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    assert "retrying" in text  # the retries were logged, and nothing more than this
    for forbidden in (
        SECRET,
        "Basic ",
        "Authorization",
        "1500",
        "RUB",
        DESCRIPTION,
        "eb-refund-",
        "payment_id",
        "first6",
        "*4477",
    ):
        assert forbidden not in text


@pytest.fixture
def webhook(sandbox: YooKassaSandbox) -> Iterator[list[bytes]]:
    """A webhook receiver the sandbox posts its notifications to: the bodies it got."""
    received: list[bytes] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        received.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with live_server(app) as url:
        sandbox.webhook_url = f"{url}/api/payments/yookassa/webhook"
        try:
            yield received
        finally:
            sandbox.webhook_url = None


async def test_notify_refund_posts_refund_succeeded_shaped_like_yookassas(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway, webhook: list[bytes]
) -> None:
    payment_id = await a_paid_payment(sandbox, gateway)
    refund = await gateway.create_refund(a_refund(payment_id))

    status = await anyio.to_thread.run_sync(sandbox.notify_refund, refund.provider_refund_id)

    assert status == 200
    [raw] = webhook
    assert raw == sandbox.refund_notification_body(refund.provider_refund_id)
    sent = json.loads(raw)
    example = EXAMPLE_REFUND_NOTIFICATION
    assert sent.keys() == example.keys()
    assert (sent["type"], sent["event"]) == ("notification", "refund.succeeded")
    obj, example_obj = sent["object"], example["object"]
    optional = {"comment", "receipt_registration"}  # see EXAMPLE_REFUND_NOTIFICATION
    assert example_obj.keys() - optional <= obj.keys()
    assert obj.keys() - example_obj.keys() <= {"description", "cancellation_details"}
    assert obj["amount"].keys() == example_obj["amount"].keys()
    assert obj["amount"] == {"value": "1500.00", "currency": "RUB"}
    assert (obj["id"], obj["payment_id"], obj["status"]) == (
        refund.provider_refund_id,
        payment_id,
        "succeeded",
    )
    # The SDK reads it as a refund notification, into the refund get_refund returns.
    parsed = WebhookNotificationFactory().create(sent)
    assert to_provider_refund(parsed.object) == await gateway.get_refund(refund.provider_refund_id)


async def test_only_a_succeeded_refund_is_notified(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway
) -> None:
    sandbox.hold_next_refunds()
    refund = await gateway.create_refund(a_refund(await a_paid_payment(sandbox, gateway)))
    with pytest.raises(ValueError, match="succeeded"):
        sandbox.refund_notification_body(refund.provider_refund_id)


def test_the_documented_notification_object_reads_as_a_refund() -> None:
    assert to_provider_refund(RefundResponse(EXAMPLE_REFUND_NOTIFICATION["object"])) == (
        ProviderRefund(
            provider_refund_id="21b23b5b-000f-5061-a000-0674e49a8c10",
            provider_payment_id="21b23365-000f-500b-9000-070fa3554403",
            status=ProviderRefundStatus.PENDING,
            amount=Money(Decimal("250.00")),
        )
    )


@pytest.mark.parametrize(
    "change",
    [{"status": "refunding"}, {"amount": {"value": "1.00", "currency": "USD"}}, {"id": ""}],
)
def test_a_refund_we_cannot_read_is_not_taken_for_one(change: dict[str, Any]) -> None:
    body = {**EXAMPLE_REFUND_NOTIFICATION["object"], **change}
    with pytest.raises(ValueError, match="provider"):
        to_provider_refund(RefundResponse(body))


async def test_the_sandbox_answers_refund_requests_the_way_yookassa_does(
    sandbox: YooKassaSandbox,
    gateway: YooKassaPaymentGateway,
    sandbox_server: tuple[YooKassaSandbox, str],
) -> None:
    payment_id = await a_paid_payment(sandbox, gateway)
    body = {"payment_id": payment_id, "amount": {"value": "100.00", "currency": "RUB"}}
    async with httpx.AsyncClient(base_url=sandbox_server[1], auth=(SHOP, SECRET)) as http:
        no_key = await http.post("/refunds", json=body)
        long_key = await http.post("/refunds", json=body, headers={"Idempotence-Key": "k" * 65})
        unknown = await http.post(
            "/refunds",
            json={**body, "payment_id": "2f3c0000-000f-5000-8000-000000000000"},
            headers={"Idempotence-Key": "eb-refund-unknown"},
        )
        made = await http.post("/refunds", json=body, headers={"Idempotence-Key": "eb-refund-k"})
        twice = await http.post("/refunds", json=body, headers={"Idempotence-Key": "eb-refund-k"})
        other = await http.post(
            "/refunds",
            json={**body, "amount": {"value": "200.00", "currency": "RUB"}},
            headers={"Idempotence-Key": "eb-refund-k"},
        )
        found = await http.get(f"/refunds/{made.json()['id']}")
        missing = await http.get("/refunds/2f3c0000-000f-5061-a000-000000000000")

    for answer, parameter in ((no_key, "Idempotence-Key"), (long_key, "Idempotence-Key")):
        assert answer.status_code == 400
        assert answer.json()["code"] == "invalid_request"
        assert answer.json()["parameter"] == parameter
    assert unknown.status_code == 400
    assert (unknown.json()["code"], unknown.json()["parameter"]) == (
        "invalid_request",
        "payment_id",
    )
    assert made.status_code == twice.status_code == found.status_code == 200
    assert made.json() == twice.json() == found.json()
    assert other.status_code == 400
    assert other.json()["description"] == "Idempotence key duplicated"
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
