"""The subject access file: a printable Russian HTML document for the person it is about.

The use case hands over a decrypted :class:`SubjectDataReport`; this module turns it into
rows of text (Russian labels for codes, times in the practice's time zone, roubles as staff
write them) and the Jinja template (autoescaped) lays them out. The document is one file:
inline CSS, no script, nothing loaded from anywhere, and a policy that forbids loading
anything should someone add it. It is built in memory and never written to disk or logs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import jinja2

from domain.labels import (
    APPOINTMENT_STATUS_LABELS,
    CONSENT_CHANNEL_LABELS,
    CONSENT_KIND_LABELS,
    CONSENT_SUBJECT_LABELS,
    CONTACT_METHOD_LABELS,
    LEAD_SOURCE_LABELS,
    LEAD_STATUS_LABELS,
    PAYMENT_KIND_LABELS,
    PAYMENT_STATUS_LABELS,
    REFUND_REASON_LABELS,
    STATUS_OUTCOME_LABELS,
    TIME_WINDOW_LABELS,
    TIMELINE_EVENT_LABELS,
    WAITLIST_STATUS_LABELS,
)
from domain.subject_access import SubjectConsent, SubjectDataReport

NOTHING = "—"
MEDIA_TYPE = "text/html; charset=utf-8"
PRACTICE = "«Эмоциональный баланс»"


def ref(item_id: UUID | None) -> str:
    """``#ab12cd``: how the admin names a row to staff, and how the file cross-references."""
    return NOTHING if item_id is None else f"#{item_id.hex[:6]}"


def label(labels: Mapping[Any, str], code: str | None) -> str:
    """The Russian label of a code; the code itself when it has none (a newer code)."""
    if code is None:
        return NOTHING
    return labels.get(code, code)


def money(amount: Decimal, currency: str) -> str:
    whole, _, cents = f"{amount:.2f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", "\u00a0")
    sign = "₽" if currency == "RUB" else currency
    return f"{grouped},{cents}\u00a0{sign}"


def zone_name(timezone: ZoneInfo) -> str:
    return "московское время" if timezone.key == "Europe/Moscow" else f"часовой пояс {timezone.key}"


def file_name(report: SubjectDataReport, timezone: ZoneInfo) -> str:
    """ASCII only (it travels in a header) and no contact: the date and the audit reference."""
    stamp = report.generated_at.astimezone(timezone).strftime("%Y%m%d-%H%M")
    return f"subject-data-{stamp}-{report.reference.hex[:6]}.html"


@dataclass(frozen=True, slots=True)
class Section:
    anchor: str
    title: str
    note: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


