"""The outbox gauges read from the real database, and the real app's ``/metrics`` over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx
import pytest

from adapters.settings import load_settings
from composition.container import build_container
from composition.database import close_database
from composition.web import build_app
from tables.crm.tables import EmailOutboxTable
from tables.outbox_backlog import PiccoloOutboxBacklogProbe
from tests.support.dashboard_world import CIPHERTEXT, add_event, add_payment, add_service
from tests.support.live_server import live_server
from tests.support.metrics import samples, value

pytestmark = [pytest.mark.anyio, pytest.mark.db]

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


async def add_email(status: str, created_at: datetime) -> None:
    await EmailOutboxTable.insert(
        EmailOutboxTable(
            id=uuid4(),
            recipient_encrypted=CIPHERTEXT,
            template="payment_confirmation",
            params={},
            status=status,
            attempts=0,
            next_attempt_at=created_at,
            created_at=created_at,
        )
    )


async def fill_outboxes() -> None:
    for minutes, status in ((90, "pending"), (10, "pending"), (300, "sent"), (400, "failed")):
        await add_email(status, NOW - timedelta(minutes=minutes))
    await add_event("payment_started", NOW - timedelta(minutes=30))
    await add_event("payment_succeeded", NOW - timedelta(minutes=5))
    service = await add_service("Индивидуальная консультация")
    await add_payment(service, NOW - timedelta(minutes=20), "creating")
    await add_payment(service, NOW - timedelta(hours=3), "refund_pending")
    await add_payment(service, NOW - timedelta(hours=1), "refund_pending")
    await add_payment(service, NOW - timedelta(days=2), "succeeded")


async def test_each_outbox_reports_what_waits_and_the_oldest_age(db: object) -> None:
    await fill_outboxes()
    backlogs = {b.outbox: b for b in await PiccoloOutboxBacklogProbe().backlogs(NOW)}

    assert set(backlogs) == {"emails", "tracking_events", "payment_creations", "refunds"}
    assert (backlogs["emails"].pending, backlogs["emails"].oldest_age_seconds) == (2, 90 * 60)
    assert backlogs["tracking_events"].pending == 2
    assert backlogs["tracking_events"].oldest_age_seconds == 30 * 60
    assert backlogs["payment_creations"].pending == 1
    assert backlogs["payment_creations"].oldest_age_seconds == 20 * 60
    assert (backlogs["refunds"].pending, backlogs["refunds"].oldest_age_seconds) == (2, 3 * 3600)


async def test_empty_outboxes_report_zero(db: object) -> None:
    backlogs = await PiccoloOutboxBacklogProbe().backlogs(NOW)
    assert [(b.pending, b.oldest_age_seconds) for b in backlogs] == [(0, 0.0)] * 4


async def test_the_real_app_scrape_holds_the_outbox_gauges(db: object) -> None:
    await fill_outboxes()
    await close_database(db)  # the server opens its own pool on its own loop
    app = build_app(build_container(load_settings()))
    with live_server(app) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            await client.get("/admin/api/tables/crm_leads/")
            await client.get("/admin/")
            response = await client.get("/metrics")
    assert response.status_code == 200
    text = response.text
    assert value(text, "outbox_backlog_up") == 1
    assert value(text, "outbox_backlog", outbox="emails") == 2
    assert value(text, "outbox_backlog", outbox="refunds") == 2
    # Measured against the real clock: the oldest pending email was queued before NOW.
    assert value(text, "outbox_oldest_age_seconds", outbox="emails") >= 90 * 60
    # The staff admin counts under its mount, whatever path inside it was asked for.
    routes = {labels.get("route") for _, labels, _ in samples(text)} - {None}
    assert "/admin" in routes
    assert not any(route.startswith("/admin/") for route in routes if route)
