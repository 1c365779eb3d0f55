"""One appointment as an iCalendar file (RFC 5545) for the client's calendar.

Small enough to write by hand, and the domain stays free of third-party code: one VEVENT,
times in UTC (no VTIMEZONE to get wrong), ``METHOD:PUBLISH`` (an event to add, not an
invitation to answer). The rules that matter, each implemented below:

- Lines end with CRLF and are folded at 75 octets (3.1), never inside a UTF-8 character:
  Cyrillic is two octets a letter.
- TEXT values escape backslash, semicolon, comma and newline (3.3.11).
- The UID is derived from the appointment id, so a later file for the same appointment
  (a new time, a cancellation) updates the event instead of adding a second one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from domain.models import require_aware

PRODUCT_ID = "-//Emotional Balance//Appointments//RU"
UID_DOMAIN = "emotional-balance"
MAX_LINE_OCTETS = 75
CRLF = "\r\n"


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    appointment_id: UUID
    starts_at: datetime
    ends_at: datetime
    summary: str
    description: str
    stamp: datetime  # when this file was issued (DTSTAMP)

    @property
    def uid(self) -> str:
        return f"appointment-{self.appointment_id}@{UID_DOMAIN}"


def utc_stamp(moment: datetime) -> str:
    """``20261210T110000Z``: a DATE-TIME in UTC form."""
    return require_aware(moment).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def escape_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets, continuations starting with a
    space (which counts towards their 75)."""
    pieces: list[str] = []
    current = ""
    size = 0
    limit = MAX_LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size, limit = "", 0, MAX_LINE_OCTETS - 1
        current += char
        size += width
    pieces.append(current)
    return (CRLF + " ").join(pieces)


def to_ics(event: CalendarEvent) -> bytes:
    """The whole file, UTF-8, CRLF line endings."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT_ID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{utc_stamp(event.stamp)}",
        f"DTSTART:{utc_stamp(event.starts_at)}",
        f"DTEND:{utc_stamp(event.ends_at)}",
        f"SUMMARY:{escape_text(event.summary)}",
        f"DESCRIPTION:{escape_text(event.description)}",
        "STATUS:CONFIRMED",
        "SEQUENCE:0",
        "TRANSP:OPAQUE",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + CRLF for line in lines).encode("utf-8")
