"""The admin's outermost wrapper: a request body limit, a per-username login limit in front of
Piccolo Admin's login, and the failed-login log.

Every HTTP request to the admin has its body limited to ``max_body`` (1 MiB) before anything
of the admin runs: a ``Content-Length`` above it is answered 413 without reading a byte, and a
body without one (chunked) is counted as it arrives and answered 413 as soon as it passes the
limit, so no more than the limit is ever held in memory. What fits is handed on unchanged.

Piccolo limits logins per client address only, so many addresses could keep guessing one
account's password. :class:`LoginGuard` wraps the whole admin and, for ``POST /public/login/``:

- reads the body the way Piccolo's ``session_login`` will (JSON, or a form); a body it cannot
  read exactly so (not JSON, both JSON and a form, repeated or non-text fields, too large) is
  answered 400 and never passed on, so no password is ever checked without being counted;
- refuses a username with too many recent failures (429 with ``Retry-After``); attempts still
  running count too, so a burst of parallel guesses gets no more tries than a queue of them;
- replays the body to the admin and watches its answer: a session cookie is a success (the
  username's count starts again), a refused password a failure (counted, and logged on
  ``admin.login`` with the username, never the password); anything else (a CSRF refusal,
  Piccolo's per-client 429, a server error) checked no password and counts for nothing.

:class:`InMemoryLoginFailures` counts in this process; with ``REDIS_URL`` set every process
shares one count instead (``adapters.login_failures``, wired in ``composition.web``), so N
processes still give an account ``attempts`` per window, not N times that. Piccolo's
per-client limit stays per process.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from admin.gate import SECURITY_HEADERS

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("admin.login")

LOGIN_PATH = "/public/login/"  # relative to the mount, as Piccolo Admin routes it
SESSION_COOKIE = b"id"
MAX_BODY = 16 * 1024  # a login form is a few hundred bytes
# Any admin request: a form or a table row is a few kilobytes, a bulk edit a few hundred.
MAX_REQUEST_BODY = 1024 * 1024
FORM_TYPES = (b"application/x-www-form-urlencoded", b"multipart/form-data")
TOO_MANY = (
    "Слишком много неудачных попыток входа под этим именем, попробуйте позже "
    "(too many failed logins for this username, try again later)."
)
MALFORMED = "Не удалось прочитать запрос входа (malformed login request)."
TOO_LARGE = "Запрос входа слишком большой (login request too large)."
BODY_TOO_LARGE = "Запрос слишком большой (request body too large)."


class LoginFailures(Protocol):
    """Failed logins per username within a window; attempts are reserved before they run."""

    async def begin(self, key: str) -> int | None:
        """Reserve an attempt: ``None`` when allowed, else the seconds to wait."""
        ...

    async def failed(self, key: str) -> int:
        """The reserved attempt failed; returns the failures now in the window."""
        ...

    async def succeeded(self, key: str) -> None:
        """The reserved attempt logged in: forget the username's failures."""
        ...

    async def abandoned(self, key: str) -> None:
        """The reserved attempt checked no password (refused before, or crashed)."""
        ...


@dataclass
class _Record:
    failures: deque[float] = field(default_factory=deque)
    running: int = 0


class InMemoryLoginFailures:
    """Implements :class:`LoginFailures` in this process, with a sliding window.

    At most ``max_tracked`` usernames are remembered; past that the least recently seen idle
    ones are forgotten first (reaching it takes that many distinct usernames failing within
    the window, which the per-client limit makes expensive).
    """

    def __init__(
        self,
        *,
        limit: int,
        window: timedelta,
        clock: Callable[[], float] = time.monotonic,
        max_tracked: int = 50_000,
    ) -> None:
        self.limit = limit
        self.window = window.total_seconds()
        self._clock = clock
        self._max_tracked = max_tracked
        self._records: dict[str, _Record] = {}

    def __len__(self) -> int:
        """How many usernames are remembered."""
        return len(self._records)

    async def begin(self, key: str) -> int | None:
        now = self._clock()
        record = self._touch(key, now)
        if len(record.failures) + record.running >= self.limit:
            if not record.failures:
                return 1  # only attempts still running: one of them ends soon
            return max(1, math.ceil(record.failures[0] + self.window - now))
        record.running += 1
        return None

    async def failed(self, key: str) -> int:
        now = self._clock()
        record = self._touch(key, now)
        record.running = max(0, record.running - 1)
        record.failures.append(now)
        return len(record.failures)

    async def succeeded(self, key: str) -> None:
        record = self._records.pop(key, None)
        if record is not None and record.running > 1:
            # Other attempts of this username are still running; keep their reservations.
            self._records[key] = _Record(running=record.running - 1)

    async def abandoned(self, key: str) -> None:
        record = self._records.get(key)
        if record is None:
            return
        record.running = max(0, record.running - 1)
        if not record.running and not record.failures:
            del self._records[key]

    def _touch(self, key: str, now: float) -> _Record:
        record = self._records.pop(key, None)
        if record is None:
            record = _Record()
            if len(self._records) >= self._max_tracked:
                self._forget_some(now)
        while record.failures and record.failures[0] <= now - self.window:
            record.failures.popleft()
        self._records[key] = record  # re-inserted: the dict's order is least recently seen first
        return record

    def _forget_some(self, now: float) -> None:
        horizon = now - self.window
        for key, record in list(self._records.items()):
            if not record.running and (not record.failures or record.failures[-1] <= horizon):
                del self._records[key]
        target = int(self._max_tracked * 0.9)
        for key, record in list(self._records.items()):
            if len(self._records) <= target:
                return
            if not record.running:
                del self._records[key]


