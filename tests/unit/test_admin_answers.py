"""The admin's answers rewritten for staff, without a server: a table schema that says
whether it is read-only, and a refused write said in Russian by column title."""

from __future__ import annotations

import json
from typing import Any

from admin.table_schemas import TABLE_TITLES, StaffView
from admin.write_errors import NOT_SAVED, readable_answer, russian_detail
from tables.core.tables import ServiceTable
from tables.staff.tables import StaffAccessChangeTable

JSON = [(b"content-type", b"application/json")]
TITLES = {"title": "Название", "price": "Цена, ₽"}


def schema(*names: str) -> dict[str, Any]:
    return {"properties": {name: {"title": name, "extra": {}} for name in names}, "extra": {}}


def test_a_schema_is_read_only_unless_the_gate_said_this_member_may_write() -> None:
    view = StaffView.of(ServiceTable)
    assert view.apply(schema("title"))["extra"]["staff_read_only"] is True
    assert view.apply(schema("title"), may_write=False)["extra"]["staff_read_only"] is True
    writable = view.apply(schema("title"), may_write=True)
    assert writable["extra"]["staff_read_only"] is False
    assert writable["properties"]["title"]["title"] == "Название"


def test_the_access_audit_shows_roles_and_the_active_flag_as_labels() -> None:
    shown = StaffView.of(StaffAccessChangeTable).apply(schema("old_value", "new_value", "field"))
    for column in ("old_value", "new_value"):
        choices = shown["properties"][column]["extra"]["choices"]
        labels = {c["value"]: c["display_name"] for c in choices.values()}
        assert labels == {
            "operator": "Оператор",
            "manager": "Менеджер",
            "admin": "Администратор",
            "true": "Активен",
            "false": "Отключён",
        }
    assert shown["properties"]["field"]["extra"] == {}  # a real choice column: Piccolo's own
    assert TABLE_TITLES["staff_access_changes"] == "Журнал изменений доступа"


def test_pydantics_errors_are_said_in_russian_by_column_title() -> None:
    detail = [
        {"type": "missing", "loc": ["body", "title"], "msg": "Field required", "input": {}},
        {"type": "decimal_parsing", "loc": ["body", "price"], "msg": "...", "input": "пять"},
        {"type": "int_parsing", "loc": ["body", "price"], "msg": "...", "input": ""},
        {
            "type": "string_too_long",
            "loc": ["body", "title"],
            "input": "x",
            "ctx": {"max_length": 200},
        },
        {"type": "missing", "loc": ["body", "colour"], "msg": "Field required"},
        {"type": "missing", "loc": ["body", "+7 916 555-12-34"], "msg": "Field required"},
        {"type": "json_invalid", "loc": ["body", 0], "msg": "JSON decode error", "input": {}},
        {"type": "staff_check", "loc": ["body", "price"], "msg": "не может быть меньше нуля"},
        "not an error",
    ]
    said = [(item["loc"][1:], item["msg"]) for item in russian_detail(detail, TITLES)]
    assert said == [
        (["Название"], "обязательное поле"),
        (["Цена, ₽"], "нужно число, например 5000 или 4999.50"),
        (["Цена, ₽"], "обязательное поле"),  # an empty field, whatever its type
        (["Название"], "не длиннее 200 символов"),
        (["colour"], "нет такого поля"),
        ([], "нет такого поля"),  # a value typed as a field's name is not repeated
        ([], "Запрос не прочитан: ожидается JSON-объект с полями строки."),
        (["Цена, ₽"], "не может быть меньше нуля"),
        ([], NOT_SAVED),
    ]


def test_the_databases_words_and_piccolos_plain_text_become_one_russian_line() -> None:
    db_error = json.dumps({"db_error": 'null value in column "slug" violates not-null'})
    for status, headers, body in (
        (422, JSON, db_error.encode()),
        (400, [(b"content-type", b"text/plain")], b"Unrecognised keys - {'x'}."),
        (400, JSON, b'{"detail": "Validation error"}'),
    ):
        answer = readable_answer(status, headers, body, TITLES)
        assert answer is not None
        new_status, new_body, kind = answer
        assert (new_status, kind) == (422, b"application/json")
        assert json.loads(new_body) == {
            "detail": [{"loc": ["body"], "msg": NOT_SAVED, "type": "refused"}]
        }
        assert b"slug" not in new_body


def test_successes_and_our_own_refusals_pass_unchanged() -> None:
    own = json.dumps({"detail": "Роль: operator, manager или admin."}).encode()
    assert readable_answer(422, JSON, own, TITLES) is None
    assert readable_answer(201, JSON, b'[{"id": 1}]', TITLES) is None
    read_only = json.dumps({"detail": "Только для чтения."}).encode()
    assert readable_answer(405, JSON, read_only, TITLES) is None
    assert readable_answer(500, [], b"Unable to save the resource.", TITLES) is None
