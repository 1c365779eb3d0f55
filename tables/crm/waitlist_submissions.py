"""Waitlist submissions on PostgreSQL: one statement per batch (``WaitlistSubmissions`` port).

``POST /api/public/waitlist`` is the hot path. Step by step in a transaction a submission took
six round trips. Here it is part of one statement in autocommit, whose data-modifying CTEs,
for every submission of the batch (columns passed as arrays, so the text never changes):

1. find the active service by slug (``s``): none, nothing of that submission is written;
2. upsert the lead by blind index (``l``): a known lead only gets its last activity moved;
3. insert the request (``w``) unless the partial unique index ``waitlist_requests_one_active``
   (contact_index, service, over active requests) already holds one for this contact and
   service, and every other row only for the requests ``w`` returns, so a repeat writes
   nothing but the lead's last activity.

A single statement is atomic, so each submission of a batch is written whole or not at all.
The unique index is the dedup, for a request committed long ago and for a concurrent first
submission alike (the insert waits for it, then does nothing): a fresh lookup then returns
the request that is there. The statement reads no waitlist request itself: a lookup joined
on the service got a generic plan that scanned all of the service's requests
(``tests/integration/test_waitlist_submission_plan_db.py``).

Batching is group commit: a submission that arrives while ``MAX_IN_FLIGHT`` statements are
running waits for the next one and shares it (up to ``MAX_BATCH``), so one statement, one
commit and one connection serve many people under load; an idle service writes each
submission at once, alone. A batch holds each blind index once (the lead upsert may touch a
row once per statement) and takes the lead locks in blind-index order, so two batches cannot
deadlock on each other. If a batch fails, its submissions are written again one by one, so
one bad submission fails only itself.
"""

# The statement is formatted from placeholders ("$n::type[]") and constants only; every value
# is a parameter: S608 cannot tell.
# ruff: noqa: S608

from __future__ import annotations

import asyncio
import json
import weakref
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from piccolo.engine.base import Engine

from domain.crm import Lead, WaitlistStatus, WaitlistSubmission
from domain.crm_ports import SubmissionOutcome
from tables.crm.repositories import ACTIVE_STATUSES_SQL, FIND_ACTIVE_WAITLIST, numbered

MAX_BATCH = 64
MAX_IN_FLIGHT = 4

# One array per column: (name in the statement, PostgreSQL element type).
_SUBMISSION_COLUMNS = (
    ("n", "integer"),
    ("slug", "text"),
    ("lead_id", "uuid"),
    ("lead_method", "text"),
    ("lead_ciphertext", "text"),
    ("lead_index", "text"),
    ("lead_source", "text"),
    ("lead_status", "text"),
    ("lead_first_at", "timestamptz"),
    ("lead_last_at", "timestamptz"),
    ("request_id", "uuid"),
    ("request_method", "text"),
    ("request_ciphertext", "text"),
    ("request_index", "text"),
    ("request_window", "text"),
    ("request_status", "text"),
    ("request_created_at", "timestamptz"),
    ("request_updated_at", "timestamptz"),
    ("event_id", "uuid"),
    ("event_type", "text"),
    ("event_at", "timestamptz"),
    ("email_id", "uuid"),
    ("email_ciphertext", "text"),
    ("email_template", "text"),
    ("email_params", "text"),
    ("email_status", "text"),
    ("email_attempts", "integer"),
    ("email_next_attempt_at", "timestamptz"),
    ("email_created_at", "timestamptz"),
    ("tracking_id", "uuid"),
    ("tracking_name", "text"),
    ("tracking_source", "text"),
    ("tracking_properties", "text"),
    ("tracking_at", "timestamptz"),
)
_CONSENT_COLUMNS = (
    ("id", "uuid"),
    ("subject_type", "text"),
    ("subject_id", "uuid"),
    ("kind", "text"),
    ("text_version", "text"),
    ("channel", "text"),
    ("granted_at", "timestamptz"),
    ("withdrawn_at", "timestamptz"),
    ("evidence_encrypted", "text"),
)


