"""Piccolo side of withdrawal, erasure and retention (``domain.privacy_ports``).

An erased contact keeps its row: ciphertext columns that cannot be NULL get ``''``, blind
indexes that cannot be NULL (``leads.contact_index`` is also unique) get the tombstone
``erased:<row id>``; nullable ones become NULL. No schema change, the same on SQLite and
PostgreSQL. Every erasure of a row is one conditional UPDATE (the row still holds what was
read), so concurrent withdrawals and retention workers never undo each other's work.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from domain.crm import ACTIVE_WAITLIST_STATUSES, WaitlistStatus
from domain.emails import EmailStatus
from domain.privacy import (
    ERASED_CIPHERTEXT,
    ContactFootprint,
    WithdrawalToken,
    erased_index,
)
from domain.staff import StatusOutcome
from tables.core.tables import AppointmentTable
from tables.crm.tables import (
    EmailOutboxTable,
    LeadTable,
    WaitlistConfirmationTable,
    WaitlistRequestTable,
    WithdrawalTokenTable,
)
from tables.database import as_utc, as_utc_or_none, is_sqlite

CLOSED_STATUSES = tuple(s.value for s in WaitlistStatus if s not in ACTIVE_WAITLIST_STATUSES)
_ACTIVE = tuple(s.value for s in ACTIVE_WAITLIST_STATUSES)


def _token_from_row(row: dict[str, Any]) -> WithdrawalToken:
    return WithdrawalToken(
        id=row["id"],
        token_hash=row["token_hash"],
        contact_index=row["contact_index"],
        created_at=as_utc(row["created_at"]),
        withdrawn_at=as_utc_or_none(row["withdrawn_at"]),
    )


class PiccoloWithdrawalTokens:
    """Implements ``WithdrawalTokenRepository`` (inside the current unit of work)."""

    async def add(self, token: WithdrawalToken) -> None:
        await WithdrawalTokenTable.insert(
            WithdrawalTokenTable(
                id=token.id,
                token_hash=token.token_hash,
                contact_index=token.contact_index,
                created_at=token.created_at,
                withdrawn_at=token.withdrawn_at,
            )
        )

    async def find(self, token_hash: str) -> WithdrawalToken | None:
        t = WithdrawalTokenTable
        row = await t.select().where(t.token_hash == token_hash).first()
        return None if row is None else _token_from_row(row)

    async def release(self, contact_index: str, now: datetime) -> int:
        t = WithdrawalTokenTable
        await t.update({t.withdrawn_at: now}).where(
            (t.contact_index == contact_index) & t.withdrawn_at.is_null()
        )
        released = (
            await t.update({t.contact_index: None})
            .where(t.contact_index == contact_index)
            .returning(t.id)
        )
        return len(released)


async def erase_emails(contact_index: str | None, ciphertexts: Sequence[str], now: datetime) -> int:
    """Cancel the unsent emails of a contact and erase the recipient of all of them.

    Found by the recipient's blind index, or by ciphertext for rows queued without one. A
    cancelled email is never sent: ``mark_sent`` and the worker's re-check both require
    ``pending``. Returns how many were cancelled.
    """
    t = EmailOutboxTable
    conditions = []
    if contact_index is not None:
        conditions.append(t.recipient_index == contact_index)
    wanted = [c for c in ciphertexts if c]
    if wanted:
        conditions.append(t.recipient_encrypted.is_in(wanted))
    if not conditions:
        return 0
    match = conditions[0] if len(conditions) == 1 else conditions[0] | conditions[1]
    cancelled = (
        await t.update(
            {
                t.status: EmailStatus.CANCELLED.value,
                t.claimed_until: None,
                t.claim_token: None,
            }
        )
        .where(match & (t.status == EmailStatus.PENDING.value))
        .returning(t.id)
    )
    await t.update({t.recipient_encrypted: ERASED_CIPHERTEXT, t.recipient_index: None}).where(match)
    return len(cancelled)


async def forget_confirmations(contact_index: str) -> None:
    """The 24-hour confirmation rule's rows hold the blind index too: they go with it."""
    await WaitlistConfirmationTable.delete().where(
        WaitlistConfirmationTable.contact_index == contact_index
    )


