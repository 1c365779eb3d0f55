"""Withdrawal of consent: the page behind the link in every email, and the endpoint it posts to.

Opening the page changes nothing (mail scanners and link previews open links); only the
button's ``POST`` withdraws. The page does not even look the token up: it cannot tell a
visitor, or a scanner, anything about whose link it is.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated

import msgspec
from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Controller, MediaType, Response, get, post
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from api.dependencies import Ports, privacy
from api.errors import PUBLIC_POST, problem_responses
from api.pages import TEMPLATES, html_response, render_page
from domain.errors import WithdrawalTokenNotFound
from domain.privacy import is_well_formed_token
from domain.use_cases.withdraw_consent import WithdrawConsentCommand

WITHDRAW_ENDPOINT = "/api/public/consents/withdraw"


class WithdrawConsentRequest(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(description="The token from the email's link.")]

    def __repr__(self) -> str:
        return "WithdrawConsentRequest(token=***)"


class WithdrawConsentResponse(msgspec.Struct):
    status: str = "withdrawn"


class ConsentsController(Controller):
    path = "/api/public/consents"
    tags = ["personal data"]

    @post(
        "/withdraw",
        status_code=HTTP_200_OK,
        summary="Withdraw consent to the processing of personal data",
        description=(
            "Posted by the button of the page behind the link in every email "
            "(`/privacy/withdraw/?token=...`). In one transaction: the contact's consent "
            "records are withdrawn, its active waitlist requests become `withdrawn`, its "
            "unsent emails are cancelled, its contact (ciphertext and blind index) is erased "
            "from requests, leads, appointments and the email outbox, and its leads' timelines "
            'get `consent_withdrawn`. **200** `{"status": "withdrawn"}`, the same on every '
            "repeat. An unknown or malformed token is **404** `not_found` and says nothing "
            "more. Rate limited per client IP (429 + `Retry-After`)."
        ),
        responses=problem_responses(*PUBLIC_POST, WithdrawalTokenNotFound),
    )
    async def withdraw(
        self, ports: Ports, data: JSONBody[WithdrawConsentRequest]
    ) -> WithdrawConsentResponse:
        await privacy(ports).withdraw_consent.execute(WithdrawConsentCommand(token=data.token))
        return WithdrawConsentResponse()


@cache
def _jinja() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        auto_reload=False,
    )


def render_withdraw_page(token: str | None) -> str:
    usable = token is not None and is_well_formed_token(token)
    body = (
        _jinja()
        .get_template("privacy_withdraw.html.j2")
        .render(token=token if usable else "", usable=usable, endpoint=WITHDRAW_ENDPOINT)
    )
    return render_page("Отзыв согласия", body, ("privacy_withdraw.js",))


class PrivacyPagesController(Controller):
    path = "/privacy"
    include_in_schema = False

    @get("/withdraw/", media_type=MediaType.HTML)
    async def withdraw_page(
        self,
        token: Annotated[str | None, QueryParameter(name="token", max_length=256)] = None,
    ) -> Response[str]:
        return html_response(render_withdraw_page(token))