class MalformedLogin(ValueError):
    pass


class LoginGuard:
    """ASGI wrapper of the staff admin (mounted at ``/admin/``): see the module docstring."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        failures: LoginFailures,
        client_limiter: Any = None,
        max_body: int = MAX_REQUEST_BODY,
    ) -> None:
        self._app = app
        self.failures = failures
        self.max_body = max_body
        # Piccolo's per-client limiter, built beside this one; kept here so both limits of
        # the login can be looked at in one place.
        self.login_limiter = client_limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        if _declared_length(scope) > self.max_body:
            await _answer(send, 413, BODY_TOO_LARGE)
            return
        try:
            body = await _read_body(receive, self.max_body)
        except _TooLarge:
            await _answer(send, 413, BODY_TOO_LARGE)
            return
        if body is None:
            return  # the client went away
        if scope["method"].upper() != "POST" or not _route_path(scope).startswith(LOGIN_PATH):
            await self._app(scope, _replay(body, receive), send)
            return
        if len(body) > MAX_BODY:
            await _answer(send, 413, TOO_LARGE)
            return
        try:
            username, password = await _credentials(scope, body)
        except MalformedLogin:
            await _answer(send, 400, MALFORMED)
            return
        replay = _replay(body, receive)
        if username is None or password is None:
            await self._app(scope, replay, send)  # Piccolo answers "missing username or password"
            return
        shown = username[:100]
        key = username.casefold()
        wait = await self.failures.begin(key)
        if wait is not None:
            logger.warning("admin login refused, too many failures: username=%r", shown)
            await _answer(send, 429, TOO_MANY, retry_after=wait)
            return
        outcome = _Outcome()

        async def watch(message: Message) -> None:
            outcome.see(message)
            await send(message)

        try:
            await self._app(scope, replay, watch)
        finally:
            if outcome.logged_in:
                await self.failures.succeeded(key)
                logger.info("admin login: username=%r", shown)
            elif outcome.refused:
                count = await self.failures.failed(key)
                logger.warning("admin login failed: username=%r failures=%d", shown, count)
            else:
                await self.failures.abandoned(key)


class _Outcome:
    def __init__(self) -> None:
        self.logged_in = False
        self.refused = False

    def see(self, message: Message) -> None:
        if message["type"] != "http.response.start":
            return
        status = message["status"]
        session = any(
            name.lower() == b"set-cookie" and _is_session_cookie(value)
            for name, value in message.get("headers", [])
        )
        if session and status < 400:
            self.logged_in = True
        # Piccolo refuses a password with 401 (JSON) or its login page again (``format=html``).
        elif status == 401 or status == 200:
            self.refused = True


def _is_session_cookie(header: bytes) -> bool:
    name, _, value = header.split(b";", 1)[0].partition(b"=")
    return name.strip() == SESSION_COOKIE and value.strip(b' "') != b""


async def _credentials(scope: Scope, body: bytes) -> tuple[str | None, str | None]:
    """The username and password exactly as Piccolo's ``session_login`` will read them.

    Piccolo takes the form that its CSRF middleware parsed (when the token came as a form
    field), else JSON, else the form. A body that is valid JSON is read as JSON whatever its
    content type says, so one that is also a form is refused rather than guessed at.
    """
    request = Request(dict(scope), _replay(body, None))
    content_type, _ = parse_options_header(request.headers.get("content-type"))
    data: dict[str, Any]
    if content_type in FORM_TYPES:
        if _is_json(body):
            raise MalformedLogin
        try:
            body.decode("utf-8")
            form = await request.form()
        # Newer Starlette lets python-multipart's own parse errors through.
        except (UnicodeDecodeError, HTTPException, MultiPartException, FormParserError) as exc:
            raise MalformedLogin from exc
        data = {}
        try:
            for name, value in form.multi_items():
                if name in data or isinstance(value, UploadFile):
                    raise MalformedLogin
                data[name] = value
        finally:
            await form.close()
    else:
        try:
            parsed = json.loads(body, object_pairs_hook=_unique_keys)
        except ValueError as exc:  # also UnicodeDecodeError and repeated keys
            raise MalformedLogin from exc
        if not isinstance(parsed, dict):
            raise MalformedLogin
        data = parsed
    username, password = data.get("username"), data.get("password")
    for given in (username, password):
        if given is not None and not isinstance(given, str):
            raise MalformedLogin
    return username or None, password or None


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        raise ValueError("a repeated key")
    return data


def _route_path(scope: Scope) -> str:
    """The path below the mount, as Starlette (and so Piccolo Admin) routes it."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("/", ""):
        return path[len(root) :]
    return path


class _TooLarge(Exception):
    pass


def _declared_length(scope: Scope) -> int:
    """The largest ``Content-Length`` the request declares (0 when none or unreadable: the
    body is then counted as it arrives)."""
    declared = 0
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                declared = max(declared, int(value))
            except ValueError:
                continue
    return declared


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive | None) -> Receive:
    """A ``receive`` that hands over ``body`` once, then defers to the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if receive is None:
            return {"type": "http.disconnect"}
        return await receive()

    return replay


async def _answer(send: Send, status: int, detail: str, *, retry_after: int | None = None) -> None:
    payload = json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8")
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *SECURITY_HEADERS,  # answered before the gate, so with the gate's headers
    ]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
