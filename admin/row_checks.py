"""What the admin refuses to save in a row of a table staff may edit, said in Russian.

Piccolo API checks a row's types (pydantic, from the columns: ``required=True`` makes a
column's absence an error) and the database checks the rest, answering with its own English
message or, for a ``PUT`` that names no column, a 500. Staff deserve better: every problem is
found before the write, named by its column and said in Russian, and answered 422 in the
shape Piccolo Admin shows beside the form (``{"detail": [{"loc": [..., column], "msg": ...}]}``;
``admin.write_errors`` puts the column's Russian title in).

The checks look at the row as it would be after the write: the posted row, or the stored row
with a ``PATCH``'s changes. Every writable table gets the checks its columns imply (a value for
every column that cannot be empty, text that is not blank, a code among the column's choices,
a reference to a row that exists, a unique value that is not taken); some tables add their
own (a service's slug, price and duration, a slot that ends after it starts). A row other rows
point at is not deleted: the answer names the tables that hold them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any
from uuid import UUID

import pydantic
from fastapi import HTTPException  # Piccolo Admin runs on FastAPI: its detail may be a list
from piccolo.columns import Column, ForeignKey, Text, Varchar
from piccolo.table import Table
from starlette.requests import Request

from admin.table_schemas import table_title
from tables.core.tables import ServiceTable, SlotTable

Row = Mapping[str, Any]
Problem = tuple[str, str]  # column name, what is wrong, in Russian
TableRule = Callable[[Row], list[Problem]]

REQUIRED = "обязательное поле"
PICK_FROM_LIST = "выберите значение из списка"
# The public API's pattern for a service's address (``api.waitlist``).
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def _service(row: Row) -> list[Problem]:
    problems: list[Problem] = []
    slug = row.get("slug")
    if isinstance(slug, str) and slug.strip() and not SLUG.match(slug):
        problems.append(
            ("slug", "только строчные латинские буквы, цифры и дефис, например individual")
        )
    duration = row.get("duration_minutes")
    if isinstance(duration, int) and duration <= 0:
        problems.append(("duration_minutes", "должна быть больше нуля"))
    price, deposit = row.get("price"), row.get("deposit")
    if isinstance(price, Decimal) and price < 0:
        problems.append(("price", "не может быть меньше нуля"))
    if isinstance(deposit, Decimal):
        if deposit <= 0:
            problems.append(("deposit", "должна быть больше нуля (или оставьте поле пустым)"))
        elif isinstance(price, Decimal) and deposit > price:
            problems.append(("deposit", "не может быть больше цены"))
    return problems


def _slot(row: Row) -> list[Problem]:
    starts, ends = row.get("starts_at"), row.get("ends_at")
    if starts is not None and ends is not None and ends <= starts:
        return [("ends_at", "должно быть позже начала")]
    return []


TABLE_RULES: Mapping[type[Table], TableRule] = {ServiceTable: _service, SlotTable: _slot}
# Columns unique together (a unique index over several columns, which Piccolo does not
# declare): the problem is reported on the last column, in these words.
UNIQUE_TOGETHER: Mapping[type[Table], tuple[tuple[str, ...], str]] = {
    # ``slots_one_per_service_start`` (core migration 2026-12-02T20:45).
    SlotTable: (("service", "starts_at"), "у этой услуги уже есть окно на это время"),
}


class RowChecks:
    """The checks for one table: those its columns imply, then its own."""

    def __init__(self, table: type[Table], rule: TableRule | None = None) -> None:
        self.table = table
        self.rule = rule
        self.columns: dict[str, Column] = {
            column._meta.name: column
            for column in table._meta.columns
            if not column._meta.primary_key
        }

    async def problems(
        self, row: Row, row_id: Any = None, *, changed: Iterable[str] | None = None
    ) -> list[Problem]:
        """Every problem with ``row``: its ``changed`` columns (default all), then the table's.

        ``row_id``: the row being changed, which may keep its own unique values.
        """
        names = row.keys() if changed is None else set(changed) & row.keys()
        found: list[Problem] = []
        for name in names:
            column = self.columns.get(name)
            if column is not None:
                problem = await self._column_problem(column, row[name], row_id)
                if problem is not None:
                    found.append((name, problem))
        if self.rule is not None:
            named = {name for name, _ in found}
            found.extend(p for p in self.rule(row) if p[0] not in named)
        together = UNIQUE_TOGETHER.get(self.table)
        if together is not None and not found:
            columns, message = together
            if set(columns) & set(names) and await self._taken(row, columns, row_id):
                found.append((columns[-1], message))
        return found

    async def _taken(self, row: Row, columns: tuple[str, ...], row_id: Any) -> bool:
        if any(row.get(name) is None for name in columns):
            return False
        query = self.table.exists()
        for name in columns:
            query = query.where(self.columns[name] == row[name])
        if row_id is not None:
            query = query.where(self.table._meta.primary_key != row_id)
        return bool(await query)

    async def _column_problem(self, column: Column, value: Any, row_id: Any) -> str | None:
        meta = column._meta
        if value is None:
            # ``required``: staff must give a value even where the database would take none.
            return None if meta.null and not meta.required else REQUIRED
        if isinstance(column, Varchar | Text) and isinstance(value, str) and not value.strip():
            return None if meta.null else REQUIRED
        choices = meta.get_choices_dict()
        if choices is not None and value not in {c["value"] for c in choices.values()}:
            return PICK_FROM_LIST
        if isinstance(column, ForeignKey):
            target = column._foreign_key_meta.resolved_references
            if not await target.exists().where(target._meta.primary_key == value):
                return "такой строки нет, выберите из списка"
        if meta.unique:
            taken = self.table.exists().where(column == value)
            if row_id is not None:
                taken = taken.where(self.table._meta.primary_key != row_id)
            if await taken:
                return "такое значение уже есть у другой строки"
        return None


def checks_for(table: type[Table]) -> RowChecks:
    return RowChecks(table, TABLE_RULES.get(table))


def problem_detail(problems: list[Problem]) -> list[dict[str, Any]]:
    """Problems in the shape of FastAPI's validation errors (what Piccolo Admin shows)."""
    return [{"loc": ["body", name], "msg": msg, "type": "staff_check"} for name, msg in problems]


