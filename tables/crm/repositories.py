"""Piccolo repositories of the waitlist, the CRM and the email outbox (inside the current UoW)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from piccolo.table import Table

from domain.crm import (
    ACTIVE_WAITLIST_STATUSES,
    EncryptedContact,
    Lead,
    LeadSource,
    LeadStatus,
    LeadTimelineEvent,
    LeadTimelineEventType,
    TimeWindow,
    WaitlistRequest,
    WaitlistStatus,
    WaitlistSubmission,
)
from domain.emails import ClaimedEmail, EmailStatus, EmailTemplate, OutgoingEmail
from domain.models import ContactMethod
from tables.core.repositories import PiccoloConsentRepository, PiccoloTrackingOutbox
from tables.crm.tables import (
    EmailOutboxTable,
    LeadTable,
    LeadTimelineEventTable,
    WaitlistRequestTable,
)
from tables.database import as_utc, as_utc_or_none, is_sqlite

_INSERT_WAITLIST = (
    "INSERT INTO waitlist_requests (id, service, lead, preferred_contact_method, "
    "contact_encrypted, contact_index, preferred_time_window, status, assignee, created_at, "
    "updated_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})"
)
# The predicate of the partial unique index ``waitlist_requests_one_active``, as literals: a
# cached generic plan can use that index only when the statuses are constants, not parameters.
ACTIVE_STATUSES_SQL = ", ".join(f"'{s.value}'" for s in sorted(ACTIVE_WAITLIST_STATUSES))
_FIND_ACTIVE_WAITLIST = (  # placeholders and constants only
    "SELECT * FROM waitlist_requests WHERE contact_index = {} AND service = {} "  # noqa: S608
    f"AND status IN ({ACTIVE_STATUSES_SQL}) ORDER BY created_at LIMIT 1"
)
_UPSERT_LEAD = (
    "INSERT INTO leads (id, contact_method, contact_encrypted, contact_index, source, status, "
    "first_activity_at, last_activity_at, created_at, updated_at) "
    "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}) "
    "ON CONFLICT (contact_index) DO UPDATE SET last_activity_at = EXCLUDED.last_activity_at, "
    "updated_at = EXCLUDED.updated_at RETURNING *"
)
_INSERT_TIMELINE = (
    "INSERT INTO lead_timeline_events (id, lead, type, occurred_at, waitlist_request, "
    "appointment, payment_id, staff_user, waitlist_status, outcome) "
    "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {})"
)
_INSERT_EMAIL = (
    "INSERT INTO email_outbox (id, recipient_encrypted, template, params, status, attempts, "
    "next_attempt_at, created_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {})"
)
_CONSENT_ROW = "({}, {}, {}, {}, {}, {}, {}, {}, {})"
_INSERT_CONSENTS = (
    "c AS (INSERT INTO consent_records (id, subject_type, subject_id, kind, text_version, "
    "channel, granted_at, withdrawn_at, evidence_encrypted) VALUES "
)
_INSERT_TRACKING = (
    "INSERT INTO tracking_events (id, name, source, properties, occurred_at, attempts) "
    "VALUES ({}, {}, {}, {}, {}, 0)"
)


def _submission_statement(submission: WaitlistSubmission) -> tuple[str, list[Any]]:
    request, event, tracking = (
        submission.request,
        submission.timeline_event,
        submission.tracking_event,
    )
    args: list[Any] = [
        request.id,
        request.service_id,
        request.lead_id,
        request.contact.method.value,
        request.contact.ciphertext,
        request.contact.blind_index,
        request.preferred_time_window.value,
        request.status.value,
        request.assignee_id,
        request.created_at,
        request.updated_at,
    ]
    parts = [f"w AS ({_INSERT_WAITLIST})"]
    if submission.consents:
        # Only placeholders are joined in; every value is a parameter.
        rows = ", ".join(_CONSENT_ROW for _ in submission.consents)
        parts.append(_INSERT_CONSENTS + rows + ")")
        for consent in submission.consents:
            args += [
                consent.id,
                consent.subject_type.value,
                consent.subject_id,
                consent.kind.value,
                consent.text_version,
                consent.channel.value,
                consent.granted_at,
                consent.withdrawn_at,
                consent.evidence_ciphertext,
            ]
    parts.append(f"t AS ({_INSERT_TIMELINE})")
    args += [
        event.id,
        event.lead_id,
        event.type.value,
        event.occurred_at,
        event.waitlist_request_id,
        event.appointment_id,
        event.payment_id,
        event.staff_user_id,
        event.waitlist_status,
        event.outcome,
    ]
    if submission.email is not None:
        email = submission.email
        parts.append(f"e AS ({_INSERT_EMAIL})")
        args += [
            email.id,
            email.recipient_ciphertext,
            email.template.value,
            json.dumps(dict(email.params)),
            email.status.value,
            email.attempts,
            email.next_attempt_at,
            email.created_at,
        ]
    args += [
        tracking.id,
        tracking.name,
        tracking.source,
        json.dumps(dict(tracking.properties)),
        tracking.occurred_at,
    ]
    return "WITH " + ", ".join(parts) + " " + _INSERT_TRACKING, args


def _numbered(template: str) -> str:
    """Piccolo's ``{}`` placeholders as PostgreSQL's ``$1, $2 ...``."""
    pieces = template.split("{}")
    out = [pieces[0]]
    for number, piece in enumerate(pieces[1:], start=1):
        out.append(f"${number}{piece}")
    return "".join(out)


async def _fetch(table: type[Table], template: str, *args: Any) -> list[dict[str, Any]]:
    """Run a hot-path statement in the current transaction.

    On PostgreSQL it goes straight to the transaction's asyncpg connection: building
    Piccolo query strings cost more CPU than the statement itself. Elsewhere (SQLite, or
    outside a unit of work) it is an ordinary Piccolo raw query.
    """
    engine = table._meta.db
    transaction = None if is_sqlite(engine) else engine.current_transaction.get()
    if transaction is None:
        return list(await table.raw(template, *args))
    records = await transaction.connection.fetch(_numbered(template), *args)
    # asyncpg's UUIDs are ``uuid.UUID`` instances: the rows need no conversion
    return [dict(record) for record in records]


def waitlist_from_row(row: dict[str, Any]) -> WaitlistRequest:
    return WaitlistRequest(
        id=row["id"],
        service_id=row["service"],
        lead_id=row["lead"],
        contact=EncryptedContact(
            method=ContactMethod(row["preferred_contact_method"]),
            ciphertext=row["contact_encrypted"],
            blind_index=row["contact_index"],
        ),
        preferred_time_window=TimeWindow(row["preferred_time_window"]),
        status=WaitlistStatus(row["status"]),
        created_at=as_utc(row["created_at"]),
        updated_at=as_utc(row["updated_at"]),
        assignee_id=row["assignee"],
    )


def lead_from_row(row: dict[str, Any]) -> Lead:
    return Lead(
        id=row["id"],
        contact=EncryptedContact(
            method=ContactMethod(row["contact_method"]),
            ciphertext=row["contact_encrypted"],
            blind_index=row["contact_index"],
        ),
        source=LeadSource(row["source"]),
        status=LeadStatus(row["status"]),
        first_activity_at=as_utc(row["first_activity_at"]),
        last_activity_at=as_utc(row["last_activity_at"]),
    )


def timeline_from_row(row: dict[str, Any]) -> LeadTimelineEvent:
    return LeadTimelineEvent(
        id=row["id"],
        lead_id=row["lead"],
        type=LeadTimelineEventType(row["type"]),
        occurred_at=as_utc(row["occurred_at"]),
        waitlist_request_id=row["waitlist_request"],
        appointment_id=row["appointment"],
        payment_id=row["payment_id"],
        staff_user_id=row["staff_user"],
        waitlist_status=row["waitlist_status"],
        outcome=row["outcome"],
    )


def _json(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        value = json.loads(value or "{}")
    return {str(k): str(v) for k, v in dict(value or {}).items()}


def email_from_row(row: dict[str, Any]) -> OutgoingEmail:
    return OutgoingEmail(
        id=row["id"],
        recipient_ciphertext=row["recipient_encrypted"],
        template=EmailTemplate(row["template"]),
        params=_json(row["params"]),
        status=EmailStatus(row["status"]),
        attempts=int(row["attempts"]),
        next_attempt_at=as_utc(row["next_attempt_at"]),
        created_at=as_utc(row["created_at"]),
        sent_at=as_utc_or_none(row["sent_at"]),
        last_error=row["last_error"],
    )


class PiccoloWaitlistRepository:
    # The submission path runs prepared SQL (same text, both databases): building Piccolo
    # queries cost more CPU than the database work. Everything else uses the query builder.
    async def add(self, request: WaitlistRequest) -> None:
        await _fetch(
            WaitlistRequestTable,
            _INSERT_WAITLIST,
            request.id,
            request.service_id,
            request.lead_id,
            request.contact.method.value,
            request.contact.ciphertext,
            request.contact.blind_index,
            request.preferred_time_window.value,
            request.status.value,
            request.assignee_id,
            request.created_at,
            request.updated_at,
        )

    async def add_submission(self, submission: WaitlistSubmission) -> None:
        if is_sqlite(WaitlistRequestTable._meta.db):
            await self.add(submission.request)
            for consent in submission.consents:
                await PiccoloConsentRepository().add(consent)
            await PiccoloLeadTimelineRepository().add(submission.timeline_event)
            await PiccoloTrackingOutbox().add(submission.tracking_event)
            if submission.email is not None:
                await PiccoloEmailOutbox().add(submission.email)
            return
        # PostgreSQL: one statement with data-modifying CTEs instead of six round trips.
        # Foreign keys between these rows are checked at the end of the statement.
        sql, args = _submission_statement(submission)
        await _fetch(WaitlistRequestTable, sql, *args)

    async def get(self, request_id: UUID) -> WaitlistRequest | None:
        row = (
            await WaitlistRequestTable.select().where(WaitlistRequestTable.id == request_id).first()
        )
        return None if row is None else waitlist_from_row(row)

    async def find_active(self, contact_index: str, service_id: UUID) -> WaitlistRequest | None:
        rows = await _fetch(WaitlistRequestTable, _FIND_ACTIVE_WAITLIST, contact_index, service_id)
        return waitlist_from_row(rows[0]) if rows else None


class PiccoloLeadRepository:
    async def touch_or_add(self, lead: Lead, now: datetime) -> Lead:
        # One upsert: a first submission inserts, a repeat only moves ``last_activity_at``.
        # Either way the lead's row stays locked until commit, so concurrent submissions of
        # one contact run their remaining steps one after the other.
        contact = lead.contact
        rows = await _fetch(
            LeadTable,
            _UPSERT_LEAD,
            lead.id,
            contact.method.value,
            contact.ciphertext,
            contact.blind_index,
            lead.source.value,
            lead.status.value,
            lead.first_activity_at,
            lead.last_activity_at,
            now,
            now,
        )
        return lead_from_row(rows[0])

    async def find_by_indexes(self, blind_indexes: Sequence[str]) -> Sequence[Lead]:
        if not blind_indexes:
            return []
        rows = await LeadTable.select().where(LeadTable.contact_index.is_in(list(blind_indexes)))
        return [lead_from_row(row) for row in rows]

    async def get(self, lead_id: UUID) -> Lead | None:
        row = await LeadTable.select().where(LeadTable.id == lead_id).first()
        return None if row is None else lead_from_row(row)

    async def set_status(self, lead_id: UUID, expected: str, target: str, now: datetime) -> bool:
        changed = (
            await LeadTable.update({LeadTable.status: target, LeadTable.updated_at: now})
            .where((LeadTable.id == lead_id) & (LeadTable.status == expected))
            .returning(LeadTable.id)
        )
        return len(changed) == 1


class PiccoloLeadTimelineRepository:
    async def add(self, event: LeadTimelineEvent) -> None:
        await _fetch(
            LeadTimelineEventTable,
            _INSERT_TIMELINE,
            event.id,
            event.lead_id,
            event.type.value,
            event.occurred_at,
            event.waitlist_request_id,
            event.appointment_id,
            event.payment_id,
            event.staff_user_id,
            event.waitlist_status,
            event.outcome,
        )

    async def list_for_lead(self, lead_id: UUID) -> Sequence[LeadTimelineEvent]:
        rows = (
            await LeadTimelineEventTable.select()
            .where(LeadTimelineEventTable.lead == lead_id)
            .order_by(LeadTimelineEventTable.occurred_at)
        )
        return [timeline_from_row(row) for row in rows]

    async def exists(self, lead_id: UUID, type_: str, payment_id: UUID) -> bool:
        return bool(
            await LeadTimelineEventTable.exists().where(
                (LeadTimelineEventTable.lead == lead_id)
                & (LeadTimelineEventTable.type == type_)
                & (LeadTimelineEventTable.payment_id == payment_id)
            )
        )


class PiccoloEmailOutbox:
    async def add(self, email: OutgoingEmail) -> None:
        await _fetch(
            EmailOutboxTable,
            _INSERT_EMAIL,
            email.id,
            email.recipient_ciphertext,
            email.template.value,
            json.dumps(dict(email.params)),
            email.status.value,
            email.attempts,
            email.next_attempt_at,
            email.created_at,
        )

    async def claim_due(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> Sequence[ClaimedEmail]:
        t = EmailOutboxTable
        due = (
            (t.status == EmailStatus.PENDING.value)
            & (t.next_attempt_at <= now)
            & (t.claimed_until.is_null() | (t.claimed_until < now))
        )
        candidates = await t.select(t.id).where(due).order_by(t.next_attempt_at).limit(limit)
        claimed: list[ClaimedEmail] = []
        for candidate in candidates:
            token = uuid4()
            # The same condition again, on one row: of workers racing for it, one wins.
            rows = (
                await t.update(
                    {t.claimed_until: lease_until, t.claim_token: token, t.attempts: t.attempts + 1}
                )
                .where((t.id == candidate["id"]) & due)
                .returning(*t.all_columns())
            )
            if rows:
                claimed.append(ClaimedEmail(email=email_from_row(rows[0]), claim_token=token))
        return claimed

    async def mark_sent(self, claim: ClaimedEmail, now: datetime) -> bool:
        t = EmailOutboxTable
        rows = (
            await t.update(
                {
                    t.status: EmailStatus.SENT.value,
                    t.sent_at: now,
                    t.claimed_until: None,
                    t.last_error: None,
                }
            )
            .where(
                (t.id == claim.email.id)
                & (t.claim_token == claim.claim_token)
                & (t.status == EmailStatus.PENDING.value)
            )
            .returning(t.id)
        )
        return len(rows) == 1

    async def mark_failed(
        self,
        claim: ClaimedEmail,
        *,
        error: str,
        retry_at: datetime | None,
        now: datetime,
    ) -> bool:
        t = EmailOutboxTable
        values: dict[Any, Any] = {t.claimed_until: None, t.last_error: error[:64]}
        if retry_at is None:
            values[t.status] = EmailStatus.FAILED.value
        else:
            values[t.next_attempt_at] = retry_at
        rows = (
            await t.update(values)
            .where(
                (t.id == claim.email.id)
                & (t.claim_token == claim.claim_token)
                & (t.status == EmailStatus.PENDING.value)
            )
            .returning(t.id)
        )
        return len(rows) == 1
