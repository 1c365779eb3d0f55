"""An in-memory schedule: slots keyed by service and start, and the audit rows."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Self
from uuid import UUID

from domain.schedule import NewSlot, ScheduleChange, ScheduledService


@dataclass
class ScheduleStore:
    services: dict[UUID, ScheduledService] = field(default_factory=dict)
    slots: dict[tuple[UUID, datetime], NewSlot] = field(default_factory=dict)
    changes: list[ScheduleChange] = field(default_factory=list)


class InMemorySchedule:
    def __init__(self, store: ScheduleStore) -> None:
        self._store = store

    async def service(self, service_id: UUID) -> ScheduledService | None:
        return self._store.services.get(service_id)

    async def add_free_slots(self, slots: Sequence[NewSlot]) -> int:
        created = 0
        for slot in slots:
            key = (slot.service_id, slot.starts_at)
            if key not in self._store.slots:
                self._store.slots[key] = slot
                created += 1
        return created

    async def record(self, change: ScheduleChange) -> None:
        self._store.changes.append(change)


class InMemoryScheduleUnitOfWork:
    """Works on a copy; only ``commit()`` makes the copy the store's state."""

    def __init__(self, store: ScheduleStore) -> None:
        self._store = store
        self._working = copy.deepcopy(store)
        self.schedule = InMemorySchedule(self._working)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        self._store.slots = self._working.slots
        self._store.changes = self._working.changes


class InMemoryServiceCatalogue:
    def __init__(self, store: ScheduleStore) -> None:
        self._store = store

    async def all(self) -> Sequence[ScheduledService]:
        return list(self._store.services.values())
