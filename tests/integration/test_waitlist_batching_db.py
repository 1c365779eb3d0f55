"""Concurrent waitlist submissions share statements on PostgreSQL, and each stays whole.

``PostgresWaitlistSubmissions`` writes the submissions that arrive while its statements run
as one batch (group commit). What a visitor gets must not depend on who else submitted at
that moment: their own request, consents, timeline event, tracking event and email, the
dedup of their contact, a 404 for their unknown service, and their own error only.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest

from adapters.settings import load_settings
from composition.container import build_container
from domain.crm_ports import WaitlistOutcome
from domain.errors import ServiceNotFound
from domain.models import ConsentEvidence
from domain.use_cases.create_waitlist_request import (
    CreateWaitlistRequestCommand,
    CreateWaitlistRequestUseCase,
)
from tables.core.tables import ConsentRecordTable, TrackingEventTable
from tables.crm.tables import (
    EmailOutboxTable,
    LeadTable,
    LeadTimelineEventTable,
    WaitlistRequestTable,
)
from tables.crm.waitlist_submissions import PostgresWaitlistSubmissions
from tables.demo import seed_demo
from tests.support.crm_fakes import RecordingSubmissions

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]


class _BatchLog(PostgresWaitlistSubmissions):
    """The real store, noting the blind indexes of every statement it runs."""

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.batches: list[list[str]] = []

    async def _write(self, batch: list[Any]) -> list[Any]:
        self.batches.append([pending.draft.contact.blind_index for pending in batch])
        return await super()._write(batch)


def command(slug: str, method: str, contact: str) -> CreateWaitlistRequestCommand:
    return CreateWaitlistRequestCommand(
        service_slug=slug,
        preferred_contact_method=method,
        contact_value=contact,
        preferred_time_window="evening",
        personal_data_consent=True,
        communications_consent=True,
        consent_version="2026-11-01",
        evidence=ConsentEvidence(ip="203.0.113.9", user_agent="batch"),
    )


def contacts(count: int) -> list[tuple[str, str]]:
    return [
        ("email", f"person.{i}@example.org") if i % 2 else ("phone", f"+7 912 000-{i:02d}-{i:02d}")
        for i in range(count)
    ]


async def _world(db: Any) -> tuple[CreateWaitlistRequestUseCase, _BatchLog, list[str]]:
    await seed_demo()
    container = build_container(load_settings())
    use_case = container.create_waitlist_request
    store = _BatchLog(db)
    use_case._submissions = store
    slugs = [service.slug for service in await container.list_services.execute()]
    return use_case, store, slugs


async def test_a_burst_shares_statements_and_every_submission_is_whole(db: Any) -> None:
    use_case, store, slugs = await _world(db)
    people = contacts(40)

    results = await asyncio.gather(
        *(use_case.execute(command(slugs[0], method, value)) for method, value in people)
    )

    assert all(result.created for result in results)
    assert len({result.waitlist_request_id for result in results}) == 40
    assert sum(len(batch) for batch in store.batches) == 40
    assert len(store.batches) < 40, "concurrent submissions were written one by one"
    assert await WaitlistRequestTable.count() == 40
    assert await LeadTable.count() == 40
    assert await LeadTimelineEventTable.count() == 40
    assert await TrackingEventTable.count() == 40
    assert await EmailOutboxTable.count() == 20  # the email contacts only
    consents = await ConsentRecordTable.select(ConsentRecordTable.subject_id)
    per_request: dict[uuid.UUID, int] = {}
    for row in consents:
        per_request[row["subject_id"]] = per_request.get(row["subject_id"], 0) + 1
    assert per_request == {result.waitlist_request_id: 2 for result in results}
    events = await LeadTimelineEventTable.select(
        LeadTimelineEventTable.lead, LeadTimelineEventTable.waitlist_request
    )
    requests = await WaitlistRequestTable.select(WaitlistRequestTable.id, WaitlistRequestTable.lead)
    assert {(e["lead"], e["waitlist_request"]) for e in events} == {
        (r["lead"], r["id"]) for r in requests
    }


async def test_the_same_contact_twice_in_a_burst_gets_one_request(db: Any) -> None:
    use_case, store, slugs = await _world(db)
    twice = command(slugs[0], "phone", "+7 999 123-45-67")
    same_in_other_format = command(slugs[0], "phone", "8 (999) 123-45-67")
    other_service = command(slugs[1], "phone", "79991234567")
    others = [command(slugs[0], m, v) for m, v in contacts(6)]

    results = await asyncio.gather(
        *(use_case.execute(c) for c in (twice, *others, same_in_other_format, other_service))
    )

    first, repeat, elsewhere = results[0], results[-2], results[-1]
    # Concurrent, so either may win; exactly one creates, the other names no request.
    assert sorted((first.created, repeat.created)) == [False, True]
    winner, loser = (first, repeat) if first.created else (repeat, first)
    assert winner.waitlist_request_id is not None and loser.waitlist_request_id is None
    assert elsewhere.created and elsewhere.waitlist_request_id != winner.waitlist_request_id
    assert all(len(batch) == len(set(batch)) for batch in store.batches)
    assert await WaitlistRequestTable.count() == 8
    assert await LeadTable.count() == 7  # one lead for the person on two services
    assert await ConsentRecordTable.count() == 16


async def test_an_unknown_service_in_a_burst_fails_only_itself(db: Any) -> None:
    use_case, store, slugs = await _world(db)
    commands = [command(slugs[0], m, v) for m, v in contacts(5)]
    commands.insert(2, command("no-such-service", "email", "lost@example.org"))

    results = await asyncio.gather(*(use_case.execute(c) for c in commands), return_exceptions=True)

    assert isinstance(results[2], ServiceNotFound)
    assert all(
        not isinstance(r, BaseException) and r.created for i, r in enumerate(results) if i != 2
    )
    assert len(store.batches) < len(commands)
    assert await WaitlistRequestTable.count() == 5
    assert await LeadTable.count() == 5


async def test_a_submission_the_database_refuses_fails_alone_and_leaves_nothing(db: Any) -> None:
    use_case, _, slugs = await _world(db)
    recorder = RecordingSubmissions()
    use_case._submissions = recorder
    for method, value in contacts(6):
        await use_case.execute(command(slugs[0], method, value))
    bad = recorder.drafts[3]
    # Longer than its column: PostgreSQL refuses the statement that holds it.
    too_long = dataclasses.replace(bad.tracking_event, name="x" * 65)
    recorder.drafts[3] = dataclasses.replace(bad, tracking_event=too_long)
    store = _BatchLog(db)

    results = await asyncio.gather(
        *(store.submit(draft) for draft in recorder.drafts),
        return_exceptions=True,
    )

    assert isinstance(results[3], asyncpg.StringDataRightTruncationError)
    good = [r for i, r in enumerate(results) if i != 3]
    assert all(isinstance(r, WaitlistOutcome) and r.created for r in good)
    assert len(store.batches[0]) == 6, "the six were tried as one batch first"
    assert await WaitlistRequestTable.count() == 5
    assert not await WaitlistRequestTable.exists().where(WaitlistRequestTable.id == bad.request_id)
    assert not await LeadTable.exists().where(LeadTable.id == bad.lead.id)
    assert await ConsentRecordTable.count() == 10


async def test_a_visitor_who_leaves_while_waiting_is_still_written_whole(db: Any) -> None:
    use_case, _, slugs = await _world(db)
    tasks = [
        asyncio.ensure_future(use_case.execute(command(slugs[0], m, v))) for m, v in contacts(8)
    ]
    await asyncio.sleep(0)  # every submission is queued; no statement has run yet
    tasks[4].cancel()

    results = await asyncio.gather(*tasks, return_exceptions=True)

    assert isinstance(results[4], asyncio.CancelledError)
    assert all(not isinstance(r, BaseException) for i, r in enumerate(results) if i != 4)
    assert await WaitlistRequestTable.count() == 8
    assert await ConsentRecordTable.count() == 16
