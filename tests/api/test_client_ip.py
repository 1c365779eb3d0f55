"""The client's address behind proxies, as an attacker would try it.

Every ``X-Forwarded-For`` line counts, right to left, skipping ``TRUSTED_PROXIES``; from any
other peer no forwarded header (``-For``, ``-Proto``, ``-Host``) is believed. One middleware
settles it for everything: the rate limits here, the consent evidence, the webhook allowlist
(tests/integration/test_payments_api_db.py) and the staff admin
(tests/admin/test_admin_behind_a_proxy.py).
"""

from __future__ import annotations

import ipaddress
from typing import Any

import httpx
import pytest

from adapters.rate_limiters import InMemoryRateLimiter
from api.client_ip import UNKNOWN_IP, TrustedProxyMiddleware, resolve_client_ip
from api.config import ApiConfig
from tests.api.test_rate_limit import EVENT, app_with
from tests.support.fakes import FakeEncryptor

PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8"))
PROXY = "10.0.0.5"
CLIENT = "203.0.113.9"


@pytest.mark.parametrize(
    ("peer", "lines", "expected"),
    [
        # Directly connected clients: headers are theirs to forge.
        ("198.51.100.1", [], "198.51.100.1"),
        ("198.51.100.1", [CLIENT], "198.51.100.1"),
        ("198.51.100.1", [CLIENT, "10.0.0.7"], "198.51.100.1"),
        # One trusted proxy that appends to the client's header.
        (PROXY, [CLIENT], CLIENT),
        (PROXY, [f"1.2.3.4, {CLIENT}"], CLIENT),
        (PROXY, [f"1.2.3.4, {CLIENT}, 10.0.0.7"], CLIENT),
        # A proxy that adds its own line instead: the client's line comes first.
        (PROXY, ["1.2.3.4", CLIENT], CLIENT),
        (PROXY, ["1.2.3.4, 5.6.7.8", f"{CLIENT}, 10.0.0.7"], CLIENT),
        (PROXY, [CLIENT, "10.0.0.7", "10.1.1.1"], CLIENT),
        # Garbage stops the walk at the last trusted hop, never at the garbage.
        (PROXY, ["garbage"], PROXY),
        (PROXY, [f"{CLIENT}, garbage"], PROXY),
        (PROXY, ["garbage", "10.0.0.7"], "10.0.0.7"),
        (PROXY, [f"{CLIENT}, not-an-ip, 10.0.0.7"], "10.0.0.7"),
        (PROXY, ["", " , "], PROXY),
        # Ports and brackets, as some proxies write them.
        (PROXY, [f"{CLIENT}:51000"], CLIENT),
        (PROXY, ["[2001:db8::1]:443"], "2001:db8::1"),
        # IPv6, and IPv4-mapped addresses as their IPv4 address.
        ("fd00::2", ["2001:db8::1"], "2001:db8::1"),
        ("fd00::2", ["2001:db8::1, fd00::3"], "2001:db8::1"),
        ("::ffff:10.0.0.5", [CLIENT], CLIENT),
        (PROXY, [f"::ffff:{CLIENT}"], CLIENT),
        (PROXY, ["::ffff:10.0.0.7"], "10.0.0.7"),
        ("::ffff:198.51.100.1", [CLIENT], "198.51.100.1"),
        # Every hop a trusted proxy: the left-most is the client (an internal caller).
        (PROXY, ["10.0.0.7, 10.0.0.8"], "10.0.0.7"),
        (PROXY, ["10.0.0.7", "10.0.0.8"], "10.0.0.7"),
        (PROXY, [], PROXY),
        # No usable peer address.
        ("testclient", [CLIENT], UNKNOWN_IP),
        (None, [CLIENT], UNKNOWN_IP),
    ],
)
def test_every_forwarded_line_is_walked_from_the_right_past_trusted_proxies_only(
    peer: str | None, lines: list[str], expected: str
) -> None:
    assert resolve_client_ip(peer, lines, PROXIES) == expected


def test_with_no_trusted_proxy_forwarded_headers_never_count() -> None:
    assert resolve_client_ip("127.0.0.1", [CLIENT], ()) == "127.0.0.1"


# The middleware, on the scope every later reader sees -------------------------------------


class RecordingApp:
    def __init__(self) -> None:
        self.scope: dict[str, Any] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.scope = dict(scope)


async def seen(peer: str, headers: list[tuple[str, str]], proxies: Any = PROXIES) -> Any:
    inner = RecordingApp()
    scope = {
        "type": "http",
        "scheme": "http",
        "client": (peer, 40000),
        "headers": [(b"host", b"app.internal:8000")]
        + [(k.lower().encode(), v.encode()) for k, v in headers],
    }

    async def nothing() -> Any:
        return {}

    await TrustedProxyMiddleware(inner, proxies)(scope, nothing, nothing)  # type: ignore[arg-type]
    host = [v.decode() for k, v in inner.scope["headers"] if k == b"host"]
    return inner.scope["client"][0], inner.scope["scheme"], host


FORGED = [
    ("X-Forwarded-For", CLIENT),
    ("X-Forwarded-Proto", "https"),
    ("X-Forwarded-Host", "emotional-balance.ru"),
]


