"""Ports of consent withdrawal, erasure and retention."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from domain.crm_ports import EmailOutbox, LeadTimelineRepository
from domain.models import ConsentRecord
from domain.offer_ports import OfferRepository
from domain.privacy import ContactFootprint, WithdrawalToken
from domain.staff_ports import ContactAccessLogRepository


class WithdrawalTokenRepository(Protocol):
    async def add(self, token: WithdrawalToken) -> None: ...

    async def find(self, token_hash: str) -> WithdrawalToken | None: ...

    async def release(self, contact_index: str, now: datetime) -> int:
        """Unbind every token of this contact (``contact_index`` gone, ``withdrawn_at`` set
        if unset); how many. Released tokens still answer, and withdraw nothing."""
        ...


class WithdrawalConsents(Protocol):
    async def list_for_subject(self, subject_id: UUID) -> Sequence[ConsentRecord]: ...

    async def mark_withdrawn(self, record: ConsentRecord) -> None:
        """Store ``record.withdrawn_at`` (set by ``ConsentRecord.withdraw``)."""
        ...


class ContactErasure(Protocol):
    """Finds and erases one contact everywhere it is stored, inside the caller's transaction."""

    async def contact_index_of_request(self, request_id: UUID) -> str | None:
        """The blind index stored on a waitlist request (a tombstone once erased)."""
        ...

    async def footprint(self, contact_index: str) -> ContactFootprint: ...

    async def withdraw_requests(self, request_ids: Sequence[UUID], now: datetime) -> int:
        """Move those of these requests still active to ``withdrawn``; how many moved."""
        ...

    async def cancel_emails(
        self, contact_index: str, ciphertexts: Sequence[str], now: datetime
    ) -> int:
        """Cancel the contact's unsent emails (``cancelled``, even when leased) and erase the
        recipient of all of them; how many were cancelled."""
        ...

    async def erase(self, contact_index: str, now: datetime) -> None:
        """Erase the ciphertexts and blind indexes of this contact in waitlist requests,
        leads and appointments (the whole client of an appointment: name, email, phone)."""
        ...


class ContactRetention(Protocol):
    """The retention job's store: bounded batches, one conditional UPDATE per row, so
    several workers never fight over a row and a repeat finds nothing left to do."""

    async def erase_closed_requests(self, closed_before: datetime, limit: int) -> int:
        """Erase the contacts of up to ``limit`` requests closed (booked, declined, expired,
        withdrawn) before ``closed_before``; how many."""
        ...

    async def erase_idle_leads(self, idle_before: datetime, limit: int, now: datetime) -> int:
        """Erase the contacts of up to ``limit`` leads last active before ``idle_before``
        whose requests all have their contact erased (nothing active), with their emails and
        withdrawal tokens; how many."""
        ...


class WithdrawalUnitOfWork(Protocol):
    """One transaction for a withdrawal (the Piccolo unit of work satisfies it)."""

    # Read-only properties: a Protocol's plain attribute would demand these exact types.
    @property
    def withdrawal_tokens(self) -> WithdrawalTokenRepository: ...

    @property
    def erasure(self) -> ContactErasure: ...

    @property
    def consents(self) -> WithdrawalConsents: ...

    @property
    def lead_timeline(self) -> LeadTimelineRepository: ...

    @property
    def contact_access_log(self) -> ContactAccessLogRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


class EmailDeliveryUnitOfWork(Protocol):
    """What the sending worker needs: the outbox, and the tokens of the links it sends."""

    @property
    def email_outbox(self) -> EmailOutbox: ...

    @property
    def offers(self) -> OfferRepository:
        """An offer email's link gets its token when it is sent (``domain/offers.py``)."""
        ...

    @property
    def withdrawal_tokens(self) -> WithdrawalTokenRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


WithdrawalUnitOfWorkFactory = Callable[[], WithdrawalUnitOfWork]
EmailDeliveryUnitOfWorkFactory = Callable[[], EmailDeliveryUnitOfWork]
