"""The client's IP address, trusting ``X-Forwarded-For`` only from configured proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from litestar.connection import ASGIConnection

from api.config import IPNetwork
from domain.models import ConsentEvidence

UNKNOWN_IP = "0.0.0.0"  # noqa: S104 - a placeholder address, never bound


def _parse(raw: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(raw.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, proxies: Sequence[IPNetwork]
) -> bool:
    return any(address in network for network in proxies)


def resolve_client_ip(
    peer: str | None, forwarded_for: str | None, proxies: Sequence[IPNetwork]
) -> str:
    """Walk ``X-Forwarded-For`` from the right while the hop is a trusted proxy.

    The right-most untrusted address is the client: anything left of it could be forged.
    """
    address = _parse(peer) if peer else None
    if address is None:
        return UNKNOWN_IP
    if not forwarded_for or not _trusted(address, proxies):
        return str(address)
    for hop in reversed([part for part in forwarded_for.split(",") if part.strip()]):
        parsed = _parse(hop)
        if parsed is None:
            return str(address)
        address = parsed
        if not _trusted(address, proxies):
            return str(address)
    return str(address)


def client_ip(connection: ASGIConnection, proxies: Sequence[IPNetwork]) -> str:  # type: ignore[type-arg]
    peer = connection.client.host if connection.client else None
    return resolve_client_ip(peer, connection.headers.get("x-forwarded-for"), proxies)


def consent_evidence(connection: ASGIConnection, proxies: Sequence[IPNetwork]) -> ConsentEvidence:  # type: ignore[type-arg]
    """Where a consent came from: the client's address and user agent (stored encrypted)."""
    return ConsentEvidence(
        ip=client_ip(connection, proxies), user_agent=connection.headers.get("user-agent")
    )
