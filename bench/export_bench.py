"""Lead export with contacts on PostgreSQL: rows per second, flat memory, ratio to COPY.

    .venv/bin/python bench/export_bench.py [--rows 1000000] [--small 100000] [--page-size 2000]

Creates a scratch database on ``BENCH_POSTGRES_ADMIN_DSN`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``) and migrates it. Leads are generated on the
server (``INSERT ... SELECT generate_series``) from a pool of contacts encrypted beforehand
with the real Fernet encryptor, so a million rows take seconds, not minutes.

It then runs the real export (``ExportLeadsUseCase`` with contacts, as ``export-leads`` and the
admin form do: audit row, keyset pages, decryption, formula-safe CSV, UTF-8 with BOM) into a
file, first over ``--small`` leads, then over ``--rows``, and prints for each: rows per
second and the process's peak resident memory during the export (sampled after every page,
so the figure is what the export itself needed). Flat memory means the 1M figure is about the
100k one. Last, ``COPY (SELECT <same columns> ...) TO STDOUT (FORMAT csv)`` of the same rows,
without decryption, gives PostgreSQL's own speed and the ratio export/COPY.
The scratch database is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ADMIN_DSN = os.environ.get(
    "BENCH_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TOKEN_POOL = 2000
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_BYTES


async def create_database(name: str) -> str:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"


async def drop_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def generate_leads(dsn: str, encryptor: Any, start: int, stop: int) -> float:
    """Leads ``start..stop-1`` written by the server itself; returns seconds taken."""
    import asyncpg

    tokens = [encryptor.encrypt(f"+7999{n:07d}") for n in range(TOKEN_POOL)]
    conn = await asyncpg.connect(dsn)
    began = time.perf_counter()
    try:
        await conn.execute(
            """
            INSERT INTO leads (id, contact_method, contact_encrypted, contact_index, source,
                               status, first_activity_at, last_activity_at, created_at,
                               updated_at)
            SELECT gen_random_uuid(), 'phone', ($3::text[])[1 + g % $4], md5(g::text),
                   'waitlist', (ARRAY['new','in_progress','converted','lost'])[1 + g % 4],
                   timestamptz '2026-01-01 00:00:00+00' + g * interval '7 seconds',
                   timestamptz '2026-01-01 00:00:00+00' + g * interval '7 seconds'
                       + interval '1 hour',
                   now(), now()
            FROM generate_series($1::bigint, $2::bigint - 1) AS g
            """,
            start,
            stop,
            tokens,
            TOKEN_POOL,
        )
        await conn.execute("ANALYZE leads")
    finally:
        await conn.close()
    return time.perf_counter() - began


async def run_export(container: Any, manager_id: int, page_size: int) -> tuple[int, float, int]:
    """The real export with contacts into a scratch file: (rows, seconds, peak RSS bytes)."""
    from domain.staff import AccessReason
    from domain.use_cases.export_leads import ExportLeadsCommand

    peak = rss_bytes()
    began = time.perf_counter()
    export = await container.staff.export_leads.execute(
        ExportLeadsCommand(
            staff_user_id=manager_id,
            include_contacts=True,
            reason=AccessReason.REPORTING,
            page_size=page_size,
        )
    )
    rows = 0
    with tempfile.TemporaryFile() as sink:
        async for chunk, count in export.chunks_with_counts():
            sink.write(chunk)
            rows += count
            peak = max(peak, rss_bytes())
    seconds = time.perf_counter() - began
    if rows != export.row_count:
        raise RuntimeError(f"exported {rows} rows, counted {export.row_count}")
    return rows, seconds, peak


async def copy_baseline(dsn: str) -> tuple[int, float]:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    bytes_seen = 0

    async def sink(data: bytes) -> None:
        nonlocal bytes_seen
        bytes_seen += len(data)

    try:
        rows = await conn.fetchval("SELECT count(*) FROM leads")
        began = time.perf_counter()
        await conn.copy_from_query(
            "SELECT id, status, source, contact_method, first_activity_at, last_activity_at, "
            "contact_encrypted FROM leads ORDER BY first_activity_at, id",
            output=sink,
            format="csv",
        )
        return int(rows), time.perf_counter() - began
    finally:
        await conn.close()


def mib(value: int) -> str:
    return f"{value / 2**20:.1f} MiB"


async def bench(args: argparse.Namespace, dsn: str) -> None:
    from adapters.settings import load_settings
    from composition.container import build_container
    from composition.database import close_database, migrate, open_database
    from domain.models import StaffRole
    from tables.staff.accounts import create_staff_user

    await migrate(quiet=True)
    container = build_container(load_settings())
    await open_database(container.engine)
    try:
        manager_id = await create_staff_user(
            "bench-manager", "bench-password-123", StaffRole.MANAGER
        )
        print(f"baseline RSS before any export: {mib(rss_bytes())}")
        results = []
        generated = 0
        for target in (args.small, args.rows):
            seconds = await generate_leads(dsn, container.encryptor, generated, target)
            print(f"generated leads {generated:,}..{target:,} in {seconds:.1f} s (server side)")
            generated = target
            rows, seconds, peak = await run_export(container, manager_id, args.page_size)
            results.append((rows, seconds, peak))
            print(
                f"export with contacts: {rows:,} rows in {seconds:.1f} s = "
                f"{rows / seconds:,.0f} rows/s, peak RSS {mib(peak)}"
            )
        copy_rows, copy_seconds = await copy_baseline(dsn)
        copy_rate = copy_rows / copy_seconds
        print(
            f"COPY ... TO STDOUT (no decryption): {copy_rows:,} rows in {copy_seconds:.1f} s = "
            f"{copy_rate:,.0f} rows/s"
        )
        (small_rows, _, small_peak), (big_rows, big_seconds, big_peak) = results
        print("---")
        print(f"rows/s at {big_rows:,}: {big_rows / big_seconds:,.0f}")
        print(
            f"peak RSS: {mib(small_peak)} at {small_rows:,} vs {mib(big_peak)} at {big_rows:,} "
            f"(x{big_peak / small_peak:.2f} for x{big_rows / small_rows:.0f} rows)"
        )
        print(f"export / COPY throughput: {(big_rows / big_seconds) / copy_rate:.3f}")
    finally:
        await close_database(container.engine)


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=2000)
    args = parser.parse_args()
    if args.small >= args.rows:
        parser.error("--small must be below --rows")

    name = f"eb_export_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    dsn = asyncio.run(create_database(name))
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
        asyncio.run(drop_database(name))


if __name__ == "__main__":
    main_()
