"""The model of the "no slots" page: the waitlist form and the Telegram concierge."""

from __future__ import annotations

from dataclasses import dataclass

from domain.consent_texts import ConsentText, current_texts
from domain.crm import CONTACT_METHOD_LABELS, TIME_WINDOW_LABELS, TimeWindow
from domain.crm_ports import ConciergeLinks
from domain.errors import ServiceNotFound
from domain.models import ContactMethod, Service
from domain.ports import UnitOfWorkFactory

TELEGRAM_START_HINT = (
    "Откройте бота в Telegram и нажмите «Запустить» (START): бот не может написать первым, "
    "поэтому без этого мы не сможем вам ответить."
)


@dataclass(frozen=True, slots=True)
class GetNoSlotsPageCommand:
    service_slug: str


@dataclass(frozen=True, slots=True)
class NoSlotsPage:
    service: Service
    contact_methods: tuple[tuple[ContactMethod, str], ...]
    time_windows: tuple[tuple[TimeWindow, str], ...]
    personal_data_consent: ConsentText
    communications_consent: ConsentText
    concierge_url: str
    concierge_start_hint: str


class GetNoSlotsPageUseCase:
    """Builds the page a visitor sees when a service has no free slot.

    - The service must exist and be active, else ``service_not_found``.
    - The form offers every contact method and time window, with Russian labels.
    - Both consent texts are the current ones, each with its version id; the form sends the
      version back with the consents.
    - The Telegram concierge link carries ``tg_flow=concierge`` and the service (see
      ``docs/telegram-deep-links.md``), with the hint to press START.
    """

    def __init__(self, *, uow: UnitOfWorkFactory, links: ConciergeLinks) -> None:
        self._uow = uow
        self._links = links

    async def execute(self, command: GetNoSlotsPageCommand) -> NoSlotsPage:
        async with self._uow() as uow:
            service = await uow.services.get_active_by_slug(command.service_slug)
        if service is None:
            raise ServiceNotFound()
        personal, communications = current_texts()
        return NoSlotsPage(
            service=service,
            contact_methods=tuple(CONTACT_METHOD_LABELS.items()),
            time_windows=tuple(TIME_WINDOW_LABELS.items()),
            personal_data_consent=personal,
            communications_consent=communications,
            concierge_url=self._links.concierge_link(service.slug),
            concierge_start_hint=TELEGRAM_START_HINT,
        )
