"""Create a lead for a contact seen for the first time, or record new activity of a known one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.crm import EncryptedContact, Lead, LeadSource
from domain.models import Contact
from domain.ports import Clock, Encryptor, UnitOfWork, UnitOfWorkFactory


def encrypt_contact(encryptor: Encryptor, contact: Contact) -> EncryptedContact:
    """Ciphertext plus the blind index (namespace = the method, as for appointments)."""
    return EncryptedContact(
        method=contact.method,
        ciphertext=encryptor.encrypt(contact.value),
        blind_index=encryptor.blind_index(contact.method.value, contact.value),
    )


@dataclass(frozen=True, slots=True)
class CreateOrUpdateLeadCommand:
    contact: Contact
    source: LeadSource
    # The caller's ciphertext of the same contact, when it already has one.
    encrypted: EncryptedContact | None = None


@dataclass(frozen=True, slots=True)
class LeadResult:
    lead: Lead
    created: bool


class CreateOrUpdateLeadUseCase:
    """Finds or creates the lead of a contact.

    - Leads are deduplicated by the blind index of the normalised contact: one lead per
      contact, whatever format it was typed in.
    - The result says whether the lead was created by this call.
    - A new lead starts ``new`` with the given source; first and last activity are now.
    - A known lead keeps its status, source and first activity; its last activity is now.
    - The contact is stored only encrypted.
    - ``apply`` does the same inside a caller's unit of work (one transaction with the caller's
      writes); concurrent calls for one contact are serialised on the lead's row.
    """

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, encryptor: Encryptor) -> None:
        self._uow = uow
        self._clock = clock
        self._encryptor = encryptor

    async def execute(self, command: CreateOrUpdateLeadCommand) -> LeadResult:
        now = self._clock.now()
        async with self._uow() as uow:
            result = await self.apply(uow, command, now)
            await uow.commit()
        return result

    async def apply(
        self, uow: UnitOfWork, command: CreateOrUpdateLeadCommand, now: datetime
    ) -> LeadResult:
        candidate = Lead.first_seen(
            contact=command.encrypted or encrypt_contact(self._encryptor, command.contact),
            source=command.source,
            now=now,
        )
        lead = await uow.leads.touch_or_add(candidate, now)
        # The candidate's fresh id comes back only when this call inserted the row.
        return LeadResult(lead=lead, created=lead.id == candidate.id)
