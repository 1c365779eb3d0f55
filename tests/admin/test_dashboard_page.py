"""The dashboard page rendered from fake aggregates: charts, Russian text, nothing external."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from admin.dashboard import Dashboard, age_text, label_lines, nice_ceiling, plural
from domain.dashboard import (
    DemandCount,
    FunnelCounts,
    NewRequestsSummary,
    PaymentDayCount,
)
from domain.errors import RoleRequired
from domain.models import StaffRole
from domain.staff import StaffMember
from domain.use_cases.get_dashboard import GetDashboardUseCase
from tests.support.dashboard_fakes import FixedDashboardQueries
from tests.support.fakes import FixedClock
from tests.support.staff_fakes import FakeStaffDirectory

pytestmark = pytest.mark.anyio

OPERATOR = StaffMember(1, "olga", StaffRole.OPERATOR)
MANAGER = StaffMember(3, "maria", StaffRole.MANAGER)
NOW = datetime(2026, 12, 2, 9, 40, tzinfo=UTC)  # 12:40 in Moscow
SVG = "{http://www.w3.org/2000/svg}"


def dashboard(queries: FixedDashboardQueries) -> Dashboard:
    return Dashboard(
        GetDashboardUseCase(
            queries=queries, staff=FakeStaffDirectory(OPERATOR, MANAGER), clock=FixedClock(NOW)
        )
    )


def busy_queries() -> FixedDashboardQueries:
    solo, pairs = uuid4(), uuid4()
    return FixedDashboardQueries(
        demand=[
            DemandCount(solo, "Индивидуальная консультация", "evening", 6),
            DemandCount(solo, "Индивидуальная консультация", "weekend", 2),
            DemandCount(pairs, "Парная <терапия> & «семья»", "morning", 3),
        ],
        funnel_counts=FunnelCounts(412, 96, 71, 38, 57),
        payments=[
            PaymentDayCount(date(2026, 11, 20), "succeeded", 3),
            PaymentDayCount(date(2026, 11, 20), "canceled", 1),
            PaymentDayCount(date(2026, 12, 2), "pending", 2),
        ],
        new=NewRequestsSummary(7, NOW - timedelta(days=1, hours=5, minutes=12)),
    )


def svgs(page: str) -> dict[str, ET.Element]:
    """Every inline chart, parsed as XML: a malformed chart fails here."""
    charts = {}
    for match in re.finditer(r"<svg\b.*?</svg>", page, flags=re.S):
        markup = match.group(0).replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1)
        element = ET.fromstring(markup)
        charts[element.attrib["id"]] = element
    return charts


async def test_a_manager_gets_three_accessible_svg_charts_in_russian() -> None:
    page = await dashboard(busy_queries()).render(MANAGER)

    charts = svgs(page)
    assert set(charts) == {"demand-chart", "funnel-chart", "payments-chart"}
    for chart_id, chart in charts.items():
        assert chart.attrib["role"] == "img"
        title_id, desc_id = chart.attrib["aria-labelledby"].split()
        title = chart.find(f"{SVG}title")
        desc = chart.find(f"{SVG}desc")
        assert title is not None and title.attrib["id"] == title_id, chart_id
        assert desc is not None and desc.attrib["id"] == desc_id, chart_id
        assert re.search("[а-яА-Я]", (title.text or "") + (desc.text or "")), chart_id
    assert '<html lang="ru">' in page
    assert "Панель руководителя" in page
    assert "Воронка за 30 дней" in page
    assert "Платежей за период: 6." in page
    assert "3 ноября — 2 декабря 2026" in page
    assert "02.12.2026, 12:40" in page  # Moscow time
    assert "1 день 5 ч" in page
    assert "01.12.2026, 07:28" in page  # the oldest new request, in Moscow time
    assert '<a href="../">← В админку</a>' in page


async def test_every_funnel_step_is_on_the_page_with_its_count_and_definition() -> None:
    page = await dashboard(busy_queries()).render(MANAGER)
    funnel = svgs(page)["funnel-chart"]
    texts = [t.text for t in funnel.iter(f"{SVG}text")]
    for label, count in (
        ("1. Увидели «нет свободного времени»", "412"),
        ("2. Оставили заявку", "96"),
        ("3. Взяты в работу", "71"),
        ("4. Записаны", "38"),
        ("5. Оплатили", "57"),
    ):
        assert label in texts
        assert count in texts
    assert "23% от предыдущего" in texts  # 96 of 412
    assert "все оплаты периода" in texts  # paid is not a share of booked
    for code in ("show_no_slots", "waitlist_submitted"):
        assert code in page  # the definitions name the tracking events


async def test_the_page_loads_nothing_from_anywhere() -> None:
    page = await dashboard(busy_queries()).render(MANAGER)
    for external in ("<script", "<link", "<img", "<iframe", "@import", "url(", "http"):
        assert external not in page
    assert re.search(r"""["'(]//""", page) is None  # no protocol-relative address either


