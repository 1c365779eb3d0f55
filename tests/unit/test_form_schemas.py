"""The staff forms' schemas as the form screen reads them: drop-downs, labels, the cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from admin.forms import (
    FORM_MODELS,
    ChangeStatusForm,
    ExportLeadsForm,
    FormSchemas,
    age_text,
    build_forms,
)
from domain.crm import TimeWindow
from domain.models import StaffRole
from domain.staff import PickableRequest, QueueStatus, StaffMember
from domain.use_cases.list_pickable_requests import ListPickableRequestsUseCase
from tests.support.fakes import FixedClock
from tests.support.staff_fakes import FakeStaffDirectory, InMemoryPickableRequests

pytestmark = pytest.mark.anyio

OPERATOR = StaffMember(1, "olga", StaffRole.OPERATOR)
MANAGER = StaffMember(3, "maria", StaffRole.MANAGER)
NOW = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)
WITHDRAW = "отозвать-согласие"
OFFER_OUTCOME = "записать-ответ-на-предложение"
CLAIM, CHANGE, REVEAL, EXPORT = (
    "взять-заявку-в-работу",
    "изменить-статус-заявки",
    "показать-контакт",
    "выгрузить-лиды",
)


def schemas_over(requests: InMemoryPickableRequests, *, limit: int = 200) -> FormSchemas:
    use_case = ListPickableRequestsUseCase(
        requests=requests, staff=FakeStaffDirectory(OPERATOR, MANAGER), clock=FixedClock(NOW)
    )
    return FormSchemas(use_case, limit=limit)


def a_request(
    hex_id: str, status: QueueStatus, age: timedelta, window: TimeWindow = TimeWindow.EVENING
) -> PickableRequest:
    return PickableRequest(
        id=UUID(hex_id.ljust(32, "0")),
        status=status,
        service_title="Индивидуальная консультация",
        time_window=window,
        created_at=NOW - age,
    )


def choices(schema: dict[str, Any], field: str) -> list[tuple[str, str]]:
    """``(value, label)`` in the order the drop-down shows them."""
    options = schema["properties"][field]["extra"]["choices"]
    return [(o["value"], o["display_name"]) for o in options.values()]


async def test_the_claim_form_offers_the_new_requests_oldest_first_with_readable_labels() -> None:
    requests = InMemoryPickableRequests()
    requests.add(a_request("ab12cd", QueueStatus.NEW, timedelta(hours=3, minutes=5)))
    requests.add(a_request("ef34ab", QueueStatus.NEW, timedelta(days=2), TimeWindow.MORNING))
    requests.add(a_request("cc0000", QueueStatus.IN_PROGRESS, timedelta(days=9)), 1)

    schema = await schemas_over(requests).schema(CLAIM, OPERATOR)

    assert schema is not None
    assert choices(schema, "waitlist_request_id") == [
        ("", "Самая старая новая заявка"),
        (
            str(UUID("ef34ab".ljust(32, "0"))),
            "#ef34ab · Индивидуальная консультация · утро · 2 дн назад",
        ),
        (
            str(UUID("ab12cd".ljust(32, "0"))),
            "#ab12cd · Индивидуальная консультация · вечер · 3 ч назад",
        ),
    ]
    field = schema["properties"]["waitlist_request_id"]
    assert field["default"] == ""  # the first option is selected when the form opens
    assert field["extra"]["nullable"] is True  # ... and sends null: the oldest new request
    assert "anyOf" not in field  # the screen would add an option labelled "Null"


async def test_the_work_forms_offer_an_operators_own_requests_with_their_status() -> None:
    requests = InMemoryPickableRequests()
    requests.add(
        a_request("aa0001", QueueStatus.CONTACTED, timedelta(minutes=15)), OPERATOR.user_id
    )
    requests.add(a_request("bb0002", QueueStatus.IN_PROGRESS, timedelta(minutes=40)), 2)
    requests.add(a_request("cc0003", QueueStatus.NEW, timedelta(minutes=50)))
    forms = schemas_over(requests)

    for slug in (CHANGE, REVEAL):
        schema = await forms.schema(slug, OPERATOR)
        assert schema is not None
        assert choices(schema, "waitlist_request_id") == [
            ("", "— выберите заявку —"),
            (
                str(UUID("aa0001".ljust(32, "0"))),
                "#aa0001 · Индивидуальная консультация · вечер · связались · 15 мин назад",
            ),
        ]
        managers = await forms.schema(slug, MANAGER)
        assert managers is not None
        assert [v for v, _ in choices(managers, "waitlist_request_id")] == [
            "",
            str(UUID("cc0003".ljust(32, "0"))),
            str(UUID("bb0002".ljust(32, "0"))),
            str(UUID("aa0001".ljust(32, "0"))),
        ]


async def test_an_empty_list_says_so_and_a_cut_list_says_how_much_it_shows() -> None:
    requests = InMemoryPickableRequests()
    for minutes in range(3):
        requests.add(a_request(f"dd000{minutes}", QueueStatus.NEW, timedelta(minutes=minutes)))

    cut = await schemas_over(requests, limit=2).schema(CLAIM, OPERATOR)
    nothing = await schemas_over(requests, limit=2).schema(CHANGE, OPERATOR)

    assert cut is not None
    assert nothing is not None
    assert cut["properties"]["waitlist_request_id"]["title"] == "Заявка (показаны 2 самых старых)"
    assert len(choices(cut, "waitlist_request_id")) == 3
    assert nothing["properties"]["waitlist_request_id"]["title"] == "Заявка"
    assert choices(nothing, "waitlist_request_id") == [("", "— нет заявок в работе —")]


async def test_status_and_reason_are_drop_downs_with_russian_labels_in_their_order() -> None:
    schema = await schemas_over(InMemoryPickableRequests()).schema(CHANGE, OPERATOR)

    assert schema is not None
    assert choices(schema, "status") == [
        ("", "— выберите —"),
        ("contacted", "Связались"),
        ("booked", "Записан"),
        ("declined", "Отказ"),
        ("expired", "Истекла"),
        ("withdrawn", "Отозвана"),
    ]
    assert choices(schema, "reason")[:3] == [
        ("", "— выберите —"),
        ("client_reached", "Дозвонились / ответил"),
        ("no_answer", "Не отвечает"),
    ]
    assert schema["properties"]["status"]["default"] == ""


async def test_the_export_form_has_no_free_text_but_its_dates() -> None:
    schema = await schemas_over(InMemoryPickableRequests()).schema(EXPORT, MANAGER)

    assert schema is not None
    fields = schema["properties"]
    assert {name for name, f in fields.items() if not f["extra"].get("choices")} == {
        "date_from",
        "date_to",
    }
    assert choices(schema, "include_contacts") == [
        ("false", "Без контактов"),
        ("true", "С контактами (запишется в журнал доступа)"),
    ]
    assert fields["reason"]["default"] == "reporting"
    assert choices(schema, "status")[0] == ("", "Любой")


async def test_every_form_has_a_schema_under_piccolos_slug_and_nothing_else_does() -> None:
    forms = schemas_over(InMemoryPickableRequests())
    slugs = {config.slug for config in build_forms(_unused_use_cases())}

    assert slugs == {CLAIM, CHANGE, REVEAL, EXPORT, WITHDRAW, OFFER_OUTCOME}
    for slug in slugs:
        assert await forms.schema(slug, MANAGER) is not None
    assert await forms.schema("staff_roles", MANAGER) is None
    assert len(FORM_MODELS) == len(slugs)


async def test_an_account_that_lost_its_role_gets_nothing_to_pick() -> None:
    requests = InMemoryPickableRequests()
    requests.add(a_request("ab12cd", QueueStatus.NEW, timedelta(hours=1)))
    gone = StaffMember(42, "gone", StaffRole.OPERATOR)  # not in the directory any more

    schema = await schemas_over(requests).schema(CLAIM, gone)

    assert schema is not None
    assert [v for v, _ in choices(schema, "waitlist_request_id")] == [""]


def test_an_empty_drop_down_sends_null_and_the_endpoint_asks_for_a_choice() -> None:
    form = ChangeStatusForm(waitlist_request_id="", status="", reason="")
    assert (form.waitlist_request_id, form.status, form.reason) == (None, None, None)
    assert ExportLeadsForm(include_contacts="true").include_contacts is True


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(seconds=-5), "только что"),
        (timedelta(seconds=59), "только что"),
        (timedelta(minutes=15), "15 мин назад"),
        (timedelta(minutes=59, seconds=59), "59 мин назад"),
        (timedelta(hours=3), "3 ч назад"),
        (timedelta(hours=23, minutes=59), "23 ч назад"),
        (timedelta(days=2, hours=5), "2 дн назад"),
    ],
)
def test_ages_read_as_staff_say_them(age: timedelta, text: str) -> None:
    assert age_text(age) == text


def _unused_use_cases() -> Any:
    class Unused:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError("building the forms calls no use case")

    return Unused()
