"""The role gate in front of Piccolo Admin: deny by default.

Piccolo Admin authenticates (session cookie) but knows nothing about our roles, and its table
endpoints return every column. This ASGI wrapper sees every request to the admin first:

- Only known paths go on: the single-page app and its assets, the login, logout, meta and
  translation endpoints, the API and the dashboard. Anything else is 404 from here.
- Every API and dashboard request is attributed to an active staff member with a role. The
  session cookie is read exactly as Piccolo reads it (Starlette's parser over every ``Cookie``
  header), so the gate and Piccolo never disagree about whose session it is. What cannot be
  attributed is answered 401 here and never reaches Piccolo.
- The attributed role then decides: menus list only what it may use, other tables and forms
  are 403, writes to read-only tables 405, and list queries are rewritten so only the role's
  ``api_fields`` ever leave the server. Table requests carry whether the role may write the
  table (``STAFF_MAY_WRITE``), so the table's schema can tell the screens.
- Every answer carries ``Cache-Control: no-store``, no framing and no referrer.

Piccolo Admin checks the same rules again inside (``admin.app`` installs them as per-table
``Validators`` and form checks), so a request that got past this gate is still refused.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode

from piccolo_api.session_auth.tables import SessionsBase
from starlette.requests import HTTPConnection

from admin.policy import AdminPolicy
from admin.table_schemas import STAFF_MAY_WRITE
from domain.errors import Forbidden
from domain.models import StaffRole
from domain.staff import StaffMember
from domain.staff_ports import StaffDirectory

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("admin.gate")

SESSION_COOKIE = "id"
SAFE_METHODS = frozenset({"GET", "HEAD"})
# Piccolo Admin's own endpoints that need no session: the login page's needs.
PUBLIC_PATHS = frozenset({"/public/login/", "/public/logout/", "/public/meta/"})
PUBLIC_PREFIXES = ("/public/translations/", "/assets/")
MENU_PATHS = frozenset(
    {"/api/tables/", "/api/tables/grouped/", "/api/forms/", "/api/forms/grouped/"}
)
# Endpoints every attributed staff member may use: who am I, change my password.
OWN_ACCOUNT_PATHS = {"/api/user/": frozenset({"GET"}), "/api/change-password/": frozenset({"POST"})}
DASHBOARD_PATH = "/dashboard/"
# Query parameters of Piccolo's list endpoints that name no column.
CONTROL_PARAMS = frozenset({"__page", "__page_size", "__readable", "__range_header"})
SECURITY_HEADERS = (
    (b"cache-control", b"no-store"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
)
DASHBOARD_CSP = (
    b"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    b"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_REPLACED = frozenset(name for name, _ in SECURITY_HEADERS)


class FormSchemaSource(Protocol):
    async def schema(self, slug: str, member: StaffMember) -> dict[str, Any] | None:
        """The form's JSON schema with this member's choices, or ``None`` to use Piccolo's."""
        ...


class DashboardPage(Protocol):
    async def render(self, member: StaffMember) -> str: ...