def _unnest(columns: tuple[tuple[str, str], ...], first: int, alias: str) -> str:
    arrays = ", ".join(f"${first + i}::{kind}[]" for i, (_, kind) in enumerate(columns))
    names = ", ".join(name for name, _ in columns)
    return f"unnest({arrays}) AS {alias}({names})"


_V = _unnest(_SUBMISSION_COLUMNS, 1, "v")
_C = _unnest(_CONSENT_COLUMNS, len(_SUBMISSION_COLUMNS) + 1, "c")
_FIND_ACTIVE = numbered(FIND_ACTIVE_WAITLIST)

STATEMENT = (
    f"WITH v AS (SELECT * FROM {_V}), "
    "s AS (SELECT v.n, sv.id AS service_id FROM v "
    "JOIN services sv ON sv.slug = v.slug AND sv.active), "
    "l AS (INSERT INTO leads (id, contact_method, contact_encrypted, contact_index, source, "
    "status, first_activity_at, last_activity_at, created_at, updated_at) "
    "SELECT v.lead_id, v.lead_method, v.lead_ciphertext, v.lead_index, v.lead_source, "
    "v.lead_status, v.lead_first_at, v.lead_last_at, v.request_created_at, "
    "v.request_created_at FROM v JOIN s ON s.n = v.n ORDER BY v.lead_index "
    "ON CONFLICT (contact_index) DO UPDATE SET last_activity_at = EXCLUDED.last_activity_at, "
    "updated_at = EXCLUDED.updated_at RETURNING id, contact_index), "
    "w AS (INSERT INTO waitlist_requests (id, service, lead, preferred_contact_method, "
    "contact_encrypted, contact_index, preferred_time_window, status, assignee, created_at, "
    "updated_at) SELECT v.request_id, s.service_id, l.id, v.request_method, "
    "v.request_ciphertext, v.request_index, v.request_window, v.request_status, NULL, "
    "v.request_created_at, v.request_updated_at "
    "FROM v JOIN s ON s.n = v.n JOIN l ON l.contact_index = v.lead_index "
    "ORDER BY v.request_index "
    f"ON CONFLICT (contact_index, service) WHERE status IN ({ACTIVE_STATUSES_SQL}) DO NOTHING "
    "RETURNING id, lead, status), "
    "c AS (INSERT INTO consent_records (id, subject_type, subject_id, kind, text_version, "
    "channel, granted_at, withdrawn_at, evidence_encrypted) "
    f"SELECT c.* FROM {_C} JOIN w ON w.id = c.subject_id), "
    "t AS (INSERT INTO lead_timeline_events (id, lead, type, occurred_at, waitlist_request, "
    "appointment, payment_id, staff_user, waitlist_status, outcome) "
    "SELECT v.event_id, w.lead, v.event_type, v.event_at, w.id, NULL, NULL, NULL, NULL, NULL "
    "FROM v JOIN w ON w.id = v.request_id), "
    "e AS (INSERT INTO email_outbox (id, recipient_encrypted, template, params, status, "
    "attempts, next_attempt_at, created_at) "
    "SELECT v.email_id, v.email_ciphertext, v.email_template, v.email_params::json, "
    "v.email_status, v.email_attempts, v.email_next_attempt_at, v.email_created_at "
    "FROM v JOIN w ON w.id = v.request_id WHERE v.email_id IS NOT NULL), "
    "k AS (INSERT INTO tracking_events (id, name, source, properties, occurred_at, attempts) "
    "SELECT v.tracking_id, v.tracking_name, v.tracking_source, v.tracking_properties::json, "
    "v.tracking_at, 0 FROM v JOIN w ON w.id = v.request_id) "
    "SELECT v.n, s.service_id, w.id AS created_id, w.status AS created_status "
    "FROM v LEFT JOIN s ON s.n = v.n LEFT JOIN w ON w.id = v.request_id"
)