@pytest.mark.anyio
async def test_a_trusted_proxy_sets_the_client_the_scheme_and_the_host() -> None:
    assert await seen(PROXY, FORGED) == (CLIENT, "https", ["emotional-balance.ru"])


@pytest.mark.anyio
async def test_from_an_untrusted_peer_forwarded_headers_change_nothing() -> None:
    assert await seen("198.51.100.1", FORGED) == ("198.51.100.1", "http", ["app.internal:8000"])
    assert await seen(PROXY, FORGED, proxies=()) == (PROXY, "http", ["app.internal:8000"])


@pytest.mark.anyio
async def test_the_nearest_proxys_scheme_and_host_win_and_nonsense_is_ignored() -> None:
    chained = [
        ("X-Forwarded-Proto", "http"),
        ("X-Forwarded-Proto", "gopher, https"),
        ("X-Forwarded-Host", "evil.example, emotional-balance.ru"),
    ]
    assert await seen(PROXY, chained) == (PROXY, "https", ["emotional-balance.ru"])
    nonsense = [("X-Forwarded-Proto", "javascript"), ("X-Forwarded-Host", "a b/c")]
    assert await seen(PROXY, nonsense) == (PROXY, "http", ["app.internal:8000"])


@pytest.mark.anyio
async def test_an_ipv4_mapped_peer_is_written_as_ipv4_and_matched_against_ipv4_networks() -> None:
    assert await seen("::ffff:198.51.100.1", []) == ("198.51.100.1", "http", ["app.internal:8000"])
    assert (await seen("::ffff:10.0.0.5", [("X-Forwarded-For", CLIENT)]))[0] == CLIENT


# The public API: rate limits and consent evidence -----------------------------------------


def behind(proxies: Any, limit: int) -> Any:
    return app_with(InMemoryRateLimiter(limit), config=ApiConfig(trusted_proxies=proxies))


def client_at(app: Any, peer: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(peer, 1234)), base_url="http://testserver"
    )


async def post_event(client: httpx.AsyncClient, *lines: str) -> int:
    headers = [("X-Forwarded-For", line) for line in lines]
    return (await client.post("/api/public/events", json=EVENT, headers=headers)).status_code


@pytest.mark.anyio
async def test_a_forged_first_line_does_not_escape_the_limit_behind_a_proxy() -> None:
    app = behind(PROXIES, 2)
    async with client_at(app, PROXY) as proxy:
        # The client forges a fresh line each time; the proxy adds the real address below it.
        codes = [await post_event(proxy, f"198.51.100.{n}", CLIENT) for n in range(3)]
        spoofed_left = await post_event(proxy, f"192.0.2.1, {CLIENT}")
        other = await post_event(proxy, "198.51.100.20")
    assert codes == [202, 202, 429]
    assert spoofed_left == 429
    assert other == 202


@pytest.mark.anyio
async def test_an_untrusted_peer_with_forwarded_lines_is_limited_as_itself() -> None:
    app = behind(PROXIES, 2)
    async with client_at(app, "198.51.100.7") as attacker:
        codes = [await post_event(attacker, f"10.0.0.{n}", f"203.0.113.{n}") for n in range(3)]
    assert codes == [202, 202, 429]


@pytest.mark.anyio
async def test_behind_an_ipv6_proxy_each_client_has_its_own_budget() -> None:
    app = behind(PROXIES, 1)
    async with client_at(app, "fd00::2") as proxy:
        first = [await post_event(proxy, "2001:db8::1") for _ in range(2)]
        second = await post_event(proxy, "2001:db8::2")
        mapped = await post_event(proxy, f"::ffff:{CLIENT}")
        same = await post_event(proxy, CLIENT)
    assert first == [202, 429]
    assert second == 202
    assert (mapped, same) == (202, 429)


@pytest.mark.anyio
async def test_when_every_hop_is_trusted_the_left_most_is_the_client() -> None:
    app = behind(PROXIES, 1)
    async with client_at(app, PROXY) as proxy:
        internal = [await post_event(proxy, "10.9.9.9", "10.0.0.7") for _ in range(2)]
        neighbour = await post_event(proxy, "10.9.9.8, 10.0.0.7")
    assert internal == [202, 429]
    assert neighbour == 202


@pytest.mark.anyio
async def test_the_consent_evidence_is_the_client_behind_the_proxy_not_a_forged_line() -> None:
    from tests.api.public_app import public_app
    from tests.api.test_public_api import hold_body

    api = public_app(ApiConfig(trusted_proxies=PROXIES))
    async with client_at(api.app, PROXY) as proxy:
        response = await proxy.post(
            "/api/public/appointments",
            json=hold_body(api.slots["tomorrow"].id),
            headers=[("X-Forwarded-For", "192.0.2.66"), ("X-Forwarded-For", CLIENT)],
        )
    assert response.status_code == 201, response.text
    (record,) = api.uow.store.consents
    ip, _ = FakeEncryptor().decrypt(record.evidence_ciphertext or "").split("\n")
    assert ip == CLIENT