class PiccoloContactErasure:
    """Implements ``ContactErasure`` (inside the current unit of work)."""

    async def contact_index_of_request(self, request_id: UUID) -> str | None:
        w = WaitlistRequestTable
        row = await w.select(w.contact_index).where(w.id == request_id).first()
        return None if row is None else str(row["contact_index"])

    async def footprint(self, contact_index: str) -> ContactFootprint:
        w, lead, a = WaitlistRequestTable, LeadTable, AppointmentTable
        # The lead's row first, locked on PostgreSQL: a concurrent withdrawal of the same
        # contact (the link and the staff form at once) waits here, then finds it erased and
        # does nothing twice. (SQLite's ``BEGIN IMMEDIATE`` already serialises writers.)
        leads_query = lead.select(lead.id, lead.contact_encrypted).where(
            lead.contact_index == contact_index
        )
        if not is_sqlite(lead._meta.db):
            leads_query = leads_query.lock_rows("UPDATE", of=(lead,))
        leads = await leads_query
        requests = await w.select(w.id, w.lead, w.status, w.contact_encrypted).where(
            w.contact_index == contact_index
        )
        appointments = await a.select(
            a.id, a.client_email_encrypted, a.client_phone_encrypted
        ).where((a.client_email_index == contact_index) | (a.client_phone_index == contact_index))
        await forget_confirmations(contact_index)
        lead_ids = dict.fromkeys(
            [row["id"] for row in leads] + [r["lead"] for r in requests if r["lead"] is not None]
        )
        ciphertexts = dict.fromkeys(
            c
            for c in (
                *(r["contact_encrypted"] for r in requests),
                *(row["contact_encrypted"] for row in leads),
                *(row["client_email_encrypted"] for row in appointments),
                *(row["client_phone_encrypted"] for row in appointments),
            )
            if c
        )
        return ContactFootprint(
            request_ids=tuple(r["id"] for r in requests),
            active_request_ids=tuple(r["id"] for r in requests if r["status"] in _ACTIVE),
            lead_ids=tuple(lead_ids),
            appointment_ids=tuple(row["id"] for row in appointments),
            ciphertexts=tuple(ciphertexts),
        )

    async def withdraw_requests(self, request_ids: Sequence[UUID], now: datetime) -> int:
        if not request_ids:
            return 0
        w = WaitlistRequestTable
        moved = (
            await w.update(
                {
                    w.status: WaitlistStatus.WITHDRAWN.value,
                    w.status_reason: StatusOutcome.CLIENT_WITHDREW.value,
                    w.updated_at: now,
                }
            )
            .where(w.id.is_in(list(request_ids)) & w.status.is_in(list(_ACTIVE)))
            .returning(w.id)
        )
        return len(moved)

    async def cancel_emails(
        self, contact_index: str, ciphertexts: Sequence[str], now: datetime
    ) -> int:
        return await erase_emails(contact_index, ciphertexts, now)

    async def erase(self, contact_index: str, now: datetime) -> None:
        w, lead, a = WaitlistRequestTable, LeadTable, AppointmentTable
        for row in await w.select(w.id).where(w.contact_index == contact_index):
            await w.update(
                {w.contact_encrypted: ERASED_CIPHERTEXT, w.contact_index: erased_index(row["id"])}
            ).where((w.id == row["id"]) & (w.contact_index == contact_index))
        for row in await lead.select(lead.id).where(lead.contact_index == contact_index):
            await lead.update(
                {
                    lead.contact_encrypted: ERASED_CIPHERTEXT,
                    lead.contact_index: erased_index(row["id"]),
                    lead.updated_at: now,
                }
            ).where((lead.id == row["id"]) & (lead.contact_index == contact_index))
        # The whole client of an appointment goes: name, email and phone.
        await a.update(
            {
                a.client_name_encrypted: ERASED_CIPHERTEXT,
                a.client_email_encrypted: None,
                a.client_phone_encrypted: None,
                a.client_email_index: None,
                a.client_phone_index: None,
                a.updated_at: now,
            }
        ).where((a.client_email_index == contact_index) | (a.client_phone_index == contact_index))