class RoleGate:
    def __init__(
        self,
        app: ASGIApp,
        *,
        policy: AdminPolicy,
        staff: StaffDirectory,
        session_table: type[SessionsBase] = SessionsBase,
        schemas: Sequence[FormSchemaSource] = (),
        dashboard: DashboardPage | None = None,
    ) -> None:
        self._app = app
        self._policy = policy
        self._staff = staff
        self._sessions = session_table
        self._schemas = schemas
        self._dashboard = dashboard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._app(scope, receive, send)
            return
        if scope["type"] != "http":  # the admin speaks no websocket
            await send({"type": "websocket.close", "code": 1008})
            return
        send = _with_security_headers(send)
        path = _relative_path(scope)
        method = scope["method"].upper()
        if path == "/" and not scope.get("raw_path", b"/").endswith(b"/"):
            # The single-page app resolves its assets relative to ``/admin/``.
            await _redirect(send, scope.get("raw_path", b"").decode("latin-1") + "/")
            return
        if path == "/" or path.startswith(PUBLIC_PREFIXES):
            if method not in SAFE_METHODS:
                await _deny(send, 405)
                return
            await self._app(scope, receive, send)
            return
        if path in PUBLIC_PATHS:
            await self._app(scope, receive, send)
            return
        if path == DASHBOARD_PATH.rstrip("/"):
            await _redirect(send, scope.get("raw_path", b"").decode("latin-1") + "/")
            return
        if not (path.startswith("/api/") or path == DASHBOARD_PATH):
            await _deny(send, 404)
            return

        member = await self._attribute(scope)
        if member is None:
            if path == DASHBOARD_PATH:
                await _redirect(send, scope.get("root_path", "") + "/", status=303)
            else:
                await _deny(send, 401)
            return
        if path == DASHBOARD_PATH:
            await self._dashboard_page(send, member, method)
            return
        await self._api(scope, receive, send, path, member, method)

    async def _attribute(self, scope: Scope) -> StaffMember | None:
        """The active staff member with a role whose session this is, or ``None``."""
        token = HTTPConnection(scope).cookies.get(SESSION_COOKIE)
        if not token:
            return None
        user_id = await self._sessions.get_user_id(token)
        if user_id is None:
            return None
        return await self._staff.get(int(user_id))

    async def _api(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        path: str,
        member: StaffMember,
        method: str,
    ) -> None:
        role = member.role
        if path in OWN_ACCOUNT_PATHS:
            if method not in OWN_ACCOUNT_PATHS[path]:
                await _deny(send, 405)
                return
            await self._app(scope, receive, send)
            return
        if path == "/api/links/":
            if method not in SAFE_METHODS:
                await _deny(send, 405)
                return
            await _json(send, self._policy.links_for(role))
            return
        if path in MENU_PATHS:
            if method not in SAFE_METHODS:
                await _deny(send, 405)
                return
            await _json(send, self._menu(path, role))
            return
        if path.startswith("/api/tables/"):
            await self._table(scope, receive, send, path, role, method)
            return
        if path.startswith("/api/forms/"):
            slug, _, rest = path.removeprefix("/api/forms/").partition("/")
            if not self._policy.may_use_form(role, slug):
                await _deny(send, 403)
                return
            if rest == "schema/" and method in SAFE_METHODS:
                for source in self._schemas:
                    schema = await source.schema(slug, member)
                    if schema is not None:
                        await _json(send, schema)
                        return
            if rest not in ("", "schema/") or (rest == "schema/" and method not in SAFE_METHODS):
                await _deny(send, 404)
                return
            await self._app(scope, receive, send)
            return
        await _deny(send, 403)  # docs, media uploads, MFA set-up and anything unknown

    def _menu(self, path: str, role: StaffRole) -> Any:
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
        role: StaffRole,
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
        # The schema tells the screens whether to offer adding, saving and deleting.
        scope = {**scope, STAFF_MAY_WRITE: rule.may_write(role)}
        fields = rule.api_fields_for(role)
        if fields is not None and rest not in ("schema/", "new/", "ids/", "references/"):
            scope["query_string"] = restrict_query(
                scope.get("query_string", b""), fields, set_fields=rest != "count/"
            )
        await self._app(scope, receive, send)

    async def _dashboard_page(self, send: Send, member: StaffMember, method: str) -> None:
        if method not in SAFE_METHODS:
            await _deny(send, 405)
            return
        if self._dashboard is None or not member.role.at_least(StaffRole.MANAGER):
            await _html(send, FORBIDDEN_PAGE, 403)
            return
        try:
            page = await self._dashboard.render(member)
        except Forbidden:  # the role changed since this request was attributed
            await _html(send, FORBIDDEN_PAGE, 403)
            return
        await _html(send, page, 200, csp=DASHBOARD_CSP)


def restrict_query(
    raw: bytes, allowed_fields: tuple[str, ...], *, set_fields: bool = True
) -> bytes:
    """Only allowed columns in the answer; no filter or order on a hidden column."""
    allowed = set(allowed_fields)
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
        kept.append(("__visible_fields", ",".join(asked or allowed_fields)))
    return urlencode(kept).encode("latin-1")


def _relative_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :] or "/"
    return path


def _with_security_headers(send: Send) -> Send:
    async def secured(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [
                (name, value)
                for name, value in message.get("headers", [])
                if name.lower() not in _REPLACED
            ]
            message = {**message, "headers": [*headers, *SECURITY_HEADERS]}
        await send(message)

    return secured


async def _respond(
    send: Send, body: bytes, status: int, content_type: bytes, extra: list[tuple[bytes, bytes]]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _json(send: Send, body: Any, status: int = 200) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await _respond(send, payload, status, b"application/json", [])


async def _html(send: Send, page: str, status: int, *, csp: bytes | None = None) -> None:
    extra = [] if csp is None else [(b"content-security-policy", csp)]
    await _respond(send, page.encode("utf-8"), status, b"text/html; charset=utf-8", extra)


DENIALS = {
    401: "Войдите в админку.",
    403: "Недостаточно прав.",
    404: "Не найдено.",
    405: "Только для чтения.",
}
FORBIDDEN_PAGE = (
    '<!doctype html><html lang="ru"><meta charset="utf-8"><title>Недостаточно прав</title>'
    "<p>Эта страница доступна менеджерам и администраторам.</p>"
    '<p><a href="../">← В админку</a></p></html>'
)


async def _deny(send: Send, status: int) -> None:
    await _json(send, {"detail": DENIALS[status]}, status)


async def _redirect(send: Send, location: str, *, status: int = 308) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"location", location.encode("latin-1")), (b"content-length", b"0")],
        }
    )
    await send({"type": "http.response.body", "body": b""})
