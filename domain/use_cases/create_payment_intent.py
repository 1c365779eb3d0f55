"""Create (or resume) the provider payment for an appointment."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from domain.errors import (
    AppointmentNotFound,
    AppointmentNotPayable,
    DepositNotAvailable,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    LivePaymentExists,
    ProviderRejected,
    ProviderUnavailable,
    ServiceNotFound,
)
from domain.models import Appointment, Money, Service
from domain.payment_ports import NoPaymentEventHook, PaymentEventHook, PaymentGateway
from domain.payments import (
    Confirmation,
    ConfirmationType,
    Payment,
    PaymentKind,
    PaymentStatus,
    request_fingerprint,
)
from domain.ports import Clock, Encryptor, UnitOfWorkFactory
from domain.use_cases.payment_status import (
    PaymentSettings,
    ProviderRequestBuilder,
    amount_for,
    apply_provider_state,
    payment_started_event,
)

logger = logging.getLogger("domain.payments")

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_\-.:]{1,64}$")


@dataclass(frozen=True, slots=True)
class CreatePaymentIntentCommand:
    appointment_id: UUID
    kind: PaymentKind | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentIntentResult:
    payment_id: UUID
    status: PaymentStatus
    kind: PaymentKind
    amount: Money
    confirmation: Confirmation | None
    replayed: bool = False

    @classmethod
    def of(cls, payment: Payment) -> PaymentIntentResult:
        return cls(
            payment_id=payment.id,
            status=payment.status,
            kind=payment.kind,
            amount=payment.amount,
            confirmation=payment.confirmation,
        )

    def to_json(self) -> str:
        """The answer as stored for Idempotency-Key replays (no personal data in it)."""
        confirmation = self.confirmation
        return json.dumps(
            {
                "payment_id": str(self.payment_id),
                "status": self.status.value,
                "kind": self.kind.value,
                "amount": self.amount.value,
                "confirmation": None
                if confirmation is None
                else {
                    "type": confirmation.type.value,
                    "confirmation_url": confirmation.confirmation_url,
                    "confirmation_token": confirmation.confirmation_token,
                },
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, raw: str) -> PaymentIntentResult:
        data = json.loads(raw)
        confirmation = data["confirmation"]
        return cls(
            payment_id=UUID(data["payment_id"]),
            status=PaymentStatus(data["status"]),
            kind=PaymentKind(data["kind"]),
            amount=Money(Decimal(data["amount"])),
            confirmation=None
            if confirmation is None
            else Confirmation(
                type=ConfirmationType(confirmation["type"]),
                confirmation_url=confirmation["confirmation_url"],
                confirmation_token=confirmation["confirmation_token"],
            ),
            replayed=True,
        )


def validate_idempotency_key(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not IDEMPOTENCY_KEY.match(raw):
        raise InvalidIdempotencyKey()
    return raw


class CreatePaymentIntentUseCase:
    """Creates the YooKassa payment for an appointment and returns how to pay it.

    - The amount comes from the service: its deposit for ``deposit``, its price for ``full``;
      without a kind, the deposit when the service has one, else full. A deposit on a
      service without one is ``deposit_not_available``.
    - Only a ``pending_payment`` appointment whose hold has not expired can be paid
      (``appointment_not_payable``); an unknown one is ``appointment_not_found``.
    - Idempotency-Key (1-64 of ``A-Za-z0-9_-.:``; else derived from appointment and kind):
      the same key and request replays the first answer; another request under the key is
      ``idempotency_key_reused``; while the first still runs, ``idempotency_key_in_use``.
      Keys are kept 24 hours. Only successful answers are kept for replay.
    - An appointment has at most one live payment (``creating``, ``pending``,
      ``waiting_for_capture``) whatever its kind and the keys, and the database decides
      between concurrent requests: a request of the live payment's kind returns it (or
      resumes its creation); another kind is ``payment_in_progress``.
    - The payment row (``creating``, with our provider key) and the ``payment_started``
      tracking event are committed before the provider is called; the call runs outside any
      transaction; its result is written after. A crash in between is recovered by a retry
      or by the worker re-sending the same request under the same key: one provider payment.
    - Provider unavailable, or not answering within the gateway's time budget (the
      visitor's, YOOKASSA_REQUEST_BUDGET_SECONDS): ``provider_unavailable`` (retry later; the
      payment stays recoverable). Provider refused: the payment fails, ``provider_rejected``.
    """

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        gateway: PaymentGateway,
        encryptor: Encryptor,
        settings: PaymentSettings,
        hook: PaymentEventHook | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._gateway = gateway
        self._settings = settings
        self._requests = ProviderRequestBuilder(settings=settings, encryptor=encryptor)
        self._hook = hook or NoPaymentEventHook()

    async def execute(self, command: CreatePaymentIntentCommand) -> PaymentIntentResult:
        header_key = validate_idempotency_key(command.idempotency_key)
        now = self._clock.now()
        # One short transaction reads what the request means and claims its key.
        async with self._uow() as uow:
            appointment = await uow.appointments.get(command.appointment_id)
            if appointment is None:
                raise AppointmentNotFound()
            service = await uow.services.get(appointment.service_id)
            if service is None:
                raise ServiceNotFound()
            kind = self._resolve_kind(service, command.kind)
            fingerprint = request_fingerprint(appointment.id, kind)
            store_key = (
                f"payments:key:{header_key}"
                if header_key is not None
                else f"payments:auto:{appointment.id}:{kind.value}"
            )
            holder = await uow.idempotency_keys.claim(
                store_key,
                fingerprint,
                now,
                now + self._settings.in_flight_lease,
                now + self._settings.idempotency_ttl,
            )
            await uow.commit()
        if holder is not None:
            if holder.request_hash != fingerprint:
                raise IdempotencyKeyReused()
            if holder.in_flight or holder.response_body is None:
                raise IdempotencyKeyInUse()
            return PaymentIntentResult.from_json(holder.response_body)

        try:
            return await self._create(appointment.id, kind, fingerprint, service, store_key)
        except Exception:
            async with self._uow() as uow:
                await uow.idempotency_keys.release(store_key)
                await uow.commit()
            raise

    @staticmethod
    def _resolve_kind(service: Service, requested: PaymentKind | None) -> PaymentKind:
        if requested is None:
            return PaymentKind.DEPOSIT if service.deposit is not None else PaymentKind.FULL
        if requested is PaymentKind.DEPOSIT and service.deposit is None:
            raise DepositNotAvailable()
        return requested

    async def _create(
        self,
        appointment_id: UUID,
        kind: PaymentKind,
        fingerprint: str,
        service: Service,
        store_key: str,
    ) -> PaymentIntentResult:
        payment, appointment = await self._start_or_find(appointment_id, kind, fingerprint, service)
        if payment.status is not PaymentStatus.CREATING:
            result = PaymentIntentResult.of(payment)
            async with self._uow() as uow:
                await uow.idempotency_keys.complete(store_key, result.to_json())
                await uow.commit()
            return result

        request = self._requests.build(payment, appointment, service)
        try:
            created = await self._gateway.create_payment(request)
        except ProviderRejected:
            await self._mark_failed(payment)
            raise
        # ProviderUnavailable propagates: the row stays ``creating`` for a retry or the worker.

        # The result and the replayable answer are written in one transaction.
        for _ in range(3):
            now = self._clock.now()
            async with self._uow() as uow:
                current = await uow.payments.get(payment.id)
                if current is None:  # pragma: no cover - payments are never deleted
                    raise AppointmentNotFound()
                applied = await apply_provider_state(uow, current, created, now, self._hook)
                if not applied:
                    # Someone (a retry, the worker, a notification) may have recorded it.
                    current = await uow.payments.get(payment.id)
                    if current is None or current.provider_payment_id is None:
                        continue
                result = PaymentIntentResult.of(current)
                await uow.idempotency_keys.complete(store_key, result.to_json())
                await uow.commit()
                return result
        logger.warning("payment %s: provider result not recorded after retries", payment.id)
        raise ProviderUnavailable()

    async def _start_or_find(
        self, appointment_id: UUID, kind: PaymentKind, fingerprint: str, service: Service
    ) -> tuple[Payment, Appointment]:
        for _ in range(3):
            now = self._clock.now()
            async with self._uow() as uow:
                appointment = await uow.appointments.get(appointment_id)
                if appointment is None:
                    raise AppointmentNotFound()
                live = await uow.payments.find_live(appointment_id)
                if live is not None:
                    if live.kind is not kind:
                        raise LivePaymentExists()
                    if live.status is PaymentStatus.CREATING and not appointment.is_payable(now):
                        raise AppointmentNotPayable()
                    return live, appointment
                if not appointment.is_payable(now):
                    raise AppointmentNotPayable()
                payment = Payment.start(
                    appointment_id=appointment_id,
                    kind=kind,
                    amount=amount_for(service, kind),
                    request_fingerprint=fingerprint,
                    now=now,
                )
                try:
                    await uow.payments.add(payment)
                except LivePaymentExists:
                    continue  # a concurrent request inserted one first: read which
                await uow.tracking.add(payment_started_event(payment, service, now))
                await uow.commit()
                return payment, appointment
        raise LivePaymentExists()

    async def _mark_failed(self, payment: Payment) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            current = await uow.payments.get(payment.id)
            if current is not None and current.status is PaymentStatus.CREATING:
                current.advance_to(PaymentStatus.FAILED, now)
                current.cancellation_reason = "provider_rejected"
                if await uow.payments.save(current, PaymentStatus.CREATING):
                    await uow.commit()
        logger.warning("payment %s failed: the provider rejected the create request", payment.id)
