"""Logins and sessions of the staff admin over HTTP, on a real database.

The per-username limit, the failed-login log, password changes, PBKDF2 off the event loop,
idle expiry, maximum age, logout and the worker's purge of dead sessions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from piccolo_api.session_auth.tables import SessionsBase

from composition.worker import worker_jobs
from tables.staff.accounts import StaffUser
from tests.support.admin_world import PASSWORD, AdminWorld, csrf, logged_in, login, make_world

pytestmark = [pytest.mark.anyio, pytest.mark.db]

LOGIN = "/admin/public/login/"
WRONG = "wrong-password-1"


@pytest.fixture
async def world(db: object) -> AdminWorld:
    # Built with explicit settings so tests can reach the admin (and its limiters).
    return await make_world(username_login_failures=10, login_attempts=100)


def client_from(world: AdminWorld, ip: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=world.app, client=(ip, 40000)),
        base_url="http://testserver",
    )


async def login_from(ip: str, world: AdminWorld, username: str, password: str) -> httpx.Response:
    async with client_from(world, ip) as client:
        return await login(client, username, password)


def world_limiter(world: AdminWorld) -> Any:
    """Piccolo's per-client login limiter."""
    return world.app_admin_limiter()


@contextlib.asynccontextmanager
async def csrf_client(world: AdminWorld, ip: str = "127.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
    """A client holding the admin's CSRF cookie, as after opening the login page."""
    async with client_from(world, ip) as client:
        await client.get("/admin/")
        yield client


# The per-username limit ----------------------------------------------------------------------


async def test_failures_from_many_clients_lock_the_username_but_not_other_accounts(
    db: object,
) -> None:
    world = await make_world(username_login_failures=3, login_attempts=100)
    failures = [
        (await login_from(f"203.0.113.{n}", world, "admin", WRONG)).status_code for n in (1, 2, 3)
    ]
    locked = await login_from("198.51.100.7", world, "admin", PASSWORD)
    other = await login_from("198.51.100.7", world, "manager", PASSWORD)

    assert failures == [401, 401, 401]
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    assert "too many failed logins" in locked.json()["detail"]
    assert "set-cookie" not in locked.headers or "id=" not in locked.headers["set-cookie"]
    assert other.status_code == 200


async def test_the_username_limit_ignores_letter_case(db: object) -> None:
    world = await make_world(username_login_failures=2, login_attempts=100)
    for username in ("Admin", "ADMIN"):
        assert (await login_from("203.0.113.1", world, username, WRONG)).status_code == 401
    assert (await login_from("203.0.113.2", world, "admin", PASSWORD)).status_code == 429


async def test_a_successful_login_starts_the_username_count_again(db: object) -> None:
    world = await make_world(username_login_failures=3, login_attempts=100)
    statuses = []
    for password in (WRONG, WRONG, PASSWORD, WRONG, WRONG, PASSWORD):
        statuses.append((await login_from("203.0.113.1", world, "admin", password)).status_code)
    assert statuses == [401, 401, 200, 401, 401, 200]


async def test_form_logins_are_read_and_counted_like_json_ones(db: object) -> None:
    world = await make_world(username_login_failures=2, login_attempts=100)

    async def form_login(password: str) -> httpx.Response:
        async with csrf_client(world) as client:
            token = client.cookies.get("csrftoken")
            # The CSRF token as a form field, as Piccolo's own login page sends it.
            return await client.post(
                LOGIN,
                data={"username": "admin", "password": password, "csrftoken": token or ""},
            )

    ok = await form_login(PASSWORD)
    wrong = [(await form_login(WRONG)).status_code for _ in range(2)]
    locked = await form_login(PASSWORD)

    assert ok.status_code == 200, ok.text
    assert "id=" in ok.headers["set-cookie"]
    assert wrong == [401, 401]
    assert locked.status_code == 429


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b'{"username": "admin", "password": '),
        ("application/json", b'["admin", "secret"]'),
        ("application/json", b'{"username": "admin", "username": "manager", "password": "x"}'),
        ("application/json", b'{"username": ["admin"], "password": "x"}'),
        ("application/json", b'{"username": "admin", "password": 123456789012}'),
        ("application/json", b'{"username": "adm\xffin", "password": "x"}'),
        ("application/x-www-form-urlencoded", b'{"username": "admin", "password": "x"}'),
        ("application/x-www-form-urlencoded", b"username=admin&username=manager&password=x"),
        ("multipart/form-data; boundary=zz", b"--zz\r\nnot a part"),
    ],
)
async def test_malformed_login_bodies_are_refused_and_never_reach_piccolo(
    world: AdminWorld, content_type: str, body: bytes
) -> None:
    async with csrf_client(world) as client:
        response = await client.post(
            LOGIN, content=body, headers={"content-type": content_type, **csrf(client)}
        )
    assert response.status_code == 400, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"
    # Piccolo's per-client limiter counts every request it sees: it saw none of these.
    assert world_limiter(world).request_dict == {}


