"""The waitlist's statements keep a cheap plan however many requests a service has.

asyncpg prepares a statement once per connection and PostgreSQL soon switches it to a generic
plan, built from whatever statistics exist at that moment: on a young database, none. A dedup
lookup joined on the service let such a plan walk every request of the service and filter by
contact, so each submission cost more as the waitlist grew. Planned generically on a database
that was never analysed (the worst case), the submission must not read ``waitlist_requests``
at all (its unique index is the dedup) and the active-request lookup must go through
``waitlist_requests_one_active``.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from adapters.settings import load_settings
from composition.container import build_container
from domain.models import ConsentEvidence
from domain.use_cases.create_waitlist_request import CreateWaitlistRequestCommand
from tables.crm.repositories import FIND_ACTIVE_WAITLIST, numbered
from tables.crm.waitlist_submissions import STATEMENT, arguments
from tables.demo import seed_demo
from tests.support.crm_fakes import RecordingSubmissions

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]


async def _generic_plan(connection: Any, sql: str, args: list[Any]) -> list[str]:
    await connection.execute("SET plan_cache_mode = force_generic_plan")
    rows = await connection.fetch("EXPLAIN " + sql, *args)
    return [row[0] for row in rows]


def _reads_of_waitlist_requests(plan: list[str]) -> list[str]:
    return [
        line.strip()
        for line in plan
        if "on waitlist_requests" in line and "Insert on waitlist_requests" not in line
    ]


async def test_the_submission_reads_no_waitlist_request_in_a_generic_plan(db: Any) -> None:
    await seed_demo()
    container = build_container(load_settings())
    use_case = container.create_waitlist_request
    recorder = RecordingSubmissions()
    use_case._submissions = recorder
    slug = (await container.list_services.execute())[0].slug
    for method, contact in (("email", "plan@example.org"), ("phone", "+7 912 345-67-89")):
        await use_case.execute(
            CreateWaitlistRequestCommand(
                service_slug=slug,
                preferred_contact_method=method,
                contact_value=contact,
                preferred_time_window="evening",
                personal_data_consent=True,
                communications_consent=True,
                consent_version="2026-11-01",
                evidence=ConsentEvidence(ip="203.0.113.9", user_agent="plan"),
            )
        )

    # One at a time and as one batch: the same statement text, so the same plan.
    batches = [[one] for one in recorder.drafts] + [recorder.drafts]
    async with db.pool.acquire() as connection:
        for batch in batches:
            plan = await _generic_plan(connection, STATEMENT, arguments(batch))
            assert any("Insert on waitlist_requests" in line for line in plan), plan
            assert _reads_of_waitlist_requests(plan) == [], "\n".join(plan)


async def test_the_active_request_lookup_uses_the_one_active_index_in_a_generic_plan(
    db: Any,
) -> None:
    async with db.pool.acquire() as connection:
        plan = await _generic_plan(
            connection, numbered(FIND_ACTIVE_WAITLIST), ["0" * 64, uuid.uuid4()]
        )
    reads = _reads_of_waitlist_requests(plan)
    assert reads, plan
    assert all("using waitlist_requests_one_active" in line for line in reads), "\n".join(plan)
