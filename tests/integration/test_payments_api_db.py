"""The payments API and the YooKassa webhook on the real database, with the real SDK gateway
against the sandbox: shapes, Idempotency-Key semantics, webhook security, logs."""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest

from adapters.clock import SystemClock
from adapters.settings import YOOKASSA_NOTIFICATION_IPS, ConfigurationError, load_settings
from adapters.yookassa.gateway import GatewayTimeouts
from adapters.yookassa.sandbox import YooKassaSandbox
from composition.container import build_container, build_payments
from composition.database import close_database, open_database
from composition.web import build_app
from domain.practice_time import MOSCOW
from tables.core.tables import AppointmentTable, ServiceTable, SlotTable
from tables.payments.tables import IdempotencyKeyTable, PaymentTable
from tests.support.live_server import free_port, live_server
from tests.support.payment_world import (
    CLIENT_EMAIL,
    CLIENT_PHONE,
    SECRET_KEY,
    PaymentsWorld,
    payments_world,
    seeded,
)

pytestmark = [pytest.mark.anyio, pytest.mark.db]

YOOKASSA_IP = "185.71.76.10"
PROXY_IP = "10.1.2.3"
ALLOWED = tuple(ipaddress.ip_network(n) for n in YOOKASSA_NOTIFICATION_IPS)
PROXIES = (ipaddress.ip_network("10.0.0.0/8"),)


@pytest.fixture
async def world(
    db: object, sandbox_and_url: tuple[YooKassaSandbox, str]
) -> AsyncIterator[PaymentsWorld]:
    sandbox_and_url[0].clear_faults()
    await seeded()
    built = payments_world(sandbox_and_url[1], receipts=True)
    yield built
    built.close()


def client(world: PaymentsWorld, ip: str = "203.0.113.5") -> httpx.AsyncClient:
    app = world.app(yookassa_webhook_allowed_ips=ALLOWED, trusted_proxies=PROXIES)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(ip, 40000)),
        base_url="http://testserver",
        timeout=60,
    )


async def deposit_of_first_service() -> str:
    row = (
        await ServiceTable.select(ServiceTable.deposit)
        .where(ServiceTable.deposit.is_not_null())
        .first()
    )
    assert row is not None
    return f"{row['deposit']:.2f}"


# Creating and reading payments -------------------------------------------------------------


async def test_a_payment_is_created_with_the_backend_amount_and_a_redirect(
    world: PaymentsWorld, sandbox: YooKassaSandbox
) -> None:
    appointment_id = await world.hold()
    async with client(world) as http:
        response = await http.post(
            "/api/public/payments", json={"appointment_id": str(appointment_id)}
        )

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"payment_id", "status", "kind", "amount", "confirmation"}
    assert body["status"] == "pending"
    assert body["kind"] == "deposit"
    row = (
        await AppointmentTable.select(AppointmentTable.service.deposit)
        .where(AppointmentTable.id == appointment_id)
        .first()
    )
    assert row is not None
    assert body["amount"] == {"value": f"{row['service.deposit']:.2f}", "currency": "RUB"}
    assert body["confirmation"]["type"] == "redirect"
    assert body["confirmation"]["confirmation_url"].startswith("http://127.0.0.1:")
    assert set(body["confirmation"]) == {"type", "confirmation_url"}
    # The 54-FZ receipt got the client's email, decrypted in memory only.
    stored = await PaymentTable.select().first()
    assert stored is not None
    receipt = sandbox.receipts[stored["provider_payment_id"]]
    assert receipt["customer"] == {"email": CLIENT_EMAIL}
    assert receipt["items"][0]["payment_mode"] == "partial_prepayment"
    assert CLIENT_EMAIL not in repr(await PaymentTable.select())
    assert CLIENT_EMAIL not in repr(await IdempotencyKeyTable.select())


