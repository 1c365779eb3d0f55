"""Public booking endpoints: services, availability, holding a slot."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, get, post
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from api.client_ip import consent_evidence
from api.dependencies import Ports
from api.errors import PUBLIC_POST, WITH_INPUT, problem_responses
from api.schemas import (
    AppointmentResponse,
    AvailabilityResponse,
    CreateAppointmentRequest,
    ServiceResponse,
    SlotResponse,
)
from domain.errors import (
    ConsentRequired,
    ContactRequired,
    InvalidContact,
    ServiceNotFound,
    SlotInPast,
    SlotNotAvailable,
    SlotNotFound,
    TooManyHolds,
    UnknownConsentVersion,
    ValidationFailed,
)
from domain.use_cases.get_availability import GetAvailabilityCommand
from domain.use_cases.hold_slot import HoldSlotCommand

SLUG = Annotated[str, PathParameter(max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]


def no_slots_url(slug: str) -> str:
    return f"/booking/no-slots/?service={quote(slug)}"


class PublicBookingController(Controller):
    path = "/api/public"
    tags = ["booking"]

    @get("/services", summary="Active services with prices")
    async def list_services(self, ports: Ports) -> list[ServiceResponse]:
        services = await ports.list_services.execute()
        return [ServiceResponse.of(service) for service in services]

    @get(
        "/services/{slug:str}/availability",
        summary="Free slots of a service",
        description=(
            "`from` and `to` are dates (inclusive, Europe/Moscow); default: the next 30 days."
        ),
        responses=problem_responses(*WITH_INPUT, ValidationFailed, ServiceNotFound),
    )
    async def availability(
        self,
        ports: Ports,
        slug: SLUG,
        date_from: Annotated[date | None, QueryParameter(name="from")] = None,
        date_to: Annotated[date | None, QueryParameter(name="to")] = None,
    ) -> AvailabilityResponse:
        result = await ports.get_availability.execute(
            GetAvailabilityCommand(service_slug=slug, date_from=date_from, date_to=date_to)
        )
        return AvailabilityResponse(
            service_slug=result.service.slug,
            slots=[SlotResponse.of(slot) for slot in result.slots],
            no_slots=result.no_slots,
            no_slots_url=no_slots_url(result.service.slug),
        )

    @post(
        "/appointments",
        status_code=HTTP_201_CREATED,
        summary="Hold a slot while the client pays",
        description=(
            "409 `slot_not_available` when the slot is no longer free (of concurrent holds "
            "exactly one wins); 409 `too_many_holds` when this client (same email or phone) "
            "already has `MAX_ACTIVE_HOLDS_PER_CONTACT` unpaid, unexpired holds."
        ),
        responses=problem_responses(
            *PUBLIC_POST,
            SlotNotFound,
            ServiceNotFound,
            SlotNotAvailable,
            TooManyHolds,
            ConsentRequired,
            UnknownConsentVersion,
            SlotInPast,
            ContactRequired,
            InvalidContact,
            ValidationFailed,
        ),
    )
    async def create_appointment(
        self,
        ports: Ports,
        request: Request[Any, Any, Any],
        data: JSONBody[CreateAppointmentRequest],
    ) -> AppointmentResponse:
        result = await ports.hold_slot.execute(
            HoldSlotCommand(
                slot_id=data.slot_id,
                client_name=data.client.name,
                email=data.client.email,
                phone=data.client.phone,
                personal_data_consent=data.consents.personal_data,
                communications_consent=data.consents.communications,
                consent_version=data.consents.version,
                evidence=consent_evidence(request),
            )
        )
        return AppointmentResponse(
            appointment_id=result.appointment_id,
            status=result.status.value,
            hold_expires_at=result.hold_expires_at,
        )
