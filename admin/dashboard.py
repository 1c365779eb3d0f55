"""The managers' dashboard page (``/admin/dashboard/``): server-drawn SVG charts, in Russian.

The gate (``admin.gate``) attributes the session and checks the role, then calls
:meth:`Dashboard.render`; the use case checks the role again. The page is one HTML document
with inline CSS and inline SVG: no script, no font, no image and nothing else is loaded, so
it works under the gate's ``default-src 'none'`` policy. Chart geometry is computed here and
the Jinja template (autoescaped) only lays it out.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import jinja2

from domain.crm import TIME_WINDOW_LABELS
from domain.dashboard import DemandMatrix, FunnelCounts, PaymentsByDay
from domain.staff import StaffMember
from domain.use_cases.get_dashboard import (
    DashboardResult,
    GetDashboardCommand,
    GetDashboardUseCase,
)

PAYMENT_STATUS_LABELS: dict[str, str] = {
    "succeeded": "Оплачен",
    "waiting_for_capture": "Ждёт подтверждения",
    "pending": "Ждёт оплаты",
    "creating": "Создаётся",
    "canceled": "Отменён",
    "failed": "Не создан",
    "refund_pending": "Возвращается",
    "refunded": "Возвращён",
    "refund_failed": "Возврат не прошёл",
}
PAYMENT_STATUS_COLOURS: dict[str, str] = {
    "succeeded": "#2f855a",
    "waiting_for_capture": "#2b6cb0",
    "pending": "#d69e2e",
    "creating": "#a0aec0",
    "canceled": "#c53030",
    "failed": "#6b46c1",
    "refund_pending": "#ed8936",
    "refunded": "#dd6b20",
    "refund_failed": "#9b2c2c",
}
OTHER_COLOUR = "#718096"
SHORT_WINDOW_LABELS = {
    "morning": "Утро",
    "afternoon": "День",
    "evening": "Вечер",
    "weekend": "Выходные",
    "any": "Любое",
}
FUNNEL_STEPS: tuple[tuple[str, str, str], ...] = (
    (
        "shown_no_slots",
        "Увидели «нет свободного времени»",
        "События show_no_slots за период: сколько раз показана страница «нет свободного "
        "времени» (повторный показ тому же посетителю считается ещё раз).",
    ),
    (
        "waitlist_submitted",
        "Оставили заявку",
        "События waitlist_submitted за период: новые заявки в лист ожидания (повтор от "
        "того же контакта при активной заявке не считается).",
    ),
    (
        "in_work",
        "Взяты в работу",
        "Заявки, поданные за период, которые сотрудник взял в работу (форма «Взять заявку "
        "в работу»), каков бы ни был их статус сейчас.",
    ),
    (
        "booked",
        "Записаны",
        "Заявки, поданные за период, со статусом «Записан».",
    ),
    (
        "paid",
        "Оплатили",
        "Платежи, созданные за период, со статусом «Оплачен» — все, не только из листа "
        "ожидания, поэтому шаг может быть больше предыдущего.",
    ),
)
MONTHS_GENITIVE = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
WEEKDAYS = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")


# Words and numbers ---------------------------------------------------------------------------


def plural(count: int, one: str, few: str, many: str) -> str:
    """The Russian plural form for ``count`` (1 день, 2 дня, 5 дней, 21 день)."""
    tail = count % 100
    if 11 <= tail <= 14:
        return many
    if count % 10 == 1:
        return one
    if 2 <= count % 10 <= 4:
        return few
    return many


def age_text(age: timedelta) -> str:
    minutes = int(age.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        text = f"{days} {plural(days, 'день', 'дня', 'дней')}"
        return f"{text} {hours} ч" if hours else text
    if hours:
        return f"{hours} ч {minutes} мин"
    return f"{minutes} мин"


def moment_text(moment: datetime, timezone: ZoneInfo) -> str:
    return moment.astimezone(timezone).strftime("%d.%m.%Y, %H:%M")


def percent(part: int, whole: int) -> str:
    if whole <= 0:
        return "—"
    return f"{round(100 * part / whole)}%"


def nice_ceiling(value: int) -> tuple[int, int]:
    """An axis maximum at least ``value`` and its step (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 1, 1
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if value <= step * 5:
                top = -(-value // step) * step
                return top, step
        magnitude *= 10


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def label_lines(text: str, width: int = 21) -> tuple[str, ...]:
    """A service title on at most two lines of about ``width`` characters."""
    lines = textwrap.wrap(text, width) or [""]
    if len(lines) > 2:
        lines = [lines[0], shorten(" ".join(lines[1:]), width)]
    return tuple(shorten(line, width + 2) for line in lines)


def _mix(light: str, dark: str, share: float) -> str:
    """A colour ``share`` of the way from ``light`` to ``dark`` (both ``#rrggbb``)."""
    channels = [
        round(
            int(light[i : i + 2], 16)
            + (int(dark[i : i + 2], 16) - int(light[i : i + 2], 16)) * share
        )
        for i in (1, 3, 5)
    ]
    return "#" + "".join(f"{c:02x}" for c in channels)


# Chart geometry ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cell:
    x: float
    y: float
    count: int
    fill: str
    ink: str
    tooltip: str


@dataclass(frozen=True, slots=True)
class HeatRow:
    y: float
    label: tuple[str, ...]  # one or two lines
    full_label: str
    cells: tuple[Cell, ...]
    total: int


@dataclass(frozen=True, slots=True)
class HeatMap:
    width: int
    height: int
    label_width: int
    cell_width: int
    cell_height: int
    header_y: float
    columns: tuple[tuple[float, str], ...]  # centre x, label
    total_x: float
    rows: tuple[HeatRow, ...]
    column_totals: tuple[int, ...]
    description: str

    @property
    def totals_y(self) -> float:
        return self.header_y + 10 + len(self.rows) * self.cell_height


HEAT_LIGHT, HEAT_DARK, HEAT_EMPTY = "#e8f0fb", "#1d4f91", "#f4f5f7"


def demand_heatmap(demand: DemandMatrix) -> HeatMap:
    label_width, cell_width, cell_height, top = 172, 60, 34, 24
    windows = demand.windows
    largest = max(demand.largest, 1)
    rows = []
    for index, row in enumerate(demand.rows):
        y = top + index * cell_height
        cells = []
        for column, (window, count) in enumerate(zip(windows, row.counts, strict=True)):
            share = count / largest
            fill = HEAT_EMPTY if count == 0 else _mix(HEAT_LIGHT, HEAT_DARK, 0.15 + 0.85 * share)
            cells.append(
                Cell(
                    x=label_width + column * cell_width,
                    y=y,
                    count=count,
                    fill=fill,
                    ink="#ffffff" if count and share > 0.5 else "#1a202c",
                    tooltip=f"{row.service_title}, {TIME_WINDOW_LABELS[window]}: {count}",
                )
            )
        rows.append(
            HeatRow(y, label_lines(row.service_title), row.service_title, tuple(cells), row.total)
        )
    columns = tuple(
        (label_width + (n + 0.5) * cell_width, SHORT_WINDOW_LABELS.get(w.value, w.value))
        for n, w in enumerate(windows)
    )
    total_x = label_width + len(windows) * cell_width + 28
    busiest = demand.rows[0] if demand.rows else None
    description = f"Активных заявок: {demand.total}."
    if busiest is not None:
        best = max(range(len(windows)), key=lambda n: busiest.counts[n])
        description += (
            f" Больше всего — «{busiest.service_title}» ({busiest.total}), чаще всего "
            f"просят: {TIME_WINDOW_LABELS[windows[best]].lower()}."
        )
    column_totals = tuple(sum(row.counts[n] for row in demand.rows) for n in range(len(windows)))
    return HeatMap(
        width=total_x + 26,
        height=top + (len(rows) + 1) * cell_height + 4,
        label_width=label_width,
        cell_width=cell_width,
        cell_height=cell_height,
        header_y=top - 10,
        columns=columns,
        total_x=total_x,
        rows=tuple(rows),
        column_totals=column_totals,
        description=description,
    )


@dataclass(frozen=True, slots=True)
class FunnelBar:
    y: float
    label: str
    count: int
    width: float
    share_of_previous: str
    definition: str


@dataclass(frozen=True, slots=True)
class FunnelChart:
    width: int
    height: int
    track: int
    bar_height: int
    bars: tuple[FunnelBar, ...]
    description: str


def _step_share(index: int, counts: list[int]) -> str:
    if index == 0:
        return ""
    if FUNNEL_STEPS[index][0] == "paid":
        return "все оплаты периода"  # not a subset of the booked requests
    return f"{percent(counts[index], counts[index - 1])} от предыдущего"


def funnel_chart(funnel: FunnelCounts) -> FunnelChart:
    width, bar_height, gap = 520, 26, 22
    track = width - 100  # room on the right for the count
    counts = [getattr(funnel, key) for key, _, _ in FUNNEL_STEPS]
    largest = max(max(counts), 1)
    bars = []
    for index, ((_, label, definition), count) in enumerate(zip(FUNNEL_STEPS, counts, strict=True)):
        bars.append(
            FunnelBar(
                y=index * (bar_height + gap) + 18,
                label=label,
                count=count,
                width=max(track * count / largest, 2 if count else 0),
                share_of_previous=_step_share(index, counts),
                definition=definition,
            )
        )
    description = "; ".join(
        f"{label} — {count}" for (_, label, _), count in zip(FUNNEL_STEPS, counts, strict=True)
    )
    return FunnelChart(
        width=width,
        height=len(bars) * (bar_height + gap) + 6,
        track=track,
        bar_height=bar_height,
        bars=tuple(bars),
        description=description + ".",
    )


@dataclass(frozen=True, slots=True)
class Segment:
    y: float
    height: float
    colour: str
    tooltip: str


@dataclass(frozen=True, slots=True)
class DayBar:
    x: float
    segments: tuple[Segment, ...]
    total: int
    label: str  # shown under some bars only
    tooltip: str
    weekend: bool


@dataclass(frozen=True, slots=True)
class LegendItem:
    status: str
    label: str
    colour: str
    total: int


@dataclass(frozen=True, slots=True)
class StackedBars:
    width: int
    height: int
    plot_left: int
    plot_top: int
    plot_width: int
    plot_height: int
    slot: float
    bar_width: float
    ticks: tuple[tuple[float, int], ...]  # y, value
    bars: tuple[DayBar, ...]
    legend: tuple[LegendItem, ...]
    table_rows: tuple[tuple[str, tuple[int, ...], int], ...]
    description: str


def payments_chart(payments: PaymentsByDay) -> StackedBars:
    width, height = 1040, 300
    left, top, right, bottom = 44, 14, 10, 46
    plot_width, plot_height = width - left - right, height - top - bottom
    top_value, step = nice_ceiling(payments.largest_day)
    slot = plot_width / max(len(payments.days), 1)
    bar_width = max(slot * 0.7, 2)
    scale = plot_height / top_value
    labels = [PAYMENT_STATUS_LABELS.get(s, s) for s in payments.statuses]
    colours = [PAYMENT_STATUS_COLOURS.get(s, OTHER_COLOUR) for s in payments.statuses]
    label_every = max(1, round(len(payments.days) / 15))
    bars = []
    for index, day in enumerate(payments.days):
        day_text = day.day.strftime("%d.%m")
        base = float(top + plot_height)
        segments = []
        for label, colour, count in zip(labels, colours, day.counts, strict=True):
            if not count:
                continue
            segment_height = count * scale
            base -= segment_height
            segments.append(Segment(base, segment_height, colour, f"{day_text}: {label} — {count}"))
        parts = ", ".join(
            f"{label} — {count}" for label, count in zip(labels, day.counts, strict=True) if count
        )
        bars.append(
            DayBar(
                x=left + index * slot + (slot - bar_width) / 2,
                segments=tuple(segments),
                total=day.total,
                label=day_text if (len(payments.days) - 1 - index) % label_every == 0 else "",
                tooltip=f"{day_text} ({WEEKDAYS[day.day.weekday()]}): " + (parts or "платежей нет"),
                weekend=day.day.weekday() >= 5,
            )
        )
    ticks = tuple(
        (top + plot_height - value * scale, value) for value in range(0, top_value + 1, step)
    )
    legend = tuple(
        LegendItem(status, label, colour, payments.total_of(status))
        for status, label, colour in zip(payments.statuses, labels, colours, strict=True)
    )
    table_rows = tuple(
        (day.day.strftime("%d.%m.%Y"), day.counts, day.total) for day in payments.days if day.total
    )
    if payments.total:
        busiest = max(payments.days, key=lambda d: d.total)
        description = (
            f"Платежей за период: {payments.total}. По статусам: "
            + ", ".join(f"{item.label.lower()} — {item.total}" for item in legend)
            + f". Больше всего платежей {busiest.day.strftime('%d.%m')}: {busiest.total}."
        )
    else:
        description = "За период платежей не было."
    return StackedBars(
        width=width,
        height=height,
        plot_left=left,
        plot_top=top,
        plot_width=plot_width,
        plot_height=plot_height,
        slot=slot,
        bar_width=bar_width,
        ticks=ticks,
        bars=tuple(bars),
        legend=legend,
        table_rows=table_rows,
        description=description,
    )


# The page ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueCard:
    new_count: int
    new_word: str
    oldest_age: str | None
    oldest_since: str | None
    overdue: bool


@dataclass(frozen=True, slots=True)
class DashboardPage:
    generated_at: str
    period: str
    period_days: int
    queue: QueueCard
    demand_total: int
    paid_total: int
    demand: HeatMap
    funnel: FunnelChart
    payments: StackedBars


# A new request that waited longer than this is flagged: nobody has called the person back.
OVERDUE_AFTER = timedelta(days=1)


def _period_text(result: DashboardResult) -> str:
    first, last = result.period.first_day, result.period.last_day
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {MONTHS_GENITIVE[last.month - 1]} {last.year}"
    start = f"{first.day} {MONTHS_GENITIVE[first.month - 1]}"
    if first.year != last.year:
        start += f" {first.year}"
    return f"{start} — {last.day} {MONTHS_GENITIVE[last.month - 1]} {last.year}"


def page_model(result: DashboardResult) -> DashboardPage:
    timezone = result.period.timezone
    queue = result.queue
    return DashboardPage(
        generated_at=moment_text(result.generated_at, timezone),
        period=_period_text(result),
        period_days=len(result.period.days()),
        queue=QueueCard(
            new_count=queue.new_count,
            new_word=plural(queue.new_count, "новая заявка", "новые заявки", "новых заявок"),
            oldest_age=None if queue.oldest_age is None else age_text(queue.oldest_age),
            oldest_since=None
            if queue.oldest_created_at is None
            else moment_text(queue.oldest_created_at, timezone),
            overdue=queue.oldest_age is not None and queue.oldest_age > OVERDUE_AFTER,
        ),
        demand_total=result.demand.total,
        paid_total=result.funnel.paid,
        demand=demand_heatmap(result.demand),
        funnel=funnel_chart(result.funnel),
        payments=payments_chart(result.payments),
    )


def number(value: float) -> str:
    """A coordinate for SVG: at most one decimal, no trailing zero."""
    return f"{value:.1f}".removesuffix(".0")


def template_environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("admin", "templates"),
        autoescape=True,  # every value is escaped, in HTML and in the inline SVG alike
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["n"] = number
    return environment


class Dashboard:
    """Renders the dashboard for an attributed staff member (the gate sends it)."""

    def __init__(self, use_case: GetDashboardUseCase) -> None:
        self._use_case = use_case
        self._template = template_environment().get_template("dashboard.html")

    async def render(self, member: StaffMember) -> str:
        """The whole HTML page; raises ``RoleRequired`` for anyone but managers and admins."""
        result = await self._use_case.execute(GetDashboardCommand(staff_user_id=member.user_id))
        return self._template.render(page=page_model(result))
