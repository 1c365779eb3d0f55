"""What the inbound side needs to know about the deployment (built by ``main.py``)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class ApiConfig:
    cors_allowed_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[IPNetwork, ...] = ()
    # Source addresses YooKassa notifications may come from; empty refuses every one.
    yookassa_webhook_allowed_ips: tuple[IPNetwork, ...] = ()
    production: bool = False
    debug: bool = False
    extra: dict[str, object] = field(default_factory=dict)
