"""Record the outcome of working a request (the admin form ``Изменить статус заявки``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import UUID

from domain.crm import LeadStatus
from domain.errors import (
    InvalidStatusTransition,
    NotAssignedToYou,
    OutcomeNotAllowed,
    WaitlistRequestNotFound,
)
from domain.ports import Clock, UnitOfWorkFactory
from domain.staff import (
    OUTCOMES_BY_STATUS,
    STAFF_TRANSITIONS,
    QueueItem,
    QueueStatus,
    StatusOutcome,
)
from domain.staff_ports import StaffDirectory
from domain.use_cases.staff_access import require_staff


@dataclass(frozen=True, slots=True)
class ChangeWaitlistStatusCommand:
    staff_user_id: int
    waitlist_request_id: UUID
    status: QueueStatus
    reason: StatusOutcome


@dataclass(frozen=True, slots=True)
class WaitlistStatusChangedResult:
    item: QueueItem
    previous_status: QueueStatus


class ChangeWaitlistStatusUseCase:
    """Moves a waitlist request along its lifecycle with a typed outcome.

    - Staff only (``role_required``). An operator changes only requests assigned to them
      (``not_assigned_to_you``); managers and admins change any.
    - Only the transitions of :data:`domain.staff.STAFF_TRANSITIONS` are allowed
      (``invalid_status_transition``); taking a request into work is the claim's job.
    - The outcome must fit the target status (``outcome_not_allowed``).
    - The change is a compare-and-set on the status it was read with: a concurrent change
      makes this one fail instead of overwriting it.
    - ``booked`` converts the request's lead (a lead is never marked lost here: the same
      person may have other requests). A typed timeline event (no free text) is written in
      the same transaction.
    """

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, staff: StaffDirectory) -> None:
        self._uow = uow
        self._clock = clock
        self._staff = staff

    async def execute(self, command: ChangeWaitlistStatusCommand) -> WaitlistStatusChangedResult:
        member = await require_staff(self._staff, command.staff_user_id)
        if command.reason not in OUTCOMES_BY_STATUS.get(command.status, frozenset()):
            raise OutcomeNotAllowed()
        now = self._clock.now()
        async with self._uow() as uow:
            item = await uow.staff_queue.get(command.waitlist_request_id)
            if item is None:
                raise WaitlistRequestNotFound()
            if not member.may_work_any_request() and item.assignee_id != member.user_id:
                raise NotAssignedToYou()
            if command.status not in STAFF_TRANSITIONS[item.status]:
                raise InvalidStatusTransition()
            if not await uow.staff_queue.transition(
                item.id, item.status, command.status, command.reason, now
            ):
                raise InvalidStatusTransition()
            if command.status is QueueStatus.BOOKED and item.lead_id is not None:
                for expected in (LeadStatus.IN_PROGRESS, LeadStatus.NEW):
                    if await uow.leads.set_status(
                        item.lead_id, expected.value, LeadStatus.CONVERTED.value, now
                    ):
                        break
            await uow.staff_queue.record_timeline(
                item,
                target=command.status,
                outcome=command.reason,
                staff_user_id=member.user_id,
                now=now,
            )
            await uow.commit()
        return WaitlistStatusChangedResult(
            item=replace(item, status=command.status), previous_status=item.status
        )
