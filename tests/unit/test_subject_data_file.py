"""The subject access file on its own: times, money, labels, escaping, the empty answer."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4
from zoneinfo import ZoneInfo

from admin.subject_data import SubjectDataFile, money
from domain.models import ContactMethod
from domain.subject_access import (
    StoredPayment,
    StoredWaitlistRequest,
    SubjectDataReport,
    SubjectWaitlistRequest,
)

MOSCOW = ZoneInfo("Europe/Moscow")
NOON_UTC = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def report(**parts: object) -> SubjectDataReport:
    fields: dict[str, object] = {
        "leads": (),
        "requests": (),
        "consents": (),
        "timeline": (),
        "appointments": (),
        "payments": (),
    }
    fields.update(parts)
    count = sum(len(v) for v in fields.values())  # type: ignore[arg-type]
    return SubjectDataReport(
        reference=uuid4(),
        generated_at=NOON_UTC,
        method=ContactMethod.EMAIL,
        contact="anna@example.org",
        row_count=count,
        **fields,  # type: ignore[arg-type]
    )


def a_request(title: str, status: str) -> SubjectWaitlistRequest:
    record = StoredWaitlistRequest(
        uuid4(), None, title, "email", "enc", "morning", status, None, NOON_UTC, None
    )
    return SubjectWaitlistRequest(record, "anna@example.org")


def test_an_empty_report_says_nothing_is_stored_and_shows_no_sections() -> None:
    empty = report()
    document = html.unescape(SubjectDataFile(MOSCOW).render(empty))

    assert "По этому контакту у нас не хранится никаких данных." in document
    assert "Электронная почта: anna@example.org" in document
    assert "02.12.2026 15:00 (московское время)" in document
    assert str(empty.reference) in document
    assert "<table" not in document


def test_values_are_escaped_times_are_local_and_unknown_codes_shown_as_they_are() -> None:
    document = SubjectDataFile(MOSCOW).render(
        report(requests=(a_request("<script>alert(1)</script>", "on_hold_someday"),))
    )

    assert "<script>" not in document
    assert "&lt;script&gt;" in document
    assert "on_hold_someday" in document  # a code this build has no label for
    assert "Утро (9:00–12:00)" in html.unescape(document)
    assert "02.12.2026 15:00" in document


def test_money_reads_as_roubles_with_grouped_thousands() -> None:
    assert money(Decimal("1500.00"), "RUB") == "1\u00a0500,00\u00a0₽"
    assert money(Decimal("0.50"), "RUB") == "0,50\u00a0₽"
    assert money(Decimal("1234567.89"), "USD") == "1\u00a0234\u00a0567,89\u00a0USD"


def test_a_refund_shows_its_reason_and_time() -> None:
    payment = StoredPayment(
        uuid4(),
        uuid4(),
        "full",
        Decimal("5000.00"),
        "RUB",
        "refunded",
        NOON_UTC,
        NOON_UTC,
        "hold_expired",
        NOON_UTC,
    )
    document = html.unescape(SubjectDataFile(MOSCOW).render(report(payments=(payment,))))

    assert "Возвращён клиенту" in document
    assert "Бронь истекла до оплаты, 02.12.2026 15:00" in document


def test_the_file_name_is_ascii_dated_in_the_practice_zone_and_names_no_contact() -> None:
    made = report()
    name = SubjectDataFile(MOSCOW).name(made)

    assert name == f"subject-data-20261202-1500-{made.reference.hex[:6]}.html"
    assert name.isascii() and "anna" not in name
