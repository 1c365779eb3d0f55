"""Waitlist submissions on PostgreSQL: one statement per batch (``WaitlistSubmissions`` port).

``waitlist_submissions_for(engine)`` picks the store: this group commit on PostgreSQL, the
unit-of-work writer (``tables/crm/waitlist_unit_of_work.py``) on SQLite. Both pass one
contract suite (``tests/integration/test_waitlist_submissions_contract_db.py``).

``POST /api/public/waitlist`` is the hot path. Step by step in a transaction a submission took
six round trips. Here it is part of one statement in autocommit, whose data-modifying CTEs,
for every submission of the batch (columns passed as arrays, so the text never changes):

1. find the active service by slug (``s``): none, nothing of that submission is written
   (``ServiceNotFound``);
2. upsert the lead by blind index (``l``): a known lead only gets its last activity moved;
3. insert the request (``w``) unless the partial unique index ``waitlist_requests_one_active``
   (contact_index, service, over active requests) already holds one for this contact and
   service, and every other row only for the requests ``w`` returns, so a repeat writes
   nothing but the lead's last activity;
4. for an email contact, move the contact's row in ``waitlist_confirmations`` (``q``) to now
   unless a confirmation was queued in the last ``CONFIRMATION_INTERVAL``, and queue the
   email only if it moved: the upsert locks and re-reads the row, so of concurrent
   statements one wins, whatever their snapshots.

A single statement is atomic, so each submission of a batch is written whole or not at all.
The unique index is the dedup, for a request committed long ago and for a concurrent first
submission alike (the insert waits for it, then does nothing). Neither the statement nor the
store reads a waitlist request: a lookup joined on the service got a generic plan that
scanned all of the service's requests (``tests/integration/test_waitlist_submission_plan_db.py``),
and a lookup after it, to name the active request, would make a repeat one round trip
slower than a first submission, which the public answer must not reveal.

Batching is group commit: a submission that arrives while ``MAX_IN_FLIGHT`` statements are
running waits for the next one and shares it (up to ``MAX_BATCH``), so one statement, one
commit and one connection serve many people under load; an idle service writes each
submission at once, alone. A batch holds each blind index once (the lead upsert may touch a
row once per statement) and takes the lead locks in blind-index order, so two batches cannot
deadlock on each other. If a batch fails, its submissions are written again one by one, so
one bad submission fails only itself.

The column lists come from the Piccolo tables (``Row``): each part of the statement inserts
the columns its row gives, in the table's order, from arrays of the matching type.
"""

# The statement is formatted from placeholders ("$n::type[]"), the tables' own names and
# constants only; every value is a parameter: S608 cannot tell.
# ruff: noqa: S608

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    Column,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.engine.base import Engine

from domain.crm import LeadTimelineEventType, WaitlistDraft, WaitlistStatus
from domain.crm_ports import WaitlistOutcome, WaitlistSubmissions
from domain.emails import CONFIRMATION_INTERVAL
from domain.errors import ServiceNotFound
from domain.models import ConsentRecord, TrackingEvent
from tables.core.tables import ConsentRecordTable, TrackingEventTable
from tables.crm.repositories import (
    ACTIVE_STATUSES_SQL,
    EMAIL_ROW,
    LEAD_ROW,
    Row,
)
from tables.crm.tables import LeadTimelineEventTable, WaitlistRequestTable
from tables.crm.waitlist_unit_of_work import UnitOfWorkWaitlistSubmissions
from tables.database import is_sqlite

MAX_BATCH = 64
MAX_IN_FLIGHT = 4

# The rows of a submission, from the draft. What the draft does not hold the statement fills
# in (``_Part.resolved``): the request's service and lead, the timeline event's lead and
# request, and constants.
REQUEST_ROW = Row[WaitlistDraft](
    WaitlistRequestTable,
    id="request_id",
    preferred_contact_method="lead.contact.method.value",
    contact_encrypted="lead.contact.ciphertext",
    contact_index="lead.contact.blind_index",
    preferred_time_window="time_window.value",
    created_at="submitted_at",
    updated_at="submitted_at",
)
EVENT_ROW = Row[WaitlistDraft](
    LeadTimelineEventTable,
    id="timeline_event_id",
    occurred_at="submitted_at",
)
TRACKING_ROW = Row[TrackingEvent](
    TrackingEventTable,
    id="id",
    name="name",
    source="source",
    properties="properties",
    occurred_at="occurred_at",
)
CONSENT_ROW = Row[ConsentRecord](
    ConsentRecordTable,
    id="id",
    subject_type="subject_type.value",
    subject_id="subject_id",
    kind="kind.value",
    text_version="text_version",
    channel="channel.value",
    granted_at="granted_at",
    withdrawn_at="withdrawn_at",
    evidence_encrypted="evidence_ciphertext",
)


def _literal(code: str) -> str:
    """A constant code as an SQL literal (codes are ``[a-z_]+``: nothing to escape)."""
    if not code.replace("_", "").isalpha():
        raise ValueError(code)
    return f"'{code}'"


