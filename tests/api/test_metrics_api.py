"""``GET /metrics``: who may read it, what it counts, and that no label names a person."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.config import ApiConfig
from api.metrics import UNMATCHED_ROUTE, counted_payment_creation
from domain.errors import AppointmentNotPayable, ProviderRejected, ProviderUnavailable
from domain.models import Money
from domain.payments import PaymentKind, PaymentStatus
from domain.ports import OutboxBacklog
from domain.use_cases.create_payment_intent import PaymentIntentResult
from tests.api.public_app import public_app
from tests.support.live_server import live_server as _live_server
from tests.support.metrics import label_values, value

EMAIL = "metrics.client@example.org"
PHONE = "+7 916 123-45-67"
PHONE_DIGITS = "79161234567"
NAME = "Метрическая Клиентка"

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
EMAIL_RE = re.compile(r"[^\s\"'@]+@[^\s\"'@]+\.[a-z]{2,}", re.I)
LONG_DIGITS_RE = re.compile(r"\d[\d\s()+-]{6,}\d")


def live_server(app: object) -> AbstractContextManager[str]:
    """As ``serve`` runs: uvicorn leaves X-Forwarded-For to the app."""
    return _live_server(app, proxy_headers=False)


def net(*cidrs: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c) for c in cidrs)


@pytest.fixture
def server() -> Iterator[str]:
    """The public app on a real loopback socket (the client is 127.0.0.1), default config."""
    with live_server(public_app().app) as url:
        yield url


def scrape(url: str, **kwargs: object) -> httpx.Response:
    return httpx.get(f"{url}/metrics", timeout=10, **kwargs)  # type: ignore[arg-type]


def test_metrics_answer_a_loopback_client_by_default(server: str) -> None:
    response = scrape(server)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "# TYPE http_requests_total counter" in response.text
    assert "# TYPE http_request_duration_seconds histogram" in response.text


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
def test_a_client_not_allowed_gets_exactly_the_answer_of_an_unknown_path(method: str) -> None:
    config = ApiConfig(metrics_allowed_ips=net("10.20.0.0/16"))
    with live_server(public_app(config).app) as url, httpx.Client(base_url=url) as client:
        hidden = client.request(method, "/metrics")
        unknown = client.request(method, "/no-such-page")
        allowed_elsewhere = client.request(method, "/metrics/")

    assert hidden.status_code == unknown.status_code == 404
    assert hidden.content == unknown.content
    assert allowed_elsewhere.status_code == 404

    def comparable(response: httpx.Response) -> dict[str, str]:
        return {k: v for k, v in response.headers.items() if k.lower() != "date"}

    assert comparable(hidden) == comparable(unknown)


def test_a_forged_forwarded_for_from_an_untrusted_peer_is_not_believed() -> None:
    # The peer (127.0.0.1) is not a trusted proxy: its X-Forwarded-For is ignored, and the
    # peer itself is not allowed here.
    config = ApiConfig(metrics_allowed_ips=net("203.0.113.7/32"))
    with live_server(public_app(config).app) as url:
        forged = scrape(url, headers={"X-Forwarded-For": "203.0.113.7"})
    assert forged.status_code == 404


def test_behind_a_trusted_proxy_the_client_address_decides() -> None:
    config = ApiConfig(
        metrics_allowed_ips=net("203.0.113.7/32"), trusted_proxies=net("127.0.0.1/32")
    )
    with live_server(public_app(config).app) as url:
        via_proxy = scrape(url, headers={"X-Forwarded-For": "203.0.113.7"})
        # The client wrote the allowed address itself; the proxy appended the real one.
        prepended = scrape(url, headers={"X-Forwarded-For": "203.0.113.7, 198.51.100.9"})
        # The proxy itself (loopback) is not in the allowed list.
        direct = scrape(url)
    assert via_proxy.status_code == 200
    assert prepended.status_code == 404
    assert direct.status_code == 404


def test_nobody_reads_the_metrics_when_the_list_is_empty() -> None:
    with live_server(public_app(ApiConfig(metrics_allowed_ips=())).app) as url:
        assert scrape(url).status_code == 404


def test_requests_are_counted_by_method_route_template_and_status(server: str) -> None:
    before = scrape(server).text
    for _ in range(3):
        assert httpx.get(f"{server}/health").status_code == 200
    missing = httpx.get(f"{server}/api/public/services/no-such-service/availability")
    assert missing.status_code == 404
    assert httpx.get(f"{server}/nothing/here").status_code == 404
    assert httpx.request("BREW", f"{server}/health").status_code in {404, 405}
    after = scrape(server).text

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("http_requests_total", method="GET", route="/health", status="200") == 3
    template = "/api/public/services/{slug}/availability"
    assert grew("http_requests_total", method="GET", route=template, status="404") == 1
    assert grew("http_requests_total", method="GET", route=UNMATCHED_ROUTE, status="404") == 1
    assert grew("http_request_duration_seconds_count", method="GET", route="/health") == 3
    assert grew("http_request_duration_seconds_bucket", method="GET", route="/health", le="+Inf")
    assert "BREW" not in after  # a method a client made up is "OTHER"
    assert grew("http_requests_total", method="GET", route="/metrics", status="200") == 1


def test_no_label_carries_an_ip_an_id_an_email_or_a_phone() -> None:
    built = public_app()
    slot = built.slots["tomorrow"]
    payment_id = uuid.uuid4()
    with live_server(built.app) as url, httpx.Client(base_url=url) as client:
        client.post(
            "/api/public/appointments",
            json={
                "slot_id": str(slot.id),
                "client": {"name": NAME, "email": EMAIL, "phone": PHONE},
                "consents": {"personal_data": True, "communications": True, "version": "v1"},
            },
        )
        client.get(f"/api/public/payments/{payment_id}")
        client.get(f"/api/public/services/{EMAIL}/availability")
        client.get(f"/api/public/services/{PHONE_DIGITS}/availability")
        client.get(f"/u/{EMAIL}/{PHONE}/{slot.id}")
        client.get("/health", headers={"X-Forwarded-For": "198.51.100.23"})
        text = client.get("/metrics").text

    for secret in (EMAIL, PHONE, PHONE_DIGITS, NAME, str(slot.id), str(payment_id)):
        assert secret not in text
    assert "127.0.0.1" not in text and "198.51.100.23" not in text
    assert not UUID_RE.search(text)
    assert not EMAIL_RE.search(text)
    for label in label_values(text):
        assert not LONG_DIGITS_RE.search(label), label
        assert not re.search(r"\d+\.\d+\.\d+\.\d+", label), label
        assert "@" not in label, label
    assert "/api/public/services/{slug}/availability" in label_values(text)


async def _finish(result: PaymentIntentResult) -> PaymentIntentResult:
    return result


async def _fail(error: Exception) -> PaymentIntentResult:
    raise error


@pytest.mark.anyio
async def test_payment_creations_are_counted_by_outcome(server: str) -> None:
    created = PaymentIntentResult(
        payment_id=uuid.uuid4(),
        status=PaymentStatus.PENDING,
        kind=PaymentKind.DEPOSIT,
        amount=Money.rub("1500"),
        confirmation=None,
    )
    replayed = dataclasses.replace(created, replayed=True)
    before = scrape(server).text
    await counted_payment_creation(_finish(created))
    await counted_payment_creation(_finish(replayed))
    await counted_payment_creation(_finish(created))
    for error in (ProviderUnavailable(), ProviderRejected(), AppointmentNotPayable()):
        with pytest.raises(type(error)):
            await counted_payment_creation(_fail(error))
    with pytest.raises(RuntimeError):
        await counted_payment_creation(_fail(RuntimeError("boom")))
    after = scrape(server).text

    def grew(outcome: str) -> float:
        name = "payments_created_total"
        return value(after, name, outcome=outcome) - value(before, name, outcome=outcome)

    assert grew("created") == 2
    assert grew("replayed") == 1
    assert grew(ProviderUnavailable.code) == 1
    assert grew(ProviderRejected.code) == 1
    assert grew(AppointmentNotPayable.code) == 1
    assert grew("error") == 1


class FixedBacklogs:
    def __init__(self, backlogs: Sequence[OutboxBacklog] | None) -> None:
        self._backlogs = backlogs

    async def backlogs(self, now: datetime) -> Sequence[OutboxBacklog]:
        if self._backlogs is None:
            raise ConnectionError("database down")
        return self._backlogs


def test_the_scrape_reports_each_outbox_and_survives_an_unreadable_database() -> None:
    readable = public_app(
        outbox_backlog=FixedBacklogs(
            [OutboxBacklog("emails", 4, 120.5), OutboxBacklog("tracking_events", 0, 0.0)]
        )
    )
    with live_server(readable.app) as url:
        good = scrape(url).text
    with live_server(public_app(outbox_backlog=FixedBacklogs(None)).app) as url:
        bad = scrape(url)

    assert value(good, "outbox_backlog_up") == 1
    assert value(good, "outbox_backlog", outbox="emails") == 4
    assert value(good, "outbox_oldest_age_seconds", outbox="emails") == 120.5
    assert 'outbox_backlog{outbox="tracking_events"} 0.0' in good
    assert bad.status_code == 200
    assert value(bad.text, "outbox_backlog_up") == 0
    assert "outbox_backlog{" not in bad.text


def test_docs_operations_lists_every_metric_the_service_exposes(server: str) -> None:
    import composition.worker  # noqa: F401 - registers the worker's metrics in this process

    docs = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text("utf-8")
    names = set()
    for family in text_string_to_metric_families(scrape(server).text):
        if family.name.startswith(("process_", "python_")) or family.name.endswith("_created"):
            continue  # prometheus-client's own, documented as such
        names.add(family.name + ("_total" if family.type == "counter" else ""))
    assert {"http_requests_total", "worker_job_runs_total", "outbox_backlog_up"} <= names
    for name in names:
        assert f"`{name}`" in docs, name
