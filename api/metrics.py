"""Prometheus metrics of the HTTP side, and ``GET /metrics`` for the allowed clients only.

No label carries a person or an id: requests are counted by method, route *template*
(``/api/public/payments/{payment_id}``, never the concrete path; ``(unmatched)`` for a path no
route has) and status; payment creations by outcome (``created``, ``replayed`` or the domain
error's stable code). ``docs/operations.md`` lists every metric.

With several processes (``PROMETHEUS_MULTIPROC_DIR``) each process writes its own files and
the scrape sums them (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
from collections.abc import Awaitable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from litestar import HttpMethod, Request, Response, head, route
from litestar.enums import ScopeType
from litestar.exceptions import NotFoundException
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from api.client_ip import client_ip
from api.config import ApiConfig, IPNetwork
from api.dependencies import Ports
from domain.errors import DomainError
from domain.ports import OutboxBacklog
from domain.use_cases.create_payment_intent import PaymentIntentResult

logger = logging.getLogger("api.metrics")

# Latencies from a cached GET (milliseconds) to a payment waiting on YooKassa (its budget is
# 10 s by default, at most 120 s).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0)

HTTP_REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time from receiving a request to its last response byte, by method and route template.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
PAYMENTS_CREATED = Counter(
    "payments_created_total",
    "POST /api/public/payments by outcome: created, replayed (Idempotency-Key), or the error "
    "code (provider_unavailable, provider_rejected, appointment_not_payable, ...).",
    ["outcome"],
)

# prometheus-client's CONTENT_TYPE_PLAIN_0_0_4 without the charset, which Litestar adds.
TEXT_FORMAT_0_0_4 = "text/plain; version=0.0.4"
UNMATCHED_ROUTE = "(unmatched)"
OTHER_METHOD = "OTHER"
# Anything else a client sends as a method would be a label of its choosing.
_KNOWN_METHODS = frozenset(m.value for m in HttpMethod)
# Litestar's template names each parameter's type: ``{payment_id:uuid}`` -> ``{payment_id}``.
_TYPED_PARAMETER = re.compile(r"\{(\w+):[^}]*\}")


def route_label(scope: Scope) -> str:
    """The route's template from our own route table (a mount counts as its prefix, such as
    ``/admin``), so the label set is bounded whatever paths clients send."""
    template = scope.get("path_template")
    if not template:
        # A mount (``/admin``) has no template of its own: its handler's path is the label.
        handler = scope.get("route_handler")
        paths = sorted(getattr(handler, "paths", None) or ()) if handler is not None else []
        if not paths:
            return UNMATCHED_ROUTE
        template = paths[0]
    return _TYPED_PARAMETER.sub(r"{\1}", template)


def method_label(scope: Scope) -> str:
    method = str(scope.get("method", "")).upper()
    return method if method in _KNOWN_METHODS else OTHER_METHOD


class RequestMetrics:
    """Wraps the app's ASGI handler (outside routing, so unmatched paths are counted too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            method, route_ = method_label(scope), route_label(scope)
            HTTP_REQUESTS.labels(method=method, route=route_, status=str(status)).inc()
            HTTP_LATENCY.labels(method=method, route=route_).observe(time.perf_counter() - started)


async def counted_payment_creation(call: Awaitable[PaymentIntentResult]) -> PaymentIntentResult:
    """Awaits the create-payment use case and counts how it ended."""
    try:
        result = await call
    except DomainError as exc:
        PAYMENTS_CREATED.labels(outcome=exc.code).inc()
        raise
    except Exception:
        PAYMENTS_CREATED.labels(outcome="error").inc()
        raise
    PAYMENTS_CREATED.labels(outcome="replayed" if result.replayed else "created").inc()
    return result


class _OutboxSnapshot(Collector):
    """The backlogs read for this scrape (never written to the multiprocess files)."""

    def __init__(self, backlogs: Sequence[OutboxBacklog] | None) -> None:
        self._backlogs = backlogs

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "outbox_backlog_up", "1 when the outbox backlog could be read at this scrape."
        )
        up.add_metric([], 0.0 if self._backlogs is None else 1.0)
        yield up
        if self._backlogs is None:
            return
        pending = GaugeMetricFamily(
            "outbox_backlog", "Items waiting for the worker, per outbox.", labels=["outbox"]
        )
        oldest = GaugeMetricFamily(
            "outbox_oldest_age_seconds",
            "Age of the oldest item waiting, per outbox (0 when empty).",
            labels=["outbox"],
        )
        for backlog in self._backlogs:
            pending.add_metric([backlog.outbox], float(backlog.pending))
            oldest.add_metric([backlog.outbox], backlog.oldest_age_seconds)
        yield pending
        yield oldest


def metrics_allowed(ip: str, allowed: Sequence[IPNetwork]) -> bool:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in allowed)


async def render_metrics(config: ApiConfig, backlogs: Sequence[OutboxBacklog] | None) -> bytes:
    if config.metrics_multiproc_dir is not None:
        # Every process's files; this process's own in-memory view would be only its share.
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=config.metrics_multiproc_dir)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    snapshot = CollectorRegistry(auto_describe=False)
    snapshot.register(_OutboxSnapshot(backlogs))
    return generate_latest(registry) + generate_latest(snapshot)


# Every method answers, so that a client who may not read the metrics gets exactly the answer
# of an unknown path (a 405 for POST would tell it that /metrics exists).
_ALL_BUT_HEAD = [m for m in HttpMethod if m is not HttpMethod.HEAD]


@route("/metrics", http_method=_ALL_BUT_HEAD, include_in_schema=False, name="metrics")
async def metrics_endpoint(request: Request[Any, Any, Any], ports: Ports) -> Response[bytes]:
    config: ApiConfig = request.app.state["api_config"]
    if request.method != HttpMethod.GET or not metrics_allowed(
        client_ip(request), config.metrics_allowed_ips
    ):
        raise NotFoundException()
    backlogs: Sequence[OutboxBacklog] | None = None
    if ports.outbox_backlog is not None:
        try:
            backlogs = await ports.outbox_backlog.backlogs(datetime.now(UTC))
        except Exception as exc:  # noqa: BLE001 - the scrape still reports the rest
            logger.warning("outbox backlog unreadable: %s", type(exc).__name__)
    body = await render_metrics(config, backlogs)
    return Response(
        body,
        status_code=200,
        # The classic text format every Prometheus reads (prometheus-client's "latest" is
        # 1.0.0, which only Prometheus 3 knows).
        media_type=TEXT_FORMAT_0_0_4,
        headers={"Cache-Control": "no-store"},
    )


@head("/metrics", include_in_schema=False, name="metrics-head")
async def metrics_head() -> None:
    raise NotFoundException()
