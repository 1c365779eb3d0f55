"""SIGTERM: ``worker`` finishes its job and exits 0; ``serve`` drains in-flight requests.

Real processes on a temporary SQLite database; the slow work is real too: a YooKassa
sandbox on loopback that answers after a delay (``latency``), as a slow provider does.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.yookassa.sandbox import YooKassaSandbox
from tests.cli.cli import ROOT, clean_environ
from tests.support.live_server import free_port, live_server

SHOP_ID = "506751"
SECRET_KEY = "test_Fh8hUAVVBGUGbjmlzba6TB0iyUbos_lueTHE-axOwM0"
STOP_WITHIN = 30.0


class WatchedSandbox:
    """The sandbox's ASGI app, noting when a request has reached it and when it was answered."""

    def __init__(self, sandbox: YooKassaSandbox) -> None:
        self.sandbox = sandbox
        self.reached = threading.Event()
        self.answered = threading.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.sandbox(scope, receive, send)
            return
        self.reached.set()
        await self.sandbox(scope, receive, send)
        self.answered.set()

    def clear(self) -> None:
        self.reached.clear()
        self.answered.clear()


@contextmanager
def slow_provider() -> Iterator[tuple[WatchedSandbox, str]]:
    watched = WatchedSandbox(YooKassaSandbox(shop_id=SHOP_ID, secret_key=SECRET_KEY))
    with live_server(watched) as url:
        yield watched, f"{url}/v3"


def environment(var: Path, api_url: str | None = None) -> dict[str, str]:
    extra = {"VAR_DIR": str(var), "LOG_LEVEL": "INFO"}
    if api_url is not None:
        extra |= {
            "YOOKASSA_API_URL": api_url,
            "YOOKASSA_SHOP_ID": SHOP_ID,
            "YOOKASSA_SECRET_KEY": SECRET_KEY,
        }
    return clean_environ(**extra)


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "main.py", *args], cwd=ROOT, env=env, stdout=out, stderr=out
        )


def wait_for(condition: Any, what: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert process.poll() is None, log.read_text(encoding="utf-8")
        assert time.monotonic() < deadline, f"{what} did not happen in time"
        time.sleep(0.05)


def stop(process: subprocess.Popen[bytes]) -> tuple[int, float]:
    """SIGTERM, then how the process ended and how long it took."""
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=STOP_WITHIN + 5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
    return code, time.monotonic() - sent


@contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    process = start(["serve", "--host", "127.0.0.1", "--port", str(port)], env, log)
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{url}/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(healthy, "serve answering /health", process, log)
        yield url, process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def hold_a_slot(url: str) -> str:
    services = httpx.get(f"{url}/api/public/services").json()
    for service in services:
        slots = httpx.get(f"{url}/api/public/services/{service['slug']}/availability").json()
        if slots["slots"]:
            break
    held = httpx.post(
        f"{url}/api/public/appointments",
        json={
            "slot_id": slots["slots"][0]["slot_id"],
            "client": {"name": "Анна", "email": "anna@example.com"},
            "consents": {"personal_data": True, "communications": False, "version": "2026-11-01"},
        },
    )
    assert held.status_code == 201, held.text
    return str(held.json()["appointment_id"])


def log_says(log: Path, text: str) -> Any:
    return lambda: text in log.read_text(encoding="utf-8")


def test_an_idle_worker_exits_0_on_sigterm(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    worker = start(["worker"], environment(tmp_path / "var"), log)
    wait_for(log_says(log, "worker started"), "the worker's start", worker, log)

    code, took = stop(worker)

    output = log.read_text(encoding="utf-8")
    assert code == 0, output
    assert took < STOP_WITHIN
    assert "worker got SIGTERM" in output
    assert "worker stopped cleanly, exiting 0" in output
    assert "Traceback" not in output


@pytest.fixture
def pending_payment(tmp_path: Path) -> Iterator[tuple[WatchedSandbox, dict[str, str]]]:
    """A payment the provider left ``pending`` long enough ago for the worker to ask about."""
    with slow_provider() as (watched, api_url):
        env = environment(tmp_path / "var", api_url)
        with serving(env, tmp_path / "serve.log") as (url, server):
            appointment = hold_a_slot(url)
            created = httpx.post(
                f"{url}/api/public/payments", json={"appointment_id": appointment}, timeout=30
            )
            assert created.status_code in (200, 201), created.text
            assert stop(server)[0] == 0
        with sqlite3.connect(tmp_path / "var" / "emotional_balance.sqlite") as db:
            changed = db.execute(
                "UPDATE payments SET updated_at = '2000' || substr(updated_at, 5) "
                "WHERE status = 'pending'"
            ).rowcount
        assert changed == 1
        watched.clear()
        yield watched, env


def test_a_worker_in_a_slow_job_finishes_it_then_exits_0_on_sigterm(
    tmp_path: Path, pending_payment: tuple[WatchedSandbox, dict[str, str]]
) -> None:
    watched, env = pending_payment
    watched.sandbox.latency = 4.0
    log = tmp_path / "worker.log"
    worker = start(["worker"], env, log)
    wait_for(watched.reached.is_set, "the worker asking the provider", worker, log)

    assert not watched.answered.is_set()

    code, took = stop(worker)

    output = log.read_text(encoding="utf-8")
    assert watched.answered.is_set()  # the worker stayed for the provider's answer
    assert code == 0, output
    assert took < STOP_WITHIN
    assert "finishing the current job" in output
    assert "worker stopped cleanly, exiting 0" in output
    assert "failed" not in output and "Traceback" not in output


def test_a_job_still_running_after_the_grace_is_cancelled_and_the_worker_exits_75(
    tmp_path: Path, pending_payment: tuple[WatchedSandbox, dict[str, str]]
) -> None:
    watched, env = pending_payment
    watched.sandbox.latency = 20.0
    log = tmp_path / "worker.log"
    worker = start(["worker", "--grace", "1"], env, log)
    wait_for(watched.reached.is_set, "the worker asking the provider", worker, log)

    code, took = stop(worker)

    output = log.read_text(encoding="utf-8")
    assert not watched.answered.is_set()  # it left without the provider's 20 s answer
    assert code == 75, output
    assert took < STOP_WITHIN
    assert "was cancelled; exiting 75" in output


def test_serve_lets_a_slow_request_in_flight_finish_then_exits_0_on_sigterm(
    tmp_path: Path,
) -> None:
    log = tmp_path / "serve.log"
    with slow_provider() as (watched, api_url):
        env = environment(tmp_path / "var", api_url)
        with serving(env, log) as (url, server), ThreadPoolExecutor(1) as pool:
            appointment = hold_a_slot(url)
            watched.clear()
            watched.sandbox.latency = 3.0
            answer: Future[httpx.Response] = pool.submit(
                httpx.post,
                f"{url}/api/public/payments",
                json={"appointment_id": appointment},
                timeout=30,
            )
            wait_for(watched.reached.is_set, "the payment reaching the provider", server, log)
            assert not watched.answered.is_set()

            code, took = stop(server)
            assert watched.answered.is_set()  # serve stayed until the provider answered

            response = answer.result(timeout=5)
    output = log.read_text(encoding="utf-8")
    assert response.status_code in (200, 201), response.text
    assert response.json()["status"] == "pending"
    assert code == 0, output
    assert took < STOP_WITHIN
    assert "POST /api/public/payments 20" in output
    assert "Traceback" not in output
