"""The use cases and probes the API calls, handed in by the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field

from litestar.params import SkipValidation

from api.config import ApiConfig
from domain.ports import OutboxBacklogProbe, ReadinessProbe
from domain.use_cases.accept_waitlist_offer import AcceptWaitlistOfferUseCase
from domain.use_cases.create_payment_intent import CreatePaymentIntentUseCase
from domain.use_cases.create_waitlist_request import CreateWaitlistRequestUseCase
from domain.use_cases.get_availability import GetAvailabilityUseCase
from domain.use_cases.get_no_slots_page import GetNoSlotsPageUseCase
from domain.use_cases.get_offer_page import GetOfferPageUseCase
from domain.use_cases.get_payment import GetPaymentUseCase
from domain.use_cases.handle_payment_notification import HandlePaymentNotificationUseCase
from domain.use_cases.hold_slot import HoldSlotUseCase
from domain.use_cases.list_services import ListServicesUseCase
from domain.use_cases.record_frontend_event import RecordFrontendEventUseCase
from domain.use_cases.withdraw_consent import WithdrawConsentUseCase


@dataclass(frozen=True, slots=True)
class NoSlotsPorts:
    """The "no slots" flow: page model, waitlist, front-end tracking (and the pages)."""

    get_no_slots_page: GetNoSlotsPageUseCase
    create_waitlist_request: CreateWaitlistRequestUseCase
    record_frontend_event: RecordFrontendEventUseCase


@dataclass(frozen=True, slots=True)
class PaymentPorts:
    """Payments: create and read payment intents, receive YooKassa notifications."""

    create_payment_intent: CreatePaymentIntentUseCase
    get_payment: GetPaymentUseCase
    handle_payment_notification: HandlePaymentNotificationUseCase


@dataclass(frozen=True, slots=True)
class PrivacyPorts:
    """Personal data: withdrawal of consent from the link in every email."""

    withdraw_consent: WithdrawConsentUseCase


@dataclass(frozen=True, slots=True)
class OfferPorts:
    """Waitlist offers: the offer page and its button."""

    get_offer_page: GetOfferPageUseCase
    accept_offer: AcceptWaitlistOfferUseCase


@dataclass(frozen=True, slots=True)
class ApiPorts:
    list_services: ListServicesUseCase
    get_availability: GetAvailabilityUseCase
    hold_slot: HoldSlotUseCase
    readiness: ReadinessProbe
    # Keyword-only with a default, so apps built without the flow (some tests) stay valid.
    no_slots: NoSlotsPorts | None = field(default=None, kw_only=True)
    payments: PaymentPorts | None = field(default=None, kw_only=True)
    privacy: PrivacyPorts | None = field(default=None, kw_only=True)
    # Read at each ``/metrics`` scrape; without it the scrape has no outbox gauges.
    outbox_backlog: OutboxBacklogProbe | None = field(default=None, kw_only=True)
    offers: OfferPorts | None = field(default=None, kw_only=True)


# Injected as they are: Litestar must not try to validate our own objects.
Ports = SkipValidation[ApiPorts]
Config = SkipValidation[ApiConfig]


def no_slots(ports: ApiPorts) -> NoSlotsPorts:
    """The flow's use cases; its routes are only mounted when they are wired."""
    if ports.no_slots is None:
        raise RuntimeError("the no-slots flow is not wired")
    return ports.no_slots


def payments(ports: ApiPorts) -> PaymentPorts:
    """The payment use cases; their routes are only mounted when they are wired."""
    if ports.payments is None:
        raise RuntimeError("payments are not wired")
    return ports.payments


def privacy(ports: ApiPorts) -> PrivacyPorts:
    """The withdrawal use case; its routes are only mounted when it is wired."""
    if ports.privacy is None:
        raise RuntimeError("privacy is not wired")
    return ports.privacy


def offers(ports: ApiPorts) -> OfferPorts:
    """The offer use cases; their routes are only mounted when they are wired."""
    if ports.offers is None:
        raise RuntimeError("waitlist offers are not wired")
    return ports.offers
