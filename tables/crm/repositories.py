"""Piccolo repositories of the waitlist, the CRM and the email outbox (inside the current UoW)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from operator import attrgetter
from typing import Any, Generic, TypeVar
from uuid import UUID, uuid4

from piccolo.columns import JSON, Column
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
)
from domain.emails import ClaimedEmail, EmailStatus, EmailTemplate, OutgoingEmail
from domain.models import ContactMethod
from tables.crm.tables import (
    EmailOutboxTable,
    LeadTable,
    LeadTimelineEventTable,
    WaitlistConfirmationTable,
    WaitlistRequestTable,
)
from tables.database import as_utc, as_utc_or_none, is_sqlite

T = TypeVar("T")


class Row(Generic[T]):
    """How a domain object becomes a row of a Piccolo table, for hand-written SQL.

    Each column is given by its name on the table (as to the table's own constructor) with
    the attribute path of its value (``"contact.method.value"``); JSON columns take a dict
    and are sent as JSON text. Names, order and types come from the table
    (``Table._meta.columns``), so statements built from a ``Row`` list their columns as the
    table does, and a column the table lacks fails at import. Columns left out keep their
    database default. One ``attrgetter`` reads a whole row: these rows are on hot paths.
    """

    def __init__(self, table: type[Table], **paths: str) -> None:
        names = {column._meta.name for column in table._meta.columns}
        if unknown := sorted(set(paths) - names):
            raise ValueError(f"{table.__name__} has no column {', '.join(unknown)}")
        self.table = table
        self.columns: tuple[Column, ...] = tuple(
            column for column in table._meta.columns if column._meta.name in paths
        )
        getter = attrgetter(*(paths[column._meta.name] for column in self.columns))
        self._get: Callable[[T], tuple[Any, ...]] = (
            getter if len(self.columns) > 1 else lambda item: (getter(item),)
        )
        self._json = tuple(i for i, c in enumerate(self.columns) if isinstance(c, JSON))

    @property
    def names(self) -> tuple[str, ...]:
        """The columns' names in the database."""
        return tuple(column._meta.db_column_name for column in self.columns)

    def values(self, item: T) -> list[Any]:
        values = list(self._get(item))
        for i in self._json:
            values[i] = json_text(values[i])
        return values

    def arrays(self, items: Sequence[T | None]) -> list[list[Any]]:
        """One list per column with its value for each item; ``None`` items give NULLs."""
        nulls = (None,) * len(self.columns)
        rows = [nulls if item is None else self._get(item) for item in items]
        arrays = [list(column) for column in zip(*rows, strict=True)] if rows else []
        arrays = arrays or [[] for _ in self.columns]
        for i in self._json:
            arrays[i] = [None if value is None else json_text(value) for value in arrays[i]]
        return arrays

    def insert(self) -> str:
        """``INSERT INTO <table> (<columns>) VALUES ({}, ...)``, Piccolo's placeholders."""
        placeholders = ", ".join("{}" for _ in self.columns)
        return (  # names from the table and placeholders only
            f"INSERT INTO {self.table._meta.tablename} ({', '.join(self.names)}) "  # noqa: S608
            f"VALUES ({placeholders})"
        )


def json_text(value: Any) -> str:
    return json.dumps(dict(value))


LEAD_ROW = Row[Lead](
    LeadTable,
    id="id",
    contact_method="contact.method.value",
    contact_encrypted="contact.ciphertext",
    contact_index="contact.blind_index",
    source="source.value",
    status="status.value",
    first_activity_at="first_activity_at",
    last_activity_at="last_activity_at",
    created_at="first_activity_at",
    updated_at="last_activity_at",
)
WAITLIST_ROW = Row[WaitlistRequest](
    WaitlistRequestTable,
    id="id",
    service="service_id",
    lead="lead_id",
    preferred_contact_method="contact.method.value",
    contact_encrypted="contact.ciphertext",
    contact_index="contact.blind_index",
    preferred_time_window="preferred_time_window.value",
    status="status.value",
    assignee="assignee_id",
    created_at="created_at",
    updated_at="updated_at",
)
TIMELINE_ROW = Row[LeadTimelineEvent](
    LeadTimelineEventTable,
    id="id",
    lead="lead_id",
    type="type.value",
    occurred_at="occurred_at",
    waitlist_request="waitlist_request_id",
    appointment="appointment_id",
    payment_id="payment_id",
    staff_user="staff_user_id",
    waitlist_status="waitlist_status",
    outcome="outcome",
)
EMAIL_ROW = Row[OutgoingEmail](
    EmailOutboxTable,
    id="id",
    recipient_encrypted="recipient_ciphertext",
    template="template.value",
    params="params",
    status="status.value",
    attempts="attempts",
    next_attempt_at="next_attempt_at",
    created_at="created_at",
    sent_at="sent_at",
    last_error="last_error",
    recipient_index="recipient_index",
)

# The predicate of the partial unique index ``waitlist_requests_one_active``, as literals: a
# cached generic plan can use that index only when the statuses are constants, not parameters.
ACTIVE_STATUSES_SQL = ", ".join(f"'{s.value}'" for s in sorted(ACTIVE_WAITLIST_STATUSES))
FIND_ACTIVE_WAITLIST = (  # placeholders and constants only
    "SELECT * FROM waitlist_requests WHERE contact_index = {} AND service = {} "  # noqa: S608
    f"AND status IN ({ACTIVE_STATUSES_SQL}) ORDER BY created_at LIMIT 1"
)
# A first submission inserts the lead, a repeat only moves its last activity.
_UPSERT_LEAD = (
    f"{LEAD_ROW.insert()} ON CONFLICT (contact_index) DO UPDATE SET "
    "last_activity_at = EXCLUDED.last_activity_at, updated_at = EXCLUDED.updated_at "
    "RETURNING *"
)
# The 24-hour rule (``CONFIRMATION_INTERVAL``): the row of a contact and service moves to the
# new time only when its last confirmation was queued at or before the quiet-since instant
# (or there is none); a row back means "queue it". One statement: of concurrent submissions
# one moves the row, the others wait for its lock and then see the new time.
CLAIM_CONFIRMATION = (
    "INSERT INTO waitlist_confirmations (contact_index, service, queued_at) VALUES ({}, {}, {}) "
    "ON CONFLICT (contact_index, service) DO UPDATE SET queued_at = EXCLUDED.queued_at "
    "WHERE waitlist_confirmations.queued_at <= {} RETURNING contact_index"
)
_INSERT_WAITLIST = WAITLIST_ROW.insert()
_INSERT_TIMELINE = TIMELINE_ROW.insert()
_INSERT_EMAIL = EMAIL_ROW.insert()
# The same statement on SQLite (3.35+) and PostgreSQL: a concurrent insert of the same id waits
# for the first to commit and then adds nothing.
_INSERT_EMAIL_ONCE = f"{_INSERT_EMAIL} ON CONFLICT (id) DO NOTHING RETURNING id"


def numbered(template: str) -> str:
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
    records = await transaction.connection.fetch(numbered(template), *args)
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
        recipient_index=row.get("recipient_index"),
    )