async def test_an_oversized_login_body_is_refused(world: AdminWorld) -> None:
    async with csrf_client(world) as client:
        response = await client.post(
            LOGIN,
            json={"username": "admin", "password": PASSWORD, "padding": "x" * 20_000},
            headers=csrf(client),
        )
    assert response.status_code == 413
    assert world_limiter(world).request_dict == {}


async def test_a_login_without_the_csrf_token_counts_no_failure(db: object) -> None:
    world = await make_world(username_login_failures=1, login_attempts=100)
    async with csrf_client(world) as client:
        refused = await client.post(LOGIN, json={"username": "admin", "password": WRONG})
    assert refused.status_code == 403
    assert (await login_from("203.0.113.1", world, "admin", PASSWORD)).status_code == 200


async def test_failed_logins_are_logged_with_the_username_never_the_password(
    world: AdminWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="admin.login")
    await login_from("203.0.113.1", world, "operator", WRONG)
    await login_from("203.0.113.1", world, "manager", PASSWORD)

    records = [r for r in caplog.records if r.name == "admin.login"]
    failed = [r for r in records if r.levelno == logging.WARNING]
    assert len(failed) == 1
    assert "'operator'" in failed[0].getMessage()
    assert any("'manager'" in r.getMessage() for r in records if r.levelno == logging.INFO)
    for record in records:
        assert WRONG not in record.getMessage()
        assert PASSWORD not in record.getMessage()


# Passwords -------------------------------------------------------------------------------------


async def change_password(client: httpx.AsyncClient, current: str, new: str) -> httpx.Response:
    return await client.post(
        "/admin/api/change-password/",
        json={"current_password": current, "new_password": new, "confirm_new_password": new},
        headers=csrf(client),
    )


async def test_the_admin_refuses_a_new_password_shorter_than_twelve_characters(
    world: AdminWorld,
) -> None:
    async with world.client() as client:
        assert (await login(client, "operator")).status_code == 200
        short = await change_password(client, PASSWORD, "x" * 11)
    assert short.status_code == 422
    detail = short.json()["detail"]
    assert "12" in detail and "\n" not in detail
    # Unchanged: the old password still logs in.
    assert (await login_from("203.0.113.1", world, "operator", PASSWORD)).status_code == 200


async def test_a_twelve_character_password_change_ends_the_sessions_and_logs_in_after(
    world: AdminWorld,
) -> None:
    new = "y" * 12
    async with world.client() as client:
        assert (await login(client, "operator")).status_code == 200
        changed = await change_password(client, PASSWORD, new)
        assert changed.status_code == 303, changed.text
        assert (await client.get("/admin/api/tables/")).status_code == 401
    assert await SessionsBase.count().where(SessionsBase.user_id == world.users["operator"]) == 0
    assert (await login_from("203.0.113.1", world, "operator", PASSWORD)).status_code == 401
    assert (await login_from("203.0.113.2", world, "operator", new)).status_code == 200


# PBKDF2 off the event loop -------------------------------------------------------------------