def arguments(batch: list[tuple[str, Lead, WaitlistSubmission]]) -> list[list[Any]]:
    """The statement's arrays for ``batch``: one element per submission (``n`` is its
    position) and, for the consents, one per consent record."""
    columns: list[list[Any]] = [[] for _ in _SUBMISSION_COLUMNS]
    consents: list[list[Any]] = [[] for _ in _CONSENT_COLUMNS]
    for n, (slug, lead, submission) in enumerate(batch):
        request, event, tracking, email = (
            submission.request,
            submission.timeline_event,
            submission.tracking_event,
            submission.email,
        )
        contact, rc = lead.contact, request.contact
        values = [
            n,
            slug,
            lead.id,
            contact.method.value,
            contact.ciphertext,
            contact.blind_index,
            lead.source.value,
            lead.status.value,
            lead.first_activity_at,
            lead.last_activity_at,
            request.id,
            rc.method.value,
            rc.ciphertext,
            rc.blind_index,
            request.preferred_time_window.value,
            request.status.value,
            request.created_at,
            request.updated_at,
            event.id,
            event.type.value,
            event.occurred_at,
            *(
                (None,) * 8
                if email is None
                else (
                    email.id,
                    email.recipient_ciphertext,
                    email.template.value,
                    json.dumps(email.params),
                    email.status.value,
                    email.attempts,
                    email.next_attempt_at,
                    email.created_at,
                )
            ),
            tracking.id,
            tracking.name,
            tracking.source,
            json.dumps(tracking.properties),
            tracking.occurred_at,
        ]
        for column, value in zip(columns, values, strict=True):
            column.append(value)
        for record in submission.consents:
            row = (
                record.id,
                record.subject_type.value,
                record.subject_id,
                record.kind.value,
                record.text_version,
                record.channel.value,
                record.granted_at,
                record.withdrawn_at,
                record.evidence_ciphertext,
            )
            for column, value in zip(consents, row, strict=True):
                column.append(value)
    return [*columns, *consents]


@dataclass(slots=True)
class _Pending:
    service_slug: str
    lead: Lead
    submission: WaitlistSubmission
    done: asyncio.Future[SubmissionOutcome]


@dataclass(slots=True)
class _LoopState:
    """The queue of one event loop (tests run several loops against one store)."""

    queue: deque[_Pending] = field(default_factory=deque)
    writers: set[asyncio.Task[None]] = field(default_factory=set)


