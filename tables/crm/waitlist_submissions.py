"""The waitlist submission as one PostgreSQL statement (``WaitlistSubmissions`` port).

``POST /api/public/waitlist`` is the hot path. Step by step in a transaction it took six round
trips (``BEGIN``, service lookup, lead upsert, the inserts, ``COMMIT``, plus the dedup lookup
for a known lead). Here it is one statement in autocommit, whose data-modifying CTEs:

1. find the active service by slug (``s``): none, nothing below writes anything;
2. upsert the lead by blind index (``l``): a known lead only gets its last activity moved;
3. insert the request (``w``) unless the partial unique index ``waitlist_requests_one_active``
   (contact_index, service, over active requests) already holds one for this contact and
   service, and every other row only from ``w``'s ``RETURNING``, so a repeat writes nothing
   but the lead's last activity.

A single statement is atomic without ``BEGIN``/``COMMIT``. The unique index is the dedup, for a
request committed long ago and for a concurrent first submission alike (the insert waits for
it, then does nothing): then a fresh lookup returns the request that is there. The statement
reads no waitlist request itself: a lookup here got a generic plan that scanned all of the
service's requests (``tests/integration/test_waitlist_submission_plan_db.py``). asyncpg
prepares and caches the statement per connection (its text changes only when equal values or
``NULL`` fall on other columns: a handful of shapes).
"""

# The statement is formatted from placeholders ("$n::type") and constants only; every value is
# a parameter: S608 cannot tell.
# ruff: noqa: S608

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from piccolo.engine.base import Engine

from domain.crm import Lead, WaitlistStatus, WaitlistSubmission
from domain.crm_ports import SubmissionOutcome
from tables.crm.repositories import _FIND_ACTIVE_WAITLIST, ACTIVE_STATUSES_SQL, _numbered

_CONSENT_COLUMNS = (
    "id, subject_type, subject_id, kind, text_version, channel, granted_at, withdrawn_at, "
    "evidence_encrypted"
)
_RESULT = (
    "SELECT (SELECT id FROM s) AS service_id, (SELECT id FROM w) AS created_id, "
    "(SELECT status FROM w) AS created_status"
)
_CASTS: dict[type, str] = {UUID: "uuid", datetime: "timestamptz", int: "integer", str: "text"}


def _template(consents: int, email: bool) -> str:
    """The statement with ``{}`` for each slot of :func:`_slots`, in the same order."""
    parts = [
        "s AS (SELECT id FROM services WHERE slug = {} AND active LIMIT 1)",
        "l AS (INSERT INTO leads (id, contact_method, contact_encrypted, contact_index, source, "
        "status, first_activity_at, last_activity_at, created_at, updated_at) "
        "SELECT {}, {}, {}, {}, {}, {}, {}, {}, {}, {} FROM s "
        "ON CONFLICT (contact_index) DO UPDATE SET last_activity_at = "
        "EXCLUDED.last_activity_at, updated_at = EXCLUDED.updated_at RETURNING id)",
        "w AS (INSERT INTO waitlist_requests (id, service, lead, preferred_contact_method, "
        "contact_encrypted, contact_index, preferred_time_window, status, assignee, "
        "created_at, updated_at) SELECT {}, s.id, l.id, {}, {}, {}, {}, {}, NULL, {}, {} "
        "FROM s, l "
        f"ON CONFLICT (contact_index, service) WHERE status IN ({ACTIVE_STATUSES_SQL}) DO NOTHING "
        "RETURNING id, lead, status)",
    ]
    if consents:
        rows = ", ".join("({}, {}, {}, {}, {}, {}, {}, {}, {})" for _ in range(consents))
        parts.append(
            f"c AS (INSERT INTO consent_records ({_CONSENT_COLUMNS}) SELECT v.* FROM "
            f"(VALUES {rows}) AS v({_CONSENT_COLUMNS}) WHERE EXISTS (SELECT 1 FROM w))"
        )
    parts.append(
        "t AS (INSERT INTO lead_timeline_events (id, lead, type, occurred_at, "
        "waitlist_request, appointment, payment_id, staff_user, waitlist_status, outcome) "
        "SELECT {}, w.lead, {}, {}, w.id, NULL, NULL, NULL, NULL, NULL FROM w)"
    )
    if email:
        parts.append(
            "e AS (INSERT INTO email_outbox (id, recipient_encrypted, template, params, status, "
            "attempts, next_attempt_at, created_at) SELECT {}, {}, {}, {}::json, {}, {}, {}, {} "
            "FROM w)"
        )
    parts.append(
        "k AS (INSERT INTO tracking_events (id, name, source, properties, occurred_at, "
        "attempts) SELECT {}, {}, {}, {}::json, {}, 0 FROM w)"
    )
    return "WITH " + ", ".join(parts) + " " + _RESULT


