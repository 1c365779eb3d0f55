"""Payment creations counted by outcome through the real controller, use case and sandbox."""

from __future__ import annotations

from uuid import uuid4

import httpx
import pytest

from tests.support.metrics import label_values, value
from tests.support.payment_world import PaymentsWorld

pytestmark = [pytest.mark.anyio, pytest.mark.db]


def client(world: PaymentsWorld) -> httpx.AsyncClient:
    # From this machine: /metrics answers it by default.
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=world.app(), client=("127.0.0.1", 40000)),
        base_url="http://testserver",
        timeout=60,
    )


async def test_created_replayed_and_refused_payments_are_counted_apart(
    world: PaymentsWorld,
) -> None:
    appointment_id = await world.hold()
    body = {"appointment_id": str(appointment_id)}
    async with client(world) as http:
        before = (await http.get("/metrics")).text
        first = await http.post(
            "/api/public/payments", json=body, headers={"Idempotency-Key": "k-1"}
        )
        again = await http.post(
            "/api/public/payments", json=body, headers={"Idempotency-Key": "k-1"}
        )
        unknown = await http.post("/api/public/payments", json={"appointment_id": str(uuid4())})
        status = await http.get(f"/api/public/payments/{first.json()['payment_id']}")
        after = (await http.get("/metrics")).text

    assert (first.status_code, again.status_code, unknown.status_code) == (201, 201, 404)
    assert status.status_code == 200

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("payments_created_total", outcome="created") == 1
    assert grew("payments_created_total", outcome="replayed") == 1
    assert grew("payments_created_total", outcome="appointment_not_found") == 1
    template = "/api/public/payments/{payment_id}"
    assert grew("http_requests_total", method="GET", route=template, status="200") == 1
    assert (
        grew("http_requests_total", method="POST", route="/api/public/payments", status="201") == 2
    )
    assert first.json()["payment_id"] not in after
    assert str(appointment_id) not in after
    assert template in label_values(after)