class PiccoloWaitlistRepository:
    # Inserts and the active-request lookup run prepared SQL (same text, both databases):
    # building Piccolo queries cost more CPU than the database work. Everything else uses
    # the query builder.
    async def add(self, request: WaitlistRequest) -> None:
        await _fetch(WaitlistRequestTable, _INSERT_WAITLIST, *WAITLIST_ROW.values(request))

    async def get(self, request_id: UUID) -> WaitlistRequest | None:
        row = (
            await WaitlistRequestTable.select().where(WaitlistRequestTable.id == request_id).first()
        )
        return None if row is None else waitlist_from_row(row)

    async def find_active(self, contact_index: str, service_id: UUID) -> WaitlistRequest | None:
        rows = await _fetch(WaitlistRequestTable, FIND_ACTIVE_WAITLIST, contact_index, service_id)
        return waitlist_from_row(rows[0]) if rows else None


class PiccoloWaitlistConfirmations:
    """The last waitlist confirmation queued per contact and service."""

    async def claim(
        self, contact_index: str, service_id: UUID, now: datetime, quiet_since: datetime
    ) -> bool:
        """Whether a confirmation may be queued now (and, if so, it is recorded as queued)."""
        rows = await _fetch(
            WaitlistConfirmationTable,
            CLAIM_CONFIRMATION,
            contact_index,
            service_id,
            now,
            quiet_since,
        )
        return bool(rows)

    async def purge_queued_before(self, cutoff: datetime, limit: int) -> int:
        t = WaitlistConfirmationTable
        pk = t._meta.primary_key
        rows = await t.select(pk).where(t.queued_at <= cutoff).limit(limit)
        if not rows:
            return 0
        # The time again: a submission may have moved a row since it was selected.
        deleted = (
            await t.delete()
            .where(pk.is_in([row[pk._meta.name] for row in rows]) & (t.queued_at <= cutoff))
            .returning(pk)
        )
        return len(deleted)


class PiccoloLeadRepository:
    async def touch_or_add(self, lead: Lead, now: datetime) -> Lead:
        # One upsert: a first submission inserts, a repeat only moves ``last_activity_at``.
        # Either way the lead's row stays locked until commit, so concurrent submissions of
        # one contact run their remaining steps one after the other.
        touched = replace(lead, last_activity_at=now)
        rows = await _fetch(LeadTable, _UPSERT_LEAD, *LEAD_ROW.values(touched))
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
        await _fetch(LeadTimelineEventTable, _INSERT_TIMELINE, *TIMELINE_ROW.values(event))

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
        await _fetch(EmailOutboxTable, _INSERT_EMAIL, *EMAIL_ROW.values(email))

    async def add_once(self, email: OutgoingEmail) -> bool:
        rows = await _fetch(EmailOutboxTable, _INSERT_EMAIL_ONCE, *EMAIL_ROW.values(email))
        return len(rows) == 1

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

    async def still_held(self, claim: ClaimedEmail) -> bool:
        t = EmailOutboxTable
        return bool(
            await t.exists().where(
                (t.id == claim.email.id)
                & (t.claim_token == claim.claim_token)
                & (t.status == EmailStatus.PENDING.value)
            )
        )

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
