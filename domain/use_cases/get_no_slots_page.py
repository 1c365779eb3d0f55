"""The model of the "no slots" page: the waitlist form and the Telegram concierge.

The page is reached by a link that may be stale (a slot was freed since, or an admin added
new ones): it then lists the free times to book instead of the waitlist form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain.consent_texts import ConsentText, current_texts
from domain.crm import CONTACT_METHOD_LABELS, TIME_WINDOW_LABELS, TimeWindow
from domain.crm_ports import ConciergeLinks
from domain.errors import ServiceNotFound
from domain.models import ContactMethod, Service
from domain.ports import Clock, UnitOfWorkFactory
from domain.practice_time import PracticeTimezone, rubles_text

# The free times the page looks at and lists: as far ahead as public availability by default.
FREE_TIMES_AHEAD = timedelta(days=30)
MAX_FREE_TIMES = 20

TELEGRAM_START_HINT = (
    "Откройте бота в Telegram и нажмите «Запустить» (START): бот не может написать первым, "
    "поэтому без этого мы не сможем вам ответить."
)


@dataclass(frozen=True, slots=True)
class GetNoSlotsPageCommand:
    service_slug: str


@dataclass(frozen=True, slots=True)
class FreeTime:
    """A free slot as a client in the practice's time zone reads it."""

    slot_id: UUID
    starts_at: datetime  # UTC
    ends_at: datetime
    date_text: str  # «четверг, 10 декабря 2026»
    time_text: str  # «14:00–14:50», in ``NoSlotsPage.zone_label``


@dataclass(frozen=True, slots=True)
class NoSlotsPage:
    service: Service
    contact_methods: tuple[tuple[ContactMethod, str], ...]
    time_windows: tuple[tuple[TimeWindow, str], ...]
    personal_data_consent: ConsentText
    communications_consent: ConsentText
    concierge_url: str
    concierge_start_hint: str
    free_times: tuple[FreeTime, ...] = ()
    more_free_times: bool = False  # more than ``free_times`` in the coming days
    price_text: str = ""  # «5 000 ₽»
    deposit_text: str | None = None  # «1 000 ₽», when the service takes a deposit
    zone_label: str = ""  # «Москва»: the zone the free times are written in

    @property
    def has_free_times(self) -> bool:
        return bool(self.free_times)


class GetNoSlotsPageUseCase:
    """Builds the page a visitor is sent to when a service seems to have no free slot.

    - The service must exist and be active, else ``service_not_found``.
    - The form offers every contact method and time window, with Russian labels.
    - Both consent texts are the current ones, each with its version id; the form sends the
      version back with the consents.
    - The Telegram concierge link carries ``tg_flow=concierge`` and the service (see
      ``docs/telegram-deep-links.md``), with the hint to press START.
    - The free slots of the service that start in the next 30 days (those public availability
      lists) come with the page, earliest first, at most 20, each with its date and time in
      the practice's time zone in Russian: a page opened by a stale link offers them to book.
    """

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        links: ConciergeLinks,
        clock: Clock,
        timezone: PracticeTimezone,
    ) -> None:
        self._uow = uow
        self._links = links
        self._clock = clock
        self._timezone = timezone

    async def execute(self, command: GetNoSlotsPageCommand) -> NoSlotsPage:
        now = self._clock.now()
        async with self._uow() as uow:
            service = await uow.services.get_active_by_slug(command.service_slug)
            if service is None:
                raise ServiceNotFound()
            free = await uow.slots.list_free(service.id, now, now + FREE_TIMES_AHEAD)
        ordered = sorted((slot for slot in free if slot.starts_at > now), key=lambda s: s.starts_at)
        zone = self._timezone
        personal, communications = current_texts()
        return NoSlotsPage(
            service=service,
            contact_methods=tuple(CONTACT_METHOD_LABELS.items()),
            time_windows=tuple(TIME_WINDOW_LABELS.items()),
            personal_data_consent=personal,
            communications_consent=communications,
            concierge_url=self._links.concierge_link(service.slug),
            concierge_start_hint=TELEGRAM_START_HINT,
            free_times=tuple(
                FreeTime(
                    slot_id=slot.id,
                    starts_at=slot.starts_at,
                    ends_at=slot.ends_at,
                    date_text=zone.date_text(slot.starts_at),
                    time_text=f"{zone.local(slot.starts_at):%H:%M}–{zone.local(slot.ends_at):%H:%M}",
                )
                for slot in ordered[:MAX_FREE_TIMES]
            ),
            more_free_times=len(ordered) > MAX_FREE_TIMES,
            price_text=rubles_text(service.price),
            deposit_text=None if service.deposit is None else rubles_text(service.deposit),
            zone_label=zone.label(now),
        )
