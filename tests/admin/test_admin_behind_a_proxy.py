"""The staff admin behind a TLS-terminating proxy, and attackers forging its headers.

The proxy (127.0.0.1 here, the test client's address) talks plain HTTP to the app and says
``X-Forwarded-Proto: https``: the admin's CSRF check then compares the ``Origin`` with the
allowed hosts, as it does for any HTTPS request. From a peer that is not a trusted proxy the
forwarded headers change nothing: not the scheme, not the address the login limiter counts.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from tests.support.admin_world import AdminWorld, csrf, login, make_world

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.db,
    # Piccolo warns of HTTPS sessions with production off: the cookie here is not Secure.
    pytest.mark.filterwarnings("ignore:If running sessions in production"),
]

SITE = "emotional-balance.ru"
CLAIM = "/admin/api/forms/взять-заявку-в-работу/"
PROXY = "127.0.0.1"


def through_proxy(world: AdminWorld, origin: str) -> httpx.AsyncClient:
    """A browser at ``origin`` reaching the app through the TLS proxy (plain HTTP inside)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=world.app, client=(PROXY, 50000)),
        base_url="http://app.internal:8000",
        headers={
            "Origin": origin,
            "Referer": f"{origin}/admin/",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": SITE,
        },
    )


def forwarded(client_ip: str, **extra: str) -> list[tuple[str, str]]:
    # The browser's own (forged) line, then the line the proxy adds with the real address.
    lines = [("X-Forwarded-For", "192.0.2.1"), ("X-Forwarded-For", client_ip)]
    return lines + list(extra.items())


async def proxy_login(client: httpx.AsyncClient, client_ip: str, password: str) -> httpx.Response:
    await client.get("/admin/", headers=forwarded(client_ip))
    token = client.cookies.get("csrftoken") or ""
    return await client.post(
        "/admin/public/login/",
        json={"username": "operator", "password": password},
        headers=forwarded(client_ip, **{"X-CSRFToken": token}),
    )


@pytest.fixture
async def world(db: object, monkeypatch: pytest.MonkeyPatch) -> AdminWorld:
    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1/32, ::1")
    return await make_world(
        allowed_hosts=(SITE,),
        login_attempts=3,
        login_window=timedelta(minutes=5),
        login_block=timedelta(minutes=15),
    )


async def test_staff_behind_a_trusted_tls_proxy_log_in_and_save(world: AdminWorld) -> None:
    await world.add_request(minutes_ago=90)
    async with through_proxy(world, f"https://{SITE}") as client:
        logged = await proxy_login(client, "203.0.113.7", "correct-horse-battery-staple")
        saved = await client.post(CLAIM, json={}, headers=forwarded("203.0.113.7", **csrf(client)))
    assert logged.status_code == 200, logged.text
    assert saved.status_code == 200, saved.text


async def test_behind_the_proxy_a_foreign_origin_is_refused_by_the_csrf_check(
    world: AdminWorld,
) -> None:
    # The scheme came from the trusted proxy, so the admin checks the Origin as for HTTPS.
    async with through_proxy(world, "https://evil.example") as client:
        refused = await proxy_login(client, "203.0.113.7", "correct-horse-battery-staple")
    assert refused.status_code == 403
    assert "origin" in refused.text.lower()


async def test_the_login_limit_counts_the_client_behind_the_proxy_not_a_forged_line(
    world: AdminWorld,
) -> None:
    async with through_proxy(world, f"https://{SITE}") as client:
        statuses = [
            (await proxy_login(client, "203.0.113.7", "wrong-password")).status_code
            for _ in range(4)
        ]
    async with through_proxy(world, f"https://{SITE}") as neighbour:
        other = await proxy_login(neighbour, "198.51.100.20", "correct-horse-battery-staple")
    assert statuses == [401, 401, 401, 429]
    assert other.status_code == 200, other.text
    # Blocked: the address the proxy added, not the proxy, not the line the browser forged.
    assert set(world.app_admin_limiter().blocked) == {"203.0.113.7"}


async def test_an_untrusted_peer_cannot_pick_its_address_or_scheme(world: AdminWorld) -> None:
    attacker = "198.51.100.66"
    statuses = []
    for n in range(4):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=world.app, client=(attacker, 40000)),
            base_url="http://testserver",
            headers={
                "X-Forwarded-For": f"203.0.113.{n}",
                "X-Forwarded-Proto": "https",
                "Origin": "https://evil.example",
            },
        ) as client:
            statuses.append((await login(client, "operator", "wrong-password")).status_code)
    # Had the forged scheme been believed, the foreign Origin would have been a 403; had the
    # forged address, every attempt a fresh budget.
    assert statuses == [401, 401, 401, 429]
    assert set(world.app_admin_limiter().blocked) == {attacker}
