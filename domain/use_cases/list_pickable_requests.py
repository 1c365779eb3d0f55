"""The requests a staff member may pick in a form (the drop-downs of the queue's forms)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.crm import ACTIVE_WAITLIST_STATUSES
from domain.ports import Clock
from domain.staff import PickableRequest, PickPurpose, QueueStatus
from domain.staff_ports import PickableRequests, StaffDirectory
from domain.use_cases.staff_access import require_staff

DEFAULT_LIMIT = 200
CLAIMABLE = frozenset({QueueStatus.NEW})
IN_WORK = frozenset({QueueStatus.IN_PROGRESS, QueueStatus.CONTACTED})
# A person may withdraw consent whatever became of their request, until it is withdrawn.
WITHDRAWABLE = frozenset(QueueStatus) - {QueueStatus.WITHDRAWN}


@dataclass(frozen=True, slots=True)
class ListPickableRequestsCommand:
    staff_user_id: int
    purpose: PickPurpose
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True, slots=True)
class PickableRequestsResult:
    items: tuple[PickableRequest, ...]
    truncated: bool  # more requests qualify than ``limit``: the oldest ones are listed
    now: datetime  # the moment the requests' ages are measured from


class ListPickableRequestsUseCase:
    """Lists the waitlist requests a staff member may pick, oldest first, without contacts.

    - Staff only (``role_required``): the role is looked up, never taken from the caller.
    - To claim: the ``new`` requests, for every role.
    - To work a request (change its status, reveal its contact): an operator gets only the
      requests assigned to them that are still in work (``in_progress``, ``contacted``);
      managers and admins, who may act on any request, get every active one (``new``
      included).
    - To record a withdrawal of consent (a call or a message may reach anyone): every
      request not yet withdrawn, for every role.
    - Oldest first, at most ``limit``; ``truncated`` says that more qualify.
    - Each request carries its id, status, service title, time window and submission time:
      no contact, not even encrypted.
    """

    def __init__(self, *, requests: PickableRequests, staff: StaffDirectory, clock: Clock) -> None:
        self._requests = requests
        self._staff = staff
        self._clock = clock

    async def execute(self, command: ListPickableRequestsCommand) -> PickableRequestsResult:
        member = await require_staff(self._staff, command.staff_user_id)
        assignee_id: int | None = None
        if command.purpose is PickPurpose.CLAIM:
            statuses = CLAIMABLE
        elif command.purpose is PickPurpose.WITHDRAW:
            statuses = WITHDRAWABLE
        elif member.may_work_any_request():
            statuses = ACTIVE_WAITLIST_STATUSES
        else:
            statuses, assignee_id = IN_WORK, member.user_id
        limit = max(command.limit, 0)
        # One more than asked, to know whether the list is cut short.
        found = await self._requests.oldest(
            statuses=statuses, assignee_id=assignee_id, limit=limit + 1
        )
        return PickableRequestsResult(
            items=tuple(found[:limit]), truncated=len(found) > limit, now=self._clock.now()
        )
