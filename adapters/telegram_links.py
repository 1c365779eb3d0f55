"""Telegram deep links of the concierge bot (schema: ``docs/telegram-deep-links.md``).

``https://t.me/<bot>?start=<payload>``; Telegram allows only ``A-Za-z0-9_-`` in a start
payload, at most 64 characters. The payload is ``<flow>`` or ``<flow>-<service_slug>``:
``concierge-individual-session`` means ``tg_flow=concierge`` for that service. A slug that
would not fit, or has characters a payload cannot carry, falls back to plain ``concierge``
(the bot then asks which service).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

MAX_PAYLOAD = 64
CONCIERGE_FLOW = "concierge"
FLOWS = frozenset({CONCIERGE_FLOW})
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_BOT = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,30}[Bb][Oo][Tt]$")


@dataclass(frozen=True, slots=True)
class StartPayload:
    tg_flow: str
    service_slug: str | None


def build_payload(flow: str, service_slug: str | None) -> str:
    if flow not in FLOWS:
        raise ValueError("unknown Telegram flow")
    if service_slug and _SLUG.match(service_slug):
        payload = f"{flow}-{service_slug}"
        if len(payload) <= MAX_PAYLOAD:
            return payload
    return flow


def parse_payload(payload: str) -> StartPayload | None:
    """What the bot reads back from ``/start <payload>``; ``None`` for a foreign payload."""
    if not _PAYLOAD.match(payload):
        return None
    flow, _, slug = payload.partition("-")
    if flow not in FLOWS:
        return None
    return StartPayload(tg_flow=flow, service_slug=slug if slug and _SLUG.match(slug) else None)


class TelegramConciergeLinks:
    """Implements the ``ConciergeLinks`` port."""

    def __init__(self, bot_username: str) -> None:
        username = bot_username.lstrip("@")
        if not _BOT.match(username):
            raise ValueError("not a Telegram bot username")
        self._bot = username

    def concierge_link(self, service_slug: str) -> str:
        payload = build_payload(CONCIERGE_FLOW, service_slug)
        return f"https://t.me/{self._bot}?start={quote(payload, safe='-_')}"
