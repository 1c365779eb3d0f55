"""Payment creation under load: does a 200 ms provider serialise us on the event loop?

The provider is the built-in sandbox over real HTTP, answering every call after 200 ms; our
gateway is the real SDK in its bounded thread pool. Two measurements:

1. the gateway alone: 64 concurrent ``create_payment`` calls;
2. the whole ``CreatePaymentIntentUseCase`` on a temporary SQLite database: 64 concurrent
   payments for 64 held appointments (row committed before the call, result written after).

Ideal throughput is concurrency / latency, capped by the thread pool: min(64, pool) / 0.2 s.
Run: ``.venv/bin/python bench/payments_bench.py``. Bounded: a few hundred requests, loopback.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_WORK = Path(tempfile.mkdtemp(prefix="eb-bench-"))
# ``--postgres``: a throwaway database on the local PostgreSQL (trust auth, user postgres).
POSTGRES = "--postgres" in sys.argv
PG_ADMIN = os.environ.get(
    "BENCH_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PG_DB = f"eb_bench_{os.getpid()}"
os.environ.update(
    {
        "APP_ENV": "development",
        "DATABASE_URL": PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_DB}"
        if POSTGRES
        else f"sqlite:///{(_WORK / 'bench.sqlite').as_posix()}",
        "VAR_DIR": str(_WORK / "var"),
    }
)

LATENCY = 0.2
CONCURRENCY = 64
SHOP = "506751"
SECRET = "test_bench-secret-key-for-the-sandbox-only"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def report(title: str, pool: int, wall: float, latencies: list[float]) -> None:
    ideal = min(CONCURRENCY, pool) / LATENCY
    achieved = len(latencies) / wall
    print(
        f"{title:<44} pool={pool:<3} {achieved:7.1f}/s of ideal {ideal:6.1f}/s "
        f"= {achieved / ideal:5.1%}   p50 {percentile(latencies, 0.5) * 1000:6.0f} ms   "
        f"p99 {percentile(latencies, 0.99) * 1000:6.0f} ms"
    )


async def timed(coro_factory, n: int) -> tuple[float, list[float]]:  # type: ignore[no-untyped-def]
    latencies: list[float] = []

    async def one(i: int) -> None:
        started = time.perf_counter()
        await coro_factory(i)
        latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    return time.perf_counter() - started, latencies


async def gateway_bench(api_url: str, pool: int) -> None:
    from adapters.yookassa.gateway import YooKassaPaymentGateway
    from domain.models import Money
    from domain.payments import ConfirmationType, CreateProviderPayment

    gateway = YooKassaPaymentGateway(
        shop_id=SHOP, secret_key=SECRET, api_url=api_url, max_threads=pool
    )

    async def create(_: int) -> None:
        payment_id = uuid4()
        await gateway.create_payment(
            CreateProviderPayment(
                idempotence_key=f"eb-{payment_id}",
                amount=Money.rub("1500.00"),
                description="bench",
                return_url="http://127.0.0.1/booking/payment-return/",
                confirmation_type=ConfirmationType.REDIRECT,
                payment_id=payment_id,
                appointment_id=uuid4(),
            )
        )

    await timed(create, CONCURRENCY)  # warm up: every pool thread started once
    wall, latencies = await timed(create, CONCURRENCY)
    gateway.close()
    report("gateway.create_payment (real SDK, HTTP)", pool, wall, latencies)


async def use_case_bench(api_url: str, pool: int) -> None:
    from adapters.settings import load_settings
    from adapters.yookassa.gateway import YooKassaPaymentGateway
    from composition.container import build_container
    from composition.database import close_database, open_database
    from domain.models import ConsentEvidence
    from domain.use_cases.create_payment_intent import (
        CreatePaymentIntentCommand,
        CreatePaymentIntentUseCase,
    )
    from domain.use_cases.hold_slot import HoldSlotCommand
    from domain.use_cases.payment_status import PaymentSettings
    from tables.core.tables import ServiceTable, SlotTable

    container = build_container(load_settings())
    await open_database(container.engine)
    service_id = uuid4()
    await ServiceTable.insert(
        ServiceTable(
            id=service_id,
            slug=f"bench-{service_id.hex[:8]}",
            title="Бенчмарк",
            duration_minutes=50,
            price=5000,
            deposit=1500,
        )
    )
    start = datetime.now(UTC) + timedelta(days=3)
    slots = [
        SlotTable(
            id=uuid4(),
            service=service_id,
            starts_at=start + timedelta(hours=i),
            ends_at=start + timedelta(hours=i, minutes=50),
        )
        for i in range(CONCURRENCY)
    ]
    await SlotTable.insert(*slots)
    appointments = []
    for i, slot in enumerate(slots):
        held = await container.hold_slot.execute(
            HoldSlotCommand(
                slot_id=slot.id,
                client_name=f"Клиент {i}",
                email=f"bench{i}@example.com",
                phone=None,
                personal_data_consent=True,
                communications_consent=False,
                consent_version="2026-11-01",
                evidence=ConsentEvidence(ip=None, user_agent=None),
            )
        )
        appointments.append(held.appointment_id)
    gateway = YooKassaPaymentGateway(
        shop_id=SHOP, secret_key=SECRET, api_url=api_url, max_threads=pool
    )
    use_case = CreatePaymentIntentUseCase(
        uow=container.uow,
        clock=container.clock,
        gateway=gateway,
        encryptor=container.encryptor,
        settings=PaymentSettings(public_site_url="http://127.0.0.1:8000"),
    )

    async def warm(_: int) -> None:
        await gateway.get_payment("00000000-000f-5000-8000-000000000000")

    await timed(warm, CONCURRENCY)  # every pool thread started once

    async def create(i: int) -> None:
        await use_case.execute(CreatePaymentIntentCommand(appointment_id=appointments[i]))

    wall, latencies = await timed(create, CONCURRENCY)
    gateway.close()
    await close_database(container.engine)
    database = "PostgreSQL" if POSTGRES else "SQLite"
    report(f"CreatePaymentIntentUseCase ({database}, SDK)", pool, wall, latencies)


SANDBOX_PROCESS = """
import sys, uvicorn
from adapters.yookassa.sandbox import YooKassaSandbox
sandbox = YooKassaSandbox(shop_id=sys.argv[1], secret_key=sys.argv[2])
sandbox.latency = float(sys.argv[3])
uvicorn.run(sandbox, host="127.0.0.1", port=int(sys.argv[4]), log_level="warning", lifespan="off")
"""


@contextmanager
def sandbox_process() -> Iterator[str]:
    """The sandbox in its own process, so its CPU does not compete with ours for the GIL."""
    from tests.support.live_server import free_port

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", SANDBOX_PROCESS, SHOP, SECRET, str(LATENCY), str(port)],
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the sandbox process did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


async def run() -> None:
    from composition.database import migrate

    await migrate(quiet=True)
    with sandbox_process() as url:
        api_url = f"{url}/v3"
        print(
            f"provider latency {LATENCY * 1000:.0f} ms, {CONCURRENCY} concurrent creations "
            f"(ideal = min({CONCURRENCY}, pool) / latency)"
        )
        for pool in (32, 64):
            await gateway_bench(api_url, pool)
        await use_case_bench(api_url, 32)


async def _postgres_database(create: bool) -> None:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        if create:
            await conn.execute(f'CREATE DATABASE "{PG_DB}"')
    finally:
        await conn.close()


if __name__ == "__main__":
    if POSTGRES:
        asyncio.run(_postgres_database(create=True))
    try:
        asyncio.run(run())
    finally:
        if POSTGRES:
            asyncio.run(_postgres_database(create=False))