@dataclass(frozen=True)
class _Part:
    """One table the statement writes. Its row's columns are arrays named
    ``<prefix>_<column>``; ``resolved`` are the columns the statement fills in itself. A part
    with ``of`` has one row per submission, ``of(draft)`` (``None``: NULLs, nothing
    written)."""

    prefix: str
    row: Row[Any]
    of: Callable[[WaitlistDraft], Any] | None = None
    resolved: dict[str, str] = field(default_factory=dict)

    def arrays(self, items: Sequence[Any]) -> list[list[Any]]:
        return self.row.arrays(items if self.of is None else [self.of(item) for item in items])

    def array(self, column: Column) -> str:
        return f"{self.prefix}_{column._meta.db_column_name}"

    def insert(self, source: str) -> str:
        """``INSERT INTO <table> (<columns>) SELECT <values>``, columns in the table's order."""
        given = {column._meta.db_column_name: column for column in self.row.columns}
        names, values = [], []
        for column in self.row.table._meta.columns:
            name = column._meta.db_column_name
            if name in self.resolved:
                names.append(name)
                values.append(self.resolved[name])
            elif name in given:
                names.append(name)
                values.append(f"{source}.{self.array(column)}")
        return (
            f"INSERT INTO {self.row.table._meta.tablename} ({', '.join(names)}) "
            f"SELECT {', '.join(values)}"
        )


_LEAD = _Part("lead", LEAD_ROW, attrgetter("lead"))
_REQUEST = _Part(
    "request",
    REQUEST_ROW,
    lambda draft: draft,
    {
        "service": "s.service_id",
        "lead": "l.id",
        "status": _literal(WaitlistStatus.NEW.value),
    },
)
_EVENT = _Part(
    "event",
    EVENT_ROW,
    lambda draft: draft,
    {
        "lead": "w.lead",
        "type": _literal(LeadTimelineEventType.WAITLIST_SUBMITTED.value),
        "waitlist_request": "w.id",
    },
)
_EMAIL = _Part("email", EMAIL_ROW, attrgetter("email"))
_TRACKING = _Part("tracking", TRACKING_ROW, attrgetter("tracking_event"), {"attempts": "0"})
# ``v`` has a row per submission: its position ``n``, the service's slug and the columns of
# these parts. ``c`` has a row per consent record.
_PARTS = (_LEAD, _REQUEST, _EVENT, _EMAIL, _TRACKING)
_CONSENT = _Part("consent", CONSENT_ROW)


# Column classes and the element type of their arrays, most specific first. From the class,
# not ``column_type``: that asks a PostgreSQL engine for its server version (at import). A
# VARCHAR(n) goes as text: a cast to varchar(n) would cut a longer value, not refuse it.
_ARRAY_TYPES: tuple[tuple[type[Column], str], ...] = (
    (JSON, "json"),
    (Varchar, "text"),
    (Text, "text"),
    (UUID, "uuid"),
    (Timestamptz, "timestamptz"),
    (BigInt, "bigint"),
    (Integer, "integer"),
    (Serial, "integer"),
)


def _array_type(column: Column) -> str:
    if isinstance(column, ForeignKey):
        column = column._foreign_key_meta.resolved_references._meta.primary_key
    for kind, name in _ARRAY_TYPES:
        if isinstance(column, kind):
            return name
    raise TypeError(f"no array type for {type(column).__name__} {column._meta.name}")


def _unnest(columns: Sequence[tuple[str, str]], first: int, alias: str) -> str:
    arrays = ", ".join(f"${first + i}::{kind}[]" for i, (_, kind) in enumerate(columns))
    names = ", ".join(name for name, _ in columns)
    return f"unnest({arrays}) AS {alias}({names})"


_V_COLUMNS = [
    ("n", "integer"),
    ("slug", "text"),
    *((part.array(c), _array_type(c)) for part in _PARTS for c in part.row.columns),
]
_C_COLUMNS = [(_CONSENT.array(c), _array_type(c)) for c in CONSENT_ROW.columns]
_V = _unnest(_V_COLUMNS, 1, "v")
_C = _unnest(_C_COLUMNS, len(_V_COLUMNS) + 1, "c")
# ``CONFIRMATION_INTERVAL`` as an SQL constant (``WaitlistDraft.confirmation_quiet_since``).
_QUIET = f"interval '{int(CONFIRMATION_INTERVAL.total_seconds())} seconds'"