async def test_a_repeat_with_the_same_key_replays_the_same_status_and_body(
    world: PaymentsWorld, sandbox: YooKassaSandbox
) -> None:
    appointment_id = await world.hold()
    payload = {"appointment_id": str(appointment_id), "kind": "full"}
    async with client(world) as http:
        first = await http.post(
            "/api/public/payments", json=payload, headers={"Idempotency-Key": "order-1"}
        )
        again = await http.post(
            "/api/public/payments", json=payload, headers={"Idempotency-Key": "order-1"}
        )
        other = await http.post(
            "/api/public/payments",
            json={"appointment_id": str(appointment_id), "kind": "deposit"},
            headers={"Idempotency-Key": "order-1"},
        )
        bad_key = await http.post(
            "/api/public/payments", json=payload, headers={"Idempotency-Key": "a b"}
        )

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers.get("idempotent-replayed") == "true"
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert bad_key.status_code == 422 and bad_key.json()["code"] == "invalid_idempotency_key"
    assert await PaymentTable.count() == 1


async def test_bad_requests_are_refused_and_write_nothing(world: PaymentsWorld) -> None:
    appointment_id = await world.hold()
    async with client(world) as http:
        unknown = await http.post("/api/public/payments", json={"appointment_id": str(uuid4())})
        amount = await http.post(
            "/api/public/payments", json={"appointment_id": str(appointment_id), "amount": "1.00"}
        )
        kind = await http.post(
            "/api/public/payments", json={"appointment_id": str(appointment_id), "kind": "half"}
        )
    assert unknown.status_code == 404 and unknown.json()["code"] == "appointment_not_found"
    assert amount.status_code == 400
    assert kind.status_code == 400
    assert await PaymentTable.count() == 0
    assert await IdempotencyKeyTable.count() == 0


async def test_an_expired_appointment_is_not_payable(world: PaymentsWorld) -> None:
    appointment_id = await world.hold()
    await AppointmentTable.update({AppointmentTable.status: "expired"}).where(
        AppointmentTable.id == appointment_id
    )
    async with client(world) as http:
        response = await http.post(
            "/api/public/payments", json={"appointment_id": str(appointment_id)}
        )
    assert response.status_code == 409
    assert response.json()["code"] == "appointment_not_payable"


async def test_an_unavailable_provider_is_503_with_retry_after_and_a_rejection_is_502(
    world: PaymentsWorld, sandbox: YooKassaSandbox, sandbox_and_url: tuple[YooKassaSandbox, str]
) -> None:
    appointment_id = await world.hold()
    sandbox.inject("500", times=1000)
    async with client(world) as http:
        down = await http.post("/api/public/payments", json={"appointment_id": str(appointment_id)})
    sandbox.clear_faults()
    assert down.status_code == 503
    assert int(down.headers["retry-after"]) > 0
    assert down.json()["code"] == "provider_unavailable"

    other = await world.hold(1)
    wrong = payments_world(sandbox_and_url[1])
    wrong.gateway._secret_key = "test_not_the_key"
    try:
        async with client(wrong) as http:
            refused = await http.post("/api/public/payments", json={"appointment_id": str(other)})
    finally:
        wrong.close()
    assert refused.status_code == 502
    assert refused.json()["code"] == "provider_rejected"
    assert SECRET_KEY not in refused.text


async def test_the_payment_status_is_readable_by_id(world: PaymentsWorld) -> None:
    appointment_id = await world.hold()
    async with client(world) as http:
        created = (
            await http.post("/api/public/payments", json={"appointment_id": str(appointment_id)})
        ).json()
        status = await http.get(f"/api/public/payments/{created['payment_id']}")
        unknown = await http.get(f"/api/public/payments/{uuid4()}")
        not_uuid = await http.get("/api/public/payments/123")
    async with world.container.uow() as unit:
        appointment = await unit.appointments.get(appointment_id)
        assert appointment is not None
        slot = await unit.slots.get(appointment.slot_id)
        service = await unit.services.get(appointment.service_id)
    assert slot is not None and service is not None
    assert status.status_code == 200
    assert status.json() == {
        "payment_id": created["payment_id"],
        "status": "pending",
        "kind": "deposit",
        "amount": created["amount"],
        "appointment_status": "pending_payment",
        "service_title": service.title,
        "starts_at": slot.starts_at.isoformat().replace("+00:00", "Z"),
        "ends_at": slot.ends_at.isoformat().replace("+00:00", "Z"),
        "local_time": MOSCOW.describe(slot.starts_at, slot.ends_at),
        "refund_reason": None,
    }
    assert status.json()["local_time"].endswith("(Москва)")
    assert unknown.status_code == 404 and unknown.json()["code"] == "payment_not_found"
    assert not_uuid.status_code in (400, 404)


