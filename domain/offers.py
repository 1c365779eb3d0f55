"""Waitlist offers: a freed slot offered to the person who has waited longest for it.

A slot that becomes free (added, a hold expired, an appointment cancelled) is recorded by the
database itself; the worker matches it to the oldest active request of its service whose
time window holds the slot's start in the practice's time zone, reserves the slot for that
person for ``OFFER_MINUTES`` and tells them: an email with a link for email contacts, the
staff queue for phone and Telegram. One slot has at most one open offer; an offer that ends
unaccepted frees the slot again, and it goes to the next person. The link's token is stored
only as its SHA-256, like a withdrawal token.
"""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from urllib.parse import quote
from uuid import UUID, uuid4

from domain.crm import TimeWindow, WaitlistRequest
from domain.models import ContactMethod, require_aware
from domain.practice_time import PracticeTimezone

DEFAULT_OFFER_FOR = timedelta(minutes=120)
OFFER_PATH = "/booking/offer/"
# ``secrets.token_urlsafe(32)``: 43 characters of the URL-safe base64 alphabet.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
# The parameter the sending worker fills with the offer's link, in memory only.
OFFER_URL_PARAM = "offer_url"

# Local hours [start, end) of each window; the weekend is Saturday and Sunday, all day.
_WINDOW_HOURS: dict[TimeWindow, tuple[time, time]] = {
    TimeWindow.MORNING: (time(9), time(12)),
    TimeWindow.AFTERNOON: (time(12), time(17)),
    TimeWindow.EVENING: (time(17), time(21)),
}


def window_contains(window: TimeWindow, starts_at: datetime, zone: PracticeTimezone) -> bool:
    """Whether a slot starting at ``starts_at`` suits a person who asked for ``window``.

    Morning 9-12, afternoon 12-17, evening 17-21 (start included, end excluded), weekend
    Saturday and Sunday, any: always; all read on the practice's wall clock.
    """
    local = zone.local(starts_at)
    if window is TimeWindow.ANY:
        return True
    if window is TimeWindow.WEEKEND:
        return local.weekday() >= 5
    start, end = _WINDOW_HOURS[window]
    return start <= local.time().replace(tzinfo=None) < end


class OfferStatus(enum.StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    DECLINED = "declined"


class OfferChannel(enum.StrEnum):
    """How the person hears of the offer: an email with a link, or a member of staff."""

    EMAIL = "email"
    STAFF = "staff"

    @classmethod
    def for_contact(cls, method: ContactMethod) -> OfferChannel:
        return cls.EMAIL if method is ContactMethod.EMAIL else cls.STAFF


@dataclass(frozen=True, slots=True)
class WaitlistOffer:
    id: UUID
    slot_id: UUID
    request_id: UUID
    lead_id: UUID
    channel: OfferChannel
    status: OfferStatus
    offered_at: datetime
    expires_at: datetime
    appointment_id: UUID | None = None
    decided_at: datetime | None = None

    @classmethod
    def make(
        cls,
        *,
        slot_id: UUID,
        request: WaitlistRequest,
        now: datetime,
        offer_for: timedelta = DEFAULT_OFFER_FOR,
    ) -> WaitlistOffer:
        require_aware(now)
        return cls(
            id=uuid4(),
            slot_id=slot_id,
            request_id=request.id,
            lead_id=request.lead_id,
            channel=OfferChannel.for_contact(request.contact.method),
            status=OfferStatus.OFFERED,
            offered_at=now,
            expires_at=now + offer_for,
        )

    def is_open(self, now: datetime) -> bool:
        return self.status is OfferStatus.OFFERED and now < self.expires_at


def pick_request(
    candidates: Sequence[WaitlistRequest], starts_at: datetime, zone: PracticeTimezone
) -> WaitlistRequest | None:
    """The oldest candidate whose time window holds the slot's start."""
    for request in sorted(candidates, key=lambda r: (r.created_at, str(r.id))):
        if window_contains(request.preferred_time_window, starts_at, zone):
            return request
    return None


def hash_offer_token(token: str) -> str:
    return hashlib.sha256(b"offer\x1f" + token.encode("utf-8")).hexdigest()


def is_well_formed_offer_token(token: str) -> bool:
    return _TOKEN_SHAPE.fullmatch(token) is not None


def issue_offer_token() -> tuple[str, str]:
    """A fresh token: ``(plaintext for the email, hash to store)``."""
    token = secrets.token_urlsafe(32)
    return token, hash_offer_token(token)


def offer_url(public_site_url: str, token: str) -> str:
    return f"{public_site_url.rstrip('/')}{OFFER_PATH}?token={quote(token, safe='')}"


def reserved_until_text(zone: PracticeTimezone, moment: datetime) -> str:
    """«01:46, 4 декабря (Москва)»: when an offer ends, with its day (it may be tomorrow)."""
    local = zone.local(moment)
    day = zone.date_text(moment).split(", ")[1].rsplit(" ", 1)[0]  # «4 декабря»
    return f"{local:%H:%M}, {day} ({zone.label(moment)})"


class OfferOutcome(enum.StrEnum):
    """What a person told staff about an offer (phone and Telegram contacts)."""

    ACCEPTED = "accepted"
    DECLINED = "declined"


class OfferPageState(enum.StrEnum):
    """What the offer page tells its visitor."""

    OPEN = "open"  # the slot is theirs to take: one button
    ACCEPTED = "accepted"  # they took it and have not paid yet: on to payment
    BOOKED = "booked"  # they took it and paid: the appointment is confirmed
    EXPIRED = "expired"  # the time ran out, or the request was closed
    TAKEN = "taken"  # the slot went another way (staff, or it already started)
    UNKNOWN = "unknown"  # no such link
