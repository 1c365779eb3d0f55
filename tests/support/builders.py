"""Small builders of domain objects for tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4

from domain.models import Money, Service, Slot, SlotStatus


def a_service(
    slug: str = "individual-session",
    *,
    price: str = "5000.00",
    deposit: str | None = "1500.00",
    active: bool = True,
    service_id: UUID | None = None,
) -> Service:
    return Service(
        id=service_id or uuid4(),
        slug=slug,
        title="Индивидуальная консультация",
        duration_minutes=50,
        price=Money.rub(price),
        deposit=None if deposit is None else Money.rub(deposit),
        active=active,
    )


def a_slot(service: Service, starts_at: datetime, *, status: SlotStatus = SlotStatus.FREE) -> Slot:
    return Slot(
        id=uuid4(),
        service_id=service.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=service.duration_minutes),
        status=status,
    )