async def test_the_api_docs_say_keys_are_kept_24_hours(world: PaymentsWorld) -> None:
    async with client(world) as http:
        schema = (await http.get("/schema/openapi.json")).json()
    text = json.dumps(schema)
    assert "kept for 24 hours" in text
    assert "/api/webhooks/yookassa" in schema["paths"]


# Webhook security --------------------------------------------------------------------------


async def paid(
    world: PaymentsWorld, sandbox: YooKassaSandbox, outcome: str = "succeeded"
) -> tuple[Any, str]:
    appointment_id = await world.hold()
    async with client(world) as http:
        created = (
            await http.post("/api/public/payments", json={"appointment_id": str(appointment_id)})
        ).json()
    row = await PaymentTable.select().where(PaymentTable.id == created["payment_id"]).first()
    assert row is not None
    provider_id = str(row["provider_payment_id"])
    if outcome != "pending":
        sandbox.settle(provider_id, outcome)
    return appointment_id, provider_id


def notification(sandbox: YooKassaSandbox, provider_id: str, event: str | None = None) -> bytes:
    body = sandbox.payment(provider_id)
    name = event or {"succeeded": "payment.succeeded", "canceled": "payment.canceled"}.get(
        body["status"], "payment.succeeded"
    )
    return json.dumps({"type": "notification", "event": name, "object": body}).encode()


async def appointment_status(appointment_id: Any) -> str:
    row = (
        await AppointmentTable.select(AppointmentTable.status)
        .where(AppointmentTable.id == appointment_id)
        .first()
    )
    assert row is not None
    return str(row["status"])


async def test_a_notification_from_yookassa_confirms_the_appointment(
    world: PaymentsWorld, sandbox: YooKassaSandbox
) -> None:
    appointment_id, provider_id = await paid(world, sandbox)
    async with client(world, YOOKASSA_IP) as http:
        response = await http.post(
            "/api/webhooks/yookassa", content=notification(sandbox, provider_id)
        )
        duplicate = await http.post(
            "/api/webhooks/yookassa", content=notification(sandbox, provider_id)
        )
    assert response.status_code == 200 and response.json() == {"result": "applied"}
    assert duplicate.status_code == 200 and duplicate.json() == {"result": "unchanged"}
    assert await appointment_status(appointment_id) == "confirmed"


async def test_a_foreign_source_ip_is_403_and_changes_nothing(
    world: PaymentsWorld, sandbox: YooKassaSandbox
) -> None:
    appointment_id, provider_id = await paid(world, sandbox)
    async with client(world, "203.0.113.99") as http:
        response = await http.post(
            "/api/webhooks/yookassa", content=notification(sandbox, provider_id)
        )
        # X-Forwarded-For from a peer that is not a trusted proxy is not believed.
        spoofed = await http.post(
            "/api/webhooks/yookassa",
            content=notification(sandbox, provider_id),
            headers={"X-Forwarded-For": YOOKASSA_IP},
        )
    assert response.status_code == 403 and response.json()["code"] == "webhook_source_forbidden"
    assert spoofed.status_code == 403
    assert await appointment_status(appointment_id) == "pending_payment"


async def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(
    world: PaymentsWorld, sandbox: YooKassaSandbox
) -> None:
    appointment_id, provider_id = await paid(world, sandbox)
    async with client(world, PROXY_IP) as http:
        foreign = await http.post(
            "/api/webhooks/yookassa",
            content=notification(sandbox, provider_id),
            headers={"X-Forwarded-For": "203.0.113.99"},
        )
        forged_left = await http.post(
            "/api/webhooks/yookassa",
            content=notification(sandbox, provider_id),
            headers={"X-Forwarded-For": f"{YOOKASSA_IP}, 203.0.113.99"},
        )
        assert await appointment_status(appointment_id) == "pending_payment"
        ok = await http.post(
            "/api/webhooks/yookassa",
            content=notification(sandbox, provider_id),
            headers={"X-Forwarded-For": YOOKASSA_IP},
        )
    assert foreign.status_code == 403
    assert forged_left.status_code == 403
    assert ok.status_code == 200
    assert await appointment_status(appointment_id) == "confirmed"


