"""Ports of the waitlist, the CRM, outgoing email and the Telegram concierge link."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.crm import (
    Lead,
    LeadTimelineEvent,
    WaitlistDraft,
    WaitlistRequest,
)
from domain.emails import ClaimedEmail, EmailMessage, OutgoingEmail


class WaitlistRepository(Protocol):
    async def add(self, request: WaitlistRequest) -> None: ...

    async def get(self, request_id: UUID) -> WaitlistRequest | None: ...

    async def find_active(self, contact_index: str, service_id: UUID) -> WaitlistRequest | None:
        """The active (new, in progress or contacted) request of this contact for a service."""
        ...


@dataclass(frozen=True, slots=True)
class WaitlistOutcome:
    """What a submission did: made the draft's request (``created``), or nothing because the
    contact already has an active request for that service. That request is not looked up
    to be named: nobody may learn of it from the answer, and the lookup would make a repeat
    cost a round trip that a first submission does not."""

    created: bool


class WaitlistSubmissions(Protocol):
    """Writes a waitlist submission, whole or not at all.

    ``submit`` looks up the active service named by ``draft.service_slug`` and raises
    ``ServiceNotFound`` (writing nothing) when there is none. It creates ``draft.lead`` or,
    when the contact (blind index) already has a lead, moves that lead's last activity to
    ``draft.submitted_at``. When the contact has an active request (new, in progress,
    contacted) for that service, it answers ``created`` false and writes nothing else.
    Otherwise it writes, atomically with the lead, the request (``draft.request_id``), the
    consent records, the ``waitlist_submitted`` timeline event, the tracking event and the
    email if there is one, unless a confirmation for this contact (blind index) and service
    was queued after ``draft.confirmation_quiet_since`` (at most one per
    ``CONFIRMATION_INTERVAL``, however many requests and repeats, and under concurrency).
    The time of the last confirmation queued per contact and service is kept for that.
    Concurrent submissions of one contact and service make one request. A store may write
    concurrent submissions together (one transaction or one statement); each is still all or
    nothing, and one that fails fails only its own ``submit``.
    """

    async def submit(self, draft: WaitlistDraft) -> WaitlistOutcome: ...


class WaitlistConfirmationLog(Protocol):
    """When each contact (blind index) was last queued a waitlist confirmation per service."""

    async def purge_queued_before(self, cutoff: datetime, limit: int) -> int:
        """Forget up to ``limit`` entries queued at or before ``cutoff``; how many went."""
        ...


class LeadRepository(Protocol):
    async def touch_or_add(self, lead: Lead, now: datetime) -> Lead:
        """The lead with ``lead.contact.blind_index``, created from ``lead`` when missing.

        An existing lead gets ``last_activity_at = now``. The statement locks the lead's row
        until the transaction ends, so concurrent submissions of one contact queue here.
        """
        ...

    async def find_by_indexes(self, blind_indexes: Sequence[str]) -> Sequence[Lead]: ...

    async def get(self, lead_id: UUID) -> Lead | None: ...

    async def set_status(self, lead_id: UUID, expected: str, target: str, now: datetime) -> bool:
        """Compare-and-set the status; ``False`` when it was no longer ``expected``."""
        ...


class LeadTimelineRepository(Protocol):
    async def add(self, event: LeadTimelineEvent) -> None: ...

    async def list_for_lead(self, lead_id: UUID) -> Sequence[LeadTimelineEvent]: ...

    async def exists(self, lead_id: UUID, type_: str, payment_id: UUID) -> bool:
        """Whether this payment event is already on the lead's timeline (idempotency)."""
        ...


class EmailOutbox(Protocol):
    async def add(self, email: OutgoingEmail) -> None: ...

    async def add_once(self, email: OutgoingEmail) -> bool:
        """Insert unless an email with this id is already queued (or was sent); returns
        whether it was added. With an id from ``outbox_id`` this is at most one email per
        template and payment, also between concurrent transactions (the primary key)."""
        ...

    async def claim_due(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> Sequence[ClaimedEmail]:
        """Lease up to ``limit`` pending, due emails whose lease is free or expired.

        Each claim is one conditional UPDATE, so of concurrent workers exactly one gets a
        message; a claim counts as an attempt.
        """
        ...

    async def still_held(self, claim: ClaimedEmail) -> bool:
        """Whether this claim still holds the lease of a pending email: ``False`` once the
        email was cancelled (a withdrawal) or the lease passed to another worker."""
        ...

    async def mark_sent(self, claim: ClaimedEmail, now: datetime) -> bool:
        """Sent, if this claim still holds the lease; ``False`` otherwise."""
        ...

    async def mark_failed(
        self,
        claim: ClaimedEmail,
        *,
        error: str,
        retry_at: datetime | None,
        now: datetime,
    ) -> bool:
        """Back to pending with ``retry_at`` as the next attempt, or failed for good."""
        ...


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Deliver one message. Raises ``MailServerUnavailable`` (retry) or ``MailRejected``."""
        ...


class ConciergeLinks(Protocol):
    def concierge_link(self, service_slug: str) -> str:
        """The ``https://t.me/<bot>?start=<payload>`` link of the concierge for a service."""
        ...


__all__ = [
    "ConciergeLinks",
    "EmailOutbox",
    "LeadRepository",
    "LeadTimelineRepository",
    "Mailer",
    "WaitlistConfirmationLog",
    "WaitlistOutcome",
    "WaitlistRepository",
    "WaitlistSubmissions",
]
