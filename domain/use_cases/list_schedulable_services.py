"""The services an admin may add slots to, for the form's drop-down."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.errors import RoleRequired
from domain.models import StaffRole
from domain.schedule import ScheduledService, ServiceCatalogue
from domain.staff_ports import StaffDirectory
from domain.use_cases.staff_access import require_staff


@dataclass(frozen=True, slots=True)
class ListSchedulableServicesCommand:
    staff_user_id: int


class ListSchedulableServicesUseCase:
    """Every service, active ones first, each by title.

    - Admins only (``role_required``): only they change the schedule.
    - Inactive services are listed too: slots may be prepared before a service opens.
    """

    def __init__(self, *, services: ServiceCatalogue, staff: StaffDirectory) -> None:
        self._services = services
        self._staff = staff

    async def execute(self, command: ListSchedulableServicesCommand) -> Sequence[ScheduledService]:
        member = await require_staff(self._staff, command.staff_user_id)
        if member.role is not StaffRole.ADMIN:
            raise RoleRequired()
        services = await self._services.all()
        return sorted(services, key=lambda s: (not s.active, s.title.casefold()))