async def test_a_forged_line_above_the_proxys_own_does_not_pass_the_allowlist(
    world: PaymentsWorld, sandbox: YooKassaSandbox
) -> None:
    appointment_id, provider_id = await paid(world, sandbox)
    # The attacker's line names YooKassa; the proxy adds the real address as a line of its own.
    forged_line = [("X-Forwarded-For", YOOKASSA_IP), ("X-Forwarded-For", "203.0.113.99")]
    async with client(world, PROXY_IP) as http:
        forged = await http.post(
            "/api/webhooks/yookassa",
            content=notification(sandbox, provider_id),
            headers=forged_line,
        )
        garbage = await http.post(
            "/api/webhooks/yookassa",
            content=notification(sandbox, provider_id),
            headers=[("X-Forwarded-For", YOOKASSA_IP), ("X-Forwarded-For", "garbage")],
        )
        assert await appointment_status(appointment_id) == "pending_payment"
    # A dual-stack listener reports the proxy as an IPv4-mapped address: still the proxy.
    async with client(world, f"::ffff:{PROXY_IP}") as http:
        ok = await http.post(
            "/api/webhooks/yookassa",
            content=notification(sandbox, provider_id),
            headers=[("X-Forwarded-For", "203.0.113.99"), ("X-Forwarded-For", YOOKASSA_IP)],
        )
    assert forged.status_code == 403
    assert garbage.status_code == 403
    assert ok.status_code == 200, ok.text
    assert await appointment_status(appointment_id) == "confirmed"


async def test_a_notification_whose_status_the_api_does_not_confirm_changes_nothing(
    world: PaymentsWorld, sandbox: YooKassaSandbox
) -> None:
    appointment_id, provider_id = await paid(world, sandbox, outcome="pending")
    forged = json.loads(notification(sandbox, provider_id))
    forged["object"]["status"] = "succeeded"
    forged["object"]["paid"] = True
    async with client(world, YOOKASSA_IP) as http:
        response = await http.post("/api/webhooks/yookassa", json=forged)
    assert response.status_code == 200 and response.json() == {"result": "unchanged"}
    assert await appointment_status(appointment_id) == "pending_payment"