async def test_service_titles_are_escaped_in_the_page_and_the_charts() -> None:
    page = await dashboard(busy_queries()).render(MANAGER)
    assert "<терапия>" not in page
    assert "Парная &lt;терапия&gt; &amp; «семья»" in page
    demand = svgs(page)["demand-chart"]
    cells = [t.text for t in demand.iter(f"{SVG}title")]
    assert "Парная <терапия> & «семья», Утро (9:00–12:00): 3" in cells


async def test_every_day_of_the_period_has_a_bar_with_a_tooltip() -> None:
    page = await dashboard(busy_queries()).render(MANAGER)
    payments = svgs(page)["payments-chart"]
    tooltips = [t.text or "" for g in payments.iter(f"{SVG}g") for t in g.findall(f"{SVG}title")]
    assert len(tooltips) == 30
    assert "20.11 (пт): Оплачен — 3, Отменён — 1" in tooltips
    assert "21.11 (сб): платежей нет" in tooltips
    assert "Оплачен — 3" in page and "Ждёт оплаты — 2" in page  # the legend


async def test_an_empty_practice_renders_without_charts_to_fill() -> None:
    page = await dashboard(FixedDashboardQueries()).render(MANAGER)
    assert "Активных заявок в листе ожидания нет." in page
    assert "За период платежей не было." in page
    assert "новых заявок нет — очередь разобрана" in page
    assert set(svgs(page)) == {"funnel-chart", "payments-chart"}


async def test_an_operator_is_refused_by_the_use_case_even_if_the_gate_let_them_through() -> None:
    with pytest.raises(RoleRequired):
        await dashboard(busy_queries()).render(OPERATOR)


@pytest.mark.parametrize(
    ("count", "word"),
    [(1, "день"), (2, "дня"), (4, "дня"), (5, "дней"), (11, "дней"), (14, "дней"), (21, "день")],
)
def test_russian_plurals(count: int, word: str) -> None:
    assert plural(count, "день", "дня", "дней") == word


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(minutes=3, seconds=59), "3 мин"),
        (timedelta(hours=2, minutes=5), "2 ч 5 мин"),
        (timedelta(days=1), "1 день"),
        (timedelta(days=3, hours=7, minutes=59), "3 дня 7 ч"),
    ],
)
def test_ages_read_as_a_person_would_say_them(age: timedelta, text: str) -> None:
    assert age_text(age) == text


@pytest.mark.parametrize(
    ("value", "axis"), [(0, (1, 1)), (3, (3, 1)), (6, (6, 2)), (11, (15, 5)), (48, (50, 10))]
)
def test_axes_end_on_a_round_number(value: int, axis: tuple[int, int]) -> None:
    assert nice_ceiling(value) == axis


def test_long_service_titles_wrap_to_two_lines_at_most() -> None:
    assert label_lines("Парная терапия") == ("Парная терапия",)
    lines = label_lines("Консультация для подростков и их родителей (семейная, очная)")
    assert len(lines) == 2
    assert lines[1].endswith("…")
