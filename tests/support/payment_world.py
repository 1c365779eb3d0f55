"""A payments test world on the real database: demo data, held appointments, the real SDK
gateway against a sandbox served over real HTTP, and the payment use cases wired as
``main.py`` wires them (with short timeouts)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from adapters.settings import load_settings
from adapters.yookassa.gateway import GatewayTimeouts, YooKassaPaymentGateway
from adapters.yookassa.sandbox import YooKassaSandbox
from api.app import create_app
from api.config import ApiConfig
from api.dependencies import ApiPorts, PaymentPorts
from composition.container import build_container, build_payment_event_hook
from domain.models import ConsentEvidence
from domain.payment_ports import PaymentEventHook
from domain.ports import Clock
from domain.use_cases.create_payment_intent import CreatePaymentIntentUseCase
from domain.use_cases.get_payment import GetPaymentUseCase
from domain.use_cases.handle_payment_notification import HandlePaymentNotificationUseCase
from domain.use_cases.hold_slot import HoldSlotCommand
from domain.use_cases.payment_status import PaymentSettings
from domain.use_cases.reconcile_payments import ReconcilePaymentsUseCase
from domain.use_cases.refund_payments import RefundPaymentsUseCase
from tables.core.tables import SlotTable
from tables.demo import seed_demo
from tests.support.live_server import live_server

SHOP_ID = "506751"
SECRET_KEY = "test_Fh8hUAVVBGUGbjmlzba6TB0iyUbos_lueTHE-axOwM0"
CLIENT_EMAIL = "anna.secret@example.org"
CLIENT_PHONE = "+79165551234"
FAST = GatewayTimeouts(connect=1.0, read=2.0, budget=6.0, backoff_base=0.05, backoff_cap=0.2)


@contextmanager
def sandbox_server(webhook_url: str | None = None) -> Iterator[tuple[YooKassaSandbox, str]]:
    """A sandbox on its own loopback port; yields it and its API base URL."""
    sandbox = YooKassaSandbox(shop_id=SHOP_ID, secret_key=SECRET_KEY, webhook_url=webhook_url)
    with live_server(sandbox) as url:
        yield sandbox, f"{url}/v3"


class OffsetClock:
    """The system clock moved by a settable offset (a later process, a later worker pass)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class PaymentsWorld:
    container: Any
    gateway: YooKassaPaymentGateway
    settings: PaymentSettings
    clock: Clock
    create: CreatePaymentIntentUseCase
    get: GetPaymentUseCase
    notify: HandlePaymentNotificationUseCase
    reconcile: ReconcilePaymentsUseCase
    refunds: RefundPaymentsUseCase

    def close(self) -> None:
        self.gateway.close()

    def app(self, **config: Any) -> Any:
        ports = ApiPorts(
            list_services=self.container.list_services,
            get_availability=self.container.get_availability,
            hold_slot=self.container.hold_slot,
            readiness=_Ready(),
            payments=PaymentPorts(
                create_payment_intent=self.create,
                get_payment=self.get,
                handle_payment_notification=self.notify,
            ),
        )
        return create_app(ports, ApiConfig(**config))

    async def hold(self, n: int = 0, *, with_deposit: bool = False) -> UUID:
        """Hold a free future slot (demo data) for client ``n`` with email and phone; with
        ``with_deposit``, a slot of a service that takes a deposit."""
        free = (SlotTable.status == "free") & (
            SlotTable.starts_at > datetime.now(UTC) + timedelta(hours=2)
        )
        if with_deposit:
            free &= SlotTable.service.deposit.is_not_null()
        rows = (
            await SlotTable.select(SlotTable.id).where(free).order_by(SlotTable.starts_at).limit(1)
        )
        result = await self.container.hold_slot.execute(
            HoldSlotCommand(
                slot_id=rows[0]["id"],
                client_name=f"Анна Секретная {n}",
                # Client ``n``: each may hold only MAX_ACTIVE_HOLDS_PER_CONTACT slots.
                email=CLIENT_EMAIL if n == 0 else CLIENT_EMAIL.replace("@", f"+{n}@"),
                phone=CLIENT_PHONE if n == 0 else f"{CLIENT_PHONE[:-4]}{n:04d}",
                personal_data_consent=True,
                communications_consent=False,
                consent_version="2026-11-01",
                evidence=ConsentEvidence(ip="198.51.100.7", user_agent="pytest"),
            )
        )
        appointment_id: UUID = result.appointment_id
        return appointment_id


class _Ready:
    async def is_ready(self) -> bool:
        return True


def payments_world(
    api_url: str,
    *,
    clock: Clock | None = None,
    receipts: bool = False,
    hook: PaymentEventHook | None = None,
    timeouts: GatewayTimeouts = FAST,
    test_shop: bool = SECRET_KEY.startswith("test_"),
    request_budget: float | None = None,
) -> PaymentsWorld:
    """With ``request_budget``, the request path (create, notifications) waits at most that
    many seconds for the provider while the worker keeps ``timeouts.budget``, as
    ``composition/container.py`` wires YOOKASSA_REQUEST_BUDGET_SECONDS."""
    app_settings = load_settings()
    container = build_container(app_settings)
    clock = clock or container.clock
    # The hook main wires (lead timeline, client emails) unless a test brings its own.
    hook = hook if hook is not None else build_payment_event_hook(app_settings)
    gateway = YooKassaPaymentGateway(
        shop_id=SHOP_ID, secret_key=SECRET_KEY, api_url=api_url, timeouts=timeouts
    )
    on_request = gateway if request_budget is None else gateway.with_budget(request_budget)
    settings = replace(
        PaymentSettings(public_site_url="http://127.0.0.1:8000"), receipts_enabled=receipts
    )
    common: dict[str, Any] = {"uow": container.uow, "clock": clock, "gateway": gateway}
    return PaymentsWorld(
        container=container,
        gateway=gateway,
        settings=settings,
        clock=clock,
        create=CreatePaymentIntentUseCase(
            **(common | {"gateway": on_request}),
            encryptor=container.encryptor,
            settings=settings,
            hook=hook,
        ),
        get=GetPaymentUseCase(uow=container.uow),
        notify=HandlePaymentNotificationUseCase(
            **(common | {"gateway": on_request}),
            test_shop=test_shop,
            refunds=RefundPaymentsUseCase(**(common | {"gateway": on_request}), hook=hook),
            hook=hook,
        ),
        reconcile=ReconcilePaymentsUseCase(
            **common,
            encryptor=container.encryptor,
            settings=settings,
            test_shop=test_shop,
            refunds=RefundPaymentsUseCase(**common, hook=hook),
            hook=hook,
        ),
        refunds=RefundPaymentsUseCase(**common, hook=hook),
    )


async def seeded() -> None:
    await seed_demo()
