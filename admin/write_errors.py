"""A refused table write, said in Russian: 422 with one line per problem, by column title.

Piccolo Admin shows a 422's ``detail`` list beside the form as ``<loc's last item>: <msg>``
(patched, ``admin.bundle``). What reaches it from Piccolo is pydantic's English ("Field
required", named ``duration_minutes``), the database's own words (``db_error``), or plain
text with 400 ("Unrecognised keys"). :class:`ReadableWriteErrors` sits in front of Piccolo
Admin and rewrites the answers to ``POST``, ``PUT``, ``PATCH`` and ``DELETE`` on a table:

- a 422 ``detail`` list: each column named by its Russian title, each message in Russian
  (ours, from ``admin.row_checks``, are Russian already);
- a 422 ``db_error`` or a 400 text: 422 with one Russian line; the original is neither shown
  nor logged (it may quote a submitted value), only its status and size.

No submitted value comes back: not in a message, not as an unknown field's name.

Everything else (success, 401/403/405 from the gate, 404, 5xx) passes unchanged.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
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
from admin.table_schemas import column_titles

logger = logging.getLogger("admin.write_errors")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
TABLE_WRITE_PATH = re.compile(r"^/api/tables/(?P<table>[^/]+)/(?:[^/]+/)?$")
REQUIRED = "обязательное поле"
# pydantic's error types (https://docs.pydantic.dev/latest/errors/validation_errors/).
MESSAGES: Mapping[str, str] = {
    "missing": REQUIRED,
    "int_parsing": "нужно целое число",
    "int_from_float": "нужно целое число",
    "int_type": "нужно целое число",
    "decimal_parsing": "нужно число, например 5000 или 4999.50",
    "decimal_type": "нужно число, например 5000 или 4999.50",
    "float_parsing": "нужно число",
    "decimal_max_digits": "слишком большое число",
    "decimal_whole_digits": "слишком большое число",
    "decimal_max_places": "не больше двух знаков после запятой",
    "uuid_parsing": "выберите значение из списка",
    "uuid_type": "выберите значение из списка",
    "datetime_parsing": "нужны дата и время",
    "datetime_from_date_parsing": "нужны дата и время",
    "datetime_type": "нужны дата и время",
    "date_parsing": "нужна дата",
    "bool_parsing": "нужно «да» или «нет»",
    "bool_type": "нужно «да» или «нет»",
    "string_type": "нужен текст",
}
_COLUMN_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
NOT_SAVED = "Изменение не сохранено: проверьте поля формы."
UNREADABLE = "Запрос не прочитан: ожидается JSON-объект с полями строки."


def _message(item: Mapping[str, Any]) -> str:
    kind = str(item.get("type", ""))
    if kind == "staff_check":
        return str(item.get("msg", ""))
    if item.get("input") in ("", None) and kind not in ("json_invalid", "model_attributes_type"):
        return REQUIRED  # an empty field, whatever type it should have had
    if kind == "string_too_long":
        limit = (item.get("ctx") or {}).get("max_length")
        return f"не длиннее {limit} символов" if limit else "слишком длинный текст"
    if kind in ("json_invalid", "model_attributes_type", "dict_type"):
        return UNREADABLE
    return MESSAGES.get(kind, "неверное значение")


def russian_detail(detail: Iterable[Any], titles: Mapping[str, str]) -> list[dict[str, Any]]:
    """FastAPI's validation errors with Russian messages and the columns' titles."""
    found: list[dict[str, Any]] = []
    for item in detail:
        if not isinstance(item, dict):
            found.append({"loc": ["body"], "msg": NOT_SAVED, "type": "unknown"})
            continue
        loc = item.get("loc")
        name = loc[-1] if isinstance(loc, list) and len(loc) > 1 else None
        message = _message(item)
        if isinstance(name, str) and name in titles:
            found.append({"loc": ["body", titles[name]], "msg": message, "type": item.get("type")})
        elif isinstance(name, str) and message != UNREADABLE:
            # A field the table does not have (a typo in an API call); named only when it looks
            # like a column name, never when it could be a value typed in the wrong place.
            shown = ["body", name] if _COLUMN_NAME.fullmatch(name) else ["body"]
            found.append({"loc": shown, "msg": "нет такого поля", "type": "unknown"})
        else:
            found.append({"loc": ["body"], "msg": message, "type": item.get("type")})
    return found


def readable_answer(
    status: int, headers: Headers, body: bytes, titles: Mapping[str, str]
) -> tuple[int, bytes, bytes] | None:
    """The answer to a table write, rewritten for staff; ``None`` to pass it unchanged."""
    if status not in (400, 422):
        return None
    found: Any = None
    if content_type(headers) == b"application/json":
        try:
            found = json.loads(body)
        except ValueError:
            found = None
    if isinstance(found, dict) and isinstance(found.get("detail"), list):
        detail = russian_detail(found["detail"], titles)
    elif status == 422 and isinstance(found, dict) and isinstance(found.get("detail"), str):
        return None  # one of our own refusals, in Russian already
    else:
        # Not the answer's text: a database error quotes the value it choked on
        # (``invalid input syntax for type uuid: "..."``), maybe a contact.
        logger.warning("table write refused: status %s, %d bytes", status, len(body))
        detail = [{"loc": ["body"], "msg": NOT_SAVED, "type": "refused"}]
    return 422, json.dumps({"detail": detail}, ensure_ascii=False).encode(), b"application/json"


class ReadableWriteErrors:
    """ASGI wrapper: refused table writes answered 422 in Russian (see the module)."""

    def __init__(self, app: ASGIApp, tables: Iterable[type[Table]]) -> None:
        self._app = app
        self._titles = {table._meta.tablename: column_titles(table) for table in tables}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        titles = self._titles_for(scope)
        if titles is None:
            await self._app(scope, receive, send)
            return

        def rewrite(status: int, headers: Headers, body: bytes) -> tuple[int, bytes, bytes] | None:
            return readable_answer(status, headers, body, titles)

        await rewritten(self._app, scope, receive, send, rewrite)

    def _titles_for(self, scope: Scope) -> Mapping[str, str] | None:
        if scope["type"] != "http" or scope["method"].upper() not in WRITE_METHODS:
            return None
        match = TABLE_WRITE_PATH.match(relative_path(scope))
        return None if match is None else self._titles.get(match["table"])
