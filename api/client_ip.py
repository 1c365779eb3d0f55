"""The client's address, scheme and host, believing forwarded headers only from ``TRUSTED_PROXIES``.

One answer for the whole service: :class:`TrustedProxyMiddleware` runs first on every request
and rewrites the ASGI scope (``client``, ``scheme``, ``Host``) once. Everything after it reads
the scope: the rate limits, the webhook allowlist, consent evidence, and the mounted staff admin
(Piccolo's login limiter, our login guard, the CSRF origin check, which looks at the scheme).

The rule for ``X-Forwarded-For``: every header line is read, in order, as one list (a proxy may
append its own line instead of extending the client's); the list is walked from the right,
skipping hops inside ``TRUSTED_PROXIES``; the first hop outside them is the client. Anything
left of it could have been typed by the client. An entry that is not an address stops the walk
at the last trusted hop. IPv4-mapped IPv6 addresses count as their IPv4 address.

Why not uvicorn's ``ProxyHeadersMiddleware``: it reads every line and CIDRs too, but compares
an IPv4-mapped peer (``::ffff:10.0.0.2``, what a dual-stack listener reports) with IPv4
networks as a different address, so such a proxy is never trusted; it makes an entry that is
not an address the client's "address"; it ignores ``X-Forwarded-Host``; and it lives in the
server (with its own ``FORWARDED_ALLOW_IPS``), outside the app the tests and the admin mount see.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from api.config import IPNetwork
from domain.models import ConsentEvidence

UNKNOWN_IP = "0.0.0.0"  # noqa: S104 - a placeholder address, never bound

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# A host name or address with an optional port, as a Host header may carry it.
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$")
_SCHEMES = frozenset({"http", "https"})


def _parse(raw: str) -> IPAddress | None:
    """An address from a peer or a forwarded hop: ``1.2.3.4``, ``1.2.3.4:80``, ``[::1]:80``."""
    raw = raw.strip()
    if raw.startswith("[") and "]" in raw:
        raw = raw[1 : raw.index("]")]
    elif raw.count(":") == 1:
        raw = raw.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress, proxies: Sequence[IPNetwork]) -> bool:
    return any(address in network for network in proxies)


def _hops(forwarded_for: str | Iterable[str] | None) -> list[str]:
    lines = [forwarded_for] if isinstance(forwarded_for, str) else list(forwarded_for or ())
    return [hop for line in lines for hop in line.split(",") if hop.strip()]


def resolve_client_ip(
    peer: str | None, forwarded_for: str | Iterable[str] | None, proxies: Sequence[IPNetwork]
) -> str:
    """Walk the ``X-Forwarded-For`` lines from the right while the hop is a trusted proxy.

    ``forwarded_for`` is every header line, in the order received (or one line).
    """
    address = _parse(peer) if peer else None
    if address is None:
        return UNKNOWN_IP
    if not _trusted(address, proxies):
        return str(address)
    for hop in reversed(_hops(forwarded_for)):
        parsed = _parse(hop)
        if parsed is None:
            return str(address)
        address = parsed
        if not _trusted(address, proxies):
            return str(address)
    return str(address)  # every hop a trusted proxy: the left-most is the client


def _last_value(lines: list[str]) -> str | None:
    """The right-most value over every line: the one the nearest (trusted) proxy set."""
    values = _hops(lines)
    return values[-1].strip() if values else None


class TrustedProxyMiddleware:
    """Puts the real client address, scheme and host into the scope (see the module doc).

    From a peer outside ``TRUSTED_PROXIES`` no forwarded header is believed: the scope keeps
    the peer's address (IPv4-mapped addresses written as IPv4) and the scheme and host it
    connected with.
    """

    def __init__(self, app: ASGIApp, trusted_proxies: Sequence[IPNetwork]) -> None:
        self._app = app
        self._proxies = tuple(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in {ScopeType.HTTP, ScopeType.WEBSOCKET}:
            self._rewrite(scope)
        await self._app(scope, receive, send)

    def _rewrite(self, scope: Scope) -> None:
        client = scope.get("client")
        if not client:
            return
        peer_host, peer_port = client
        peer = _parse(peer_host)
        if peer is None or not _trusted(peer, self._proxies):
            if peer is not None:
                scope["client"] = (str(peer), peer_port)
            return
        forwarded_for: list[str] = []
        proto: list[str] = []
        host: list[str] = []
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":
                forwarded_for.append(value.decode("latin-1"))
            elif name == b"x-forwarded-proto":
                proto.append(value.decode("latin-1"))
            elif name == b"x-forwarded-host":
                host.append(value.decode("latin-1"))
        scope["client"] = (resolve_client_ip(peer_host, forwarded_for, self._proxies), peer_port)
        scheme = (_last_value(proto) or "").lower()
        if scheme in _SCHEMES:
            websocket = scope["type"] == ScopeType.WEBSOCKET
            scope["scheme"] = scheme.replace("http", "ws") if websocket else scheme
        forwarded_host = _last_value(host)
        if forwarded_host and _HOST.match(forwarded_host):
            scope["headers"] = [
                *((k, v) for k, v in scope.get("headers", []) if k != b"host"),
                (b"host", forwarded_host.encode("latin-1")),
            ]


def client_ip(connection: ASGIConnection) -> str:  # type: ignore[type-arg]
    """The client's address as :class:`TrustedProxyMiddleware` settled it."""
    host = connection.client.host if connection.client else None
    address = _parse(host) if host else None
    return str(address) if address is not None else UNKNOWN_IP


def consent_evidence(connection: ASGIConnection) -> ConsentEvidence:  # type: ignore[type-arg]
    """Where a consent came from: the client's address and user agent (stored encrypted)."""
    user_agent = connection.headers.get("user-agent")
    return ConsentEvidence(ip=client_ip(connection), user_agent=user_agent)
