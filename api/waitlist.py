"""Public endpoints of the "no slots" flow: page model, waitlist, front-end tracking events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from api.client_ip import consent_evidence
from api.dependencies import Ports, no_slots
from api.errors import PUBLIC_POST, WITH_INPUT, problem_responses
from domain.errors import (
    ConsentRequired,
    InvalidContact,
    InvalidTrackingEvent,
    ServiceNotFound,
    UnknownConsentVersion,
    ValidationFailed,
)
from domain.use_cases.create_waitlist_request import CreateWaitlistRequestCommand
from domain.use_cases.get_no_slots_page import GetNoSlotsPageCommand, NoSlotsPage
from domain.use_cases.record_frontend_event import RecordFrontendEventCommand


class ServiceSummary(msgspec.Struct):
    slug: str
    title: str
    duration_minutes: int


class Choice(msgspec.Struct):
    value: str
    label: str


class ConsentTextResponse(msgspec.Struct):
    kind: str
    version: str
    text: str


class ConsentsBlock(msgspec.Struct):
    version: str
    personal_data: ConsentTextResponse
    communications: ConsentTextResponse


class TelegramConcierge(msgspec.Struct):
    url: str
    tg_flow: str
    start_hint: str


class FreeSlotResponse(msgspec.Struct):
    """A free slot, to book instead of joining the waitlist (a stale link)."""

    slot_id: UUID
    starts_at: datetime  # ISO 8601, UTC
    ends_at: datetime
    local_date: str  # «четверг, 10 декабря 2026», in PRACTICE_TIMEZONE
    local_time: str  # «14:00–14:50»


class NoSlotsPageResponse(msgspec.Struct):
    service: ServiceSummary
    contact_methods: list[Choice]
    time_windows: list[Choice]
    consents: ConsentsBlock
    telegram: TelegramConcierge
    waitlist_url: str = "/api/public/waitlist"
    # Empty unless the service has free slots after all (at most 20, earliest first): then
    # the page offers them to book (``POST /api/public/appointments``), not the waitlist.
    free_slots: list[FreeSlotResponse] = msgspec.field(default_factory=list)

    @classmethod
    def of(cls, page: NoSlotsPage) -> NoSlotsPageResponse:
        personal, comms = page.personal_data_consent, page.communications_consent
        return cls(
            service=ServiceSummary(
                slug=page.service.slug,
                title=page.service.title,
                duration_minutes=page.service.duration_minutes,
            ),
            contact_methods=[Choice(m.value, label) for m, label in page.contact_methods],
            time_windows=[Choice(w.value, label) for w, label in page.time_windows],
            consents=ConsentsBlock(
                version=personal.version,
                personal_data=ConsentTextResponse(
                    personal.kind.value, personal.version, personal.text
                ),
                communications=ConsentTextResponse(comms.kind.value, comms.version, comms.text),
            ),
            telegram=TelegramConcierge(
                url=page.concierge_url, tg_flow="concierge", start_hint=page.concierge_start_hint
            ),
            free_slots=[
                FreeSlotResponse(
                    slot_id=free.slot_id,
                    starts_at=free.starts_at,
                    ends_at=free.ends_at,
                    local_date=free.date_text,
                    local_time=free.time_text,
                )
                for free in page.free_times
            ],
        )


class WaitlistConsents(msgspec.Struct, forbid_unknown_fields=True):
    # Missing means "not given": that is a 422 consent_required, not a malformed request.
    personal_data: bool = False
    communications: bool = False
    version: Annotated[str, msgspec.Meta(max_length=32)] = ""


class CreateWaitlistRequest(msgspec.Struct, forbid_unknown_fields=True):
    service_slug: Annotated[str, msgspec.Meta(max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]
    # Plain strings checked by the use case: a schema error would echo the value, and a
    # contact typed into the wrong field must not come back in an error body.
    preferred_contact_method: Annotated[
        str, msgspec.Meta(max_length=16, description="email | phone | telegram")
    ]
    contact_value: Annotated[str, msgspec.Meta(max_length=256)]
    preferred_time_window: Annotated[
        str,
        msgspec.Meta(max_length=16, description="morning | afternoon | evening | weekend | any"),
    ]
    consents: WaitlistConsents = msgspec.field(default_factory=WaitlistConsents)

    def __repr__(self) -> str:
        return f"CreateWaitlistRequest(service_slug={self.service_slug!r}, contact=***)"


class WaitlistAcceptedResponse(msgspec.Struct):
    """The one answer to every valid submission: a new contact and a repeat alike, so the
    answer tells no one whether a person is already on the waitlist."""

    status: Literal["accepted"]


EventValue = str | int | bool | None


class TrackingEventRequest(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    properties: Annotated[dict[str, EventValue], msgspec.Meta(max_length=16)] = {}


class TrackingEventAccepted(msgspec.Struct):
    event_id: UUID
    status: str = "accepted"


class NoSlotsController(Controller):
    path = "/api/public"
    tags = ["no slots"]

    @get(
        "/booking/no-slots",
        summary='Model of the "no slots" page',
        description=(
            "The service, the waitlist form (contact methods, time windows, both consent texts "
            "with their version id) and the Telegram concierge link with the START hint. "
            "404 for an unknown service."
        ),
        responses=problem_responses(*WITH_INPUT, ServiceNotFound),
    )
    async def no_slots_page(
        self,
        ports: Ports,
        service_slug: Annotated[
            str, QueryParameter(name="service_slug", max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
        ],
    ) -> NoSlotsPageResponse:
        page = await no_slots(ports).get_no_slots_page.execute(GetNoSlotsPageCommand(service_slug))
        return NoSlotsPageResponse.of(page)

    @post(
        "/waitlist",
        status_code=HTTP_202_ACCEPTED,
        summary="Join the waitlist of a service",
        response_description=(
            "Accepted: a new request, or the contact's active request for this service "
            "(indistinguishable by design)."
        ),
        description=(
            "Both consents (`personal_data`, `communications`) must be `true`, else 422 "
            "`consent_required` and nothing is stored. 422 `invalid_contact` when the contact "
            "does not fit its method (emails may be internationalised: `имя@почта.рф`). "
            'Every valid submission is answered **202** `{"status": "accepted"}`, the same '
            "status, body and headers for a new contact and for a repeat of one already on "
            "the waitlist (no request id, no request status): the answer must not tell "
            "anyone whether a person is seeking help here. A repeat by the same contact for "
            "the same service while a request is active makes no second request. An email "
            "contact gets at most one confirmation email per service in 24 hours. Rate "
            "limited per client IP (429 + `Retry-After`)."
        ),
        responses=problem_responses(
            *PUBLIC_POST,
            ServiceNotFound,
            ConsentRequired,
            UnknownConsentVersion,
            InvalidContact,
            ValidationFailed,
        ),
    )
    async def create_waitlist_request(
        self,
        ports: Ports,
        request: Request[Any, Any, Any],
        data: JSONBody[CreateWaitlistRequest],
    ) -> WaitlistAcceptedResponse:
        # The result (new request or the active one) is deliberately dropped: see above.
        await no_slots(ports).create_waitlist_request.execute(
            CreateWaitlistRequestCommand(
                service_slug=data.service_slug,
                preferred_contact_method=data.preferred_contact_method,
                contact_value=data.contact_value,
                preferred_time_window=data.preferred_time_window,
                personal_data_consent=data.consents.personal_data,
                communications_consent=data.consents.communications,
                consent_version=data.consents.version,
                evidence=consent_evidence(request),
            )
        )
        return WaitlistAcceptedResponse(status="accepted")

    @post(
        "/events",
        status_code=HTTP_202_ACCEPTED,
        summary="Record a front-end analytics event",
        description=(
            "Only event names and properties of the tracking plan (`docs/tracking-plan.md`) are "
            "accepted; anything else, or a value that looks like a contact, is 422 "
            "`invalid_tracking_event`."
        ),
        responses=problem_responses(*PUBLIC_POST, InvalidTrackingEvent),
    )
    async def record_event(
        self, ports: Ports, data: JSONBody[TrackingEventRequest]
    ) -> TrackingEventAccepted:
        event_id = await no_slots(ports).record_frontend_event.execute(
            RecordFrontendEventCommand(name=data.name, properties=data.properties)
        )
        return TrackingEventAccepted(event_id=event_id)
