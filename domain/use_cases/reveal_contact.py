"""Show a waitlist contact to a staff member (the admin form ``Показать контакт``)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from domain.errors import ContactErased, NotAssignedToYou, WaitlistRequestNotFound
from domain.ports import Clock, Encryptor, UnitOfWorkFactory
from domain.privacy import is_erased
from domain.staff import AccessReason, ContactAccessEntry, ContactAccessKind, RevealedContact
from domain.staff_ports import StaffDirectory
from domain.use_cases.staff_access import require_staff


@dataclass(frozen=True, slots=True)
class RevealContactCommand:
    staff_user_id: int
    waitlist_request_id: UUID
    reason: AccessReason


class RevealContactUseCase:
    """Decrypts one contact, in memory, for a staff member allowed to see it, and audits it.

    - Staff only (``role_required``). An operator sees the contact only of a request assigned
      to them (``not_assigned_to_you``); managers and admins see any.
    - Every reveal writes a ``contact_access_log`` row (who, which request and lead, the typed
      reason, when) in the same transaction; without that row nothing is shown.
    - An erased contact (withdrawn, or past retention) is ``contact_erased``: nothing to show.
    - The plaintext lives only in the returned object, which masks itself in ``repr``.
    """

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        staff: StaffDirectory,
        encryptor: Encryptor,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._staff = staff
        self._encryptor = encryptor

    async def execute(self, command: RevealContactCommand) -> RevealedContact:
        member = await require_staff(self._staff, command.staff_user_id)
        async with self._uow() as uow:
            item = await uow.staff_queue.get(command.waitlist_request_id)
            contact = None if item is None else await uow.staff_queue.contact_of(item.id)
            if item is None or contact is None:
                raise WaitlistRequestNotFound()
            if not member.may_reveal_any_contact() and item.assignee_id != member.user_id:
                raise NotAssignedToYou()
            if is_erased(contact.ciphertext):
                raise ContactErased()
            revealed = RevealedContact(
                waitlist_request_id=item.id,
                method=contact.method,
                value=self._encryptor.decrypt(contact.ciphertext),
            )
            await uow.contact_access_log.add(
                ContactAccessEntry(
                    id=uuid4(),
                    staff_user_id=member.user_id,
                    kind=ContactAccessKind.CONTACT_REVEAL,
                    reason=command.reason,
                    occurred_at=self._clock.now(),
                    waitlist_request_id=item.id,
                    lead_id=item.lead_id,
                    row_count=1,
                )
            )
            await uow.commit()
        return revealed
