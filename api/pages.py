"""Reference pages: server-rendered Russian HTML with local CSS and JS, no external CDN.

``/booking/no-slots/?service=<slug>`` (waitlist form, Telegram concierge, tracking calls; or,
when the service has free times after all, those times to book) and
``/booking/payment-return/?payment_id=<id>`` (polls the payment). They exist so the flow
works, and is tested in a real browser, without the separate front end.
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from string import Template
from typing import Annotated
from uuid import UUID

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Controller, MediaType, Response, get
from litestar.params import QueryParameter
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

from api.dependencies import Ports, no_slots
from domain.errors import ServiceNotFound
from domain.use_cases.get_no_slots_page import FreeTime, GetNoSlotsPageCommand, NoSlotsPage

_HERE = Path(__file__).parent
TEMPLATES = _HERE / "templates"
STATIC = _HERE / "static"
STATIC_PATH = "/static/pages"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@cache
def _template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def render_page(title: str, body: str, scripts: tuple[str, ...] = ()) -> str:
    tags = "\n".join(f'<script src="{STATIC_PATH}/{_e(s)}" defer></script>' for s in scripts)
    return _template("base.html").substitute(title=_e(title), body=body, scripts=tags)


def html_response(content: str, status_code: int = 200) -> Response[str]:
    return Response(
        content, status_code=status_code, media_type=MediaType.HTML, headers=SECURITY_HEADERS
    )


def not_found_page(heading: str, message: str) -> Response[str]:
    body = _template("not_found.html").substitute(heading=_e(heading), message=_e(message))
    return html_response(render_page(heading, body), status_code=404)


@cache
def _jinja() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        auto_reload=False,
    )


def render_free_times(page: NoSlotsPage) -> str:
    """The page for a service that has free times after all: them, to book, not the waitlist."""
    days: dict[str, list[FreeTime]] = {}
    for free in page.free_times:
        days.setdefault(free.date_text, []).append(free)
    body = (
        _jinja()
        .get_template("no_slots_free_times.html.j2")
        .render(page=page, days=list(days.items()))
    )
    return render_page("Есть свободное время", body, ("free_times.js",))


def render_no_slots(page: NoSlotsPage) -> str:
    if page.has_free_times:
        return render_free_times(page)
    radios = "\n".join(
        f'      <label class="choice"><input type="radio" name="preferred_contact_method" '
        f'value="{_e(method.value)}"{" checked" if i == 0 else ""}> {_e(label)}</label>'
        for i, (method, label) in enumerate(page.contact_methods)
    )
    options = "\n".join(
        f'        <option value="{_e(window.value)}"'
        f"{' selected' if window.value == 'any' else ''}>{_e(label)}</option>"
        for window, label in page.time_windows
    )
    body = _template("no_slots.html").substitute(
        service_slug=_e(page.service.slug),
        service_title=_e(page.service.title),
        start_hint=_e(page.concierge_start_hint),
        telegram_url=_e(page.concierge_url),
        consent_version=_e(page.personal_data_consent.version),
        method_radios=radios,
        time_options=options,
        personal_data_text=_e(page.personal_data_consent.text),
        communications_text=_e(page.communications_consent.text),
    )
    return render_page("Нет свободного времени", body, ("no_slots.js",))


class ReferencePagesController(Controller):
    path = "/booking"
    include_in_schema = False

    @get("/no-slots/", media_type=MediaType.HTML)
    async def no_slots(
        self,
        ports: Ports,
        service: Annotated[str | None, QueryParameter(name="service", max_length=200)] = None,
    ) -> Response[str]:
        if not service:
            return not_found_page(
                "Услуга не выбрана", "Вернитесь к списку услуг и выберите услугу."
            )
        try:
            page = await no_slots(ports).get_no_slots_page.execute(GetNoSlotsPageCommand(service))
        except ServiceNotFound:
            return not_found_page(
                "Услуга не найдена", "Такой услуги нет или запись на неё закрыта."
            )
        return html_response(render_no_slots(page))

    @get("/payment-return/", media_type=MediaType.HTML)
    async def payment_return(
        self,
        payment_id: Annotated[str | None, QueryParameter(name="payment_id", max_length=64)] = None,
    ) -> Response[str]:
        try:
            safe_id = str(UUID(payment_id)) if payment_id else ""
        except ValueError:
            safe_id = ""
        body = _template("payment_return.html").substitute(payment_id=_e(safe_id))
        return html_response(render_page("Оплата записи", body, ("payment_return.js",)))


def static_pages_router() -> ControllerRouterHandler:
    return create_static_files_router(
        path=STATIC_PATH, directories=[STATIC], include_in_schema=False, name="page-static"
    )
