"""In-memory fakes of the waitlist, CRM and email ports, with the rules of the real ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID, uuid4

from domain.crm import (
    ACTIVE_WAITLIST_STATUSES,
    Lead,
    LeadStatus,
    LeadTimelineEvent,
    WaitlistDraft,
    WaitlistRequest,
)
from domain.crm_ports import WaitlistOutcome
from domain.emails import ClaimedEmail, EmailMessage, EmailStatus, OutgoingEmail
from domain.errors import MailRejected, MailServerUnavailable, ServiceNotFound
from domain.models import ConsentRecord, Service, TrackingEvent


class CrmState(Protocol):
    consents: list[ConsentRecord]
    tracking: list[TrackingEvent]
    waitlist: dict[UUID, WaitlistRequest]
    leads: dict[UUID, Lead]
    lead_timeline: list[LeadTimelineEvent]
    emails: dict[UUID, OutgoingEmail]
    email_claims: dict[UUID, tuple[UUID, datetime]]


class InMemoryWaitlist:
    def __init__(self, store: Any) -> None:
        self._store: CrmState = store

    async def add(self, request: WaitlistRequest) -> None:
        self._store.waitlist[request.id] = replace(request)

    async def get(self, request_id: UUID) -> WaitlistRequest | None:
        found = self._store.waitlist.get(request_id)
        return None if found is None else replace(found)

    async def find_active(self, contact_index: str, service_id: UUID) -> WaitlistRequest | None:
        active = [
            r
            for r in self._store.waitlist.values()
            if r.contact.blind_index == contact_index
            and r.service_id == service_id
            and r.status in ACTIVE_WAITLIST_STATUSES
        ]
        return replace(min(active, key=lambda r: r.created_at)) if active else None


class InMemoryLeads:
    def __init__(self, store: Any) -> None:
        self._store: CrmState = store

    async def touch_or_add(self, lead: Lead, now: datetime) -> Lead:
        for existing in self._store.leads.values():
            if existing.contact.blind_index == lead.contact.blind_index:
                existing.last_activity_at = now
                return replace(existing)
        self._store.leads[lead.id] = replace(lead)
        return replace(lead)

    async def find_by_indexes(self, blind_indexes: Sequence[str]) -> Sequence[Lead]:
        return [
            replace(lead)
            for lead in self._store.leads.values()
            if lead.contact.blind_index in blind_indexes
        ]

    async def get(self, lead_id: UUID) -> Lead | None:
        found = self._store.leads.get(lead_id)
        return None if found is None else replace(found)

    async def set_status(self, lead_id: UUID, expected: str, target: str, now: datetime) -> bool:
        found = self._store.leads.get(lead_id)
        if found is None or found.status.value != expected:
            return False
        found.status = LeadStatus(target)
        return True


class InMemoryLeadTimeline:
    def __init__(self, store: Any) -> None:
        self._store: CrmState = store

    async def add(self, event: LeadTimelineEvent) -> None:
        self._store.lead_timeline.append(event)

    async def list_for_lead(self, lead_id: UUID) -> Sequence[LeadTimelineEvent]:
        return sorted(
            (e for e in self._store.lead_timeline if e.lead_id == lead_id),
            key=lambda e: e.occurred_at,
        )

    async def exists(self, lead_id: UUID, type_: str, payment_id: UUID) -> bool:
        return any(
            e.lead_id == lead_id and e.type.value == type_ and e.payment_id == payment_id
            for e in self._store.lead_timeline
        )


class InMemoryEmailOutbox:
    def __init__(self, store: Any) -> None:
        self._store: CrmState = store

    async def add(self, email: OutgoingEmail) -> None:
        if email.id in self._store.emails:  # the table's primary key
            raise ValueError(f"duplicate email_outbox id {email.id}")
        self._store.emails[email.id] = email

    async def add_once(self, email: OutgoingEmail) -> bool:
        if email.id in self._store.emails:
            return False
        self._store.emails[email.id] = email
        return True

    def _due(self, email: OutgoingEmail, now: datetime) -> bool:
        claim = self._store.email_claims.get(email.id)
        return (
            email.status is EmailStatus.PENDING
            and email.next_attempt_at <= now
            and (claim is None or claim[1] < now)
        )

    async def claim_due(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> Sequence[ClaimedEmail]:
        due = sorted(
            (e for e in self._store.emails.values() if self._due(e, now)),
            key=lambda e: e.next_attempt_at,
        )[:limit]
        claimed = []
        for email in due:
            token = uuid4()
            updated = replace(email, attempts=email.attempts + 1)
            self._store.emails[email.id] = updated
            self._store.email_claims[email.id] = (token, lease_until)
            claimed.append(ClaimedEmail(email=updated, claim_token=token))
        return claimed

    def _holds(self, claim: ClaimedEmail) -> bool:
        current = self._store.emails.get(claim.email.id)
        held = self._store.email_claims.get(claim.email.id)
        return (
            current is not None
            and current.status is EmailStatus.PENDING
            and held is not None
            and held[0] == claim.claim_token
        )

    async def still_held(self, claim: ClaimedEmail) -> bool:
        return self._holds(claim)

    async def mark_sent(self, claim: ClaimedEmail, now: datetime) -> bool:
        if not self._holds(claim):
            return False
        email = self._store.emails[claim.email.id]
        self._store.emails[email.id] = replace(email, status=EmailStatus.SENT, sent_at=now)
        self._store.email_claims.pop(email.id)
        return True

    async def mark_failed(
        self, claim: ClaimedEmail, *, error: str, retry_at: datetime | None, now: datetime
    ) -> bool:
        if not self._holds(claim):
            return False
        email = self._store.emails[claim.email.id]
        if retry_at is None:
            email = replace(email, status=EmailStatus.FAILED, last_error=error)
        else:
            email = replace(email, next_attempt_at=retry_at, last_error=error)
        self._store.emails[email.id] = email
        self._store.email_claims.pop(email.id)
        return True


class RecordingMailer:
    """Keeps every message; can be told to fail the next sends."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self.failures: list[Exception] = []

    def fail_next(self, *errors: Exception) -> None:
        self.failures.extend(errors)

    async def send(self, message: EmailMessage) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)


