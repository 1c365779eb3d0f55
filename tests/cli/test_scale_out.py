"""Scale-out: two ``serve`` and two ``worker`` processes on one PostgreSQL and one Redis.

Everything is real and started as an operator starts it: ``python main.py migrate`` once
(production never migrates on start), ``seed-demo``, then two ``serve`` and two ``worker``
processes in ``APP_ENV=production`` against a database of their own, Redis for the rate
limits, the YooKassa sandbox over HTTPS and an SMTP server (aiosmtpd) that insists on
STARTTLS; both trust a throwaway certificate through ``SSL_CERT_FILE`` and
``REQUESTS_CA_BUNDLE``. The processes sit behind a "proxy" (``TRUSTED_PROXIES=127.0.0.1``), so
each simulated client has an address of its own in ``X-Forwarded-For``.

What must hold (SPEC 9.5): requests spread over both servers, the same one sent to both at
once, make no duplicate waitlist request, provider payment, payment row, email or tracking
event; a rate limit, and the admin's per-username login limit, count across both servers; a
worker killed in the middle of a job loses no email.

The tests share the cluster and run in file order; the last one kills a worker. Nothing here
asserts timings: every wait polls a condition with a generous deadline.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import secrets
import signal
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from cryptography.fernet import Fernet

from adapters.yookassa.sandbox import YooKassaSandbox
from tests.cli.cli import ROOT, clean_environ, run_main
from tests.support.fresh_database import fresh_database, query
from tests.support.live_server import free_port, live_server
from tests.support.tls import loopback_certificate

pytestmark = pytest.mark.postgres

SHOP_ID = "506751"
SECRET_KEY = "test_Fh8hUAVVBGUGbjmlzba6TB0iyUbos_lueTHE-axOwM0"
RATE_LIMIT = 6
YOOKASSA_IP = "198.51.100.7"  # where the webhook allowlist lets notifications in from
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
CONSENTS = {"personal_data": True, "communications": True, "version": "2026-11-01"}
WAIT_SECONDS = 90.0


# The SMTP server ------------------------------------------------------------------------


@dataclass
class Inbox:
    """What the SMTP server accepted. ``stalling`` holds every session at ``RCPT TO`` (before
    any message is handed over) until it is cleared; ``stalled`` names those sessions' peers."""

    messages: list[tuple[list[str], bytes]] = field(default_factory=list)
    stalled: list[tuple[str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    released: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.released.set()

    @property
    def stalling(self) -> bool:
        return not self.released.is_set()

    @stalling.setter
    def stalling(self, value: bool) -> None:
        if value:
            self.released.clear()
        else:
            self.released.set()

    async def handle_RCPT(  # noqa: N802 - the name aiosmtpd calls
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.stalling:
            with self.lock:
                self.stalled.append((str(session.peer[0]), int(session.peer[1])))
            await asyncio.to_thread(self.released.wait)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"

    def received(self, address: str) -> int:
        with self.lock:
            return sum(rcpt.count(address) for rcpt, _ in self.messages)


# The cluster ----------------------------------------------------------------------------


@dataclass
class Cluster:
    servers: list[str]
    workers: list[subprocess.Popen[bytes]]
    database_url: str
    sandbox: YooKassaSandbox
    inbox: Inbox
    smtp_port: int
    blind_index_key: bytes
    logs: Path
    used_limits: list[tuple[str, str]] = field(default_factory=list)  # (client IP, path)
    used_usernames: list[str] = field(default_factory=list)  # admin logins tried

    def post(self, server: int, path: str, body: Any, ip: str, **headers: str) -> httpx.Response:
        if path.startswith("/api/public/"):
            self.used_limits.append((ip, path))
        return httpx.post(
            f"{self.servers[server]}{path}",
            json=body,
            headers={"X-Forwarded-For": ip, **headers},
            timeout=60,
        )

    def sql(self, statement: str) -> list[tuple[object, ...]]:
        return query(self.database_url, statement)

    def output(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(encoding='utf-8', errors='replace')[-4000:]}"
            for log in sorted(self.logs.glob("*.log"))
        )


def wait_until(condition: Callable[[], bool], what: str, cluster: Cluster) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen in time\n{cluster.output()}"
        time.sleep(0.1)


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "main.py", *args], cwd=ROOT, env=env, stdout=out, stderr=out
        )


