"""List the services the public site may offer."""

from __future__ import annotations

from collections.abc import Sequence

from domain.models import Service
from domain.ports import UnitOfWorkFactory


class ListServicesUseCase:
    """Lists bookable services.

    - Only active services are listed.
    - They come sorted by title, so the site shows a stable order.
    """

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def execute(self) -> Sequence[Service]:
        async with self._uow() as uow:
            services = await uow.services.list_active()
        return sorted(services, key=lambda service: (service.title, service.slug))
