"""The role gate in front of Piccolo Admin's API: per-role tables and forms, no ciphertext.

Piccolo Admin authenticates (session cookie) but knows nothing about our roles, and its table
endpoints return every column. This ASGI wrapper runs before it on every request under
``/api/``: it finds the session's staff member, answers the menu endpoints with only what the
role may use, refuses other tables and forms with 403 and writes to read-only tables with 405,
and rewrites list queries so only ``api_fields`` ever leave the server. Requests without a
valid session pass through untouched, so Piccolo answers them with its own 401.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

from piccolo_api.session_auth.tables import SessionsBase

from admin.policy import AdminPolicy, TableRule
from domain.models import StaffRole
from domain.staff import StaffMember
from domain.staff_ports import StaffDirectory

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SESSION_COOKIE = "id"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Endpoints every logged-in account may use: who am I, change my password, sidebar links.
OPEN_API_PATHS = frozenset({"/api/user/", "/api/change-password/", "/api/links/"})
# Query parameters of Piccolo's list endpoints that name no column.
CONTROL_PARAMS = frozenset(
    {"__page", "__page_size", "__order", "__readable", "__visible_fields", "__range_header"}
)


class RoleGate:
    def __init__(
        self,
        app: ASGIApp,
        *,
        policy: AdminPolicy,
        staff: StaffDirectory,
        session_table: type[SessionsBase] = SessionsBase,
    ) -> None:
        self._app = app
        self._policy = policy
        self._staff = staff
        self._sessions = session_table
        self.login_limiter: Any = None  # set by ``build_admin``; tests look at it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        path = _relative_path(scope)
        if path == "/" and not scope.get("raw_path", b"/").endswith(b"/"):
            # The single-page app resolves its assets relative to ``/admin/``.
            await _redirect(send, scope.get("raw_path", b"").decode("latin-1") + "/")
            return
        if not path.startswith("/api/") or path in OPEN_API_PATHS:
            await self._app(scope, receive, send)
            return
        user_id = await self._session_user(scope)
        if user_id is None:
            await self._app(scope, receive, send)  # Piccolo answers 401
            return
        member = await self._staff.get(user_id)
        role = None if member is None else member.role
        method = scope["method"].upper()

        if path in ("/api/tables/", "/api/tables/grouped/", "/api/forms/", "/api/forms/grouped/"):
            if method != "GET":
                await _deny(send, 405)
                return
            await _json(send, self._menu(path, member))
            return
        if path.startswith("/api/tables/"):
            await self._table(scope, receive, send, path, role, method)
            return
        if path.startswith("/api/forms/"):
            slug = path.removeprefix("/api/forms/").split("/", 1)[0]
            if not self._policy.may_use_form(role, slug):
                await _deny(send, 403)
                return
            await self._app(scope, receive, send)
            return
        if role is StaffRole.ADMIN and (
            path == "/api/openapi.json" or path.startswith("/api/docs")
        ):
            await self._app(scope, receive, send)
            return
        await _deny(send, 403)  # media uploads, MFA set-up and anything unknown

    async def _session_user(self, scope: Scope) -> int | None:
        token = _cookie(scope, SESSION_COOKIE)
        if not token:
            return None
        user_id = await self._sessions.get_user_id(token)
        return None if user_id is None else int(user_id)

    def _menu(self, path: str, member: StaffMember | None) -> Any:
        role = None if member is None else member.role
        items: list[tuple[str, object]]
        if path.startswith("/api/tables/"):
            items = [(name, name) for name in self._policy.readable_tables(role)]
        else:
            items = [
                (slug, {"name": rule.name, "slug": slug, "description": rule.description})
                for slug, rule in self._policy.forms.items()
                if self._policy.may_use_form(role, slug)
            ]
        if path.endswith("grouped/"):
            return self._policy.grouped(items)
        return [item for _, item in items]

    async def _table(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        path: str,
        role: StaffRole | None,
        method: str,
    ) -> None:
        tablename, _, rest = path.removeprefix("/api/tables/").partition("/")
        rule = self._policy.table(tablename)
        if rule is None or not rule.may_read(role):
            await _deny(send, 403)
            return
        if method not in SAFE_METHODS:
            if not rule.may_write(role):
                await _deny(send, 405)
                return
            await self._app(scope, receive, send)
            return
        if rule.api_fields is not None and rest not in ("schema/", "new/", "ids/", "count/"):
            scope = dict(scope)
            scope["query_string"] = _restrict_query(scope.get("query_string", b""), rule)
        elif rule.api_fields is not None and rest == "count/":
            scope = dict(scope)
            scope["query_string"] = _restrict_query(
                scope.get("query_string", b""), rule, set_fields=False
            )
        await self._app(scope, receive, send)


def _restrict_query(raw: bytes, rule: TableRule, *, set_fields: bool = True) -> bytes:
    """Only allowed columns in the answer; no filter or order on a hidden column."""
    allowed = set(rule.api_fields or ())
    kept: list[tuple[str, str]] = []
    asked: list[str] = []
    for key, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if key == "__visible_fields":
            asked = [f for f in value.split(",") if f in allowed]
            continue
        if key == "__order":
            if value.lstrip("-") in allowed:
                kept.append((key, value))
            continue
        if key in CONTROL_PARAMS:
            kept.append((key, value))
            continue
        column = key.split("__", 1)[0]  # ``name__operator`` and ``name__match``
        if column in allowed:
            kept.append((key, value))
    if set_fields:
        kept.append(("__visible_fields", ",".join(asked or rule.api_fields or ())))
    return urlencode(kept).encode("latin-1")


def _relative_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :] or "/"
    return path


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            jar.load(value.decode("latin-1"))
            if name in jar:
                return jar[name].value
    return None


async def _json(send: Send, body: Any, status: int = 200) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def _deny(send: Send, status: int) -> None:
    detail = "Недостаточно прав." if status == 403 else "Только для чтения."
    await _json(send, {"detail": detail}, status)


async def _redirect(send: Send, location: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 308,
            "headers": [(b"location", location.encode("latin-1")), (b"content-length", b"0")],
        }
    )
    await send({"type": "http.response.body", "body": b""})