def temporary_failure() -> Exception:
    return MailServerUnavailable()


def permanent_failure() -> Exception:
    return MailRejected()


class FixedConciergeLinks:
    def concierge_link(self, service_slug: str) -> str:
        return f"https://t.me/test_concierge_bot?start=concierge-{service_slug}"


class InMemoryWaitlistSubmissions:
    """``WaitlistSubmissions`` on an in-memory store, with the real stores' rules (the contract
    suite ``tests/integration/test_waitlist_submissions_contract_db.py`` runs it beside them).

    A submission runs without awaiting, so it is atomic like a transaction. ``drafts`` keeps
    every draft handed in, written or not.
    """

    def __init__(self, store: Any) -> None:
        self._store: _SubmissionState = store
        self.drafts: list[WaitlistDraft] = []

    async def submit(self, draft: WaitlistDraft) -> WaitlistOutcome:
        self.drafts.append(draft)
        store = self._store
        service = next(
            (s for s in store.services.values() if s.slug == draft.service_slug and s.active),
            None,
        )
        if service is None:
            raise ServiceNotFound()
        index = draft.contact.blind_index
        lead = next((ld for ld in store.leads.values() if ld.contact.blind_index == index), None)
        if lead is None:
            lead = store.leads[draft.lead.id] = replace(draft.lead)
        else:
            lead.last_activity_at = draft.submitted_at
            active = [
                r
                for r in store.waitlist.values()
                if r.contact.blind_index == index
                and r.service_id == service.id
                and r.status in ACTIVE_WAITLIST_STATUSES
            ]
            if active:
                return WaitlistOutcome(created=False)
        request = draft.request(service_id=service.id, lead_id=lead.id)
        store.waitlist[request.id] = request
        store.consents.extend(draft.consents)
        store.lead_timeline.append(draft.timeline_event(lead.id))
        store.tracking.append(draft.tracking_event)
        if draft.email is not None:
            key = (index, service.id)
            last = store.waitlist_confirmations.get(key)
            if last is None or last <= draft.confirmation_quiet_since:
                store.waitlist_confirmations[key] = draft.submitted_at
                store.emails[draft.email.id] = draft.email
        return WaitlistOutcome(created=True)


class _SubmissionState(CrmState, Protocol):
    services: dict[UUID, Service]
    waitlist_confirmations: dict[tuple[str, UUID], datetime]


class RecordingSubmissions:
    """A ``WaitlistSubmissions`` that keeps the drafts it is handed and stores nothing: for
    tests that run the real store's statement on drafts of their own making."""

    def __init__(self) -> None:
        self.drafts: list[WaitlistDraft] = []

    async def submit(self, draft: WaitlistDraft) -> WaitlistOutcome:
        self.drafts.append(draft)
        return WaitlistOutcome(created=True)
