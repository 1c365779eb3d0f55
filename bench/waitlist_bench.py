"""Waitlist throughput on PostgreSQL against a one-insert Litestar baseline, in one run.

    .venv/bin/python bench/waitlist_bench.py [--seconds 10] [--clients 32]

Creates a scratch database on ``BENCH_POSTGRES_ADMIN_DSN`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``), migrates it, seeds the demo data, then
serves two apps in their own uvicorn processes on loopback:

- **waitlist**: the real app (``build_app``), ``POST /api/public/waitlist`` with a new
  email each time: contact validation, two encryptions and a blind index, then one
  statement (``tables/crm/waitlist_submissions.py``) looking up the service, upserting the
  lead, deduplicating and writing the request, two consent records, a timeline event, a
  tracking event and the confirmation email; submissions that arrive while such statements
  run share the next one (group commit), each still written whole or not at all;
- **baseline**: a minimal Litestar app on the same Piccolo engine and database whose endpoint
  decodes the same body and does a single ``INSERT``.

Each gets the same closed-loop load (``--clients`` concurrent clients, a short warm-up, then
``--seconds`` measured, split into ``--rounds`` alternating rounds so that a change in the
machine's load affects both alike) and the script prints throughput, p50/p99 latency and the ratio
waitlist/baseline throughput (target: at least 0.5). Rate limiting is off (0). The scratch
database is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

ROOT = Path(__file__).resolve().parent.parent
ADMIN_DSN = os.environ.get(
    "BENCH_POSTGRES_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
CONSENTS = {"personal_data": True, "communications": True, "version": "2026-11-01"}


# Servers (run in child processes) ----------------------------------------------------------


class Consents(msgspec.Struct):
    personal_data: bool
    communications: bool
    version: str


class Body(msgspec.Struct):
    service_slug: str
    preferred_contact_method: str
    contact_value: str
    preferred_time_window: str
    consents: Consents


class Created(msgspec.Struct):
    id: uuid.UUID
    status: str = "new"


def baseline_app() -> Any:
    from litestar import Litestar, post
    from piccolo.querystring import QueryString

    from composition.database import close_database, database_engine, open_database

    engine = database_engine()

    @post("/baseline", status_code=201)
    async def create(data: Body) -> Created:
        new_id = uuid.uuid4()
        await engine.run_querystring(
            QueryString(
                "INSERT INTO bench_baseline (id, service_slug, method, time_window, created_at) "
                "VALUES ({}, {}, {}, {}, now())",
                new_id,
                data.service_slug,
                data.preferred_contact_method,
                data.preferred_time_window,
            )
        )
        return Created(id=new_id)

    async def start() -> None:
        await open_database(engine)

    async def stop() -> None:
        await close_database(engine)

    return Litestar(route_handlers=[create], on_startup=[start], on_shutdown=[stop])


def serve(kind: str, port: int) -> None:
    import logging

    import uvicorn

    from adapters.settings import load_settings
    from composition.container import build_container
    from composition.web import build_app

    logging.basicConfig(level=logging.WARNING)
    app = build_app(build_container(load_settings())) if kind == "waitlist" else baseline_app()
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on"
    )


# Load ---------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


class KeepAliveClient:
    """A minimal HTTP/1.1 keep-alive client: the load generator shares the machine's CPUs
    with both servers and PostgreSQL, so it must cost far less per request than they do
    (httpx alone saturated a core before either server did)."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> int:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        assert self._reader is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        self._writer.write(head + body)
        status_line = await self._reader.readline()
        length = 0
        close = False
        while True:
            line = await self._reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value.strip())
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
        if length:
            await self._reader.readexactly(length)
        if close:
            await self.close()
        return int(status_line.split()[1])

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


async def load(
    name: str, url: str, slug: str, clients: int, seconds: float, warmup: float
) -> Result:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path
    counter = iter(range(10**9))
    latencies: list[float] = []
    errors = 0
    measuring = False
    stop_at = 0.0
    prefix = uuid.uuid4().hex[:12]

    def body() -> bytes:
        return msgspec.json.encode(
            {
                "service_slug": slug,
                "preferred_contact_method": "email",
                "contact_value": f"bench.{prefix}.{next(counter)}@example.org",
                "preferred_time_window": "evening",
                "consents": CONSENTS,
            }
        )

    connections = [KeepAliveClient(host, port) for _ in range(clients)]

    async def worker(client: KeepAliveClient) -> None:
        nonlocal errors
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                ok = await client.post(path, body()) in (201, 202)
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                ok = False
                await client.close()
            if measuring:
                if ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

    try:
        stop_at = time.perf_counter() + warmup
        await asyncio.gather(*(worker(c) for c in connections))
        measuring = True
        begin = time.perf_counter()
        stop_at = begin + seconds
        await asyncio.gather(*(worker(c) for c in connections))
        elapsed = time.perf_counter() - begin
    finally:
        for connection in connections:
            await connection.close()
    return Result(name, len(latencies), errors, elapsed, latencies)


