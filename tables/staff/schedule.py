"""The schedule as the admin changes it: bulk slot inserts and their audit.

Implements ``domain.schedule.Schedule`` inside the unit of work's transaction. A slot is one
service at one start: ``slots_one_per_service_start`` (a unique index, core migration
``2026-12-02T20:45``) makes ``INSERT ... ON CONFLICT DO NOTHING`` skip a start the service
already has, also when another transaction inserted it a moment ago (PostgreSQL waits for it;
SQLite's ``BEGIN IMMEDIATE`` serialises the two).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from domain.labels import WEEKDAY_SHORT_LABELS
from domain.models import SlotStatus
from domain.schedule import NewSlot, ScheduleChange, ScheduledService
from tables.core.tables import ServiceTable, SlotTable
from tables.staff.tables import ScheduleChangeTable

# Inserted in chunks: SQLite allows at most 32 766 bound parameters per statement.
CHUNK = 500


def _service(row: dict[str, Any]) -> ScheduledService:
    return ScheduledService(
        id=row["id"],
        title=row["title"],
        duration_minutes=int(row["duration_minutes"]),
        active=bool(row["active"]),
    )


_COLUMNS = (ServiceTable.id, ServiceTable.title, ServiceTable.duration_minutes, ServiceTable.active)


class PiccoloServiceCatalogue:
    async def all(self) -> Sequence[ScheduledService]:
        return [_service(row) for row in await ServiceTable.select(*_COLUMNS)]


class PiccoloSchedule:
    async def service(self, service_id: UUID) -> ScheduledService | None:
        row = await ServiceTable.select(*_COLUMNS).where(ServiceTable.id == service_id).first()
        return None if row is None else _service(row)

    async def add_free_slots(self, slots: Sequence[NewSlot]) -> int:
        created = 0
        for start in range(0, len(slots), CHUNK):
            rows = [
                SlotTable(
                    id=slot.id,
                    service=slot.service_id,
                    starts_at=slot.starts_at,
                    ends_at=slot.ends_at,
                    status=SlotStatus.FREE.value,
                )
                for slot in slots[start : start + CHUNK]
            ]
            inserted = (
                await SlotTable.insert(*rows)
                .on_conflict(target=(SlotTable.service, SlotTable.starts_at), action="DO NOTHING")
                .returning(SlotTable.id)
            )
            created += len(inserted)
        return created

    async def record(self, change: ScheduleChange) -> None:
        await ScheduleChangeTable.insert(
            ScheduleChangeTable(
                id=change.id,
                actor=change.actor_user_id,
                kind=change.kind.value,
                service=change.service_id,
                date_from=change.date_from,
                date_to=change.date_to,
                weekdays=", ".join(WEEKDAY_SHORT_LABELS[day] for day in change.weekdays),
                start_times=", ".join(f"{at:%H:%M}" for at in change.start_times),
                created_count=change.created_count,
                existing_count=change.existing_count,
                occurred_at=change.occurred_at,
            )
        )
