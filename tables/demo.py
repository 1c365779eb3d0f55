"""Demo data for development and the reference pages: idempotent, safe to run again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo

from tables.core.tables import ServiceTable, SlotTable

PRACTICE_TZ = ZoneInfo("Europe/Moscow")
_NAMESPACE = uuid5(NAMESPACE_URL, "https://emotional-balance.ru/demo")


@dataclass(frozen=True, slots=True)
class DemoService:
    slug: str
    title: str
    duration_minutes: int
    price: Decimal
    deposit: Decimal | None
    hours: tuple[int, ...]


DEMO_SERVICES = (
    DemoService(
        "individual-session",
        "Индивидуальная консультация психолога",
        50,
        Decimal("5000.00"),
        Decimal("1500.00"),
        (10, 13, 16),
    ),
    DemoService("couples-session", "Консультация для пар", 80, Decimal("8000.00"), None, (12, 18)),
    DemoService(
        "family-session", "Семейная консультация", 90, Decimal("9000.00"), Decimal("3000.00"), ()
    ),
)
DEMO_DAYS = 14


def demo_id(*parts: str) -> UUID:
    return uuid5(_NAMESPACE, "/".join(parts))


@dataclass(frozen=True, slots=True)
class SeedReport:
    services_created: int
    slots_created: int


async def seed_demo(now: datetime | None = None, days: int = DEMO_DAYS) -> SeedReport:
    """Services with free weekday slots over the coming days, and one active service with none.

    Ids are derived from slugs and start times, so a second run adds only what is missing.
    """
    now = now or datetime.now(UTC)
    services_created = slots_created = 0
    today = now.astimezone(PRACTICE_TZ).date()
    for demo in DEMO_SERVICES:
        existing = (
            await ServiceTable.select(ServiceTable.id).where(ServiceTable.slug == demo.slug).first()
        )
        if existing is None:
            service_id = demo_id("service", demo.slug)
            await ServiceTable.insert(
                ServiceTable(
                    id=service_id,
                    slug=demo.slug,
                    title=demo.title,
                    duration_minutes=demo.duration_minutes,
                    price=demo.price,
                    deposit=demo.deposit,
                    active=True,
                )
            )
            services_created += 1
        else:
            service_id = existing["id"]
        for offset in range(1, days + 1):
            day = today + timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            for hour in demo.hours:
                starts = datetime.combine(day, time(hour), PRACTICE_TZ).astimezone(UTC)
                slot_id = demo_id("slot", demo.slug, starts.isoformat())
                # A service has one slot per start: one an admin added is kept as it is.
                inserted = (
                    await SlotTable.insert(
                        SlotTable(
                            id=slot_id,
                            service=service_id,
                            starts_at=starts,
                            ends_at=starts + timedelta(minutes=demo.duration_minutes),
                            status="free",
                        )
                    )
                    .on_conflict(
                        target=(SlotTable.service, SlotTable.starts_at), action="DO NOTHING"
                    )
                    .returning(SlotTable.id)
                )
                slots_created += len(inserted)
    return SeedReport(services_created=services_created, slots_created=slots_created)


async def database_is_empty() -> bool:
    return not await ServiceTable.exists()
