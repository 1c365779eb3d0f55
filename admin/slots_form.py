"""The admin form ``Добавить окна``: free slots of one service in bulk, admins only.

The form is thin: it reads the service (a drop-down of titles, never an id to type), the
first and last day, the weekdays (one «да / нет» drop-down each: Piccolo Admin's form screen
has no check boxes) and the start times as typed, and hands them to ``AddSlotsUseCase``,
which decides everything and audits the change. The answer says, in Russian, how many slots
were created and how many were already there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

from piccolo_admin.endpoints import FormConfig
from pydantic import BaseModel, Field, WithJsonSchema, field_validator
from starlette.requests import Request

from admin.forms import _chosen, _empty_is_none, _extra, _run, _user_id, form_slug, options
from domain.labels import WEEKDAY_LABELS
from domain.practice_time import PracticeTimezone
from domain.schedule import MalformedStartTime, ScheduledService, Weekday
from domain.staff import StaffMember
from domain.use_cases.add_slots import (
    MAX_RANGE_DAYS,
    MAX_START_TIMES,
    AddSlotsCommand,
    AddSlotsResult,
    AddSlotsUseCase,
)
from domain.use_cases.list_schedulable_services import (
    ListSchedulableServicesCommand,
    ListSchedulableServicesUseCase,
)

ADD_SLOTS_FORM = "Добавить окна"
SCHEDULE_GROUP = "Услуги и расписание"
CHOOSE_SERVICE = "Выберите услугу из списка."
GIVE_FIRST_DAY = "Укажите первый день."
GIVE_LAST_DAY = "Укажите последний день."
TIMES_TITLE = "Время начала ({zone}), через запятую: 10:00, 11:30, 14:00"
PICK_SERVICE = "— выберите услугу —"
NO_SERVICES = "— услуг нет: сначала добавьте услугу —"
WEEKDAY_FIELDS: dict[Weekday, str] = {
    Weekday.MONDAY: "monday",
    Weekday.TUESDAY: "tuesday",
    Weekday.WEDNESDAY: "wednesday",
    Weekday.THURSDAY: "thursday",
    Weekday.FRIDAY: "friday",
    Weekday.SATURDAY: "saturday",
    Weekday.SUNDAY: "sunday",
}
WORKDAYS = frozenset(Weekday) - {Weekday.SATURDAY, Weekday.SUNDAY}  # ticked when the form opens


def _service_field() -> Any:
    # Without :class:`AddSlotsFormSchema` (Piccolo's own static schema) this is a text field.
    schema = {"type": "string", "format": "uuid", "title": "Услуга", "default": ""}
    schema.update(_extra(True))
    return Annotated[UUID | None, WithJsonSchema(schema), Field(json_schema_extra={"default": ""})]


def _weekday_field(day: Weekday) -> Any:
    schema = {
        "type": "boolean",
        "title": WEEKDAY_LABELS[day],
        "default": day in WORKDAYS,
        "extra": {"nullable": False, "choices": options(("да", "true"), ("нет", "false"))},
    }
    return Annotated[bool, WithJsonSchema(schema)]


ServiceField = _service_field()
Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday = (
    _weekday_field(day) for day in Weekday
)


class AddSlotsForm(BaseModel):
    service_id: ServiceField = None  # type: ignore[valid-type]
    date_from: date | None = Field(
        default=None, title="Первый день", json_schema_extra=_extra(True)
    )
    date_to: date | None = Field(
        default=None, title="Последний день (включительно)", json_schema_extra=_extra(True)
    )
    monday: Monday = True  # type: ignore[valid-type]
    tuesday: Tuesday = True  # type: ignore[valid-type]
    wednesday: Wednesday = True  # type: ignore[valid-type]
    thursday: Thursday = True  # type: ignore[valid-type]
    friday: Friday = True  # type: ignore[valid-type]
    saturday: Saturday = False  # type: ignore[valid-type]
    sunday: Sunday = False  # type: ignore[valid-type]
    start_times: str = Field(
        default="",
        max_length=2000,
        title=TIMES_TITLE.format(zone="в часовом поясе практики"),
        json_schema_extra=_extra(False),
    )

    _empty = field_validator("service_id", "date_from", "date_to", mode="before")(_empty_is_none)

    def weekdays(self) -> frozenset[Weekday]:
        return frozenset(day for day, name in WEEKDAY_FIELDS.items() if getattr(self, name))


@dataclass(frozen=True, slots=True)
class AddSlotsUseCases:
    add: AddSlotsUseCase
    services: ListSchedulableServicesUseCase
    timezone: PracticeTimezone


def service_label(service: ScheduledService) -> str:
    """«Индивидуальная консультация · 50 мин»; an inactive one says so."""
    label = f"{service.title} · {service.duration_minutes} мин"
    return label if service.active else f"{label} · не доступна для записи"


def _count(n: int, one: str, few: str, many: str) -> str:
    tail = n % 100
    if 11 <= tail <= 14:
        word = many
    elif n % 10 == 1:
        word = one
    elif 2 <= n % 10 <= 4:
        word = few
    else:
        word = many
    return f"{n} {word}"


def slots_word(n: int) -> str:
    return _count(n, "окно", "окна", "окон")


def answer(result: AddSlotsResult, timezone: PracticeTimezone) -> str:
    """What the staff member reads after a successful submit."""
    parts = [f"«{result.service_title}»: создано {slots_word(result.created)}"]
    if result.existing:
        parts.append(f"уже были в расписании: {slots_word(result.existing)} — дубли не созданы")
    else:
        parts.append("повторов нет")
    text = ", ".join(parts) + "."
    if result.past:
        text += f" Пропущено, потому что это время сегодня уже прошло: {slots_word(result.past)}."
    if result.first_start is not None and result.last_start is not None:
        first = timezone.local(result.first_start)
        last = timezone.local(result.last_start)
        text += (
            f" Период: с {first:%d.%m.%Y %H:%M} по {last:%d.%m.%Y %H:%M} "
            f"({timezone.label(result.first_start)})."
        )
    return text + " Изменение записано в журнал расписания."


def _malformed(exc: MalformedStartTime) -> str:
    return (
        f"Время «{exc.value}» не похоже на время начала: пишите часы и минуты через "
        "двоеточие, например 10:00, 11:30, 14:00."
    )


def _zone(timezone: PracticeTimezone) -> str:
    """«часовой пояс: Москва»: the zone staff type the times in."""
    return f"часовой пояс: {timezone.label(datetime.now(UTC))}"


def build_add_slots_form(use_cases: AddSlotsUseCases) -> FormConfig:
    async def add_slots(request: Request, data: AddSlotsForm) -> str:
        command = AddSlotsCommand(
            staff_user_id=_user_id(request),
            service_id=_chosen(data.service_id, CHOOSE_SERVICE),
            date_from=_chosen(data.date_from, GIVE_FIRST_DAY),
            date_to=_chosen(data.date_to, GIVE_LAST_DAY),
            weekdays=data.weekdays(),
            start_times=data.start_times,
        )

        async def add() -> AddSlotsResult:
            try:
                return await use_cases.add.execute(command)
            except MalformedStartTime as exc:  # the message names the piece that is wrong
                raise ValueError(_malformed(exc)) from None

        return answer(await _run(add), use_cases.timezone)

    zone = _zone(use_cases.timezone)
    return FormConfig(
        name=ADD_SLOTS_FORM,
        pydantic_model=AddSlotsForm,
        endpoint=add_slots,
        description=(
            "Создаёт свободные окна записи на услугу: в каждый выбранный день недели "
            "между первым и последним днём, в каждое указанное время начала "
            f"({zone}). Длительность окна — длительность услуги. Окно, которое у услуги "
            "уже есть на это время, повторно не создаётся. Только для администраторов; "
            f"не больше {MAX_RANGE_DAYS} дней и {MAX_START_TIMES} времён за раз; "
            "каждое добавление записывается в журнал расписания."
        ),
        form_group=SCHEDULE_GROUP,
    )


class AddSlotsFormSchema:
    """The form's schema with the services to pick from, for the gate to serve."""

    def __init__(self, use_cases: AddSlotsUseCases) -> None:
        self._use_cases = use_cases

    async def schema(self, slug: str, member: StaffMember) -> dict[str, Any] | None:
        if slug != form_slug(ADD_SLOTS_FORM):
            return None
        services = await _run(
            lambda: self._use_cases.services.execute(ListSchedulableServicesCommand(member.user_id))
        )
        schema = AddSlotsForm.model_json_schema()
        schema["properties"]["start_times"]["title"] = TIMES_TITLE.format(
            zone=_zone(self._use_cases.timezone)
        )
        schema["properties"]["service_id"]["extra"]["choices"] = options(
            (PICK_SERVICE if services else NO_SERVICES, ""),
            *((service_label(s), str(s.id)) for s in services),
        )
        return schema