def production_environment(
    database_url: str, api_url: str, smtp_port: int, ca_file: Path, var: Path
) -> tuple[dict[str, str], bytes]:
    index_key = secrets.token_bytes(32)  # fresh per run: our Redis keys are ours alone
    env = clean_environ(
        APP_ENV="production",
        DATABASE_URL=database_url,
        CONTACT_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        BLIND_INDEX_KEY=index_key.hex(),
        YOOKASSA_SHOP_ID=SHOP_ID,
        YOOKASSA_SECRET_KEY=SECRET_KEY,
        YOOKASSA_ALLOW_TEST_KEYS="true",
        YOOKASSA_API_URL=api_url,
        YOOKASSA_WEBHOOK_ALLOWED_IPS=YOOKASSA_IP,
        PUBLIC_SITE_URL="https://emotional-balance.test",
        TELEGRAM_BOT_USERNAME="eb_concierge_bot",
        SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",  # production: STARTTLS or nothing
        EMAIL_FROM="noreply@emotional-balance.test",
        TRUSTED_PROXIES="127.0.0.1/32",
        RATE_LIMIT_PER_MINUTE=str(RATE_LIMIT),
        REDIS_URL=REDIS_URL,
        VAR_DIR=str(var),
        LOG_LEVEL="INFO",
        # Our throwaway CA: aiosmtplib (ssl) and the YooKassa SDK (requests) trust it.
        SSL_CERT_FILE=str(ca_file),
        REQUESTS_CA_BUNDLE=str(ca_file),
    )
    return env, index_key


def redis_client() -> Any:
    import redis

    return redis.Redis.from_url(REDIS_URL, socket_timeout=5)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    try:
        redis_client().ping()
    except Exception as exc:  # say what is missing, in one line
        pytest.fail(f"the scale-out test needs Redis at {REDIS_URL}: {type(exc).__name__}")
    base = tmp_path_factory.mktemp("scale")
    logs = base / "logs"
    logs.mkdir()
    certificate = loopback_certificate(base / "tls")
    tls = (certificate.cert_file, certificate.key_file)
    sandbox = YooKassaSandbox(shop_id=SHOP_ID, secret_key=SECRET_KEY)
    inbox = Inbox()
    smtp_port = free_port()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(*tls)
    smtp = Controller(
        inbox, hostname="127.0.0.1", port=smtp_port, tls_context=server_tls, require_starttls=True
    )
    smtp.start()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with (
            fresh_database(base) as database_url,
            live_server(sandbox, tls=tls) as sandbox_url,
        ):
            try:
                yield from run_cluster(
                    database_url,
                    sandbox,
                    sandbox_url,
                    inbox,
                    smtp_port,
                    certificate.cert_file,
                    base,
                    processes,
                )
            finally:
                # before the database is dropped, on success and failure alike
                stop_all(processes)
    finally:
        smtp.stop()


