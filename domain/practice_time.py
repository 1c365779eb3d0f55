"""The practice's wall clock: appointment times as a Russian client reads them.

Storage is UTC; clients read dates and times in the practice's timezone (``PRACTICE_TIMEZONE``,
Europe/Moscow by default), in words: «четверг, 10 декабря 2026, 14:00–14:50 (Москва)».
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.models import Money, require_aware

DEFAULT_PRACTICE_TIMEZONE = "Europe/Moscow"

_MONTHS_GENITIVE = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
_WEEKDAYS = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")
# How a Russian reader names the zones of Russia; any other zone is named by its UTC offset.
_ZONE_LABELS = {
    "Europe/Kaliningrad": "Калининград",
    "Europe/Moscow": "Москва",
    "Europe/Samara": "Самара",
    "Asia/Yekaterinburg": "Екатеринбург",
    "Asia/Omsk": "Омск",
    "Asia/Novosibirsk": "Новосибирск",
    "Asia/Krasnoyarsk": "Красноярск",
    "Asia/Irkutsk": "Иркутск",
    "Asia/Yakutsk": "Якутск",
    "Asia/Vladivostok": "Владивосток",
    "Asia/Magadan": "Магадан",
    "Asia/Kamchatka": "Камчатка",
}
_NBSP = "\u00a0"


@dataclass(frozen=True, slots=True)
class PracticeTimezone:
    """The zone the practice works in, and how its times are written for clients."""

    zone: ZoneInfo

    @classmethod
    def named(cls, key: str) -> PracticeTimezone:
        """Raises ``zoneinfo.ZoneInfoNotFoundError`` (a ``KeyError``), ``ValueError`` or
        ``OSError`` (a directory such as ``Europe``) for a name that is not an IANA zone."""
        return cls(ZoneInfo(key))

    @property
    def key(self) -> str:
        return self.zone.key

    def label(self, moment: datetime) -> str:
        """«Москва» for the zones of Russia, else the offset at that moment («UTC+2»)."""
        if known := _ZONE_LABELS.get(self.key):
            return known
        offset = self.local(moment).utcoffset() or timedelta(0)
        minutes = int(offset.total_seconds()) // 60
        sign = "+" if minutes >= 0 else "−"
        hours, rest = divmod(abs(minutes), 60)
        return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")

    def local(self, moment: datetime) -> datetime:
        return require_aware(moment).astimezone(self.zone)

    def date_text(self, moment: datetime) -> str:
        """«четверг, 10 декабря 2026»."""
        day = self.local(moment)
        return f"{_WEEKDAYS[day.weekday()]}, {day.day} {_MONTHS_GENITIVE[day.month - 1]} {day.year}"

    def time_range_text(self, starts_at: datetime, ends_at: datetime) -> str:
        """«14:00–14:50 (Москва)»."""
        start, end = self.local(starts_at), self.local(ends_at)
        return f"{start:%H:%M}–{end:%H:%M} ({self.label(starts_at)})"

    def describe(self, starts_at: datetime, ends_at: datetime) -> str:
        """«четверг, 10 декабря 2026, 14:00–14:50 (Москва)»."""
        return f"{self.date_text(starts_at)}, {self.time_range_text(starts_at, ends_at)}"


MOSCOW = PracticeTimezone.named(DEFAULT_PRACTICE_TIMEZONE)


def rubles_text(amount: Money | str) -> str:
    """«1 500 ₽», «1 500,50 ₽»: Russian digit groups (no-break spaces), kopecks only if any."""
    value = Decimal(amount.value if isinstance(amount, Money) else amount)
    whole, cents = divmod(value.quantize(Decimal("0.01")) * 100, 100)
    grouped = f"{int(whole):,}".replace(",", _NBSP)
    kopecks = f",{int(cents):02d}" if cents else ""
    return f"{grouped}{kopecks}{_NBSP}₽"
