"""The one-statement waitlist submission (PostgreSQL) against a concurrent first submission.

The statement's snapshot is taken when it starts, so a request committed by a concurrent
submission of the same contact while it waits is invisible to its dedup lookup: the partial
unique index on active requests must stop the duplicate (and the submission says it made none).
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest

from adapters.settings import load_settings
from composition.container import build_container
from domain.models import ConsentEvidence
from domain.use_cases.create_waitlist_request import CreateWaitlistRequestCommand
from tables.crm.tables import LeadTable, LeadTimelineEventTable, WaitlistRequestTable
from tables.crm.waitlist_submissions import PostgresWaitlistSubmissions
from tables.demo import seed_demo

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]

EMAIL = "race.person@example.org"


def command(slug: str) -> CreateWaitlistRequestCommand:
    return CreateWaitlistRequestCommand(
        service_slug=slug,
        preferred_contact_method="email",
        contact_value=EMAIL,
        preferred_time_window="evening",
        personal_data_consent=True,
        communications_consent=True,
        consent_version="2026-11-01",
        evidence=ConsentEvidence(ip="203.0.113.9", user_agent="race"),
    )


async def test_a_request_committed_while_the_statement_waits_is_not_duplicated(
    db: Any,
) -> None:
    await seed_demo()
    container = build_container(load_settings())
    use_case = container.create_waitlist_request
    assert isinstance(use_case._submissions, PostgresWaitlistSubmissions), "the group commit"
    slug = (await container.list_services.execute())[0].slug

    # A first submission, in a transaction held open on a connection of its own.
    rival = await asyncpg.connect(load_settings().database_url.get_secret_value())
    try:
        transaction = rival.transaction()
        await transaction.start()
        real_pool = db.pool
        db.pool = _SingleConnectionPool(rival)
        try:
            first = await use_case.execute(command(slug))
        finally:
            db.pool = real_pool
        assert first.created

        # The second waits on the first's lead row, with its snapshot already taken.
        second_task = asyncio.create_task(use_case.execute(command(slug)))
        for _ in range(200):
            waiting = await db.pool.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            )
            if waiting:
                break
            await asyncio.sleep(0.05)
        assert waiting, "the second submission never waited for the first"
        await transaction.commit()
        second = await second_task
    finally:
        await rival.close()

    assert (second.created, second.waitlist_request_id) == (False, None)
    assert (await WaitlistRequestTable.select(WaitlistRequestTable.id))[0]["id"] == (
        first.waitlist_request_id
    )
    assert await WaitlistRequestTable.count() == 1
    assert await LeadTable.count() == 1
    assert await LeadTimelineEventTable.count() == 1


class _SingleConnectionPool:
    """Lends one connection (inside the caller's open transaction) as if from a pool."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def acquire(self) -> _SingleConnectionPool:
        return self

    async def __aenter__(self) -> Any:
        return self._connection

    async def __aexit__(self, *exc: object) -> None:
        return None
