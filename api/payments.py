"""Payments: create and read payment intents; YooKassa HTTP notifications."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import ValidationException
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.client_ip import client_ip
from api.config import IPNetwork
from api.dependencies import Config, Ports, payments
from api.errors import PUBLIC_POST, WITH_BODY, WITH_INPUT, problem_responses
from api.metrics import counted_payment_creation
from api.schemas import MoneyResponse
from domain.errors import (
    AppointmentNotFound,
    AppointmentNotPayable,
    DepositNotAvailable,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    LivePaymentExists,
    PaymentNotFound,
    ProviderRejected,
    ProviderUnavailable,
    ServiceNotFound,
    WebhookSourceForbidden,
)
from domain.payments import PaymentKind
from domain.use_cases.create_payment_intent import (
    CreatePaymentIntentCommand,
    PaymentIntentResult,
)
from domain.use_cases.handle_payment_notification import PaymentNotification

IDEMPOTENCY_DESCRIPTION = (
    "Optional, 1-64 characters of `A-Za-z0-9_-.:` (IETF httpapi Idempotency-Key draft). "
    "A repeat with the same key and the same body replays the first successful answer (same "
    "status, same body, header `Idempotent-Replayed: true`); the same key with another body "
    "is `422`; a repeat while the first request is still running is `409`. **Keys are kept "
    "for 24 hours.** Without the header, the key is derived from (appointment, kind). "
    "Whatever the keys, an appointment never gets two live payments of the same kind."
)


class CreatePaymentRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    appointment_id: UUID
    kind: Literal["deposit", "full"] | None = None


class ConfirmationResponse(msgspec.Struct, frozen=True, omit_defaults=True):
    type: str
    confirmation_url: str | None = None
    confirmation_token: str | None = None


class PaymentIntentResponse(msgspec.Struct, frozen=True):
    payment_id: UUID
    status: str
    kind: str
    amount: MoneyResponse
    confirmation: ConfirmationResponse | None

    @classmethod
    def of(cls, result: PaymentIntentResult) -> PaymentIntentResponse:
        confirmation = result.confirmation
        return cls(
            payment_id=result.payment_id,
            status=result.status.value,
            kind=result.kind.value,
            amount=MoneyResponse.of(result.amount),
            confirmation=None
            if confirmation is None
            else ConfirmationResponse(
                type=confirmation.type.value,
                confirmation_url=confirmation.confirmation_url,
                confirmation_token=confirmation.confirmation_token,
            ),
        )


class PaymentStatusResponse(msgspec.Struct, frozen=True):
    payment_id: UUID
    status: str
    kind: str
    amount: MoneyResponse
    appointment_status: str | None
    service_title: str | None = None
    starts_at: datetime | None = None  # ISO 8601, UTC
    ends_at: datetime | None = None
    # Russian, in PRACTICE_TIMEZONE: «четверг, 10 декабря 2026, 14:00–14:50 (Москва)»
    local_time: str | None = None
    # Why a refunded payment was paid back: hold_expired, appointment_cancelled, already_paid,
    # by_staff.
    refund_reason: str | None = None


class PaymentsController(Controller):
    path = "/api/public/payments"
    tags = ["payments"]

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        summary="Create the YooKassa payment of an appointment",
        description=(
            "The amount is computed from the service: its deposit for `deposit`, its price for "
            "`full`; without `kind`, the deposit when the service has one. `404` unknown "
            "appointment; `409` appointment not payable (expired, cancelled, already paid); "
            "`503` with `Retry-After` when YooKassa is unavailable or slower than the request's "
            "time budget (10 s by default), retries included (retry with the same "
            "Idempotency-Key: the same payment is completed, no second one is ever created); "
            "`502` when "
            "YooKassa rejects the request.\n\n" + IDEMPOTENCY_DESCRIPTION
        ),
        responses=problem_responses(
            *PUBLIC_POST,
            AppointmentNotFound,
            ServiceNotFound,
            AppointmentNotPayable,
            LivePaymentExists,
            IdempotencyKeyInUse,
            IdempotencyKeyReused,
            InvalidIdempotencyKey,
            DepositNotAvailable,
            ProviderRejected,
            ProviderUnavailable,
        ),
    )
    async def create_payment(
        self,
        ports: Ports,
        data: JSONBody[CreatePaymentRequest],
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(name="Idempotency-Key", description=IDEMPOTENCY_DESCRIPTION),
        ] = None,
    ) -> Response[PaymentIntentResponse]:
        result = await counted_payment_creation(
            payments(ports).create_payment_intent.execute(
                CreatePaymentIntentCommand(
                    appointment_id=data.appointment_id,
                    kind=None if data.kind is None else PaymentKind(data.kind),
                    idempotency_key=idempotency_key,
                )
            )
        )
        headers = {"Idempotent-Replayed": "true"} if result.replayed else None
        return Response(
            PaymentIntentResponse.of(result), status_code=HTTP_201_CREATED, headers=headers
        )

    @get(
        "/{payment_id:uuid}",
        summary="A payment's status (the return page polls it)",
        description=(
            "`404` for an unknown payment. With the payment's `status` (also `refund_pending`, "
            "`refunded`, `refund_failed` when an appointment that could not be kept is paid "
            "back) come the appointment's `service_title`, `starts_at` and `ends_at` (ISO 8601, "
            "UTC) and `local_time`, the same in Russian in `PRACTICE_TIMEZONE` (default "
            "Europe/Moscow), e.g. `четверг, 10 декабря 2026, 14:00–14:50 (Москва)`; for a "
            "payment paid back, `refund_reason` (`hold_expired`, `appointment_cancelled`, "
            "`already_paid`, `by_staff`)."
        ),
        responses=problem_responses(*WITH_INPUT, PaymentNotFound),
    )
    async def get_payment(self, ports: Ports, payment_id: FromPath[UUID]) -> PaymentStatusResponse:
        result = await payments(ports).get_payment.execute(payment_id)
        return PaymentStatusResponse(
            payment_id=result.payment_id,
            status=result.status.value,
            kind=result.kind.value,
            amount=MoneyResponse.of(result.amount),
            appointment_status=None
            if result.appointment_status is None
            else result.appointment_status.value,
            service_title=result.service_title,
            starts_at=result.starts_at,
            ends_at=result.ends_at,
            local_time=result.local_time,
            refund_reason=None if result.refund_reason is None else result.refund_reason.value,
        )


class _NotificationObject(msgspec.Struct, frozen=True):
    # Everything else in the object (amounts, card details ...) is ignored, never stored.
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    payment_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None


class _Notification(msgspec.Struct, frozen=True):
    type: Literal["notification"]
    event: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    object: _NotificationObject


def _text(nullable: bool = False) -> Schema:
    kind = [OpenAPIType.STRING, OpenAPIType.NULL] if nullable else OpenAPIType.STRING
    return Schema(type=kind, min_length=1, max_length=64)


# The body `_Notification` reads (read by hand, so that Litestar does not document it).
NOTIFICATION_BODY = RequestBody(
    required=True,
    description="A YooKassa notification; only these fields are read, the rest is ignored.",
    content={
        "application/json": OpenAPIMediaType(
            schema=Schema(
                type=OpenAPIType.OBJECT,
                required=["type", "event", "object"],
                properties={
                    "type": Schema(type=OpenAPIType.STRING, const="notification"),
                    "event": _text(),
                    "object": Schema(
                        type=OpenAPIType.OBJECT,
                        required=["id"],
                        properties={"id": _text(), "payment_id": _text(nullable=True)},
                    ),
                },
            )
        )
    },
)


@dataclass
class _NotificationOperation(Operation):
    def __post_init__(self) -> None:
        self.request_body = NOTIFICATION_BODY


class WebhookResponse(msgspec.Struct, frozen=True):
    result: str


def source_allowed(ip: str, allowed: tuple[IPNetwork, ...]) -> bool:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in allowed)


class YooKassaWebhookController(Controller):
    path = "/api/webhooks"
    tags = ["webhooks"]

    @post(
        "/yookassa",
        status_code=HTTP_200_OK,
        summary="YooKassa HTTP notifications",
        description=(
            "Accepted only from YooKassa's published address ranges "
            "(`YOOKASSA_WEBHOOK_ALLOWED_IPS`; `X-Forwarded-For` is believed only from "
            "`TRUSTED_PROXIES`): `403` otherwise. The body is a hint: the payment (for "
            "`refund.succeeded`, the refund) is re-fetched from the YooKassa API and only that "
            "answer is trusted. `200` for anything handled "
            "or safely ignored (duplicates, out-of-order events, unknown payments); `400` for a "
            "malformed body; `503` (redelivered) when YooKassa cannot be asked."
        ),
        responses=problem_responses(
            *WITH_BODY, WebhookSourceForbidden, ProviderUnavailable, ProviderRejected
        ),
        operation_class=_NotificationOperation,
    )
    async def yookassa(
        self, request: Request[Any, Any, Any], ports: Ports, api_config: Config
    ) -> WebhookResponse:
        ip = client_ip(request)
        if not source_allowed(ip, api_config.yookassa_webhook_allowed_ips):
            raise WebhookSourceForbidden()
        raw = await request.body()
        try:
            notification = msgspec.json.decode(raw, type=_Notification)
        except (msgspec.ValidationError, msgspec.DecodeError):
            # The decoder's message may quote the body: never echoed.
            raise ValidationException("malformed notification body") from None
        outcome = await payments(ports).handle_payment_notification.execute(
            PaymentNotification(
                event=notification.event,
                object_id=notification.object.id,
                payment_id=notification.object.payment_id,
            )
        )
        return WebhookResponse(result=outcome.value)
