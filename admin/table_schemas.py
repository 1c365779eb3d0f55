"""Piccolo Admin's table schemas as staff read them: Russian titles, no secret columns.

Piccolo API describes a table with a JSON schema, and Piccolo Admin builds its list, filter and
edit screens from it. Two things in it are not for staff:

- The titles are pydantic's defaults (``created_at`` -> ``Created At``): Piccolo columns have
  no label of their own. Ours are named in Russian with :func:`tables.labels.titled`, which
  keeps the name in the column's ``params`` as ``verbose_name``.
- Secret columns (ciphertext, blind indexes, payment keys) are in it, so the edit screen shows
  them as empty fields, as if the request had no contact. Piccolo API never returns their
  values (``exclude_secrets``); the screen need not offer them either.

:class:`TableSchemas` sits in front of Piccolo Admin and rewrites only the answers to
``GET /api/tables/<table>/schema/``: our titles in, secret columns out. Piccolo's own user
table has no ``verbose_name``; its titles are here (:data:`USER_TITLES`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from piccolo.table import Table

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

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


@dataclass(frozen=True, slots=True)
class StaffView:
    """How one table's schema is shown to staff."""

    titles: Mapping[str, str]
    hidden: frozenset[str]

    @classmethod
    def of(cls, table: type[Table]) -> StaffView:
        secret = frozenset(column._meta.name for column in table._meta.secret_columns)
        return cls(column_titles(table), secret)

    def apply(self, schema: Any) -> Any:
        """``schema`` with our titles and without the hidden columns."""
        properties = schema.get("properties") if isinstance(schema, dict) else None
        if not isinstance(properties, dict):
            return schema
        for name in self.hidden:
            properties.pop(name, None)
        if isinstance(schema.get("required"), list):
            schema["required"] = [name for name in schema["required"] if name not in self.hidden]
        for name, prop in properties.items():
            if name in self.titles and isinstance(prop, dict):
                prop["title"] = self.titles[name]
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
        start: Message | None = None
        body = bytearray()

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            await _send_rewritten(send, start, bytes(body), view)

        await self._app(scope, receive, capture)

    def _view_for(self, scope: Scope) -> StaffView | None:
        if scope["type"] != "http" or scope["method"].upper() not in ("GET", "HEAD"):
            return None
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :] or "/"
        match = SCHEMA_PATH.match(path)
        return None if match is None else self._views.get(match["table"])


async def _send_rewritten(send: Send, start: Message, body: bytes, view: StaffView) -> None:
    headers = list(start.get("headers", []))
    is_json = any(
        key.lower() == b"content-type" and value.startswith(b"application/json")
        for key, value in headers
    )
    if start.get("status") == 200 and is_json and body:
        try:
            schema = json.loads(body)
        except ValueError:
            pass  # not ours to judge: pass Piccolo's answer on unchanged
        else:
            body = json.dumps(view.apply(schema), ensure_ascii=False).encode("utf-8")
            headers = [(key, value) for key, value in headers if key.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode("latin-1")))
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
