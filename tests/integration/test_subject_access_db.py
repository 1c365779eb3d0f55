"""Subject access on a real database: the Piccolo read port, the use case and the file.

The data is written by the real use cases (waitlist, booking, payment hook), so the blind
indexes are exactly the ones the public forms compute.
"""

from __future__ import annotations

import html
from zoneinfo import ZoneInfo

import pytest

from adapters.settings import load_settings
from admin.subject_data import SubjectDataFile
from composition.container import Container, build_container
from domain.consent_texts import consent_text
from domain.models import ConsentKind, ContactMethod, StaffRole
from domain.subject_access import SubjectLookup
from domain.use_cases.report_subject_data import ReportSubjectDataCommand
from tables.staff.accounts import create_staff_user
from tables.staff.subject_data import PiccoloSubjectDataSource
from tables.staff.tables import ContactAccessLogTable
from tests.support.subject_world import (
    CONFIRMATION_URL,
    OTHER_EMAIL,
    OTHER_NAME,
    OTHER_PHONE,
    PROVIDER_ID,
    SUBJECT_EMAIL,
    SUBJECT_IP,
    SUBJECT_NAME,
    SUBJECT_PHONE,
    SeededSubjects,
    seed_subjects,
)

pytestmark = [pytest.mark.anyio, pytest.mark.db]

MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture
async def world(db: object) -> tuple[Container, SeededSubjects, int]:
    container = build_container(load_settings())
    seeded = await seed_subjects(container)
    manager = await create_staff_user("maria", "correct-horse-battery-staple", StaffRole.MANAGER)
    return container, seeded, manager


def lookup(container: Container, method: ContactMethod, value: str) -> SubjectLookup:
    return SubjectLookup(method, container.encryptor.blind_index(method.value, value))


async def test_the_read_port_finds_every_row_of_the_contact_and_none_of_another(
    world: tuple[Container, SeededSubjects, int],
) -> None:
    container, seeded, _ = world

    found = await PiccoloSubjectDataSource().find(
        lookup(container, ContactMethod.PHONE, SUBJECT_PHONE)
    )

    assert len(found.leads) == 1
    assert {r.id for r in found.requests} == set(seeded.request_ids)
    assert {r.lead_id for r in found.requests} == {found.leads[0].id}
    assert [a.id for a in found.appointments] == [seeded.appointment_id]
    assert [p.id for p in found.payments] == [seeded.payment_id]
    assert [(p.kind, str(p.amount), p.status) for p in found.payments] == [
        ("deposit", "1500.00", "succeeded")
    ]
    # Two consents per request, one for the booking (communications was not given).
    assert sorted((c.subject_type, c.kind) for c in found.consents) == sorted(
        [
            *[("waitlist_request", "personal_data"), ("waitlist_request", "communications")] * 2,
            ("appointment", "personal_data"),
        ]
    )
    assert [e.type for e in found.timeline] == [
        "waitlist_submitted",
        "waitlist_submitted",
        "payment_succeeded",
    ]
    assert found.timeline[-1].payment_id == seeded.payment_id
    ids = {r.id for r in found.requests} | {a.id for a in found.appointments}
    assert seeded.other_request_id not in ids and seeded.other_appointment_id not in ids
    assert found.row_count == 1 + 2 + 5 + 3 + 1 + 1


async def test_the_email_of_a_booking_finds_that_booking_alone(
    world: tuple[Container, SeededSubjects, int],
) -> None:
    container, seeded, _ = world

    found = await PiccoloSubjectDataSource().find(
        lookup(container, ContactMethod.EMAIL, SUBJECT_EMAIL)
    )

    assert [a.id for a in found.appointments] == [seeded.appointment_id]
    assert (found.leads, found.requests) == ((), ())  # the waitlist knows only the phone
    assert [p.id for p in found.payments] == [seeded.payment_id]
    # The payment's timeline event lives on the phone's lead, but it is about this booking.
    assert [e.type for e in found.timeline] == ["payment_succeeded"]


async def test_the_file_holds_everything_of_the_subject_and_nothing_of_anyone_else(
    world: tuple[Container, SeededSubjects, int],
) -> None:
    container, seeded, manager = world

    report = await container.subject_access.report.execute(
        ReportSubjectDataCommand(manager, ContactMethod.PHONE, "8 916 555-00-11")
    )
    document = html.unescape(SubjectDataFile(MOSCOW).render(report))

    for expected in (
        SUBJECT_PHONE,
        SUBJECT_NAME,
        SUBJECT_EMAIL,
        SUBJECT_IP,
        *seeded.service_titles,
        f"#{seeded.request_ids[0].hex[:6]}",
        f"#{seeded.request_ids[1].hex[:6]}",
        f"#{seeded.appointment_id.hex[:6]}",
        f"#{seeded.payment_id.hex[:6]}",
        "1\u00a0500,00\u00a0₽",
        "Оплачен",
        "Предоплата",
        "Заявка в лист ожидания",
        "Оплата прошла",
        "Вечер (17:00–21:00)",
        "2026-11-01",
        consent_text(ConsentKind.PERSONAL_DATA, "2026-11-01").text,
        consent_text(ConsentKind.COMMUNICATIONS, "2026-11-01").text,
        "московское время",
        str(report.reference),
    ):
        assert expected in document, expected
    for foreign in (
        OTHER_PHONE,
        OTHER_NAME,
        OTHER_EMAIL,
        "198.51.100.9",
        f"#{seeded.other_request_id.hex[:6]}",
        f"#{seeded.other_appointment_id.hex[:6]}",
        CONFIRMATION_URL,
        "SECRET-ORDER",
        PROVIDER_ID,
        seeded.idempotence_key,
        "gAAAA",  # a Fernet token: nothing leaves undecrypted
        "не хранится никаких данных",
    ):
        assert foreign not in document, foreign
    [row] = await ContactAccessLogTable.select().where(ContactAccessLogTable.staff_user == manager)
    assert row["id"] == report.reference
    assert (row["action"], row["reason"], row["row_count"]) == (
        "subject_access",
        "data_subject_request",
        13,
    )
    assert row["lead_id"] == report.leads[0].record.id
    assert row["waitlist_request_id"] is None  # two requests: the lead is the reference


async def test_an_unknown_contact_gets_a_file_saying_nothing_is_stored_and_is_audited(
    world: tuple[Container, SeededSubjects, int],
) -> None:
    container, _, manager = world

    report = await container.subject_access.report.execute(
        ReportSubjectDataCommand(manager, ContactMethod.TELEGRAM, "@nobody_here")
    )
    document = html.unescape(SubjectDataFile(MOSCOW).render(report))

    assert "По этому контакту у нас не хранится никаких данных." in document
    assert "Telegram: nobody_here" in document
    for foreign in (SUBJECT_PHONE, SUBJECT_NAME, OTHER_PHONE, "Согласия"):
        assert foreign not in document
    [row] = await ContactAccessLogTable.select(
        ContactAccessLogTable.action, ContactAccessLogTable.row_count, ContactAccessLogTable.lead_id
    )
    assert row == {"action": "subject_access", "row_count": 0, "lead_id": None}