class LoopWatch:
    """Lets each hash finish only after the event loop has run a ticker during it.

    On the loop thread the hash would wait for a tick that can never come (and give up after
    ``timeout``): the hash finishing proves the loop kept running meanwhile.
    """

    def __init__(self, real: Callable[..., str], timeout: float = 10) -> None:
        self.real = real
        self.timeout = timeout
        self.hash_threads: list[int] = []
        self._pending: list[threading.Event] = []
        self._lock = threading.Lock()

    def hash_password(
        self, cls: type[StaffUser], password: str, salt: str = "", iterations: int | None = None
    ) -> str:
        ticked = threading.Event()
        with self._lock:
            self.hash_threads.append(threading.get_ident())
            self._pending.append(ticked)
        if not ticked.wait(self.timeout):
            raise AssertionError("the event loop stood still while the password was hashed")
        return self.real(cls, password, salt, iterations)

    async def ticker(self) -> None:
        while True:
            with self._lock:
                pending, self._pending = self._pending, []
            for event in pending:
                event.set()
            await asyncio.sleep(0.001)


async def while_watched(monkeypatch: pytest.MonkeyPatch, work: Any) -> tuple[Any, LoopWatch]:
    watch = LoopWatch(StaffUser.hash_password.__func__)  # type: ignore[attr-defined]
    monkeypatch.setattr(StaffUser, "hash_password", classmethod(watch.hash_password))
    ticker = asyncio.create_task(watch.ticker())
    try:
        result = await work
    finally:
        ticker.cancel()
    return result, watch


