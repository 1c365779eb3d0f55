"""``GET /metrics`` cost on PostgreSQL with a long outbox history: the scrape stays cheap.

    .venv/bin/python bench/metrics_bench.py [--history 500000] [--scrapes 50]

Creates a scratch database on ``BENCH_POSTGRES_ADMIN_DSN`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``), migrates it and writes ``--history`` sent
emails and as many delivered tracking events (server side, ``generate_series``), plus a few
hundred items still waiting. Then it times the outbox probe alone and whole scrapes of the real
app over HTTP from loopback, and prints the median and worst. The figures are printed, never
asserted. The scratch database is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADMIN_DSN = os.environ.get(
    "BENCH_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)


async def admin(statement: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def fill(dsn: str, history: int) -> float:
    import asyncpg

    started = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            """
            INSERT INTO email_outbox (id, recipient_encrypted, template, params, status,
                                      attempts, next_attempt_at, created_at, sent_at)
            SELECT gen_random_uuid(), 'gAAAA-bench', 'payment_confirmation', '{}',
                   CASE WHEN n <= $2::int THEN 'pending' ELSE 'sent' END, 1,
                   now() - n * interval '1 second', now() - n * interval '1 second',
                   CASE WHEN n <= $2::int THEN NULL ELSE now() END
            FROM generate_series(1, $1::int + $2::int) AS n
            """,
            history,
            200,
        )
        await conn.execute(
            """
            INSERT INTO tracking_events (id, name, source, properties, occurred_at,
                                         delivered_at, attempts)
            SELECT gen_random_uuid(), 'payment_started', 'server', '{}',
                   now() - n * interval '1 second',
                   CASE WHEN n <= $2::int THEN NULL ELSE now() END, 0
            FROM generate_series(1, $1::int + $2::int) AS n
            """,
            history,
            300,
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return time.perf_counter() - started


def summary(label: str, seconds: list[float]) -> None:
    print(
        f"{label}: median {statistics.median(seconds) * 1000:.1f} ms, "
        f"worst {max(seconds) * 1000:.1f} ms over {len(seconds)}"
    )


async def bench(args: argparse.Namespace, dsn: str) -> None:
    import httpx

    from adapters.settings import load_settings
    from composition.container import build_container
    from composition.database import close_database, migrate, open_database
    from composition.web import build_app
    from tables.outbox_backlog import PiccoloOutboxBacklogProbe
    from tests.support.live_server import live_server

    await migrate(quiet=True)
    seconds = await fill(dsn, args.history)
    print(f"wrote {args.history:,} sent emails and delivered events in {seconds:.1f} s")

    container = build_container(load_settings())
    await open_database(container.engine)
    try:
        probe = PiccoloOutboxBacklogProbe()
        from datetime import UTC, datetime

        timings = []
        for _ in range(args.scrapes):
            started = time.perf_counter()
            backlogs = await probe.backlogs(datetime.now(UTC))
            timings.append(time.perf_counter() - started)
        print({b.outbox: b.pending for b in backlogs})
        summary("outbox probe (4 queries)", timings)
    finally:
        await close_database(container.engine)

    app = build_app(build_container(load_settings()))

    def scrape_all() -> list[float]:
        with live_server(app) as url, httpx.Client(base_url=url, timeout=30) as client:
            for _ in range(50):  # some traffic, so the scrape has series to print
                client.get("/health")
            out = []
            for _ in range(args.scrapes):
                started = time.perf_counter()
                response = client.get("/metrics")
                out.append(time.perf_counter() - started)
                assert response.status_code == 200
            return out

    summary("whole scrape over HTTP", await asyncio.to_thread(scrape_all))


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", type=int, default=500_000)
    parser.add_argument("--scrapes", type=int, default=50)
    args = parser.parse_args()

    name = f"eb_metrics_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    dsn = ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    # Piccolo binds its engine when piccolo_conf is imported: set the database first.
    os.environ["DATABASE_URL"] = dsn
    os.environ.setdefault("APP_ENV", "development")
    os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="eb-bench-"))
    os.environ["LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    try:
        asyncio.run(bench(args, dsn))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main_()
