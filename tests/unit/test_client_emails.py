"""The client's payment emails: Russian text in the practice's timezone, the calendar file,
the MIME message that carries it, and nothing about the person in what is stored."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from uuid import UUID

import icalendar
import pytest

from adapters.smtp_mailer import to_mime
from domain.emails import (
    CALENDAR_CONTENT_TYPE,
    WITHDRAW_URL_PARAM,
    EmailMessage,
    EmailTemplate,
    outbox_id,
    payment_confirmation_params,
    payment_refund_params,
    refund_reason_text,
    render,
    waitlist_offer_params,
)
from domain.ics import CalendarEvent, escape_text, fold, to_ics
from domain.models import Money
from domain.offers import OFFER_URL_PARAM
from domain.payments import PaymentKind, RefundReason
from domain.practice_time import MOSCOW, PracticeTimezone, rubles_text

APPOINTMENT_ID = UUID("6f1c2a54-3b1e-4c8e-9a57-0d3f2b6c7e81")
PAYMENT_ID = UUID("0b7e1f3a-9c2d-4e5f-8a6b-1c2d3e4f5a6b")
# Thursday 10 December 2026, 11:00 UTC = 14:00 in Moscow (UTC+3 all year).
STARTS = datetime(2026, 12, 10, 11, 0, tzinfo=UTC)
ENDS = STARTS + timedelta(minutes=50)
ISSUED = datetime(2026, 12, 2, 16, 5, 7, tzinfo=UTC)
WHEN = "четверг, 10 декабря 2026, 14:00–14:50 (Москва)"
HEALTH_WORDS = ("диагноз", "тревог", "депресс", "симптом", "причин", "жалоб", "паник")


def confirmation(kind: PaymentKind = PaymentKind.DEPOSIT, **overrides: str) -> dict[str, str]:
    params = payment_confirmation_params(
        appointment_id=APPOINTMENT_ID,
        service_title="Индивидуальная консультация",
        starts_at=STARTS,
        ends_at=ENDS,
        when=MOSCOW.describe(STARTS, ENDS),
        amount=Money.rub("1500") if kind is PaymentKind.DEPOSIT else Money.rub("5000"),
        kind=kind,
        price=Money.rub("5000"),
        issued_at=ISSUED,
    )
    return params | overrides


def calendar_of(params: dict[str, str]) -> bytes:
    [attachment] = render(EmailTemplate.PAYMENT_CONFIRMATION, params).attachments
    return attachment.content


# The practice's wall clock ---------------------------------------------------------------


def test_appointment_times_read_in_moscow_with_russian_day_and_month_names() -> None:
    assert MOSCOW.describe(STARTS, ENDS) == WHEN
    summer = datetime(2027, 7, 3, 6, 30, tzinfo=UTC)
    assert MOSCOW.describe(summer, summer + timedelta(minutes=90)) == (
        "суббота, 3 июля 2027, 09:30–11:00 (Москва)"
    )


def test_another_practice_timezone_moves_the_clock_and_names_the_zone() -> None:
    yekaterinburg = PracticeTimezone.named("Asia/Yekaterinburg")
    assert yekaterinburg.describe(STARTS, ENDS) == (
        "четверг, 10 декабря 2026, 16:00–16:50 (Екатеринбург)"
    )
    # A zone without a Russian name shows its offset on that day (summer time included).
    berlin = PracticeTimezone.named("Europe/Berlin")
    assert berlin.time_range_text(STARTS, ENDS) == "12:00–12:50 (UTC+1)"
    july = datetime(2027, 7, 1, 10, 0, tzinfo=UTC)
    assert berlin.time_range_text(july, july + timedelta(hours=1)) == "12:00–13:00 (UTC+2)"
    kolkata = PracticeTimezone.named("Asia/Kolkata")
    assert kolkata.time_range_text(STARTS, ENDS) == "16:30–17:20 (UTC+5:30)"


def test_an_appointment_late_in_the_utc_day_is_dated_by_the_practice_s_calendar() -> None:
    late = datetime(2026, 12, 31, 22, 0, tzinfo=UTC)
    assert MOSCOW.date_text(late) == "пятница, 1 января 2027"


def test_roubles_are_written_the_russian_way() -> None:
    assert rubles_text(Money.rub("1500")) == "1\u00a0500\u00a0₽"
    assert rubles_text("1500.50") == "1\u00a0500,50\u00a0₽"
    assert rubles_text("500.00") == "500\u00a0₽"
    assert rubles_text("1234567.05") == "1\u00a0234\u00a0567,05\u00a0₽"


# The confirmation --------------------------------------------------------------------------


def test_the_confirmation_names_service_moscow_time_amount_and_what_happens_next() -> None:
    rendered = render(EmailTemplate.PAYMENT_CONFIRMATION, confirmation())
    assert rendered.subject == f"Запись подтверждена: {WHEN}"
    for part in (rendered.text, rendered.html):
        assert "Индивидуальная консультация" in part
        assert WHEN in part
        assert "1\u00a0500\u00a0₽" in part and "предоплата" in part
        assert "5\u00a0000\u00a0₽" in part  # the full price, so the rest is no surprise
        assert "ответьте на это письмо" in part  # how to move or cancel
    assert "Психолог будет ждать вас" in rendered.text
    assert rendered.html.startswith("<!doctype html>") and 'lang="ru"' in rendered.html
    # Stored times are UTC: the UTC hour never reaches the client as a local time.
    assert "11:00" not in rendered.text


def test_a_full_payment_is_called_the_full_price_not_a_deposit() -> None:
    rendered = render(EmailTemplate.PAYMENT_CONFIRMATION, confirmation(PaymentKind.FULL))
    assert "5\u00a0000\u00a0₽ — полная стоимость" in rendered.text
    assert "предоплата" not in rendered.text


def test_the_service_title_is_escaped_in_the_html() -> None:
    rendered = render(
        EmailTemplate.PAYMENT_CONFIRMATION, confirmation(service_title="Пары <b>& семьи</b>")
    )
    assert "Пары &lt;b&gt;&amp; семьи&lt;/b&gt;" in rendered.html
    assert "<b>" not in rendered.html


def test_the_payment_emails_hold_nothing_about_health_and_no_contact() -> None:
    params = confirmation()
    refund = payment_refund_params(
        service_title="Индивидуальная консультация",
        when=WHEN,
        amount=Money.rub("1500"),
        reason=RefundReason.HOLD_EXPIRED,
    )
    assert set(params) == {
        "appointment_id",
        "service_title",
        "starts_at",
        "ends_at",
        "when",
        "amount",
        "kind",
        "price",
        "issued_at",
    }
    assert set(refund) == {"service_title", "when", "amount", "reason"}
    for template, values in (
        (EmailTemplate.PAYMENT_CONFIRMATION, params),
        (EmailTemplate.PAYMENT_REFUND, refund),
    ):
        rendered = render(template, values)
        everything = (rendered.subject + rendered.text + rendered.html).lower()
        for word in HEALTH_WORDS:
            assert word not in everything, word
        assert "@" not in everything and "+7" not in everything


# The calendar file -------------------------------------------------------------------------


def test_the_calendar_file_parses_back_as_one_event_at_the_right_utc_time() -> None:
    raw = calendar_of(confirmation())
    calendar = icalendar.Calendar.from_ical(raw)
    assert calendar["VERSION"] == "2.0"
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["PRODID"]
    [event] = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == STARTS
    assert event.decoded("DTEND") == ENDS
    assert event.decoded("DTSTART").tzinfo is not None
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTSTAMP") == ISSUED
    assert str(event["SUMMARY"]) == "Индивидуальная консультация — «Эмоциональный баланс»"
    assert str(event["UID"]) == f"appointment-{APPOINTMENT_ID}@emotional-balance"
    assert b"DTSTART:20261210T110000Z\r\n" in raw
    assert b"DTEND:20261210T115000Z\r\n" in raw


def test_the_calendar_uid_is_the_appointment_s_whenever_the_file_is_made() -> None:
    first = icalendar.Calendar.from_ical(calendar_of(confirmation()))
    later = icalendar.Calendar.from_ical(
        calendar_of(confirmation(issued_at=(ISSUED + timedelta(days=1)).isoformat()))
    )
    assert first.walk("VEVENT")[0]["UID"] == later.walk("VEVENT")[0]["UID"]


def test_the_calendar_file_has_crlf_lines_of_at_most_75_octets() -> None:
    long_title = "Семейная консультация для пар и родителей с детьми подросткового возраста"
    raw = calendar_of(confirmation(service_title=long_title))
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    lines = raw.split(b"\r\n")[:-1]
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines), "the long summary must be folded"
    for line in lines:
        line.decode("utf-8")  # never folded inside a two-octet Cyrillic letter
    [event] = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    assert str(event["SUMMARY"]) == f"{long_title} — «Эмоциональный баланс»"


def test_folding_counts_octets_and_the_leading_space() -> None:
    line = "SUMMARY:" + "я" * 100  # 8 + 200 octets, two a letter
    folded = fold(line).encode("utf-8").split(b"\r\n")
    # 8 + 33 letters (a 34th would make 76); then a space and 37 letters; the last 30.
    assert [len(part) for part in folded] == [74, 75, 61]
    assert all(part.startswith(b" ") for part in folded[1:])
    assert b"".join(part[1:] if i else part for i, part in enumerate(folded)) == line.encode()
    assert fold("SHORT:x") == "SHORT:x"


def test_text_values_escape_the_characters_rfc_5545_reserves() -> None:
    assert escape_text("a\\b;c,d\ne") == "a\\\\b\\;c\\,d\\ne"
    event = CalendarEvent(
        appointment_id=APPOINTMENT_ID,
        starts_at=STARTS,
        ends_at=ENDS,
        summary="Пары; семьи, дети\\взрослые",
        description="строка 1\nстрока 2",
        stamp=ISSUED,
    )
    [parsed] = icalendar.Calendar.from_ical(to_ics(event)).walk("VEVENT")
    assert str(parsed["SUMMARY"]) == "Пары; семьи, дети\\взрослые"
    assert str(parsed["DESCRIPTION"]) == "строка 1\nстрока 2"


# The refund email --------------------------------------------------------------------------


@pytest.mark.parametrize("reason", list(RefundReason))
def test_the_refund_email_says_why_how_much_and_when_the_money_arrives(
    reason: RefundReason,
) -> None:
    rendered = render(
        EmailTemplate.PAYMENT_REFUND,
        payment_refund_params(
            service_title="Индивидуальная консультация",
            when=WHEN,
            amount=Money.rub("1500"),
            reason=reason,
        ),
    )
    assert "1\u00a0500\u00a0₽" in rendered.subject
    assert refund_reason_text(reason) in rendered.text
    assert "1\u00a0500\u00a0₽" in rendered.text
    assert "до 30 дней" in rendered.text
    assert WHEN in rendered.text and "Индивидуальная консультация" in rendered.text
    assert rendered.attachments == ()
    for blame in ("вы не успели", "вы опоздали", "по вашей вине", "ошибк"):
        assert blame not in rendered.text.lower()


def test_each_refund_reason_has_its_own_sentence() -> None:
    sentences = {refund_reason_text(reason) for reason in RefundReason}
    assert len(sentences) == len(RefundReason)


def test_an_already_paid_appointment_stays_booked_in_the_refund_email() -> None:
    rendered = render(
        EmailTemplate.PAYMENT_REFUND,
        payment_refund_params(
            service_title="Индивидуальная консультация",
            when=WHEN,
            amount=Money.rub("1500"),
            reason=RefundReason.ALREADY_PAID,
        ),
    )
    assert "остаётся в силе" in rendered.text
    assert "другое удобное время" not in rendered.text


# Outbox ids and the MIME message ---------------------------------------------------------


def test_the_outbox_id_is_one_per_template_and_payment() -> None:
    confirmation_id = outbox_id(EmailTemplate.PAYMENT_CONFIRMATION, PAYMENT_ID)
    assert confirmation_id == outbox_id(EmailTemplate.PAYMENT_CONFIRMATION, PAYMENT_ID)
    assert confirmation_id != outbox_id(EmailTemplate.PAYMENT_REFUND, PAYMENT_ID)
    assert confirmation_id != outbox_id(EmailTemplate.PAYMENT_CONFIRMATION, APPOINTMENT_ID)


def test_the_calendar_travels_as_a_text_calendar_attachment_byte_for_byte() -> None:
    rendered = render(EmailTemplate.PAYMENT_CONFIRMATION, confirmation())
    message = EmailMessage.of(rendered, to="anna@example.com", message_id=PAYMENT_ID)
    wire = to_mime(message, "Эмоциональный баланс <noreply@eb.test>").as_bytes()
    parsed = email.message_from_bytes(wire, policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/mixed"
    [attachment] = list(parsed.iter_attachments())  # type: ignore[attr-defined]
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "PUBLISH"
    assert attachment.get_param("charset") == "utf-8"
    assert attachment.get_filename() == "zapis.ics"
    assert attachment.get_payload(decode=True) == rendered.attachments[0].content
    assert CALENDAR_CONTENT_TYPE.startswith("text/calendar; method=PUBLISH")
    assert parsed.get_body(("plain",)).get_content() == rendered.text  # type: ignore[union-attr]
    assert WHEN in parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]


def test_a_message_without_attachments_stays_a_plain_alternative() -> None:
    wire = to_mime(
        EmailMessage(to="a@example.org", subject="s", text="t", html="<p>t</p>"), "n@eb.test"
    )
    assert wire.get_content_type() == "multipart/alternative"


@pytest.mark.parametrize("template", list(EmailTemplate))
def test_every_email_to_a_client_ends_with_the_withdrawal_link(template: EmailTemplate) -> None:
    url = "https://site.example/privacy/withdraw/?token=abc_DEF-123"
    params = {
        EmailTemplate.WAITLIST_CONFIRMATION: {},
        EmailTemplate.PAYMENT_CONFIRMATION: confirmation(),
        EmailTemplate.PAYMENT_REFUND: payment_refund_params(
            service_title="Индивидуальная консультация",
            when=WHEN,
            amount=Money.rub("1500"),
            reason=RefundReason.HOLD_EXPIRED,
        ),
        EmailTemplate.WAITLIST_OFFER: waitlist_offer_params(
            offer_id=UUID(int=7),
            service_title="Индивидуальная консультация",
            when=WHEN,
            reserved_until="16:30 (Москва)",
        )
        | {OFFER_URL_PARAM: "https://site.example/booking/offer/?token=t"},
    }[template]
    rendered = render(template, params | {WITHDRAW_URL_PARAM: url})
    assert rendered.text.rstrip().splitlines()[-2] == url
    assert f'<a href="{url}">' in rendered.html
    assert "отозвать согласие" in rendered.text