def _slots(service_slug: str, lead: Lead, submission: WaitlistSubmission) -> list[Any]:
    """The value of each ``{}`` of :func:`_template`, in order."""
    request, event, tracking = (
        submission.request,
        submission.timeline_event,
        submission.tracking_event,
    )
    contact, rc = lead.contact, submission.request.contact
    slots: list[Any] = [
        service_slug,
        lead.id,
        contact.method.value,
        contact.ciphertext,
        contact.blind_index,
        lead.source.value,
        lead.status.value,
        lead.first_activity_at,
        lead.last_activity_at,
        request.created_at,
        request.created_at,
        request.id,
        rc.method.value,
        rc.ciphertext,
        rc.blind_index,
        request.preferred_time_window.value,
        request.status.value,
        request.created_at,
        request.updated_at,
    ]
    for c in submission.consents:
        slots += [
            c.id,
            c.subject_type.value,
            c.subject_id,
            c.kind.value,
            c.text_version,
            c.channel.value,
            c.granted_at,
            c.withdrawn_at,
            c.evidence_ciphertext,
        ]
    slots += [event.id, event.type.value, event.occurred_at]
    email = submission.email
    if email is not None:
        slots += [
            email.id,
            email.recipient_ciphertext,
            email.template.value,
            json.dumps(dict(email.params)),
            email.status.value,
            email.attempts,
            email.next_attempt_at,
            email.created_at,
        ]
    slots += [
        tracking.id,
        tracking.name,
        tracking.source,
        json.dumps(dict(tracking.properties)),
        tracking.occurred_at,
    ]
    return slots


# Types of the slots that may be None (withdrawn_at, evidence), by position in a consent row.
_NULL_CASTS = {7: "timestamptz", 8: "text"}
_CONSENTS_START = 19


@functools.lru_cache(maxsize=64)
def _sql(consents: int, email: bool, numbers: tuple[int, ...], casts: tuple[str, ...]) -> str:
    placeholders = []
    for position, number in enumerate(numbers):
        if number:
            placeholders.append(f"${number}::{casts[number - 1]}")
        else:
            cast = _NULL_CASTS[(position - _CONSENTS_START) % 9]
            placeholders.append(f"NULL::{cast}")
    return _template(consents, email).format(*placeholders)


def _statement(
    service_slug: str, lead: Lead, submission: WaitlistSubmission
) -> tuple[str, list[Any]]:
    """The statement and its parameters: one parameter per distinct value (the submission
    repeats ``now``, ids and the ciphertext, and each parameter costs encoding time), each
    always with the same cast (text for strings), as PostgreSQL needs. ``NULL`` is written
    in. Only placeholders and constants are formatted into the text."""
    values: list[Any] = []
    casts: list[str] = []
    seen: dict[tuple[type, Any], int] = {}
    numbers: list[int] = []
    for value in _slots(service_slug, lead, submission):
        if value is None:
            numbers.append(0)
            continue
        key = (type(value), value)
        number = seen.get(key)
        if number is None:
            values.append(value)
            casts.append(_CASTS[type(value)])
            number = seen[key] = len(values)
        numbers.append(number)
    sql = _sql(len(submission.consents), submission.email is not None, tuple(numbers), tuple(casts))
    return sql, values


class PostgresWaitlistSubmissions:
    """Implements ``WaitlistSubmissions`` on a Piccolo ``PostgresEngine``'s asyncpg pool."""

    def __init__(self, engine: Engine) -> None:  # type: ignore[type-arg]
        self._engine: Any = engine

    async def submit(
        self, service_slug: str, lead: Lead, submission: WaitlistSubmission
    ) -> SubmissionOutcome:
        sql, args = _statement(service_slug, lead, submission)
        pool = self._engine.pool
        if pool is None:
            connection = await self._engine.get_new_connection()
            try:
                return await self._run(connection, sql, args, lead)
            finally:
                await connection.close()
        async with pool.acquire() as connection:
            return await self._run(connection, sql, args, lead)

    async def _run(
        self, connection: Any, sql: str, args: list[Any], lead: Lead, retry: bool = True
    ) -> SubmissionOutcome:
        row = await connection.fetchrow(sql, *args)
        if row["service_id"] is None:
            return SubmissionOutcome(None, WaitlistStatus.NEW, created=False)
        if row["created_id"] is not None:
            return SubmissionOutcome(
                row["created_id"], WaitlistStatus(row["created_status"]), created=True
            )
        # The contact has an active request for this service (the unique index stopped
        # ours, whether it was there before or a concurrent submission committed it after
        # our snapshot was taken): a fresh lookup finds it.
        found = await connection.fetchrow(
            _numbered(_FIND_ACTIVE_WAITLIST),
            lead.contact.blind_index,
            row["service_id"],
        )
        if found is None:
            # ... and it was closed in between: submit again, once (the statement wrote
            # nothing but the lead's last activity).
            if not retry:
                raise RuntimeError("waitlist submission kept losing races")
            return await self._run(connection, sql, args, lead, retry=False)
        return SubmissionOutcome(found["id"], WaitlistStatus(found["status"]), created=False)