async def test_out_of_order_events_never_move_a_payment_back(
    world: PaymentsWorld, sandbox: YooKassaSandbox
) -> None:
    appointment_id, provider_id = await paid(world, sandbox)
    late_cancel = json.loads(notification(sandbox, provider_id, "payment.canceled"))
    late_cancel["object"]["status"] = "canceled"
    async with client(world, YOOKASSA_IP) as http:
        await http.post("/api/webhooks/yookassa", content=notification(sandbox, provider_id))
        response = await http.post("/api/webhooks/yookassa", json=late_cancel)
        waiting = await http.post(
            "/api/webhooks/yookassa",
            content=notification(sandbox, provider_id, "payment.waiting_for_capture"),
        )
    assert response.status_code == waiting.status_code == 200
    assert await appointment_status(appointment_id) == "confirmed"
    row = await PaymentTable.select(PaymentTable.status).first()
    assert row == {"status": "succeeded"}


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"",
        b"[]",
        b'{"type": "notification", "event": "payment.succeeded"}',
        b'{"type": "notification", "event": "payment.succeeded", "object": {}}',
        b'{"type": "notification", "event": "payment.succeeded", "object": {"id": 7}}',
        b'{"type": "something", "event": "payment.succeeded", "object": {"id": "x"}}',
        b'{"type": "notification", "event": "payment.succeeded", "object": {"id": "'
        + b"x" * 65
        + b'"}}',
    ],
)
async def test_malformed_notifications_are_400_and_echo_nothing(
    world: PaymentsWorld, body: bytes
) -> None:
    async with client(world, YOOKASSA_IP) as http:
        response = await http.post(
            "/api/webhooks/yookassa", content=body, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid_request"
    assert "x" * 65 not in response.text


async def test_unknown_payments_and_refunds_are_acknowledged(
    world: PaymentsWorld, sandbox: YooKassaSandbox
) -> None:
    _, provider_id = await paid(world, sandbox)
    refund = {
        "type": "notification",
        "event": "refund.succeeded",
        "object": {
            "id": "216749f7-0016-50be-b000-078d43a63ae4",
            "status": "succeeded",
            "amount": {"value": "1.00", "currency": "RUB"},
            "created_at": "2025-10-18T21:56:16.532Z",
            "payment_id": provider_id,
        },
    }
    unknown = {
        "type": "notification",
        "event": "payment.succeeded",
        "object": {"id": "2f3c0000-000f-5000-8000-000000000000", "status": "succeeded"},
    }
    async with client(world, YOOKASSA_IP) as http:
        refunded = await http.post("/api/webhooks/yookassa", json=refund)
        nobody = await http.post("/api/webhooks/yookassa", json=unknown)
        other_event = await http.post(
            "/api/webhooks/yookassa",
            json={"type": "notification", "event": "deal.closed", "object": {"id": "d"}},
        )
    # A refund YooKassa does not confirm (this one was never made) is only acknowledged.
    assert refunded.status_code == 200 and refunded.json() == {"result": "unknown_payment"}
    assert await PaymentTable.select(PaymentTable.status).first() == {"status": "pending"}
    assert nobody.status_code == 200 and nobody.json() == {"result": "unknown_payment"}
    assert other_event.status_code == 200 and other_event.json() == {"result": "ignored_event"}


# Logs --------------------------------------------------------------------------------------


async def test_logs_carry_no_secrets_contacts_or_card_data(
    world: PaymentsWorld, sandbox: YooKassaSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sandbox.inject("html_502")
    appointment_id, provider_id = await paid(world, sandbox)  # receipts on: email sent
    async with client(world, YOOKASSA_IP) as http:
        await http.post("/api/webhooks/yookassa", content=notification(sandbox, provider_id))
        await http.post("/api/webhooks/yookassa", content=b"{broken")
    sandbox.inject("500", times=1000)
    other = await world.hold(2)
    async with client(world) as http:
        await http.post("/api/public/payments", json={"appointment_id": str(other)})
    sandbox.clear_faults()

    assert await appointment_status(appointment_id) == "confirmed"
    assert caplog.records, "the flow logged nothing: the scan would prove nothing"
    text = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    forbidden = (
        SECRET_KEY,
        CLIENT_EMAIL,
        CLIENT_PHONE,
        CLIENT_PHONE.lstrip("+"),
        "Анна",
        # Card data as the API sends it; bare digits like "4477" also occur in timings.
        "first6",
        "last4",
        "*4477",
        "869559887526342",
        "Authorization",
        "Basic ",
    )
    for secret in forbidden:
        assert secret not in text, secret


# Development sandbox wiring ----------------------------------------------------------------


async def test_development_serves_the_sandbox_at_its_own_port_end_to_end(db: object) -> None:
    """No credentials, no YooKassa: the app pays through the sandbox it serves itself."""
    await seeded()
    port = free_port()
    settings = load_settings({**_dev_env(), "PORT": str(port)})
    assert settings.yookassa_api_url == f"http://127.0.0.1:{port}/sandbox/v3"
    container = build_container(settings)
    sandbox = container.payments.sandbox
    assert sandbox is not None
    assert sandbox.webhook_url == f"http://127.0.0.1:{port}/api/webhooks/yookassa"
    world = payments_world("http://unused")
    appointment_id = await world.hold()
    world.close()
    await close_database(db)  # the served app's event loop owns the engine meanwhile
    try:
        with live_server(build_app(container), port=port) as server:
            async with httpx.AsyncClient(base_url=server, timeout=60) as http:
                unauthorised = await http.get("/sandbox/v3/payments/x")
                created = await http.post(
                    "/api/public/payments", json={"appointment_id": str(appointment_id)}
                )
                assert created.status_code == 201, created.text
                url = created.json()["confirmation"]["confirmation_url"]
                paid_response = await http.post(url + "/pay")
                status = await http.get(f"/api/public/payments/{created.json()['payment_id']}")
    finally:
        container.payments.gateway.close()
        await open_database(db)
    assert unauthorised.status_code == 401
    assert unauthorised.json()["code"] == "invalid_credentials"
    assert url.startswith(f"http://127.0.0.1:{port}/sandbox/checkout/")
    assert paid_response.status_code == 303
    assert status.json()["status"] == "succeeded"
    assert status.json()["appointment_status"] == "confirmed"


def test_production_never_builds_the_sandbox() -> None:
    from tests.unit.test_settings import production

    with pytest.raises(ConfigurationError, match="sandbox"):
        load_settings(production(YOOKASSA_API_URL="https://eb.example/sandbox/v3"))
    settings = load_settings(production())
    payments = build_payments(settings, lambda: None, SystemClock(), None)  # type: ignore[arg-type]
    try:
        assert payments.sandbox is None
    finally:
        payments.gateway.close()


def _dev_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "YOOKASSA_API_URL"}


# End to end over HTTP: the sandbox's "pay" button notifies our served app -------------------


async def test_pressing_pay_on_the_sandbox_page_confirms_the_appointment_end_to_end(
    db: object, sandbox_and_url: tuple[YooKassaSandbox, str]
) -> None:
    sandbox, api_url = sandbox_and_url
    sandbox.clear_faults()
    await seeded()
    world = payments_world(
        api_url, timeouts=GatewayTimeouts(connect=2, read=10, budget=20, backoff_base=0.05)
    )
    appointment_id = await world.hold()
    await close_database(db)  # the served app's event loop owns the engine meanwhile
    app = world.app(
        yookassa_webhook_allowed_ips=tuple(ipaddress.ip_network(n) for n in ("127.0.0.1/32",))
    )
    try:
        with live_server(app) as server:
            sandbox.webhook_url = f"{server}/api/webhooks/yookassa"
            async with httpx.AsyncClient(base_url=server, timeout=60) as http:
                created = await http.post(
                    "/api/public/payments", json={"appointment_id": str(appointment_id)}
                )
                assert created.status_code == 201, created.text
                checkout_url = created.json()["confirmation"]["confirmation_url"]
                page = await http.get(checkout_url)
                assert page.status_code == 200 and 'id="pay"' in page.text
                assert "Оплатить" in page.text and "Отменить" in page.text
                paid_response = await http.post(checkout_url + "/pay")
                assert paid_response.status_code == 303
                assert paid_response.headers["location"].endswith(
                    f"/booking/payment-return/?payment_id={created.json()['payment_id']}"
                )
                status = await http.get(f"/api/public/payments/{created.json()['payment_id']}")
    finally:
        sandbox.webhook_url = None
        world.close()
        await open_database(db)
    assert sandbox.notifications[-1][1] == 200
    assert status.json()["status"] == "succeeded"
    assert status.json()["appointment_status"] == "confirmed"
    slot_row = (
        await AppointmentTable.select(AppointmentTable.slot)
        .where(AppointmentTable.id == appointment_id)
        .first()
    )
    assert slot_row is not None
    slot = await SlotTable.select(SlotTable.status).where(SlotTable.id == slot_row["slot"]).first()
    assert slot == {"status": "booked"}


async def test_a_test_payment_notified_to_a_live_shop_is_ignored_and_logged_with_ids_only(
    db: object,
    sandbox: YooKassaSandbox,
    sandbox_and_url: tuple[YooKassaSandbox, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The sandbox answers like a YooKassa test shop (``"test": true``); this shop is live.
    sandbox.clear_faults()
    await seeded()
    live = payments_world(sandbox_and_url[1], test_shop=False)
    try:
        appointment_id, provider_id = await paid(live, sandbox)
        assert sandbox.payment(provider_id)["test"] is True
        with caplog.at_level(logging.INFO):
            async with client(live, YOOKASSA_IP) as http:
                response = await http.post(
                    "/api/webhooks/yookassa", content=notification(sandbox, provider_id)
                )
    finally:
        live.close()

    assert response.status_code == 200 and response.json() == {"result": "wrong_mode"}
    assert await appointment_status(appointment_id) == "pending_payment"
    row = await PaymentTable.select(PaymentTable.id, PaymentTable.status).first()
    assert row is not None and row["status"] == "pending"
    [logged] = [r.getMessage() for r in caplog.records if "ignored" in r.getMessage()]
    assert str(row["id"]) in logged and provider_id in logged
    assert CLIENT_EMAIL not in caplog.text and CLIENT_PHONE not in caplog.text