class PostgresWaitlistSubmissions:
    """Implements ``WaitlistSubmissions`` on a Piccolo ``PostgresEngine``'s asyncpg pool."""

    def __init__(self, engine: Engine) -> None:  # type: ignore[type-arg]
        self._engine: Any = engine
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = (
            weakref.WeakKeyDictionary()
        )

    async def submit(
        self, service_slug: str, lead: Lead, submission: WaitlistSubmission
    ) -> SubmissionOutcome:
        loop = asyncio.get_running_loop()
        state = self._loops.get(loop)
        if state is None:
            state = self._loops[loop] = _LoopState()
        pending = _Pending(service_slug, lead, submission, loop.create_future())
        # Marks an error as seen even when its request has gone: asyncio would otherwise log
        # it, and a database error may quote the values it refused.
        pending.done.add_done_callback(_seen)
        state.queue.append(pending)
        if len(state.writers) < MAX_IN_FLIGHT:
            state.writers.add(loop.create_task(self._drain(state)))
        # The write goes on if this request is cancelled: the others of its batch need it.
        return await asyncio.shield(pending.done)

    async def _drain(self, state: _LoopState) -> None:
        try:
            await self._write_queued(state)
        finally:
            # Here, not in a done callback: a submission queued after this writer saw the
            # queue empty must find it gone and start another.
            state.writers.discard(asyncio.current_task())  # type: ignore[arg-type]

    async def _write_queued(self, state: _LoopState) -> None:
        while state.queue:
            batch = _take_batch(state.queue)
            try:
                try:
                    outcomes = await self._write(batch)
                except Exception as exc:  # noqa: BLE001 - handed to the requests
                    if len(batch) == 1:
                        _fail(batch[0], exc)
                        continue
                    # Written again one by one: a bad submission fails only itself.
                    for pending in batch:
                        try:
                            (outcome,) = await self._write([pending])
                        except Exception as alone:  # noqa: BLE001 - handed to its request
                            _fail(pending, alone)
                        else:
                            _settle(pending, outcome)
                    continue
                for pending, outcome in zip(batch, outcomes, strict=True):
                    _settle(pending, outcome)
            finally:
                for pending in batch:
                    pending.done.cancel()  # only those not settled: the writer was cancelled

    async def _write(self, batch: list[_Pending]) -> list[SubmissionOutcome]:
        pool = self._engine.pool
        if pool is None:
            connection = await self._engine.get_new_connection()
            try:
                return await self._run(connection, batch)
            finally:
                await connection.close()
        async with pool.acquire() as connection:
            return await self._run(connection, batch)

    async def _run(
        self, connection: Any, batch: list[_Pending], retry: bool = True
    ) -> list[SubmissionOutcome]:
        rows = await connection.fetch(
            STATEMENT, *arguments([(p.service_slug, p.lead, p.submission) for p in batch])
        )
        outcomes: list[SubmissionOutcome | None] = [None] * len(batch)
        again: list[_Pending] = []
        for row in rows:
            pending = batch[row["n"]]
            if row["service_id"] is None:
                outcomes[row["n"]] = SubmissionOutcome(None, WaitlistStatus.NEW, created=False)
                continue
            if row["created_id"] is not None:
                outcomes[row["n"]] = SubmissionOutcome(
                    row["created_id"], WaitlistStatus(row["created_status"]), created=True
                )
                continue
            # The contact has an active request for this service (the unique index stopped
            # ours, whether it was there before or a concurrent submission committed it
            # after our snapshot was taken): a fresh lookup finds it.
            found = await connection.fetchrow(
                _FIND_ACTIVE,
                pending.lead.contact.blind_index,
                row["service_id"],
            )
            if found is None:
                # ... and it was closed in between: submit again, once (the statement wrote
                # nothing of it but the lead's last activity).
                if not retry:
                    raise RuntimeError("waitlist submission kept losing races")
                again.append(pending)
                continue
            outcomes[row["n"]] = SubmissionOutcome(
                found["id"], WaitlistStatus(found["status"]), created=False
            )
        for pending in again:
            (outcomes[batch.index(pending)],) = await self._run(connection, [pending], retry=False)
        answered = [outcome for outcome in outcomes if outcome is not None]
        if len(answered) != len(batch):
            raise RuntimeError("the waitlist statement did not answer for every submission")
        return answered


def _take_batch(queue: deque[_Pending]) -> list[_Pending]:
    """Up to ``MAX_BATCH`` queued submissions, oldest first, no blind index twice (a repeat
    stays queued for the next batch)."""
    batch: list[_Pending] = []
    seen: set[str] = set()
    skipped: list[_Pending] = []
    while queue and len(batch) < MAX_BATCH:
        pending = queue.popleft()
        index = pending.lead.contact.blind_index
        if index in seen:
            skipped.append(pending)
            continue
        seen.add(index)
        batch.append(pending)
    queue.extendleft(reversed(skipped))
    return batch


def _seen(done: asyncio.Future[SubmissionOutcome]) -> None:
    if not done.cancelled():
        done.exception()


def _settle(pending: _Pending, outcome: SubmissionOutcome) -> None:
    if not pending.done.done():
        pending.done.set_result(outcome)


def _fail(pending: _Pending, error: BaseException) -> None:
    if not pending.done.done():
        pending.done.set_exception(error)
