"""Record a withdrawal received by phone or Telegram (admin form ``Отозвать согласие``)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from domain.errors import WaitlistRequestNotFound
from domain.ports import Clock
from domain.privacy import ERASED_INDEX_PREFIX
from domain.privacy_ports import WithdrawalUnitOfWorkFactory
from domain.staff import AccessReason, ContactAccessEntry, ContactAccessKind
from domain.staff_ports import StaffDirectory
from domain.use_cases.staff_access import require_staff
from domain.use_cases.withdraw_consent import withdraw_contact


@dataclass(frozen=True, slots=True)
class RecordConsentWithdrawalCommand:
    staff_user_id: int
    waitlist_request_id: UUID


@dataclass(frozen=True, slots=True)
class RecordedWithdrawalResult:
    waitlist_request_id: UUID
    # False when the request's contact had already been erased: nothing left to withdraw.
    withdrew: bool


class RecordConsentWithdrawalUseCase:
    """A staff member records that the person behind a waitlist request withdrew consent.

    - Staff only, any role (``role_required``): a call or a message may reach anyone, and
      the action only ever removes data.
    - The request's contact is withdrawn everywhere, exactly as from the email link
      (``withdraw_contact``): consents, requests, emails, ciphertexts and blind indexes, the
      timeline. A request whose contact is already erased changes nothing.
    - Audited: a ``contact_access_log`` row (who, which request and lead, the reason
      ``data_subject_request``, when) in the same transaction.
    """

    def __init__(
        self, *, uow: WithdrawalUnitOfWorkFactory, clock: Clock, staff: StaffDirectory
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._staff = staff

    async def execute(self, command: RecordConsentWithdrawalCommand) -> RecordedWithdrawalResult:
        member = await require_staff(self._staff, command.staff_user_id)
        now = self._clock.now()
        async with self._uow() as uow:
            contact_index = await uow.erasure.contact_index_of_request(command.waitlist_request_id)
            if contact_index is None:
                raise WaitlistRequestNotFound()
            withdrew = not contact_index.startswith(ERASED_INDEX_PREFIX)
            lead_ids: tuple[UUID, ...] = ()
            if withdrew:
                footprint = await withdraw_contact(uow, contact_index, now)
                lead_ids = footprint.lead_ids
            await uow.contact_access_log.add(
                ContactAccessEntry(
                    id=uuid4(),
                    staff_user_id=member.user_id,
                    kind=ContactAccessKind.CONSENT_WITHDRAWAL,
                    reason=AccessReason.DATA_SUBJECT_REQUEST,
                    occurred_at=now,
                    waitlist_request_id=command.waitlist_request_id,
                    lead_id=lead_ids[0] if lead_ids else None,
                    row_count=1 if withdrew else 0,
                )
            )
            await uow.commit()
        return RecordedWithdrawalResult(command.waitlist_request_id, withdrew=withdrew)