def _pydantic_detail(error: pydantic.ValidationError) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(error.json(include_url=False))
    return [{**item, "loc": ["body", *item.get("loc", [])]} for item in found]


async def _body(request: Request) -> dict[str, Any] | None:
    try:
        data = await request.json()
    except ValueError:
        return None  # Piccolo (FastAPI) answers a body it cannot read itself
    return data if isinstance(data, dict) else None


def _row_id(table: type[Table], request: Request) -> Any:
    raw = request.path_params.get("row_id")
    if raw is None:
        return None
    try:
        return UUID(str(raw)) if table._meta.primary_key.value_type is UUID else raw
    except ValueError:
        return None


Check = Callable[[Any, Request], Awaitable[None]]


def write_checks(checks: RowChecks) -> dict[str, Check]:
    """Piccolo ``Validators`` for POST, PUT and PATCH that refuse a bad row with 422, and for
    DELETE that refuse to delete a row other rows point at.

    They run after pydantic has read the body (FastAPI), so the values are typed the way
    Piccolo will write them; the caller runs the role check first.
    """
    table = checks.table

    async def refuse(problems: list[Problem]) -> None:
        if problems:
            raise HTTPException(status_code=422, detail=problem_detail(problems))

    def typed(model: type[pydantic.BaseModel], data: dict[str, Any], crud: Any) -> dict[str, Any]:
        unknown = [name for name in data if name not in model.model_fields]
        if unknown:
            raise HTTPException(
                status_code=422,
                detail=problem_detail([(name, "нет такого поля") for name in unknown]),
            )
        try:
            values = model(**crud._clean_data(data)).model_dump()
        except pydantic.ValidationError as error:
            raise HTTPException(status_code=422, detail=_pydantic_detail(error)) from error
        return {name: values[name] for name in data if name in values}

    # Piccolo calls validators with these keyword names.
    async def whole_row(piccolo_crud: Any, request: Request) -> None:
        data = await _body(request)
        if data is None:
            return
        row = typed(piccolo_crud.pydantic_model, data, piccolo_crud)
        # A column the body leaves out is written empty by Piccolo: it is checked as empty.
        for name in checks.columns:
            row.setdefault(name, None)
        await refuse(await checks.problems(row, _row_id(table, request)))

    async def changed_row(piccolo_crud: Any, request: Request) -> None:
        data = await _body(request)
        row_id = _row_id(table, request)
        if data is None or row_id is None:
            return
        changes = typed(piccolo_crud.pydantic_model_optional, data, piccolo_crud)
        stored = await table.select().where(table._meta.primary_key == row_id).first()
        if stored is None:
            return  # Piccolo answers 404
        # The columns this change touches, and the table's own rules on the row it makes.
        await refuse(await checks.problems({**stored, **changes}, row_id, changed=changes))

    async def unreferenced(piccolo_crud: Any, request: Request) -> None:
        # The database refuses to delete a row others point at (``OnDelete.restrict``), in
        # its own words: say which tables hold them instead.
        row_id = _row_id(table, request)
        if row_id is None:
            return
        holding = []
        for reference in table._meta.foreign_key_references:
            other = reference._meta.table
            if await other.exists().where(reference == row_id):
                holding.append(f"«{table_title(other._meta.tablename)}»")
        if holding:
            message = f"Нельзя удалить: на эту строку ссылаются {', '.join(sorted(holding))}."
            raise HTTPException(
                status_code=422, detail=[{"loc": ["body"], "msg": message, "type": "staff_check"}]
            )

    return {
        "post_single": whole_row,
        "put_single": whole_row,
        "patch_single": changed_row,
        "delete_single": unreferenced,
    }