def run_cluster(
    database_url: str,
    sandbox: YooKassaSandbox,
    sandbox_url: str,
    inbox: Inbox,
    smtp_port: int,
    ca_file: Path,
    base: Path,
    processes: list[subprocess.Popen[bytes]],
) -> Iterator[Cluster]:
    """Migrate, seed, start two ``serve`` and two ``worker``; yields once all answer."""
    logs = base / "logs"
    env, index_key = production_environment(
        database_url,
        f"{sandbox_url}/v3",
        smtp_port,
        ca_file,
        base / "var",
    )
    for command in (["migrate"], ["seed-demo"]):
        done = run_main(*command, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
    servers = []
    for n in range(2):
        port = free_port()
        processes.append(
            start(
                ["serve", "--host", "127.0.0.1", "--port", str(port)], env, logs / f"serve-{n}.log"
            )
        )
        servers.append(f"http://127.0.0.1:{port}")
    workers = [
        start(["worker", "--interval", "0.3"], env, logs / f"worker-{n}.log") for n in range(2)
    ]
    processes.extend(workers)
    built = Cluster(
        servers=servers,
        workers=workers,
        database_url=database_url,
        sandbox=sandbox,
        inbox=inbox,
        smtp_port=smtp_port,
        blind_index_key=index_key,
        logs=logs,
    )
    for url in servers:
        wait_until(lambda url=url: ready(url), f"{url} answering /ready", built)
    for n in range(2):
        log = logs / f"worker-{n}.log"
        wait_until(
            lambda log=log: "worker started" in log.read_text(encoding="utf-8"),
            f"worker {n} starting",
            built,
        )
    yield built
    for process in processes:
        # none died on its own (the last test kills one worker)
        assert process.poll() in (None, -signal.SIGKILL), built.output()
    stop_all(processes)
    forget_rate_limits(built)


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/ready", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=35)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def forget_rate_limits(cluster: Cluster) -> None:
    """Delete this run's counters from Redis (they would expire within 15 minutes anyway)."""
    client = redis_client()
    key_secret = hashlib.sha256(b"rate-limit\x1f" + cluster.blind_index_key).digest()
    for ip, path in set(cluster.used_limits):
        digest = hmac.new(key_secret, f"{ip} {path}".encode(), hashlib.sha256).hexdigest()[:32]
        for key in client.scan_iter(match=f"eb:rl:*:{digest}"):
            client.delete(key)
    key_secret = hashlib.sha256(b"login-failures\x1f" + cluster.blind_index_key).digest()
    for username in set(cluster.used_usernames):
        digest = hmac.new(key_secret, username.encode(), hashlib.sha256).hexdigest()[:32]
        client.delete(f"eb:lf:f:{digest}", f"eb:lf:r:{digest}")


# Helpers over the public API ------------------------------------------------------------


def service_slugs(cluster: Cluster) -> list[str]:
    services = httpx.get(f"{cluster.servers[0]}/api/public/services", timeout=30).json()
    return [str(service["slug"]) for service in services]


def free_slots(cluster: Cluster, count: int) -> list[str]:
    slots: list[str] = []
    for slug in service_slugs(cluster):
        answer = httpx.get(
            f"{cluster.servers[1]}/api/public/services/{slug}/availability", timeout=30
        ).json()
        slots += [str(slot["slot_id"]) for slot in answer["slots"]]
    assert len(slots) >= count, "the demo data has too few free slots"
    return slots[:count]


def waitlist_body(slug: str, email: str) -> dict[str, Any]:
    return {
        "service_slug": slug,
        "preferred_contact_method": "email",
        "contact_value": email,
        "preferred_time_window": "evening",
        "consents": CONSENTS,
    }


def both_at_once(*calls: Callable[[], httpx.Response]) -> list[httpx.Response]:
    """Start every call together (a barrier), answers in the order given."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def outbox_drained(cluster: Cluster) -> bool:
    [(pending,)] = cluster.sql("SELECT count(*) FROM email_outbox WHERE status = 'pending'")
    return pending == 0


# The checks -----------------------------------------------------------------------------


def test_waitlist_submissions_over_both_servers_make_one_request_and_one_email(
    cluster: Cluster,
) -> None:
    slug = service_slugs(cluster)[0]
    contacts = [f"waitlist.{n}.{uuid.uuid4().hex[:6]}@example.org" for n in range(10)]

    def submit(n: int) -> list[httpx.Response]:
        email, ip = contacts[n], f"10.1.0.{n + 1}"
        body = waitlist_body(slug, email)
        # the same person on both servers at the very same moment, then once more on each
        at_once = both_at_once(
            lambda: cluster.post(0, "/api/public/waitlist", body, ip),
            lambda: cluster.post(1, "/api/public/waitlist", body, ip),
        )
        again = [cluster.post(server, "/api/public/waitlist", body, ip) for server in (1, 0)]
        return at_once + again

    with ThreadPoolExecutor(6) as pool:
        answers = [answer for batch in pool.map(submit, range(len(contacts))) for answer in batch]

    assert [answer.status_code for answer in answers] == [202] * len(answers), answers[0].text
    rows = cluster.sql(
        "SELECT contact_index, service, count(*) FROM waitlist_requests "
        "GROUP BY contact_index, service"
    )
    assert len(rows) == len(contacts)  # and so each contact made a request: the test can fail
    assert {row[2] for row in rows} == {1}
    wait_until(
        lambda: (
            all(cluster.inbox.received(email) for email in contacts) and outbox_drained(cluster)
        ),
        "every waitlist confirmation sent",
        cluster,
    )
    assert Counter(cluster.inbox.received(email) for email in contacts) == {1: len(contacts)}


def test_slots_freed_with_both_workers_running_are_each_offered_once_to_one_person(
    cluster: Cluster,
) -> None:
    """Both workers run ``offer-freed-slots`` every 0.3 s over the same freed slots: each slot
    goes to exactly one waitlist request, each request gets one slot, and each offer email is
    sent once. (The waitlist test above uses the first service and the evening: this one uses
    another service and mornings, so the two never match each other's slots.)"""
    slug = service_slugs(cluster)[-1]
    contacts = [f"offer.{n}.{uuid.uuid4().hex[:6]}@example.org" for n in range(3)]
    for n, email in enumerate(contacts):
        body = {**waitlist_body(slug, email), "preferred_time_window": "any"}
        assert (
            cluster.post(n % 2, "/api/public/waitlist", body, f"10.3.0.{n + 1}").status_code == 202
        )
    wait_until(
        lambda: all(cluster.inbox.received(email) == 1 for email in contacts),
        "every waitlist confirmation sent",
        cluster,
    )
    [(service_id,)] = cluster.sql(f"SELECT id FROM services WHERE slug = '{slug}'")
    # Three mornings (10:07 in Moscow, 07:07 UTC) a few days ahead, added at once by hand: the
    # database trigger records each as freed, and both workers race for them.
    slot_ids = [str(uuid.uuid4()) for _ in contacts]
    values = ", ".join(
        f"('{slot_id}', '{service_id}', date_trunc('day', now()) + interval '{20 + n} days 07:07', "
        f"date_trunc('day', now()) + interval '{20 + n} days 07:57', 'free', now())"
        for n, slot_id in enumerate(slot_ids)
    )
    cluster.sql(
        f"INSERT INTO slots (id, service, starts_at, ends_at, status, created_at) VALUES {values}"
    )
    chosen = ", ".join(f"'{slot_id}'" for slot_id in slot_ids)
    wait_until(
        lambda: (
            all(cluster.inbox.received(email) == 2 for email in contacts)
            and outbox_drained(cluster)
        ),
        "an offer email to each person waiting",
        cluster,
    )
    offers = cluster.sql(
        f"SELECT slot::text, waitlist_request::text FROM waitlist_offers WHERE slot::text IN ({chosen})"
    )
    assert sorted(slot for slot, _ in offers) == sorted(slot_ids)  # one offer per slot
    assert len({request for _, request in offers}) == len(contacts)  # one slot per person
    reserved = cluster.sql(f"SELECT status FROM slots WHERE id::text IN ({chosen})")
    assert [status for (status,) in reserved] == ["reserved"] * len(slot_ids)
    assert Counter(cluster.inbox.received(email) for email in contacts) == {2: len(contacts)}


def test_payments_over_both_servers_make_one_provider_payment_and_one_email(
    cluster: Cluster,
) -> None:
    slots = free_slots(cluster, 4)
    clients = [f"payer.{n}.{uuid.uuid4().hex[:6]}@example.org" for n in range(len(slots))]
    appointments: list[str] = []
    payers: list[str] = []
    for n, slot in enumerate(slots):
        # two people reach for the same slot through different servers at once: one gets it
        people = [clients[n], f"rival.{clients[n]}"]
        holds = both_at_once(
            *(
                partial(
                    cluster.post,
                    server,
                    "/api/public/appointments",
                    {
                        "slot_id": slot,
                        "client": {"name": "Анна", "email": people[server]},
                        "consents": CONSENTS,
                    },
                    f"10.2.{server}.{n + 1}",
                )
                for server in (0, 1)
            )
        )
        codes = sorted(hold.status_code for hold in holds)
        assert codes == [201, 409], [hold.text for hold in holds]
        won = next(server for server, hold in enumerate(holds) if hold.status_code == 201)
        appointments.append(str(holds[won].json()["appointment_id"]))
        payers.append(people[won])

    def pay(n: int) -> str:
        body = {"appointment_id": appointments[n], "kind": "full"}
        ip, key = f"10.3.0.{n + 1}", f"order-{uuid.uuid4()}"
        answers = both_at_once(
            lambda: cluster.post(0, "/api/public/payments", body, ip, **{"Idempotency-Key": key}),
            lambda: cluster.post(1, "/api/public/payments", body, ip, **{"Idempotency-Key": key}),
        )
        ids = set()
        for server, answer in enumerate(answers):
            # 409: the same key was still running on the other server; the retry replays it
            # (from another address, so that retries on a slow machine meet no rate limit)
            for retry in range(1, 200):
                if answer.status_code != 409:
                    break
                time.sleep(0.2)
                answer = cluster.post(
                    server,
                    "/api/public/payments",
                    body,
                    f"10.3.{retry}.{n + 1}",
                    **{"Idempotency-Key": key},
                )
            assert answer.status_code == 201, answer.text
            ids.add(answer.json()["payment_id"])
        assert len(ids) == 1, ids  # both servers answered with the one payment
        return ids.pop()

    with ThreadPoolExecutor(4) as pool:
        payment_ids = list(pool.map(pay, range(len(appointments))))

    rows = cluster.sql(
        "SELECT appointment_id::text, count(*) FROM payments GROUP BY appointment_id"
    )
    per_appointment = {str(a): c for a, c in rows if str(a) in appointments}
    assert per_appointment == dict.fromkeys(appointments, 1)
    provider = Counter(
        str(cluster.sandbox.payment(pid)["metadata"].get("appointment_id"))
        for pid in cluster.sandbox.payment_ids()
    )
    assert {a: provider[a] for a in appointments} == dict.fromkeys(appointments, 1)

    # YooKassa says "paid", and the notification reaches both servers at once (a redelivery)
    provider_ids = dict(
        cluster.sql(
            "SELECT id::text, provider_payment_id FROM payments WHERE id::text IN ("
            + ",".join(f"'{p}'" for p in payment_ids)
            + ")"
        )
    )
    for payment_id in payment_ids:
        provider_id = str(provider_ids[payment_id])
        paid = cluster.sandbox.settle(provider_id, "succeeded")
        note = {"type": "notification", "event": "payment.succeeded", "object": paid}
        answers = both_at_once(
            partial(cluster.post, 0, "/api/webhooks/yookassa", note, YOOKASSA_IP),
            partial(cluster.post, 1, "/api/webhooks/yookassa", note, YOOKASSA_IP),
        )
        assert [answer.status_code for answer in answers] == [200, 200], answers[0].text
        results = [json.loads(answer.content)["result"] for answer in answers]
        # one of them applied it (unless the worker's reconciliation was quicker)
        assert results.count("applied") <= 1, results

    confirmed = cluster.sql(
        "SELECT count(*) FROM appointments WHERE status = 'confirmed' AND id::text IN ("
        + ",".join(f"'{a}'" for a in appointments)
        + ")"
    )
    assert confirmed == [(len(appointments),)]
    wait_until(
        lambda: all(cluster.inbox.received(email) for email in payers) and outbox_drained(cluster),
        "every payment confirmation sent",
        cluster,
    )
    assert Counter(cluster.inbox.received(email) for email in payers) == {1: len(payers)}

    # and the tracking outbox, drained by both workers, delivered every event once
    wait_until(lambda: tracking_drained(cluster), "every tracking event delivered", cluster)
    delivered = Counter(delivered_event_ids(cluster))
    [(events,)] = cluster.sql("SELECT count(*) FROM tracking_events")
    assert len(delivered) == events and set(delivered.values()) == {1}


def tracking_drained(cluster: Cluster) -> bool:
    [(waiting,)] = cluster.sql("SELECT count(*) FROM tracking_events WHERE delivered_at IS NULL")
    return waiting == 0


def delivered_event_ids(cluster: Cluster) -> list[str]:
    """The ``event_id`` of every event the workers delivered (the log sink: one line each)."""
    ids = []
    for log in cluster.logs.glob("worker-*.log"):
        for line in log.read_text(encoding="utf-8").splitlines():
            _, marker, payload = line.partition(" tracking_event ")
            if marker:
                ids.append(str(json.loads(payload)["event_id"]))
    return ids


def test_both_workers_reconciling_lost_notifications_confirm_each_payment_once(
    cluster: Cluster,
) -> None:
    """YooKassa's notifications never arrive: both workers find the payments stale at once,
    ask the provider, and between them confirm each once and send one email each."""
    slots = free_slots(cluster, 3)
    payers = [f"quiet.{n}.{uuid.uuid4().hex[:6]}@example.org" for n in range(len(slots))]
    payments = []
    for n, (slot, email) in enumerate(zip(slots, payers, strict=True)):
        held = cluster.post(
            n % 2,
            "/api/public/appointments",
            {"slot_id": slot, "client": {"name": "Анна", "email": email}, "consents": CONSENTS},
            f"10.7.0.{n + 1}",
        )
        assert held.status_code == 201, held.text
        paying = cluster.post(
            (n + 1) % 2,
            "/api/public/payments",
            {"appointment_id": held.json()["appointment_id"], "kind": "full"},
            f"10.7.1.{n + 1}",
            **{"Idempotency-Key": f"order-{uuid.uuid4()}"},
        )
        assert paying.status_code == 201, paying.text
        payments.append(str(paying.json()["payment_id"]))
    chosen = ",".join(f"'{p}'" for p in payments)
    for (provider_id,) in cluster.sql(
        f"SELECT provider_payment_id FROM payments WHERE id::text IN ({chosen})"
    ):
        cluster.sandbox.settle(str(provider_id), "succeeded")
    # the notifications are lost; a while later the payments look stale to the workers
    cluster.sql(
        f"UPDATE payments SET updated_at = now() - interval '1 hour' WHERE id::text IN ({chosen})"
    )

    succeeded = (
        f"SELECT count(*) FROM payments WHERE status = 'succeeded' AND id::text IN ({chosen})"
    )
    wait_until(
        lambda: (
            cluster.sql(succeeded) == [(len(payments),)]
            and all(cluster.inbox.received(email) for email in payers)
            and outbox_drained(cluster)
        ),
        "the workers reconciling every payment",
        cluster,
    )
    assert Counter(cluster.inbox.received(email) for email in payers) == {1: len(payers)}
    assert cluster.sql(
        f"SELECT count(*) FROM appointments a JOIN payments p ON p.appointment_id = a.id "
        f"WHERE a.status = 'confirmed' AND p.id::text IN ({chosen})"
    ) == [(len(payments),)]


def test_a_rate_limit_counts_across_both_servers(cluster: Cluster) -> None:
    slug = service_slugs(cluster)[0]
    body = waitlist_body(slug, f"limited.{uuid.uuid4().hex[:6]}@example.org")
    sent = RATE_LIMIT + 6
    for attempt in range(3):
        ip = f"10.4.0.{attempt + 1}"
        window = int(time.time() // 60)
        with ThreadPoolExecutor(4) as pool:
            answers = list(
                pool.map(
                    partial(send_to, cluster, "/api/public/waitlist", body, ip),
                    range(sent),
                )
            )
        if int(time.time() // 60) == window:
            break  # all in one minute's window (else the counter restarted: try again)
    codes = Counter(answer.status_code for answer in answers)
    assert codes == {202: RATE_LIMIT, 429: sent - RATE_LIMIT}, codes
    # both servers turned some away: the count is shared, not per process
    refused_by = {n % 2 for n, answer in enumerate(answers) if answer.status_code == 429}
    assert refused_by == {0, 1}


def test_the_admin_login_limit_per_username_counts_across_both_servers(
    cluster: Cluster,
) -> None:
    """Wrong passwords for one username, from ever new addresses, alternating between the
    servers: after ``username_login_failures`` (10) in all, both refuse (429)."""
    host = {"Host": "emotional-balance.test"}  # production admin: the site's host only
    username = f"guessed-{uuid.uuid4().hex[:8]}"
    cluster.used_usernames.append(username)
    codes = []
    for n in range(14):
        server = cluster.servers[n % 2]
        ip = {"X-Forwarded-For": f"10.6.{n}.1"}
        page = httpx.get(f"{server}/admin/", headers={**host, **ip}, timeout=30)
        token = page.cookies.get("csrftoken") or ""
        assert token, page.headers
        answer = httpx.post(
            f"{server}/admin/public/login/",
            json={"username": username, "password": "wrong password"},
            headers={**host, **ip, "X-CSRFToken": token, "Cookie": f"csrftoken={token}"},
            timeout=30,
        )
        codes.append(answer.status_code)
    assert codes == [401] * 10 + [429] * 4, codes


def send_to(cluster: Cluster, path: str, body: Any, ip: str, n: int) -> httpx.Response:
    """Request ``n`` of a series goes to server ``n % 2``: alternating."""
    return cluster.post(n % 2, path, body, ip)


def test_a_worker_killed_in_the_middle_of_sending_loses_no_email(cluster: Cluster) -> None:
    """A worker dies (SIGKILL) while the SMTP server holds its send at ``RCPT TO``: the
    message never reached the server. Its lease runs out (5 minutes in production; the test
    moves the end of the lease into the past rather than wait), and the surviving worker
    sends it, and everything else, exactly once.

    (Were a worker killed after the server accepted a message but before it recorded
    ``sent``, that message would go out again after the lease: delivery is at least once,
    and this is the only case of a second copy: ``send_pending_emails``.)
    """
    slug = service_slugs(cluster)[0]
    contacts = [f"crash.{n}.{uuid.uuid4().hex[:6]}@example.org" for n in range(6)]
    cluster.inbox.stalling = True
    try:
        for n, email in enumerate(contacts):
            answer = cluster.post(
                n % 2, "/api/public/waitlist", waitlist_body(slug, email), f"10.5.0.{n + 1}"
            )
            assert answer.status_code == 202, answer.text
        wait_until(lambda: bool(cluster.inbox.stalled), "a worker sending", cluster)
        victim = owner_of_connection(cluster.inbox.stalled[0][1], cluster)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        # the dead worker's leases run out
        cluster.sql(
            "UPDATE email_outbox SET claimed_until = now() - interval '1 second' "
            "WHERE status = 'pending' AND claimed_until IS NOT NULL"
        )
    finally:
        cluster.inbox.stalling = False
    survivor = next(worker for worker in cluster.workers if worker is not victim)
    assert survivor.poll() is None

    wait_until(
        lambda: (
            all(cluster.inbox.received(email) for email in contacts) and outbox_drained(cluster)
        ),
        "every email sent by the surviving worker",
        cluster,
    )
    assert Counter(cluster.inbox.received(email) for email in contacts) == {1: len(contacts)}
    # the message the victim held was tried again: the kill really hit a send in progress
    [(retried,)] = cluster.sql("SELECT count(*) FROM email_outbox WHERE attempts > 1")
    assert int(str(retried)) >= 1
    [(failed,)] = cluster.sql("SELECT count(*) FROM email_outbox WHERE status <> 'sent'")
    assert failed == 0


def owner_of_connection(peer_port: int, cluster: Cluster) -> subprocess.Popen[bytes]:
    """The worker whose TCP connection to the SMTP server has local port ``peer_port``
    (Linux: the socket's inode in ``/proc/net/tcp``, then the process holding it)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        if (
            int(local.split(":")[1], 16) == peer_port
            and int(remote.split(":")[1], 16) == cluster.smtp_port
        ):
            inodes.add(f"socket:[{inode}]")
    for worker in cluster.workers:
        fds = Path(f"/proc/{worker.pid}/fd")
        for fd in fds.iterdir():
            try:
                if os.readlink(fd) in inodes:
                    return worker
            except OSError:
                continue
    raise AssertionError(f"no worker holds the SMTP connection from port {peer_port}")