@asynccontextmanager
async def _transaction() -> AsyncIterator[None]:
    """One row's erasure, whole or not at all (SQLite: ``IMMEDIATE``, as the unit of work)."""
    engine: Any = WaitlistRequestTable._meta.db
    if isinstance(engine, SQLiteEngine):
        transaction = engine.transaction(transaction_type=TransactionType.immediate)
    else:
        transaction = engine.transaction()
    async with transaction:
        yield


class PiccoloContactRetention:
    """Implements ``ContactRetention``: runs outside any unit of work, one transaction per
    row: the row's conditional UPDATE first, then (only if it won) its emails and tokens.
    """

    async def erase_closed_requests(self, closed_before: datetime, limit: int) -> int:
        w = WaitlistRequestTable
        rows = (
            await w.select(w.id, w.contact_encrypted)
            .where(
                w.status.is_in(list(CLOSED_STATUSES))
                & (w.updated_at <= closed_before)
                & (w.contact_encrypted != ERASED_CIPHERTEXT)
            )
            .order_by(w.updated_at)
            .limit(limit)
        )
        erased = 0
        for row in rows:
            async with _transaction():
                erased += await self._erase_request(row, closed_before)
        return erased

    async def _erase_request(self, row: dict[str, Any], closed_before: datetime) -> int:
        w = WaitlistRequestTable
        done = (
            await w.update(
                {
                    w.contact_encrypted: ERASED_CIPHERTEXT,
                    w.contact_index: erased_index(row["id"]),
                }
            )
            .where(
                (w.id == row["id"])
                & (w.contact_encrypted == row["contact_encrypted"])
                & w.status.is_in(list(CLOSED_STATUSES))
                & (w.updated_at <= closed_before)
            )
            .returning(w.id)
        )
        if done:
            await erase_emails(None, [row["contact_encrypted"]], closed_before)
        return len(done)

    async def erase_idle_leads(self, idle_before: datetime, limit: int, now: datetime) -> int:
        w, lead = WaitlistRequestTable, LeadTable
        holding_contact = w.select(w.lead).where(
            (w.contact_encrypted != ERASED_CIPHERTEXT) & w.lead.is_not_null()
        )
        rows = (
            await lead.select(lead.id, lead.contact_encrypted, lead.contact_index)
            .where(
                (lead.contact_encrypted != ERASED_CIPHERTEXT)
                & (lead.last_activity_at <= idle_before)
                & lead.id.not_in(holding_contact)
            )
            .order_by(lead.last_activity_at)
            .limit(limit)
        )
        erased = 0
        for row in rows:
            async with _transaction():
                erased += await self._erase_lead(row, idle_before, now)
        return erased

    async def _erase_lead(self, row: dict[str, Any], idle_before: datetime, now: datetime) -> int:
        lead = LeadTable
        index = row["contact_index"]
        done = (
            await lead.update(
                {
                    lead.contact_encrypted: ERASED_CIPHERTEXT,
                    lead.contact_index: erased_index(row["id"]),
                    lead.updated_at: now,
                }
            )
            # Still idle: a submission that touched the lead meanwhile keeps it.
            .where(
                (lead.id == row["id"])
                & (lead.contact_index == index)
                & (lead.last_activity_at <= idle_before)
            )
            .returning(lead.id)
        )
        if done:
            await erase_emails(index, [row["contact_encrypted"]], now)
            await PiccoloWithdrawalTokens().release(index, now)
            await forget_confirmations(index)
        return len(done)
