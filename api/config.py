"""What the inbound side needs to know about the deployment (built by ``main.py``)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

LOOPBACK: tuple[IPNetwork, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)


@dataclass(frozen=True, slots=True)
class ApiConfig:
    cors_allowed_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[IPNetwork, ...] = ()
    # Source addresses YooKassa notifications may come from; empty refuses every one.
    yookassa_webhook_allowed_ips: tuple[IPNetwork, ...] = ()
    production: bool = False
    # Who ``GET /metrics`` answers; to everyone else it is the 404 of an unknown path.
    metrics_allowed_ips: tuple[IPNetwork, ...] = LOOPBACK
    # prometheus-client's multiprocess directory: ``/metrics`` sums every process's files.
    metrics_multiproc_dir: str | None = None
    debug: bool = False
    extra: dict[str, object] = field(default_factory=dict)
