"""The public app on fake ports: the in-memory unit of work, a fixed clock, a fake encryptor."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from litestar import Litestar

from api.app import create_app
from api.config import ApiConfig
from api.dependencies import ApiPorts
from domain.contacts import ContactNormaliser
from domain.models import Service, Slot
from domain.ports import OutboxBacklogProbe
from domain.use_cases.get_availability import GetAvailabilityUseCase
from domain.use_cases.hold_slot import HoldSlotUseCase
from domain.use_cases.list_services import ListServicesUseCase
from tests.support.builders import a_service, a_slot
from tests.support.fakes import (
    FakeEmailParser,
    FakeEncryptor,
    FakePhoneParser,
    FixedClock,
    InMemoryUnitOfWorkFactory,
)


@dataclass
class SwitchableProbe:
    ready: bool = True

    async def is_ready(self) -> bool:
        return self.ready


@dataclass
class PublicApp:
    app: Litestar
    uow: InMemoryUnitOfWorkFactory
    clock: FixedClock
    probe: SwitchableProbe
    services: dict[str, Service] = field(default_factory=dict)
    slots: dict[str, Slot] = field(default_factory=dict)


def public_app(
    config: ApiConfig | None = None, *, outbox_backlog: OutboxBacklogProbe | None = None
) -> PublicApp:
    """Two active services (one with free slots, one without) and an inactive one."""
    uow = InMemoryUnitOfWorkFactory()
    clock = FixedClock()
    probe = SwitchableProbe()
    ports = ApiPorts(
        list_services=ListServicesUseCase(uow=uow),
        get_availability=GetAvailabilityUseCase(uow=uow, clock=clock),
        hold_slot=HoldSlotUseCase(
            uow=uow,
            clock=clock,
            encryptor=FakeEncryptor(),
            contacts=ContactNormaliser(
                phone_parser=FakePhoneParser(), email_parser=FakeEmailParser()
            ),
        ),
        readiness=probe,
        outbox_backlog=outbox_backlog,
    )
    built = PublicApp(create_app(ports, config), uow, clock, probe)
    individual = a_service("individual-session", price="5000.00", deposit="1500.00")
    couples = a_service("couples-session", price="8000", deposit=None)
    hidden = a_service("retired-session", active=False)
    for service in (individual, couples, hidden):
        uow.store.services[service.id] = service
        built.services[service.slug] = service
    now = clock.now()
    for name, starts_at in (
        ("tomorrow", now + timedelta(days=1)),
        ("past", now - timedelta(hours=1)),
    ):
        slot = a_slot(individual, starts_at)
        uow.store.slots[slot.id] = slot
        built.slots[name] = slot
    return built