class SubjectDataFile:
    """Renders a report as the HTML document handed to the person."""

    def __init__(self, timezone: ZoneInfo) -> None:
        self._timezone = timezone
        environment = jinja2.Environment(
            loader=jinja2.PackageLoader("admin", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._template = environment.get_template("subject_data.html")

    def name(self, report: SubjectDataReport) -> str:
        return file_name(report, self._timezone)

    def render(self, report: SubjectDataReport) -> str:
        sections = self.sections(report)
        return self._template.render(
            practice=PRACTICE,
            method=label(CONTACT_METHOD_LABELS, report.method.value),
            contact=report.contact,
            generated_at=self._time(report.generated_at),
            zone=zone_name(self._timezone),
            reference=str(report.reference),
            empty=report.is_empty,
            summary=[(s.anchor, s.title, len(s.rows)) for s in sections],
            sections=[s for s in sections if s.rows],
            texts=consent_texts(report.consents),
        )

    def _time(self, moment: datetime | None) -> str:
        if moment is None:
            return NOTHING
        return moment.astimezone(self._timezone).strftime("%d.%m.%Y %H:%M")

    def _span(self, starts: datetime | None, ends: datetime | None) -> str:
        if starts is None:
            return NOTHING
        text = self._time(starts)
        if ends is not None:
            text += "–" + ends.astimezone(self._timezone).strftime("%H:%M")
        return text

    def sections(self, report: SubjectDataReport) -> list[Section]:
        t = self._time
        return [
            Section(
                "requests",
                "Заявки в лист ожидания",
                "Заявки, оставленные с этим контактом на сайте, когда не было свободного "
                "времени для записи.",
                (
                    "Заявка",
                    "Подана",
                    "Услуга",
                    "Удобное время",
                    "Способ связи",
                    "Контакт",
                    "Статус",
                    "Результат",
                    "Изменена",
                ),
                tuple(
                    (
                        ref(r.record.id),
                        t(r.record.created_at),
                        r.record.service_title or NOTHING,
                        label(TIME_WINDOW_LABELS, r.record.time_window),
                        label(CONTACT_METHOD_LABELS, r.record.contact_method),
                        r.contact or "стёрт",
                        label(WAITLIST_STATUS_LABELS, r.record.status),
                        label(STATUS_OUTCOME_LABELS, r.record.status_reason),
                        t(r.record.updated_at),
                    )
                    for r in report.requests
                ),
            ),
            Section(
                "leads",
                "Карточка обращений",
                "Одна карточка на контакт: по ней мы видим, что обращения от одного человека.",
                (
                    "Карточка",
                    "Способ связи",
                    "Контакт",
                    "Откуда",
                    "Статус",
                    "Первое обращение",
                    "Последнее обращение",
                ),
                tuple(
                    (
                        ref(lead.record.id),
                        label(CONTACT_METHOD_LABELS, lead.record.contact_method),
                        lead.contact or "стёрт",
                        label(LEAD_SOURCE_LABELS, lead.record.source),
                        label(LEAD_STATUS_LABELS, lead.record.status),
                        t(lead.record.first_activity_at),
                        t(lead.record.last_activity_at),
                    )
                    for lead in report.leads
                ),
            ),
            Section(
                "appointments",
                "Записи на приём",
                "Записи, в которых указан этот контакт, со всем, что в них указано.",
                (
                    "Запись",
                    "Создана",
                    "Услуга",
                    "Время приёма",
                    "Статус",
                    "Имя",
                    "Эл. почта",
                    "Телефон",
                ),
                tuple(
                    (
                        ref(a.record.id),
                        t(a.record.created_at),
                        a.record.service_title or NOTHING,
                        self._span(a.record.starts_at, a.record.ends_at),
                        label(APPOINTMENT_STATUS_LABELS, a.record.status),
                        a.client_name or NOTHING,
                        a.email or NOTHING,
                        a.phone or NOTHING,
                    )
                    for a in report.appointments
                ),
            ),
            Section(
                "payments",
                "Оплаты",
                "Платежи по этим записям: сумма и чем закончился платёж. Данные карты мы не "
                "получаем и не храним: оплата проходит на стороне ЮKassa.",
                ("Платёж", "Запись", "Создан", "Вид", "Сумма", "Статус", "Возврат"),
                tuple(
                    (
                        ref(p.id),
                        ref(p.appointment_id),
                        t(p.created_at),
                        label(PAYMENT_KIND_LABELS, p.kind),
                        money(p.amount, p.currency),
                        label(PAYMENT_STATUS_LABELS, p.status),
                        NOTHING
                        if p.refund_reason is None and p.refunded_at is None
                        else ", ".join(
                            part
                            for part in (
                                label(REFUND_REASON_LABELS, p.refund_reason)
                                if p.refund_reason
                                else "",
                                t(p.refunded_at) if p.refunded_at else "",
                            )
                            if part
                        ),
                    )
                    for p in report.payments
                ),
            ),
            Section(
                "consents",
                "Согласия",
                "Согласия, данные вместе с этими заявками, записями и карточкой. Тексты "
                "согласий по версиям — в конце документа.",
                (
                    "К чему",
                    "Согласие",
                    "Версия текста",
                    "Где дано",
                    "Дано",
                    "Отозвано",
                    "IP-адрес",
                    "Браузер",
                ),
                tuple(
                    (
                        f"{label(CONSENT_SUBJECT_LABELS, c.record.subject_type)} "
                        f"{ref(c.record.subject_id)}",
                        label(CONSENT_KIND_LABELS, c.record.kind),
                        c.record.text_version,
                        label(CONSENT_CHANNEL_LABELS, c.record.channel),
                        t(c.record.granted_at),
                        t(c.record.withdrawn_at) if c.record.withdrawn_at else "не отозвано",
                        (c.evidence.ip if c.evidence else None) or NOTHING,
                        (c.evidence.user_agent if c.evidence else None) or NOTHING,
                    )
                    for c in report.consents
                ),
            ),
            Section(
                "timeline",
                "История обращений",
                "Что происходило с заявками и записями: когда заявку взяли в работу, "
                "изменили её статус, прошла ли оплата.",
                ("Когда", "Событие", "Заявка", "Запись", "Платёж", "Статус заявки", "Результат"),
                tuple(
                    (
                        t(e.occurred_at),
                        label(TIMELINE_EVENT_LABELS, e.type),
                        ref(e.waitlist_request_id),
                        ref(e.appointment_id),
                        ref(e.payment_id),
                        label(WAITLIST_STATUS_LABELS, e.waitlist_status),
                        label(STATUS_OUTCOME_LABELS, e.outcome),
                    )
                    for e in report.timeline
                ),
            ),
        ]


@dataclass(frozen=True, slots=True)
class ConsentTextView:
    title: str
    text: str


def consent_texts(consents: Iterable[SubjectConsent]) -> list[ConsentTextView]:
    """Each text version agreed to, once, in the order first given."""
    seen: dict[tuple[str, str], ConsentTextView] = {}
    for consent in consents:
        key = (consent.record.kind, consent.record.text_version)
        if key in seen:
            continue
        kind = label(CONSENT_KIND_LABELS, consent.record.kind)
        seen[key] = ConsentTextView(
            title=f"{kind}, версия {consent.record.text_version}",
            text=consent.text
            or "Текст этой версии в программе не найден: запросите его у "
            "ответственного за обработку персональных данных.",
        )
    return list(seen.values())
