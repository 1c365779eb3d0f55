"""Waitlist offers: the page behind the link in an offer email, and the endpoint its button
posts to.

Opening the page changes nothing (mail scanners and link previews open links); only the
button's ``POST`` takes the slot. Then the page creates the payment as the booking flow does
(``POST /api/public/payments``) and sends the visitor to YooKassa.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated
from uuid import UUID

import msgspec
from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Controller, MediaType, Response, get, post
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from api.dependencies import Ports, offers
from api.errors import PUBLIC_POST, problem_responses
from api.pages import TEMPLATES, html_response, render_page
from domain.errors import OfferExpired, OfferNotFound, OfferTaken
from domain.offers import OfferPageState
from domain.use_cases.accept_waitlist_offer import AcceptWaitlistOfferCommand
from domain.use_cases.get_offer_page import GetOfferPageCommand, OfferPage

ACCEPT_ENDPOINT = "/api/public/waitlist/offers/accept"


class AcceptOfferRequest(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(description="The token from the offer email's link.")]

    def __repr__(self) -> str:
        return "AcceptOfferRequest(token=***)"


class AcceptOfferResponse(msgspec.Struct):
    appointment_id: UUID
    status: str
    hold_expires_at: datetime


class WaitlistOffersController(Controller):
    path = "/api/public/waitlist/offers"
    tags = ["waitlist"]

    @post(
        "/accept",
        status_code=HTTP_201_CREATED,
        summary="Accept a waitlist offer",
        description=(
            "Posted by the button of the offer page (`/booking/offer/?token=...`, the link in "
            "the offer email). The slot reserved for the person becomes a `pending_payment` "
            "appointment held for `HOLD_MINUTES`, made from the contact the waitlist request "
            "already holds (encrypted); then pay it with `POST /api/public/payments`. "
            "Idempotent: the same token again answers the same appointment. `404` "
            "`offer_not_found` for an unknown or malformed token; `409` `offer_expired` when "
            "the time ran out (the slot went to the next person) or the request was closed, "
            "`offer_taken` when the slot is no longer reserved. Rate limited per client IP."
        ),
        responses=problem_responses(*PUBLIC_POST, OfferNotFound, OfferExpired, OfferTaken),
    )
    async def accept(self, ports: Ports, data: JSONBody[AcceptOfferRequest]) -> AcceptOfferResponse:
        result = await offers(ports).accept_offer.execute(
            AcceptWaitlistOfferCommand(token=data.token)
        )
        return AcceptOfferResponse(
            appointment_id=result.appointment_id,
            status=result.status.value,
            hold_expires_at=result.hold_expires_at,
        )


@cache
def _jinja() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        auto_reload=False,
    )


def render_offer_page(page: OfferPage, token: str) -> str:
    body = (
        _jinja()
        .get_template("waitlist_offer.html.j2")
        .render(
            page=page,
            state=page.state.value,
            token=token if page.state is not OfferPageState.UNKNOWN else "",
            endpoint=ACCEPT_ENDPOINT,
        )
    )
    return render_page("Освободилось время", body, ("waitlist_offer.js",))


class OfferPagesController(Controller):
    path = "/booking/offer"
    include_in_schema = False

    @get("/", media_type=MediaType.HTML)
    async def offer_page(
        self,
        ports: Ports,
        token: Annotated[str | None, QueryParameter(name="token", max_length=256)] = None,
    ) -> Response[str]:
        page = await offers(ports).get_offer_page.execute(GetOfferPageCommand(token))
        status = 404 if page.state is OfferPageState.UNKNOWN else 200
        return html_response(render_offer_page(page, token or ""), status_code=status)