async def test_logins_hash_the_password_in_a_worker_thread_while_the_loop_runs(
    world: AdminWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def attempts() -> list[int]:
        return [
            (await login_from("203.0.113.1", world, "admin", PASSWORD)).status_code,
            (await login_from("203.0.113.1", world, "admin", WRONG)).status_code,
            (await login_from("203.0.113.1", world, "nobody-at-all", WRONG)).status_code,
        ]

    statuses, watch = await while_watched(monkeypatch, attempts())

    assert statuses == [200, 401, 401]
    assert len(watch.hash_threads) == 3  # an unknown username is hashed too (same timing)
    assert threading.get_ident() not in watch.hash_threads


async def test_password_changes_hash_in_a_worker_thread_while_the_loop_runs(
    world: AdminWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with world.client() as client:
        assert (await login(client, "manager")).status_code == 200
        changed, watch = await while_watched(
            monkeypatch, change_password(client, PASSWORD, "z" * 16)
        )
    assert changed.status_code == 303, changed.text
    assert len(watch.hash_threads) == 2  # the current password checked, the new one hashed
    assert threading.get_ident() not in watch.hash_threads


# Sessions ---------------------------------------------------------------------------------------


async def session_for(
    world: AdminWorld, *, expires_in: timedelta, max_age_left: timedelta, role: str = "admin"
) -> str:
    now = datetime.now()  # Piccolo's session columns hold naive local time
    session = await SessionsBase.create_session(
        user_id=world.users[role],
        expiry_date=now + expires_in,
        max_expiry_date=now + max_age_left,
    )
    return str(session.token)


async def get_with_session(world: AdminWorld, token: str, path: str) -> httpx.Response:
    async with world.client() as client:
        client.cookies.set("id", token)
        return await client.get(path)


async def test_login_sessions_get_the_configured_idle_expiry_and_maximum_age(db: object) -> None:
    world = await make_world(
        session_expiry=timedelta(minutes=30), max_session_expiry=timedelta(hours=2)
    )
    before = datetime.now()
    async with world.client() as client:
        response = await login(client, "admin")
    after = datetime.now()
    row = await SessionsBase.select().where(SessionsBase.user_id == world.users["admin"]).first()

    assert response.status_code == 200
    assert row is not None
    assert before + timedelta(minutes=30) <= row["expiry_date"] <= after + timedelta(minutes=30)
    assert before + timedelta(hours=2) <= row["max_expiry_date"] <= after + timedelta(hours=2)
    assert "Max-Age=7200" in response.headers["set-cookie"]


@pytest.mark.parametrize(
    ("expires_in", "max_age_left"),
    [
        (timedelta(minutes=-1), timedelta(hours=5)),  # idle too long
        (timedelta(minutes=30), timedelta(minutes=-1)),  # past its maximum age
    ],
)
async def test_an_expired_session_is_answered_401(
    world: AdminWorld, expires_in: timedelta, max_age_left: timedelta
) -> None:
    live = await session_for(
        world, expires_in=timedelta(minutes=30), max_age_left=timedelta(hours=5)
    )
    dead = await session_for(world, expires_in=expires_in, max_age_left=max_age_left)

    assert (await get_with_session(world, live, "/admin/api/tables/")).status_code == 200
    for path in ("/admin/api/tables/", "/admin/api/user/", "/admin/api/tables/payments/"):
        assert (await get_with_session(world, dead, path)).status_code == 401, path


async def test_using_a_session_extends_its_idle_expiry_by_the_configured_step(
    db: object,
) -> None:
    world = await make_world(increase_expiry=timedelta(minutes=20))
    token = await session_for(
        world, expires_in=timedelta(minutes=5), max_age_left=timedelta(hours=5)
    )
    before = await SessionsBase.select().where(SessionsBase.token == token).first()

    assert (await get_with_session(world, token, "/admin/api/user/")).status_code == 200
    after = await SessionsBase.select().where(SessionsBase.token == token).first()

    assert before is not None and after is not None
    assert after["expiry_date"] == before["expiry_date"] + timedelta(minutes=20)
    assert after["max_expiry_date"] == before["max_expiry_date"]


async def test_logout_deletes_the_session_and_the_old_cookie_no_longer_works(
    world: AdminWorld,
) -> None:
    async with world.client() as client:
        assert (await login(client, "manager")).status_code == 200
        token = client.cookies.get("id")
        assert token
        assert (await client.get("/admin/api/tables/")).status_code == 200
        logout = await client.post("/admin/public/logout/", headers=csrf(client))
        assert logout.status_code == 200, logout.text
        assert (await client.get("/admin/api/tables/")).status_code == 401

    assert await SessionsBase.count().where(SessionsBase.token == token) == 0
    assert (await get_with_session(world, token, "/admin/api/tables/")).status_code == 401


async def test_the_worker_purges_dead_sessions_and_keeps_live_ones(world: AdminWorld) -> None:
    live = await session_for(
        world, expires_in=timedelta(minutes=30), max_age_left=timedelta(hours=5)
    )
    await session_for(world, expires_in=timedelta(minutes=-1), max_age_left=timedelta(hours=5))
    await session_for(world, expires_in=timedelta(minutes=30), max_age_left=timedelta(minutes=-1))
    job = dict(worker_jobs())["purge-admin-sessions"]

    first = await job(world.container)
    second = await job(world.container)

    assert (first, second) == (2, 0)
    remaining = await SessionsBase.select(SessionsBase.token)
    assert [row["token"] for row in remaining] == [live]


async def test_the_purge_works_in_batches(world: AdminWorld) -> None:
    from domain.use_cases.purge_staff_sessions import PurgeStaffSessionsUseCase
    from tables.staff.sessions import PiccoloStaffSessionStore

    for _ in range(3):
        await session_for(world, expires_in=timedelta(minutes=-1), max_age_left=timedelta(hours=5))
    purge = PurgeStaffSessionsUseCase(
        sessions=PiccoloStaffSessionStore(), clock=world.container.clock, batch_size=2
    )
    assert [await purge.execute() for _ in range(3)] == [2, 1, 0]


async def _chunks(size: int, chunk: int = 64 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < size:
        yield b"x" * chunk
        sent += chunk


async def test_a_chunked_login_body_without_content_length_is_refused(world: AdminWorld) -> None:
    async with csrf_client(world) as client:
        response = await client.post(LOGIN, content=_chunks(2 * 1024 * 1024), headers=csrf(client))
    assert response.status_code == 413
    assert response.headers["cache-control"] == "no-store"
    assert world_limiter(world).request_dict == {}


@pytest.mark.parametrize("chunked", [False, True])
async def test_an_admin_api_body_over_one_mebibyte_is_refused(
    world: AdminWorld, chunked: bool
) -> None:
    size = 1024 * 1024 + 1
    async with logged_in(world, "admin") as client:
        response = await client.post(
            "/admin/api/tables/waitlist_requests/",
            content=_chunks(size, 4096) if chunked else b"{" + b" " * size + b"}",
            headers={**csrf(client), "content-type": "application/json"},
        )
    assert response.status_code == 413, response.text
    assert "too large" in response.json()["detail"]
