"""Take a waitlist request into work (the admin form ``Взять заявку в работу``)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.crm import LeadStatus
from domain.errors import (
    NoWaitlistRequestToClaim,
    WaitlistRequestAlreadyClaimed,
    WaitlistRequestNotFound,
)
from domain.ports import Clock, UnitOfWorkFactory
from domain.staff import QueueItem, QueueStatus
from domain.staff_ports import StaffDirectory
from domain.use_cases.staff_access import require_staff


@dataclass(frozen=True, slots=True)
class ClaimWaitlistRequestCommand:
    staff_user_id: int
    waitlist_request_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class ClaimedRequestResult:
    item: QueueItem


class ClaimWaitlistRequestUseCase:
    """Assigns a ``new`` waitlist request to the staff member and moves it to ``in_progress``.

    - Any staff role may claim; an account without a role may not (``role_required``).
    - Without an id, the oldest ``new`` request is claimed (``no_waitlist_request_to_claim``
      when there is none); with an id, that request, if it is still ``new``
      (``waitlist_request_already_claimed``, ``waitlist_request_not_found``).
    - The claim is one conditional update: of concurrent claims exactly one gets a request,
      and two staff members never get the same one.
    - The request's lead moves from ``new`` to ``in_progress``; a typed timeline event is
      written in the same transaction.
    """

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, staff: StaffDirectory) -> None:
        self._uow = uow
        self._clock = clock
        self._staff = staff

    async def execute(self, command: ClaimWaitlistRequestCommand) -> ClaimedRequestResult:
        member = await require_staff(self._staff, command.staff_user_id)
        now = self._clock.now()
        async with self._uow() as uow:
            if command.waitlist_request_id is None:
                item = await uow.staff_queue.claim_oldest_new(member.user_id, now)
                if item is None:
                    raise NoWaitlistRequestToClaim()
            else:
                item = await uow.staff_queue.claim(command.waitlist_request_id, member.user_id, now)
                if item is None:
                    if await uow.staff_queue.get(command.waitlist_request_id) is None:
                        raise WaitlistRequestNotFound()
                    raise WaitlistRequestAlreadyClaimed()
            if item.lead_id is not None:
                # A new lead is now being worked; a lead already further along stays as it is.
                await uow.leads.set_status(
                    item.lead_id, LeadStatus.NEW.value, LeadStatus.IN_PROGRESS.value, now
                )
            await uow.staff_queue.record_timeline(
                item,
                target=QueueStatus.IN_PROGRESS,
                outcome=None,
                staff_user_id=member.user_id,
                now=now,
            )
            await uow.commit()
        return ClaimedRequestResult(item=item)
