"""The "no slots" flow through the real app on the real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import Finder

from adapters.settings import load_settings
from adapters.smtp_mailer import ConsoleMailer
from composition.container import Container, build_container
from composition.web import build_app
from composition.worker import worker_jobs
from domain.use_cases.purge_waitlist_confirmations import PurgeWaitlistConfirmationsUseCase
from domain.use_cases.send_pending_emails import SendPendingEmailsUseCase
from tables.core.tables import ConsentRecordTable, TrackingEventTable
from tables.crm.repositories import PiccoloWaitlistConfirmations
from tables.crm.tables import (
    EmailOutboxTable,
    LeadTable,
    LeadTimelineEventTable,
    WaitlistConfirmationTable,
    WaitlistRequestTable,
)
from tables.demo import seed_demo
from tests.support.crm_fakes import RecordingMailer
from tests.support.fakes import FixedClock

pytestmark = [pytest.mark.anyio, pytest.mark.db]

CLIENT_IP = "203.0.113.77"
USER_AGENT = "SecretAgent/7.7 (privacy-probe)"
EMAIL_RAW = " Secret.Person@Example.ORG "
EMAIL = "secret.person@example.org"
PHONE_FORMATS = ("+7 999 123-45-67", "8 (999) 123-45-67", "79991234567")
PHONE_E164 = "+79991234567"
TELEGRAM_RAW = "@Secret_Person_42"
TELEGRAM = "secret_person_42"


@pytest.fixture
async def flow(db: object) -> AsyncIterator[tuple[httpx.AsyncClient, Container, str]]:
    await seed_demo()
    container = build_container(load_settings())
    app = build_app(container)
    services = [
        s
        for s in (await _get(app, "/api/public/services"))
        if (await _get(app, f"/api/public/services/{s['slug']}/availability"))["no_slots"]
    ]
    assert services, "the demo data has a service without free slots"
    transport = httpx.ASGITransport(app=app, client=(CLIENT_IP, 40000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers={"User-Agent": USER_AGENT}
    ) as client:
        yield client, container, services[0]["slug"]


async def _get(app: Any, path: str) -> Any:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get(path)
        assert response.status_code == 200, response.text
        return response.json()


def waitlist_body(
    slug: str, contact: str = EMAIL_RAW, method: str = "email", **consents: bool
) -> dict[str, Any]:
    return {
        "service_slug": slug,
        "preferred_contact_method": method,
        "contact_value": contact,
        "preferred_time_window": "evening",
        "consents": {
            "personal_data": consents.get("personal_data", True),
            "communications": consents.get("communications", True),
            "version": "2026-11-01",
        },
    }


async def table_counts() -> dict[str, int]:
    return {
        table._meta.tablename: int(await table.count())
        for table in Finder().get_table_classes()
        if table is not Migration
    }


async def dump_database() -> str:
    parts = []
    for table in Finder().get_table_classes():
        if table is Migration:
            continue
        rows = await table.select()
        parts.append(
            f"{table._meta.tablename}: {json.dumps(rows, default=str, ensure_ascii=False)}"
        )
    return "\n".join(parts)


async def test_the_page_model_and_its_404(flow: Any) -> None:
    client, _, slug = flow
    response = await client.get("/api/public/booking/no-slots", params={"service_slug": slug})
    assert response.status_code == 200
    page = response.json()
    assert page["service"]["slug"] == slug
    assert {m["value"] for m in page["contact_methods"]} == {"email", "phone", "telegram"}
    assert [w["value"] for w in page["time_windows"]] == [
        "morning",
        "afternoon",
        "evening",
        "weekend",
        "any",
    ]
    assert page["consents"]["personal_data"]["version"] == "2026-11-01"
    assert page["consents"]["communications"]["kind"] == "communications"
    assert page["telegram"]["url"].startswith("https://t.me/")
    assert page["telegram"]["url"].endswith(f"?start=concierge-{slug}")
    assert "START" in page["telegram"]["start_hint"]

    missing = await client.get("/api/public/booking/no-slots", params={"service_slug": "nope"})
    assert missing.status_code == 404
    assert missing.json()["code"] == "service_not_found"


@pytest.mark.parametrize(
    "consents",
    [
        {"personal_data": False},
        {"communications": False},
        {"personal_data": False, "communications": False},
    ],
)
async def test_refusing_a_consent_is_422_and_writes_nothing_anywhere(
    flow: Any, consents: dict[str, bool]
) -> None:
    client, _, slug = flow
    before = await table_counts()
    response = await client.post("/api/public/waitlist", json=waitlist_body(slug, **consents))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "consent_required"
    assert await table_counts() == before


async def test_missing_consents_are_consent_required_too(flow: Any) -> None:
    client, _, slug = flow
    before = await table_counts()
    body = waitlist_body(slug)
    del body["consents"]
    response = await client.post("/api/public/waitlist", json=body)
    assert response.status_code == 422 and response.json()["code"] == "consent_required"
    assert await table_counts() == before


@pytest.mark.parametrize(
    ("method", "value"),
    [
        ("email", "secret.person@"),
        ("email", "имя@почта"),
        ("email", "secret..person@example.org"),
        ("phone", "+7 12 34"),
        ("telegram", "@a b"),
    ],
)
async def test_an_invalid_contact_is_422_without_echoing_it(
    flow: Any, method: str, value: str
) -> None:
    client, _, slug = flow
    before = await table_counts()
    response = await client.post("/api/public/waitlist", json=waitlist_body(slug, value, method))
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_contact"
    assert value not in response.text
    assert await table_counts() == before


async def test_a_contact_in_the_wrong_field_is_never_echoed(flow: Any) -> None:
    client, _, slug = flow
    body = waitlist_body(slug)
    body["preferred_contact_method"] = EMAIL
    response = await client.post("/api/public/waitlist", json=body)
    assert response.status_code in (400, 422)
    assert EMAIL not in response.text
    body["preferred_contact_method"] = "e@x.ru"
    response = await client.post("/api/public/waitlist", json=body)
    assert response.status_code == 422 and "e@x.ru" not in response.text


async def test_one_submission_writes_everything_in_one_go(flow: Any) -> None:
    client, container, slug = flow
    response = await client.post("/api/public/waitlist", json=waitlist_body(slug))
    assert response.status_code == 202
    assert response.json() == {"status": "accepted"}

    [request] = await WaitlistRequestTable.select()
    assert request["status"] == "new"
    assert container.encryptor.decrypt(request["contact_encrypted"]) == EMAIL
    assert request["assignee"] is None and request["preferred_time_window"] == "evening"
    consents = await ConsentRecordTable.select().where(
        ConsentRecordTable.subject_id == request["id"]
    )
    assert sorted(c["kind"] for c in consents) == ["communications", "personal_data"]
    evidence = container.encryptor.decrypt(consents[0]["evidence_encrypted"])
    assert evidence == f"{CLIENT_IP}\n{USER_AGENT}"
    [lead] = await LeadTable.select()
    assert (
        lead["id"] == request["lead"] and lead["status"] == "new" and lead["source"] == "waitlist"
    )
    [event] = await LeadTimelineEventTable.select()
    assert event["type"] == "waitlist_submitted" and event["waitlist_request"] == request["id"]
    [tracked] = await TrackingEventTable.select().where(
        TrackingEventTable.name == "waitlist_submitted"
    )
    properties = tracked["properties"]
    properties = json.loads(properties) if isinstance(properties, str) else properties
    assert properties == {
        "service_slug": slug,
        "preferred_contact_method": "email",
        "preferred_time_window": "evening",
    }
    [email] = await EmailOutboxTable.select()
    assert email["status"] == "pending" and email["template"] == "waitlist_confirmation"
    assert container.encryptor.decrypt(email["recipient_encrypted"]) == EMAIL


async def test_the_same_phone_in_three_formats_is_one_request_and_one_lead(flow: Any) -> None:
    client, _, slug = flow
    answers = set()
    for phone in PHONE_FORMATS:
        response = await client.post(
            "/api/public/waitlist", json=waitlist_body(slug, phone, "phone")
        )
        answers.add((response.status_code, response.content))
    assert answers == {(202, b'{"status":"accepted"}')}
    assert await WaitlistRequestTable.count() == 1
    assert await LeadTable.count() == 1
    assert await ConsentRecordTable.count() == 2
    assert await EmailOutboxTable.count() == 0  # phone contacts get no email


@pytest.mark.parametrize(
    ("spellings", "canonical"),
    [
        (("Имя@ПОЧТА.РФ", "имя@xn--80a1acny.xn--p1ai", " имя@почта.рф "), "имя@почта.рф"),
        (("user@bücher.de", "USER@XN--BCHER-KVA.DE", "User@Bu\u0308cher.de"), "user@bücher.de"),
    ],
)
async def test_an_internationalised_email_is_accepted_and_stored_in_one_canonical_form(
    flow: Any, spellings: tuple[str, ...], canonical: str
) -> None:
    client, container, slug = flow
    for spelling in spellings:
        response = await client.post("/api/public/waitlist", json=waitlist_body(slug, spelling))
        assert (response.status_code, response.json()) == (202, {"status": "accepted"})

    [request] = await WaitlistRequestTable.select()
    [lead] = await LeadTable.select()
    index = container.encryptor.blind_index("email", canonical)
    assert request["contact_index"] == lead["contact_index"] == index
    assert container.encryptor.decrypt(request["contact_encrypted"]) == canonical
    [email] = await EmailOutboxTable.select()
    assert container.encryptor.decrypt(email["recipient_encrypted"]) == canonical
    dump = (await dump_database()).lower()
    needles = {canonical, canonical.split("@")[1]} | {s.strip().lower() for s in spellings}
    assert [needle for needle in needles if needle in dump] == []


async def test_after_a_request_is_closed_the_same_contact_gets_a_new_one(flow: Any) -> None:
    client, _, slug = flow
    first = await client.post("/api/public/waitlist", json=waitlist_body(slug))
    assert first.status_code == 202
    await WaitlistRequestTable.update({WaitlistRequestTable.status: "declined"}).where(
        WaitlistRequestTable.status == "new"
    )

    again = await client.post("/api/public/waitlist", json=waitlist_body(slug))

    assert again.status_code == 202
    assert await WaitlistRequestTable.count() == 2
    assert await WaitlistRequestTable.count().where(WaitlistRequestTable.status == "new") == 1
    assert await LeadTable.count() == 1
    assert await ConsentRecordTable.count() == 4
    # a second request within 24 hours of the first confirmation gets none
    assert await EmailOutboxTable.count() == 1


async def test_the_worker_forgets_confirmation_times_once_they_say_nothing(flow: Any) -> None:
    client, container, slug = flow
    for n in range(2):
        body = waitlist_body(slug, f"person{n}@example.org")
        assert (await client.post("/api/public/waitlist", json=body)).status_code == 202
    [first, second] = await WaitlistConfirmationTable.select()
    assert first["contact_index"] != second["contact_index"]

    def purge_at(now: datetime) -> Any:
        return PurgeWaitlistConfirmationsUseCase(
            confirmations=PiccoloWaitlistConfirmations(), clock=FixedClock(now), batch_size=1
        ).execute()

    now = container.clock.now()
    assert await purge_at(now + timedelta(hours=23)) == 0
    assert await WaitlistConfirmationTable.count() == 2
    assert await purge_at(now + timedelta(hours=24, minutes=1)) == 1  # in bounded batches
    assert await purge_at(now + timedelta(hours=24, minutes=1)) == 1
    assert await WaitlistConfirmationTable.count() == 0
    assert "purge-waitlist-confirmations" in dict(worker_jobs())


async def test_concurrent_submissions_of_one_contact_make_one_request_and_one_lead(
    flow: Any,
) -> None:
    client, _, slug = flow
    responses = await asyncio.gather(
        *(
            client.post(
                "/api/public/waitlist", json=waitlist_body(slug, PHONE_FORMATS[n % 3], "phone")
            )
            for n in range(8)
        )
    )
    assert {(r.status_code, r.content) for r in responses} == {(202, b'{"status":"accepted"}')}
    assert await WaitlistRequestTable.count() == 1
    assert await LeadTable.count() == 1


def seen_by_the_client(response: httpx.Response) -> tuple[int, bytes, list[tuple[str, str]]]:
    """Status, body and every header but ``date``, as the client gets them."""
    headers = [(k.lower(), v) for k, v in response.headers.multi_items() if k.lower() != "date"]
    return response.status_code, response.content, sorted(headers)


@pytest.mark.parametrize(
    ("contact", "method"),
    [(EMAIL_RAW, "email"), (PHONE_FORMATS[0], "phone"), (TELEGRAM_RAW, "telegram")],
)
async def test_a_new_contact_and_every_kind_of_repeat_get_the_very_same_answer(
    flow: Any, contact: str, method: str
) -> None:
    client, _, slug = flow
    post = lambda value: client.post(  # noqa: E731
        "/api/public/waitlist", json=waitlist_body(slug, value, method)
    )
    new = await post(contact)
    repeat_while_active = await post(contact)
    await WaitlistRequestTable.update({WaitlistRequestTable.status: "in_progress"}, force=True)
    repeat_in_progress = await post(contact)
    await WaitlistRequestTable.update({WaitlistRequestTable.status: "declined"}, force=True)
    repeat_after_closed = await post(contact)
    someone_else = await post(
        {"email": "someone.else@example.org", "phone": "+7 912 000-00-00"}.get(
            method, "someone_else"
        )
    )

    answers = [
        seen_by_the_client(r)
        for r in (new, repeat_while_active, repeat_in_progress, repeat_after_closed, someone_else)
    ]
    assert answers == [answers[0]] * 5, answers
    status, body, headers = answers[0]
    assert (status, body) == (202, b'{"status":"accepted"}')
    assert dict(headers)["content-length"] == str(len(body))
    assert not {"location", "etag", "x-request-id", "server-timing"} & set(dict(headers))
    # and the test can fail: the contact really had a request, closed, then a new one
    assert await WaitlistRequestTable.count() == 3
    assert await LeadTable.count() == 2


async def test_frontend_events_are_whitelisted(flow: Any) -> None:
    client, _, slug = flow
    ok = await client.post(
        "/api/public/events", json={"name": "show_no_slots", "properties": {"service_slug": slug}}
    )
    assert ok.status_code == 202
    seed_shaped = await client.post(
        "/api/public/events", json={"name": "cta_tg_click", "properties": {"tg_flow": "concierge"}}
    )
    assert seed_shaped.status_code == 202, seed_shaped.text
    for bad in (
        {"name": "waitlist_submitted", "properties": {"service_slug": slug}},
        {"name": "show_no_slots", "properties": {"service_slug": slug, "email": "x"}},
        {"name": "show_no_slots", "properties": {"service_slug": EMAIL}},
        {"name": "cta_tg_click", "properties": {"service_slug": slug, "tg_flow": TELEGRAM_RAW}},
        {"name": "cta_tg_click", "properties": {"service_slug": slug}},
    ):
        response = await client.post("/api/public/events", json=bad)
        assert response.status_code == 422, bad
        assert response.json()["code"] == "invalid_tracking_event"
        assert EMAIL not in response.text and TELEGRAM_RAW not in response.text
    assert await TrackingEventTable.count() == 2


async def test_concurrent_workers_send_each_email_exactly_once(flow: Any) -> None:
    client, container, slug = flow
    for n in range(6):
        body = waitlist_body(slug, f"person{n}@example.org")
        assert (await client.post("/api/public/waitlist", json=body)).status_code == 202
    mailer = RecordingMailer()
    workers = [
        SendPendingEmailsUseCase(
            uow=container.uow,
            clock=container.clock,
            encryptor=container.encryptor,
            mailer=mailer,
            batch_size=4,
        )
        for _ in range(4)
    ]
    for _ in range(3):
        await asyncio.gather(*(worker.execute() for worker in workers))
    assert sorted(m.to for m in mailer.sent) == sorted(f"person{n}@example.org" for n in range(6))
    assert await EmailOutboxTable.count().where(EmailOutboxTable.status == "sent") == 6


async def test_no_plaintext_contact_anywhere_after_a_full_run(
    flow: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client, container, slug = flow
    caplog.set_level("DEBUG")
    console = io.StringIO()
    with caplog.at_level("DEBUG"):
        for contact, method in (
            (EMAIL_RAW, "email"),
            (PHONE_FORMATS[1], "phone"),
            (TELEGRAM_RAW, "telegram"),
        ):
            response = await client.post(
                "/api/public/waitlist", json=waitlist_body(slug, contact, method)
            )
            assert response.status_code == 202
            repeat = await client.post(
                "/api/public/waitlist", json=waitlist_body(slug, contact, method)
            )
            assert repeat.status_code == 202
        refused = await client.post(
            "/api/public/waitlist", json=waitlist_body(slug, EMAIL_RAW, communications=False)
        )
        assert refused.status_code == 422
        bad = await client.post(
            "/api/public/waitlist", json=waitlist_body(slug, "+7 12 34", "phone")
        )
        assert bad.status_code == 422
        for name, props in (
            ("show_no_slots", {"service_slug": slug}),
            ("cta_tg_click", {"service_slug": slug, "tg_flow": "concierge"}),
            ("show_no_slots", {"service_slug": EMAIL}),
        ):
            await client.post("/api/public/events", json={"name": name, "properties": props})
        sender = SendPendingEmailsUseCase(
            uow=container.uow,
            clock=container.clock,
            encryptor=container.encryptor,
            mailer=ConsoleMailer("noreply@localhost", console),
        )
        assert await sender.execute() == 1
        assert "Здравствуйте" in console.getvalue()

    dump = await dump_database()
    tracking = json.dumps(await TrackingEventTable.select(), default=str, ensure_ascii=False)
    assert "waitlist_submitted" in tracking and "cta_tg_click" in tracking
    haystacks = {
        "database": dump.lower(),
        "logs": caplog.text.lower(),
        "tracking": tracking.lower(),
        "console email": console.getvalue().lower(),
    }
    needles = [
        EMAIL,
        "secret.person",
        PHONE_E164,
        "9991234567",
        "999) 123-45-67",
        TELEGRAM,
        CLIENT_IP,
        "secretagent",
        "+7 12 34",
    ]
    for where, text in haystacks.items():
        for needle in needles:
            assert needle.lower() not in text, f"{needle!r} found in the {where}"
    # and the test can fail: the ciphertext really holds the contacts
    contacts = {
        container.encryptor.decrypt(row["contact_encrypted"]) for row in await LeadTable.select()
    }
    assert contacts == {EMAIL, PHONE_E164, TELEGRAM}
