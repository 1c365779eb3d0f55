"""Piccolo Admin's table schemas as staff read them: Russian titles, no secret columns.

Piccolo API describes a table with a JSON schema, and Piccolo Admin builds its list, filter and
edit screens from it. Three things in it are not for staff:

- The titles are pydantic's defaults (``created_at`` -> ``Created At``): Piccolo columns have
  no label of their own. Ours are named in Russian with :func:`tables.labels.titled`, which
  keeps the name in the column's ``params`` as ``verbose_name``.
- Secret columns (ciphertext, blind indexes, payment keys) are in it, so the edit screen shows
  them as empty fields, as if the request had no contact. Piccolo API never returns their
  values (``exclude_secrets``); the screen need not offer them either.
- Nothing says whether this staff member may change the table: the screens offer "add",
  "save" and "delete" everywhere, and the gate then answers 405.

:class:`TableSchemas` sits in front of Piccolo Admin and rewrites only the answers to
``GET /api/tables/<table>/schema/``: our titles in, secret columns out, and
``extra.staff_read_only`` from what the gate decided for this member (``STAFF_MAY_WRITE`` in
the request's scope; absent means read-only), which the patched bundle (``admin.bundle``)
reads to hide what the member cannot do. Piccolo's own user table has no ``verbose_name``; its
titles are here (:data:`USER_TITLES`), as are the tables' own names (:data:`TABLE_TITLES`:
Piccolo Admin would show ``waitlist_requests`` as "Waitlist Requests").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from piccolo.table import Table

from admin.asgi import (
    ASGIApp,
    Headers,
    Receive,
    Scope,
    Send,
    content_type,
    relative_path,
    rewritten,
)
from domain.labels import STAFF_ROLE_LABELS

# Set by the gate in a schema request's scope: may this staff member write the table?
STAFF_MAY_WRITE = "admin.staff_may_write"
SCHEMA_PATH = re.compile(r"^/api/tables/(?P<table>[^/]+)/schema/$")
# A primary key Piccolo adds by itself (``id``) cannot take a ``verbose_name``.
PRIMARY_KEY_TITLE = "ID"
USER_TITLES: Mapping[str, str] = {
    "username": "Логин",
    "password": "Пароль",
    "first_name": "Имя",
    "last_name": "Фамилия",
    "email": "Эл. почта",
    "active": "Активен",
    "admin": "Вход в админку",
    "superuser": "Суперпользователь",
    "last_login": "Последний вход",
}
THIRD_PARTY_TITLES: Mapping[str, Mapping[str, str]] = {"piccolo_user": USER_TITLES}
# What the sidebar, the headings and the pickers call each table.
TABLE_TITLES: Mapping[str, str] = {
    "waitlist_requests": "Заявки листа ожидания",
    "waitlist_offers": "Предложения из листа ожидания",
    "appointments": "Записи",
    "payments": "Оплаты",
    "leads": "Лиды",
    "lead_timeline_events": "История лидов",
    "consent_records": "Согласия",
    "services": "Услуги",
    "slots": "Окна приёма",
    "staff_roles": "Роли сотрудников",
    "piccolo_user": "Сотрудники",
    "contact_access_log": "Журнал доступа к контактам",
    "staff_access_changes": "Журнал изменений доступа",
    "schedule_changes": "Журнал расписания",
}
# Plain text columns whose codes read better as labels: the audit of access changes keeps
# a role or the active flag as text. Shown as Piccolo shows choices (lists and filters).
_ACCESS_VALUES = {
    **{role.value: label for role, label in STAFF_ROLE_LABELS.items()},
    "true": "Активен",
    "false": "Отключён",
}
DISPLAY_CHOICES: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    "staff_access_changes": {"old_value": _ACCESS_VALUES, "new_value": _ACCESS_VALUES},
}


def verbose_name(column: Any) -> str | None:
    """The Russian name a column was declared with (``verbose_name=...``), if any."""
    name = column._meta.params.get("verbose_name")
    return name if isinstance(name, str) else None


def column_titles(table: type[Table]) -> dict[str, str]:
    """Column name -> title, for every column of ``table`` that has one."""
    others = THIRD_PARTY_TITLES.get(table._meta.tablename, {})
    titles: dict[str, str] = {}
    for column in table._meta.columns:
        name = column._meta.name
        title = verbose_name(column) or others.get(name)
        if title is None and column._meta.primary_key:
            title = PRIMARY_KEY_TITLE
        if title is not None:
            titles[name] = title
    return titles


def table_title(tablename: str) -> str:
    return TABLE_TITLES.get(tablename, tablename.replace("_", " "))


@dataclass(frozen=True, slots=True)
class StaffView:
    """How one table's schema is shown to staff."""

    titles: Mapping[str, str]
    hidden: frozenset[str]
    choices: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, table: type[Table]) -> StaffView:
        secret = frozenset(column._meta.name for column in table._meta.secret_columns)
        choices = DISPLAY_CHOICES.get(table._meta.tablename, {})
        return cls(column_titles(table), secret, choices)

    def apply(self, schema: Any, *, may_write: bool = False) -> Any:
        """``schema`` with our titles, without the hidden columns, saying if it is read-only."""
        properties = schema.get("properties") if isinstance(schema, dict) else None
        if not isinstance(properties, dict):
            return schema
        for name in self.hidden:
            properties.pop(name, None)
        if isinstance(schema.get("required"), list):
            schema["required"] = [name for name in schema["required"] if name not in self.hidden]
        for name, prop in properties.items():
            if not isinstance(prop, dict):
                continue
            if name in self.titles:
                prop["title"] = self.titles[name]
            if name in self.choices and isinstance(prop.get("extra"), dict):
                prop["extra"]["choices"] = {
                    value: {"display_name": label, "value": value}
                    for value, label in self.choices[name].items()
                }
        extra = schema.setdefault("extra", {})
        if isinstance(extra, dict):
            extra["staff_read_only"] = not may_write
        return schema


class TableSchemas:
    """ASGI wrapper: Piccolo Admin's table schemas in Russian, without secret columns."""

    def __init__(self, app: ASGIApp, tables: Iterable[type[Table]]) -> None:
        self._app = app
        self._views = {table._meta.tablename: StaffView.of(table) for table in tables}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        view = self._view_for(scope)
        if view is None:
            await self._app(scope, receive, send)
            return
        may_write = scope.get(STAFF_MAY_WRITE) is True

        def rewrite(status: int, headers: Headers, body: bytes) -> tuple[int, bytes, bytes] | None:
            if status != 200 or content_type(headers) != b"application/json" or not body:
                return None
            try:
                schema = json.loads(body)
            except ValueError:
                return None  # not ours to judge: pass Piccolo's answer on unchanged
            staff_schema = view.apply(schema, may_write=may_write)
            payload = json.dumps(staff_schema, ensure_ascii=False).encode("utf-8")
            return status, payload, b"application/json"

        await rewritten(self._app, scope, receive, send, rewrite)

    def _view_for(self, scope: Scope) -> StaffView | None:
        if scope["type"] != "http" or scope["method"].upper() not in ("GET", "HEAD"):
            return None
        match = SCHEMA_PATH.match(relative_path(scope))
        return None if match is None else self._views.get(match["table"])
