"""The tracking plan: every event name we accept and the schema of its properties.

Documented in ``docs/tracking-plan.md``. Front-end events are validated here before they are
stored; anything not in the plan, any unknown or malformed property and any value that looks
like a contact (an email address, a phone number, an ``@username``) is refused. Server-side
events are built by the use cases from the same schemas.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from domain.errors import InvalidTrackingEvent

PropertyValue = str | int | bool | None

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_EMAILISH = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
_HANDLE = re.compile(r"@[A-Za-z0-9_]{3,}")
_DIGITS_RUN = re.compile(r"\d[\d\s()+.-]{5,}\d")
MAX_STRING = 64


@dataclass(frozen=True, slots=True)
class Prop:
    """One property: a slug, one of a set of values, or a bounded integer."""

    kind: str  # "slug" | "enum" | "int"
    required: bool = True
    values: frozenset[str] = frozenset()
    maximum: int = 10_000


def slug(required: bool = True) -> Prop:
    return Prop("slug", required)


def one_of(*values: str, required: bool = True) -> Prop:
    return Prop("enum", required, frozenset(values))


def integer(maximum: int, required: bool = True) -> Prop:
    return Prop("int", required, maximum=maximum)


CONTACT_METHODS = ("email", "phone", "telegram")
TIME_WINDOWS = ("morning", "afternoon", "evening", "weekend", "any")
FORM_ERRORS = (
    "consent_required",
    "invalid_contact",
    "rate_limited",
    "validation_failed",
    "network_error",
    "server_error",
)
PAYMENT_STATES = ("pending", "waiting_for_capture", "succeeded", "canceled", "failed", "not_found")

FRONTEND_EVENTS: Mapping[str, Mapping[str, Prop]] = {
    "show_no_slots": {"service_slug": slug()},
    # The seed's shape (FEAT-BKG-05): only ``tg_flow``; a concierge link outside a service's
    # page (site header, footer) has no service.
    "cta_tg_click": {
        "tg_flow": one_of("concierge"),
        "service_slug": slug(required=False),
        "placement": one_of("no_slots_page", "waitlist_success", required=False),
    },
    "waitlist_form_opened": {"service_slug": slug()},
    "waitlist_method_selected": {
        "service_slug": slug(),
        "preferred_contact_method": one_of(*CONTACT_METHODS),
    },
    "waitlist_form_error": {"service_slug": slug(), "error_code": one_of(*FORM_ERRORS)},
    "payment_return_viewed": {"payment_status": one_of(*PAYMENT_STATES)},
}

SERVER_EVENTS: Mapping[str, Mapping[str, Prop]] = {
    # Waitlist offers (``domain/offers.py``): the service and the channel, never a contact.
    "waitlist_offer_sent": {"service_slug": slug(), "offer_channel": one_of("email", "staff")},
    "waitlist_offer_accepted": {
        "service_slug": slug(),
        "offer_channel": one_of("email", "staff"),
    },
    "waitlist_submitted": {
        "service_slug": slug(),
        "preferred_contact_method": one_of(*CONTACT_METHODS),
        "preferred_time_window": one_of(*TIME_WINDOWS),
    },
}


def looks_like_contact(value: str) -> bool:
    return bool(_EMAILISH.search(value) or _HANDLE.search(value) or _DIGITS_RUN.search(value))


def validate_properties(
    name: str, properties: Mapping[str, object], schema: Mapping[str, Prop]
) -> dict[str, PropertyValue]:
    """The properties, checked against ``schema``; raises ``InvalidTrackingEvent``."""
    unknown = sorted(set(properties) - set(schema))
    if unknown:
        # The key is not echoed: a client could have put anything in it.
        raise InvalidTrackingEvent(f"Event {name!r} has a property that is not in the plan.")
    clean: dict[str, PropertyValue] = {}
    for key, prop in schema.items():
        value = properties.get(key)
        if value is None:
            if prop.required:
                raise InvalidTrackingEvent(f"Event {name!r} needs the property {key!r}.")
            continue
        clean[key] = _check(name, key, prop, value)
    return clean


def _check(name: str, key: str, prop: Prop, value: object) -> PropertyValue:
    if prop.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidTrackingEvent(f"Property {key!r} of {name!r} is an integer.")
        if not 0 <= value <= prop.maximum:
            raise InvalidTrackingEvent(f"Property {key!r} of {name!r} is out of range.")
        return value
    if not isinstance(value, str):
        raise InvalidTrackingEvent(f"Property {key!r} of {name!r} is a string.")
    # Checked first and reported as such: a contact must never be stored, even by mistake.
    if looks_like_contact(value):
        raise InvalidTrackingEvent(
            f"Property {key!r} of {name!r} looks like contact data, which is never tracked."
        )
    if prop.kind == "slug":
        if not _SLUG.match(value):
            raise InvalidTrackingEvent(f"Property {key!r} of {name!r} is not a slug.")
        return value
    if value not in prop.values:
        raise InvalidTrackingEvent(f"Property {key!r} of {name!r} has a value outside the plan.")
    return value


def validate_frontend_event(
    name: str, properties: Mapping[str, object]
) -> dict[str, PropertyValue]:
    schema = FRONTEND_EVENTS.get(name)
    if schema is None:
        raise InvalidTrackingEvent("This event name is not in the tracking plan.")
    return validate_properties(name, properties, schema)


def validate_server_event(name: str, properties: Mapping[str, object]) -> dict[str, PropertyValue]:
    schema = SERVER_EVENTS[name]
    return validate_properties(name, properties, schema)
