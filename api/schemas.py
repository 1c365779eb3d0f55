"""Request and response Structs of the public API (exact shapes: SPEC sections 3-5)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import msgspec

from domain.models import Money, Service, Slot

ShortText = Annotated[str, msgspec.Meta(max_length=256)]
Version = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$")]


class MoneyResponse(msgspec.Struct, frozen=True):
    value: str
    currency: str

    @classmethod
    def of(cls, money: Money) -> MoneyResponse:
        return cls(value=money.value, currency=money.currency)


class ServiceResponse(msgspec.Struct, frozen=True):
    slug: str
    title: str
    duration_minutes: int
    price: MoneyResponse
    deposit: MoneyResponse | None

    @classmethod
    def of(cls, service: Service) -> ServiceResponse:
        return cls(
            slug=service.slug,
            title=service.title,
            duration_minutes=service.duration_minutes,
            price=MoneyResponse.of(service.price),
            deposit=None if service.deposit is None else MoneyResponse.of(service.deposit),
        )


class SlotResponse(msgspec.Struct, frozen=True):
    slot_id: UUID
    starts_at: datetime
    ends_at: datetime

    @classmethod
    def of(cls, slot: Slot) -> SlotResponse:
        return cls(slot_id=slot.id, starts_at=slot.starts_at, ends_at=slot.ends_at)


class AvailabilityResponse(msgspec.Struct, frozen=True):
    service_slug: str
    slots: list[SlotResponse]
    no_slots: bool
    no_slots_url: str


class ClientRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(max_length=200)]
    email: ShortText | None = None
    phone: ShortText | None = None

    def __repr__(self) -> str:
        return "ClientRequest(***)"


class ConsentsRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    personal_data: bool
    communications: bool
    version: Version


class CreateAppointmentRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    slot_id: UUID
    client: ClientRequest
    consents: ConsentsRequest


class AppointmentResponse(msgspec.Struct, frozen=True):
    appointment_id: UUID
    status: str
    hold_expires_at: datetime


class HealthResponse(msgspec.Struct, frozen=True):
    status: str


class AvailabilityQuery(msgspec.Struct, frozen=True):
    date_from: date | None = None
    date_to: date | None = None
