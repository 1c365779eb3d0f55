"""In-memory withdrawal tokens and contact erasure, over the in-memory store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.crm import ACTIVE_WAITLIST_STATUSES, EncryptedContact, WaitlistStatus
from domain.emails import EmailStatus
from domain.models import EncryptedClient
from domain.privacy import (
    ERASED_CIPHERTEXT,
    ContactFootprint,
    WithdrawalToken,
    erased_index,
)


class InMemoryWithdrawalTokens:
    def __init__(self, store: Any) -> None:
        self._store = store

    async def add(self, token: WithdrawalToken) -> None:
        self._store.withdrawal_tokens[token.token_hash] = token

    async def find(self, token_hash: str) -> WithdrawalToken | None:
        return self._store.withdrawal_tokens.get(token_hash)

    async def release(self, contact_index: str, now: datetime) -> int:
        released = 0
        for key, token in list(self._store.withdrawal_tokens.items()):
            if token.contact_index == contact_index:
                self._store.withdrawal_tokens[key] = replace(
                    token, contact_index=None, withdrawn_at=token.withdrawn_at or now
                )
                released += 1
        return released


def _erased(contact: EncryptedContact, row_id: UUID) -> EncryptedContact:
    return replace(contact, ciphertext=ERASED_CIPHERTEXT, blind_index=erased_index(row_id))


class InMemoryContactErasure:
    def __init__(self, store: Any) -> None:
        self._store = store

    async def contact_index_of_request(self, request_id: UUID) -> str | None:
        found = self._store.waitlist.get(request_id)
        return None if found is None else str(found.contact.blind_index)

    def _appointments(self, contact_index: str) -> list[Any]:
        return [
            a
            for a in self._store.appointments.values()
            if contact_index in (a.client.email_index, a.client.phone_index)
        ]

    async def footprint(self, contact_index: str) -> ContactFootprint:
        requests = [
            r for r in self._store.waitlist.values() if r.contact.blind_index == contact_index
        ]
        leads = [
            lead for lead in self._store.leads.values() if lead.contact.blind_index == contact_index
        ]
        appointments = self._appointments(contact_index)
        ciphertexts = [r.contact.ciphertext for r in requests]
        ciphertexts += [lead.contact.ciphertext for lead in leads]
        ciphertexts += [c for a in appointments for c in (a.client.email, a.client.phone) if c]
        return ContactFootprint(
            request_ids=tuple(r.id for r in requests),
            active_request_ids=tuple(
                r.id for r in requests if r.status in ACTIVE_WAITLIST_STATUSES
            ),
            lead_ids=tuple(
                dict.fromkeys([lead.id for lead in leads] + [r.lead_id for r in requests])
            ),
            appointment_ids=tuple(a.id for a in appointments),
            ciphertexts=tuple(dict.fromkeys(c for c in ciphertexts if c)),
        )

    async def withdraw_requests(self, request_ids: Sequence[UUID], now: datetime) -> int:
        moved = 0
        for request_id in request_ids:
            found = self._store.waitlist[request_id]
            if found.status in ACTIVE_WAITLIST_STATUSES:
                found.transition_to(WaitlistStatus.WITHDRAWN, now)
                moved += 1
        return moved

    async def cancel_emails(
        self, contact_index: str, ciphertexts: Sequence[str], now: datetime
    ) -> int:
        cancelled = 0
        for email_id, email in list(self._store.emails.items()):
            if (
                email.recipient_index != contact_index
                and email.recipient_ciphertext not in ciphertexts
            ):
                continue
            if email.status is EmailStatus.PENDING:
                email = replace(email, status=EmailStatus.CANCELLED)
                self._store.email_claims.pop(email_id, None)
                cancelled += 1
            self._store.emails[email_id] = replace(
                email, recipient_ciphertext=ERASED_CIPHERTEXT, recipient_index=None
            )
        return cancelled

    async def erase(self, contact_index: str, now: datetime) -> None:
        for request in self._store.waitlist.values():
            if request.contact.blind_index == contact_index:
                request.contact = _erased(request.contact, request.id)
        for lead in self._store.leads.values():
            if lead.contact.blind_index == contact_index:
                lead.contact = _erased(lead.contact, lead.id)
        for appointment in self._appointments(contact_index):
            appointment.client = EncryptedClient(
                name=ERASED_CIPHERTEXT, email=None, phone=None, email_index=None, phone_index=None
            )
            appointment.updated_at = now
