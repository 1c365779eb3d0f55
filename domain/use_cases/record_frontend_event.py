"""Store an analytics event sent by the front end, if the tracking plan allows it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID, uuid4

from domain.models import TrackingEvent
from domain.ports import Clock, UnitOfWorkFactory
from domain.tracking_plan import validate_frontend_event


@dataclass(frozen=True, slots=True)
class RecordFrontendEventCommand:
    name: str
    properties: Mapping[str, object]


class RecordFrontendEventUseCase:
    """Validates a front-end event against the tracking plan and puts it in the outbox.

    - Only names of the plan's front-end events are accepted (``waitlist_submitted`` and
      other server-side events cannot be sent by a browser).
    - Every property must be in the event's schema, with a value of its type; required
      properties must be present. Anything else: ``invalid_tracking_event``.
    - A value that looks like a contact (email, phone number, ``@username``) is refused.
    - The event is stored with ``source=frontend`` and the server's time.
    """

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def execute(self, command: RecordFrontendEventCommand) -> UUID:
        properties = validate_frontend_event(command.name, command.properties)
        event = TrackingEvent(
            id=uuid4(),
            name=command.name,
            properties=properties,
            occurred_at=self._clock.now(),
            source="frontend",
        )
        async with self._uow() as uow:
            await uow.tracking.add(event)
            await uow.commit()
        return event.id