# Orchestration ------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_up(url: str, deadline: float = 30.0) -> None:
    import httpx

    end = time.monotonic() + deadline
    async with httpx.AsyncClient() as client:
        while time.monotonic() < end:
            try:
                await client.get(url)
                return
            except httpx.HTTPError:
                await asyncio.sleep(0.2)
    raise RuntimeError(f"server at {url} did not start")


async def prepare(dsn: str) -> str:
    import asyncpg  # type: ignore[import-untyped]

    from adapters.settings import load_settings
    from composition.container import build_container
    from composition.database import close_database, database_engine, migrate, open_database
    from tables.demo import seed_demo

    await migrate(quiet=True)
    engine = database_engine()
    await open_database(engine)
    try:
        await seed_demo()
        container = build_container(load_settings())
        from domain.use_cases.get_availability import GetAvailabilityCommand

        slug = ""
        for service in await container.list_services.execute():
            result = await container.get_availability.execute(GetAvailabilityCommand(service.slug))
            if result.no_slots:
                slug = service.slug
        slug = slug or (await container.list_services.execute())[0].slug
    finally:
        await close_database(engine)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "CREATE TABLE bench_baseline (id uuid PRIMARY KEY, service_slug varchar(64), "
            "method varchar(16), time_window varchar(16), created_at timestamptz)"
        )
    finally:
        await conn.close()
    return slug


async def admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def report(results: list[Result], clients: int) -> None:
    print(f"\nPOST throughput at {clients} concurrent clients (PostgreSQL, loopback)")
    print(f"{'endpoint':<40} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'n':>7}")
    for r in results:
        print(
            f"{r.name:<40} {r.throughput:>9.1f} {r.percentile(0.50):>8.1f} "
            f"{r.percentile(0.99):>8.1f} {r.errors:>7} {r.requests:>7}"
        )
    baseline = next(r for r in results if r.name.startswith("baseline"))
    waitlist = next(r for r in results if r.name.startswith("waitlist"))
    ratio = waitlist.throughput / baseline.throughput
    verdict = "meets" if ratio >= 0.5 else "BELOW"
    print(f"\nratio waitlist/baseline throughput: {ratio:.2f} ({verdict} the 0.5 target)")
    print(
        f"mean latency: waitlist {statistics.fmean(waitlist.latencies) * 1000:.1f} ms, "
        f"baseline {statistics.fmean(baseline.latencies) * 1000:.1f} ms"
    )


def main_cli() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds per endpoint")
    parser.add_argument("--serve", choices=["waitlist", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return 0

    db_name = f"eb_bench_{os.getpid()}"
    dsn = ADMIN_DSN.rsplit("/", 1)[0] + f"/{db_name}"
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": dsn,
        "RATE_LIMIT_PER_MINUTE": "0",
        "LOG_LEVEL": "WARNING",
        "VAR_DIR": str(ROOT / "var" / "bench"),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)
    env.pop("SMTP_URL", None)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))

    asyncio.run(admin(f'CREATE DATABASE "{db_name}"'))
    servers: list[subprocess.Popen[bytes]] = []
    try:
        slug = asyncio.run(prepare(dsn))
        ports = {"waitlist": free_port(), "baseline": free_port()}
        for kind, port in ports.items():
            servers.append(
                subprocess.Popen(
                    [sys.executable, __file__, "--serve", kind, "--port", str(port)],
                    env=env,
                    cwd=ROOT,
                )
            )

        async def run() -> list[Result]:
            await wait_up(f"http://127.0.0.1:{ports['waitlist']}/health")
            await wait_up(f"http://127.0.0.1:{ports['baseline']}/")
            # Alternating rounds, so a change in the machine's load hits both alike.
            baseline = Result("baseline (one INSERT)", 0, 0, 0.0, [])
            waitlist = Result("waitlist (POST /api/public/waitlist)", 0, 0, 0.0, [])
            targets = (
                (baseline, f"http://127.0.0.1:{ports['baseline']}/baseline"),
                (waitlist, f"http://127.0.0.1:{ports['waitlist']}/api/public/waitlist"),
            )
            for _ in range(args.rounds):
                for total, url in targets:
                    part = await load(
                        total.name, url, slug, args.clients, args.seconds / args.rounds, args.warmup
                    )
                    total.requests += part.requests
                    total.errors += part.errors
                    total.seconds += part.seconds
                    total.latencies.extend(part.latencies)
            return [baseline, waitlist]

        results = asyncio.run(run())
        report(results, args.clients)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=15)
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
    return 0


if __name__ == "__main__":
    sys.exit(main_cli())
