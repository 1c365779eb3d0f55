"""The real YooKassa SDK, through our gateway, against the sandbox over real HTTP.

Every fault YooKassa is known for is injected; in none of them may a second provider payment
appear, and every retry must carry our key with the same body.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from uuid import uuid4

import anyio
import pytest
from yookassa.domain.response import PaymentResponse

from adapters.yookassa.gateway import GatewayTimeouts, YooKassaPaymentGateway, to_provider_payment
from adapters.yookassa.sandbox import YooKassaSandbox
from domain.errors import ProviderRejected, ProviderUnavailable
from domain.models import Money
from domain.payments import (
    ConfirmationType,
    CreateProviderPayment,
    PaymentStatus,
    ReceiptPaymentMode,
    ReceiptRequest,
)
from tests.support.live_server import free_port, live_server

pytestmark = pytest.mark.anyio

SHOP = "506751"
SECRET = "test_sandbox-secret-key-for-the-gateway-tests"
FAST = GatewayTimeouts(connect=1.0, read=0.6, budget=6.0, backoff_base=0.05, backoff_cap=0.2)


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[tuple[YooKassaSandbox, str]]:
    sandbox = YooKassaSandbox(shop_id=SHOP, secret_key=SECRET)
    with live_server(sandbox.app) as url:
        yield sandbox, f"{url}/v3"


@pytest.fixture
def sandbox(sandbox_server: tuple[YooKassaSandbox, str]) -> Iterator[YooKassaSandbox]:
    sandbox_server[0].clear_faults()
    yield sandbox_server[0]
    sandbox_server[0].clear_faults()


@pytest.fixture
def gateway(sandbox_server: tuple[YooKassaSandbox, str]) -> Iterator[YooKassaPaymentGateway]:
    gw = YooKassaPaymentGateway(
        shop_id=SHOP, secret_key=SECRET, api_url=sandbox_server[1], timeouts=FAST, max_threads=4
    )
    yield gw
    gw.close()


def a_request(
    *, receipt: bool = False, confirmation: ConfirmationType = ConfirmationType.REDIRECT
) -> CreateProviderPayment:
    payment_id = uuid4()
    amount = Money.rub("1500.00")
    return CreateProviderPayment(
        idempotence_key=f"eb-{payment_id}",
        amount=amount,
        description="Индивидуальная консультация: предоплата записи",
        return_url=f"https://site.example/booking/payment-return/?payment_id={payment_id}",
        confirmation_type=confirmation,
        payment_id=payment_id,
        appointment_id=uuid4(),
        receipt=ReceiptRequest(
            customer_email="anna@example.com",
            customer_phone=None,
            item_description="Индивидуальная консультация",
            amount=amount,
            vat_code=1,
            payment_mode=ReceiptPaymentMode.PARTIAL_PREPAYMENT,
        )
        if receipt
        else None,
    )


async def test_a_payment_is_created_and_read_back_in_domain_terms(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway
) -> None:
    request = a_request()
    created = await gateway.create_payment(request)

    assert created.status is PaymentStatus.PENDING
    assert created.amount == Money.rub("1500.00")
    assert created.confirmation is not None
    assert created.confirmation.type is ConfirmationType.REDIRECT
    assert created.confirmation.confirmation_url
    assert created.confirmation.confirmation_url.endswith(
        f"/checkout/{created.provider_payment_id}"
    )
    body = sandbox.payment(created.provider_payment_id)
    # Only our two ids travel as metadata: the SDK's cms_name is kept out.
    assert body["metadata"] == {
        "appointment_id": str(request.appointment_id),
        "payment_id": str(request.payment_id),
    }
    fetched = await gateway.get_payment(created.provider_payment_id)
    assert fetched == created


async def test_an_embedded_confirmation_gives_a_token(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway
) -> None:
    created = await gateway.create_payment(a_request(confirmation=ConfirmationType.EMBEDDED))
    assert created.confirmation is not None
    assert created.confirmation.confirmation_token
    assert created.confirmation.confirmation_url is None


async def test_a_succeeded_payment_is_read_without_its_card_details(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway
) -> None:
    created = await gateway.create_payment(a_request())
    sandbox.settle(created.provider_payment_id, "succeeded")
    fetched = await gateway.get_payment(created.provider_payment_id)
    assert fetched is not None
    assert fetched.status is PaymentStatus.SUCCEEDED
    assert "4477" not in repr(fetched) and "555555" not in repr(fetched)


async def test_a_canceled_payment_carries_its_reason(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway
) -> None:
    created = await gateway.create_payment(a_request())
    sandbox.settle(created.provider_payment_id, "canceled")
    fetched = await gateway.get_payment(created.provider_payment_id)
    assert fetched is not None
    assert fetched.status is PaymentStatus.CANCELED
    assert fetched.cancellation_reason == "expired_on_confirmation"


async def test_a_receipt_is_sent_with_one_service_item(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway
) -> None:
    created = await gateway.create_payment(a_request(receipt=True))
    assert created.status is PaymentStatus.PENDING
    receipt = sandbox.receipts[created.provider_payment_id]
    assert receipt["customer"] == {"email": "anna@example.com"}
    [item] = receipt["items"]
    assert item["payment_subject"] == "service"
    assert item["payment_mode"] == "partial_prepayment"
    assert item["vat_code"] == 1
    assert item["amount"] == {"value": "1500.00", "currency": "RUB"}
    assert float(item["quantity"]) == 1.0


@pytest.mark.parametrize(
    ("fault", "times", "seconds"),
    [
        ("500", 2, 0.0),
        ("500_after_create", 2, 0.0),
        ("html_502", 2, 0.0),
        ("202", 2, 0.0),
        ("429", 1, 0.0),
        ("reset", 2, 0.0),
        ("reset_after_create", 1, 0.0),
        ("slow", 1, 1.5),
    ],
)
async def test_every_transient_fault_is_retried_with_the_same_key_into_one_payment(
    sandbox: YooKassaSandbox,
    gateway: YooKassaPaymentGateway,
    fault: str,
    times: int,
    seconds: float,
) -> None:
    before = sandbox.payment_count
    requests_before = sandbox.create_requests
    sandbox.inject(fault, times=times, seconds=seconds)

    created = await gateway.create_payment(a_request())

    assert created.status is PaymentStatus.PENDING
    assert sandbox.payment_count == before + 1
    assert sandbox.payment(created.provider_payment_id)["status"] == "pending"
    if fault == "slow":
        # The slow original is still being processed: let it finish, then count again.
        for _ in range(100):
            if sandbox.create_requests - requests_before >= 2:
                break
            await anyio.sleep(0.05)
        assert sandbox.payment_count == before + 1
    if fault.endswith("after_create") or fault == "slow":
        # The provider made the payment but its answer was lost: the retry got that one.
        assert sandbox.create_requests - requests_before >= 2


async def test_a_provider_that_stays_down_is_unavailable_with_a_retry_hint_and_no_payment(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway
) -> None:
    before = sandbox.payment_count
    sandbox.inject("500", times=1000)
    with pytest.raises(ProviderUnavailable) as raised:
        await gateway.create_payment(a_request())
    assert raised.value.retry_after_seconds > 0
    assert sandbox.payment_count == before


async def test_a_create_answered_after_the_budget_is_recovered_by_the_same_request_later(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway
) -> None:
    request = a_request()
    sandbox.inject("500_after_create", times=1000)
    with pytest.raises(ProviderUnavailable):
        await gateway.create_payment(request)
    sandbox.clear_faults()
    created = await gateway.create_payment(request)  # e.g. the worker, later
    # Counted by this payment's own id: the module's sandbox may still be receiving a late
    # attempt of an earlier test that gave up on its budget.
    made = [
        pid
        for pid in sandbox.payment_ids()
        if sandbox.payment(pid)["metadata"].get("payment_id") == str(request.payment_id)
    ]
    assert made == [created.provider_payment_id]
    assert created.status is PaymentStatus.PENDING


async def test_nothing_listening_is_unavailable_not_a_crash() -> None:
    gw = YooKassaPaymentGateway(
        shop_id=SHOP,
        secret_key=SECRET,
        api_url=f"http://127.0.0.1:{free_port()}/v3",
        timeouts=GatewayTimeouts(connect=0.5, read=0.5, budget=1.0, backoff_base=0.05),
    )
    try:
        with pytest.raises(ProviderUnavailable):
            await gw.create_payment(a_request())
    finally:
        gw.close()


async def test_wrong_credentials_are_rejected_without_retrying(
    sandbox: YooKassaSandbox, sandbox_server: tuple[YooKassaSandbox, str]
) -> None:
    gw = YooKassaPaymentGateway(
        shop_id=SHOP, secret_key="test_wrong", api_url=sandbox_server[1], timeouts=FAST
    )
    before = sandbox.create_requests
    try:
        with pytest.raises(ProviderRejected):
            await gw.create_payment(a_request())
    finally:
        gw.close()
    assert sandbox.create_requests == before  # refused at authentication, once


async def test_the_same_key_with_another_body_is_rejected(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway
) -> None:
    first = a_request()
    await gateway.create_payment(first)
    other = CreateProviderPayment(
        idempotence_key=first.idempotence_key,
        amount=Money.rub("5000.00"),
        description=first.description,
        return_url=first.return_url,
        confirmation_type=first.confirmation_type,
        payment_id=first.payment_id,
        appointment_id=first.appointment_id,
    )
    with pytest.raises(ProviderRejected):
        await gateway.create_payment(other)


async def test_an_unknown_payment_is_none(gateway: YooKassaPaymentGateway) -> None:
    assert await gateway.get_payment("2f3c0000-000f-5000-8000-000000000000") is None


async def test_the_sdk_is_never_given_a_logger_and_logs_no_secrets(
    sandbox: YooKassaSandbox, gateway: YooKassaPaymentGateway, caplog: pytest.LogCaptureFixture
) -> None:
    from yookassa import Configuration

    caplog.set_level(logging.DEBUG)
    sandbox.inject("html_502")
    created = await gateway.create_payment(a_request(receipt=True))
    sandbox.settle(created.provider_payment_id, "succeeded")
    await gateway.get_payment(created.provider_payment_id)

    assert Configuration.logger is None
    text = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    # Card data as the API sends it (bare digits such as "4477" also occur in timings and ids).
    card_data = ("first6", "last4", "*4477", "MasterCard")
    for forbidden in (SECRET, "anna@example.com", *card_data, "Basic ", "Authorization"):
        assert forbidden not in text


def _raised_while_handling(outer: Exception, inner: Exception) -> Exception:
    """``outer`` raised while handling ``inner``, the way the SDK chains them."""
    try:
        try:
            raise inner
        except Exception:
            raise outer from None
    except Exception as caught:
        return caught


def _http_error(status: int) -> Exception:
    import requests

    response = requests.Response()
    response.status_code = status
    return requests.HTTPError(response=response)


def test_the_sdk_traps_are_classified_through_the_exception_chain() -> None:
    import json

    import requests

    from adapters.yookassa.gateway import _Rejected, _Retryable, classify

    # The SDK reads ``e.response.status_code`` of a failed connection: AttributeError.
    refused = _raised_while_handling(AttributeError("status_code"), requests.ConnectionError())
    assert isinstance(classify(refused), _Retryable)
    timeout = _raised_while_handling(AttributeError("status_code"), requests.ReadTimeout())
    assert isinstance(classify(timeout), _Retryable)
    # An HTML error page where JSON was expected: the status decides.
    html_502 = _raised_while_handling(json.JSONDecodeError("x", "<html>", 0), _http_error(502))
    assert isinstance(classify(html_502), _Retryable)
    html_404 = _raised_while_handling(json.JSONDecodeError("x", "<html>", 0), _http_error(404))
    assert isinstance(classify(html_404), _Rejected)
    # A bug of ours is not a provider problem: it is raised as it is.
    with pytest.raises(AttributeError):
        classify(AttributeError("no such attribute"))


async def test_the_test_flag_of_the_provider_payment_is_carried(
    gateway: YooKassaPaymentGateway,
) -> None:
    created = await gateway.create_payment(a_request())
    assert created.test is True  # the sandbox is a test shop, like YooKassa's
    fetched = await gateway.get_payment(created.provider_payment_id)
    assert fetched is not None and fetched.test is True


@pytest.mark.parametrize(("flag", "expected"), [(False, False), (True, True), (None, False)])
def test_a_live_payment_reads_as_live(flag: bool | None, expected: bool) -> None:
    body = {
        "id": "23d93cac-000f-5000-8000-126628f15141",
        "status": "pending",
        "paid": False,
        "amount": {"value": "100.00", "currency": "RUB"},
        "created_at": "2019-01-22T14:30:45.129Z",
        "metadata": {},
        "recipient": {"account_id": "100500", "gateway_id": "100700"},
        "refundable": False,
    }
    if flag is not None:
        body["test"] = flag
    assert to_provider_payment(PaymentResponse(body)).test is expected


async def test_one_slow_attempt_never_outlives_a_short_budget(
    sandbox: YooKassaSandbox, sandbox_server: tuple[YooKassaSandbox, str]
) -> None:
    # Socket timeouts far longer than the provider's delay: only the budget can stop the wait.
    patient = YooKassaPaymentGateway(
        shop_id=SHOP,
        secret_key=SECRET,
        api_url=sandbox_server[1],
        timeouts=GatewayTimeouts(connect=30, read=30, budget=30, backoff_base=0.05),
    )
    hurried = patient.with_budget(0.3)
    request = a_request()
    try:
        sandbox.inject("slow", seconds=3.0)
        with anyio.fail_after(20), pytest.raises(ProviderUnavailable) as raised:
            await hurried.create_payment(request)
        assert raised.value.retry_after_seconds > 0
        sandbox.inject("slow", seconds=1.0)
        with anyio.fail_after(20):
            created = await patient.create_payment(request)  # the worker's budget waits it out
    finally:
        patient.close()
    assert created.metadata["payment_id"] == str(request.payment_id)
    assert hurried.budget_seconds == 0.3 and patient.budget_seconds == 30


def test_a_budget_must_be_positive(gateway: YooKassaPaymentGateway) -> None:
    with pytest.raises(ValueError, match="positive"):
        gateway.with_budget(0)