STATEMENT = (
    f"WITH v AS (SELECT * FROM {_V}), "
    "s AS (SELECT v.n, sv.id AS service_id FROM v "
    "JOIN services sv ON sv.slug = v.slug AND sv.active), "
    f"l AS ({_LEAD.insert('v')} FROM v JOIN s ON s.n = v.n ORDER BY v.lead_contact_index "
    "ON CONFLICT (contact_index) DO UPDATE SET last_activity_at = EXCLUDED.last_activity_at, "
    "updated_at = EXCLUDED.updated_at RETURNING id, contact_index), "
    f"w AS ({_REQUEST.insert('v')} "
    "FROM v JOIN s ON s.n = v.n JOIN l ON l.contact_index = v.lead_contact_index "
    "ORDER BY v.request_contact_index "
    f"ON CONFLICT (contact_index, service) WHERE status IN ({ACTIVE_STATUSES_SQL}) DO NOTHING "
    "RETURNING id, lead, status, service), "
    f"c AS ({_CONSENT.insert('c')} FROM {_C} JOIN w ON w.id = c.consent_subject_id), "
    f"t AS ({_EVENT.insert('v')} FROM v JOIN w ON w.id = v.request_id), "
    "q AS (INSERT INTO waitlist_confirmations (contact_index, service, queued_at) "
    "SELECT v.request_contact_index, w.service, v.request_created_at "
    "FROM v JOIN w ON w.id = v.request_id WHERE v.email_id IS NOT NULL "
    "ON CONFLICT (contact_index, service) DO UPDATE SET queued_at = EXCLUDED.queued_at "
    "WHERE waitlist_confirmations.queued_at <= "
    f"EXCLUDED.queued_at - {_QUIET} RETURNING contact_index, service), "
    f"e AS ({_EMAIL.insert('v')} FROM v JOIN w ON w.id = v.request_id "
    "JOIN q ON q.contact_index = v.request_contact_index AND q.service = w.service "
    "WHERE v.email_id IS NOT NULL), "
    f"k AS ({_TRACKING.insert('v')} FROM v JOIN w ON w.id = v.request_id) "
    "SELECT v.n, s.service_id, w.id AS created_id, w.status AS created_status "
    "FROM v LEFT JOIN s ON s.n = v.n LEFT JOIN w ON w.id = v.request_id"
)


def arguments(batch: Sequence[WaitlistDraft]) -> list[list[Any]]:
    """The statement's arrays for ``batch``: one element per submission (``n`` is its
    position) and, for the consents, one per consent record."""
    arrays: list[list[Any]] = [list(range(len(batch))), [draft.service_slug for draft in batch]]
    for part in _PARTS:
        arrays += part.arrays(batch)
    arrays += _CONSENT.arrays([record for draft in batch for record in draft.consents])
    return arrays


# What the statement did for one submission: unknown service, or the request it ended with.
_Outcome = WaitlistOutcome | ServiceNotFound


@dataclass(slots=True)
class _Pending:
    draft: WaitlistDraft
    done: asyncio.Future[WaitlistOutcome]


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

    async def submit(self, draft: WaitlistDraft) -> WaitlistOutcome:
        loop = asyncio.get_running_loop()
        state = self._loops.get(loop)
        if state is None:
            state = self._loops[loop] = _LoopState()
        pending = _Pending(draft, loop.create_future())
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

    async def _write(self, batch: list[_Pending]) -> list[_Outcome]:
        pool = self._engine.pool
        if pool is None:
            connection = await self._engine.get_new_connection()
            try:
                return await self._run(connection, batch)
            finally:
                await connection.close()
        async with pool.acquire() as connection:
            return await self._run(connection, batch)

    async def _run(self, connection: Any, batch: list[_Pending]) -> list[_Outcome]:
        rows = await connection.fetch(STATEMENT, *arguments([p.draft for p in batch]))
        outcomes: list[_Outcome | None] = [None] * len(batch)
        for row in rows:
            if row["service_id"] is None:
                outcomes[row["n"]] = ServiceNotFound()
            else:
                # No request made: the unique index held an active request of this contact
                # for this service, there before or committed by a concurrent submission
                # after our snapshot (the insert waited for it). It is not looked up: a
                # repeat costs the same one statement as a first submission.
                outcomes[row["n"]] = WaitlistOutcome(created=row["created_id"] is not None)
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
        index = pending.draft.contact.blind_index
        if index in seen:
            skipped.append(pending)
            continue
        seen.add(index)
        batch.append(pending)
    queue.extendleft(reversed(skipped))
    return batch


def _seen(done: asyncio.Future[WaitlistOutcome]) -> None:
    if not done.cancelled():
        done.exception()


def _settle(pending: _Pending, outcome: _Outcome) -> None:
    if isinstance(outcome, ServiceNotFound):
        _fail(pending, outcome)
    elif not pending.done.done():
        pending.done.set_result(outcome)


def _fail(pending: _Pending, error: BaseException) -> None:
    if not pending.done.done():
        pending.done.set_exception(error)


def waitlist_submissions_for(engine: Engine) -> WaitlistSubmissions:  # type: ignore[type-arg]
    """The group commit on PostgreSQL; on SQLite (one writer at a time) a unit of work."""
    if is_sqlite(engine):
        return UnitOfWorkWaitlistSubmissions(engine)
    return PostgresWaitlistSubmissions(engine)
