"""``python main.py serve`` on the embedded default, in a subprocess, as a developer runs it."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from commands.serve import is_loopback_host
from tests.cli.cli import ROOT, clean_environ
from tests.support.live_server import free_port

NAME = "Скрытая Посетительница"
EMAIL = "hidden.visitor@example.net"
PHONE = "+7 916 777-88-99"
USER_AGENT = "HiddenAgent/7.1"


@contextmanager
def serve(env: dict[str, str], log: Path) -> Iterator[str]:
    port = free_port()
    with log.open("a", encoding="utf-8") as out:
        process = subprocess.Popen(
            [sys.executable, "main.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, log.read_text(encoding="utf-8")
                try:
                    if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "serve did not answer /health in time"
                time.sleep(0.1)
            yield url
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_serve_starts_on_the_embedded_default_and_keeps_its_keys_between_starts(
    tmp_path: Path,
) -> None:
    var = tmp_path / "var"
    env = clean_environ(VAR_DIR=str(var), LOG_LEVEL="DEBUG")
    log = tmp_path / "serve.log"

    with serve(env, log) as url:
        services = httpx.get(f"{url}/api/public/services").json()
        availability = {
            s["slug"]: httpx.get(f"{url}/api/public/services/{s['slug']}/availability").json()
            for s in services
        }
        slot = next(a["slots"][0] for a in availability.values() if a["slots"])
        held = httpx.post(
            f"{url}/api/public/appointments",
            json={
                "slot_id": slot["slot_id"],
                "client": {"name": NAME, "email": EMAIL, "phone": PHONE},
                "consents": {
                    "personal_data": True,
                    "communications": True,
                    "version": "2026-11-01",
                },
            },
            headers={"User-Agent": USER_AGENT},
        )
        assert held.status_code == 201, held.text
        assert httpx.get(f"{url}/ready").status_code == 200

    assert any(a["no_slots"] for a in availability.values())
    assert sum(1 for a in availability.values() if a["slots"]) >= 1
    keys_file = var / "dev-keys.json"
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    assert (var / "emotional_balance.sqlite").exists()
    keys = json.loads(keys_file.read_text(encoding="utf-8"))

    with serve(env, log) as url:  # a second start: same keys, no second seeding
        again = httpx.get(f"{url}/api/public/services").json()
    assert json.loads(keys_file.read_text(encoding="utf-8")) == keys
    assert again == services

    output = log.read_text(encoding="utf-8")
    assert "Demo data:" in output and output.count("Demo data:") == 1
    assert "POST /api/public/appointments 201" in output  # our access log ...
    assert '"POST /api/public/appointments HTTP/1.1"' not in output  # ... not uvicorn's
    for secret in (
        NAME,
        EMAIL,
        "hidden.visitor",
        "9167778899",
        PHONE,
        USER_AGENT,
        keys["CONTACT_ENCRYPTION_KEYS"],
        keys["BLIND_INDEX_KEY"],
    ):
        assert secret not in output, secret
    assert "Traceback" not in output


def test_serve_names_an_unreachable_database_in_one_line(tmp_path: Path) -> None:
    env = clean_environ(
        VAR_DIR=str(tmp_path), DATABASE_URL="postgresql://eb:Pw-Secret-9@127.0.0.1:1/eb"
    )
    result = subprocess.run(
        [sys.executable, "main.py", "serve", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Cannot prepare the database" in result.stderr
    assert "Traceback" not in result.stderr and "Pw-Secret-9" not in result.stderr
    assert os.path.exists(tmp_path / "dev-keys.json")  # development keys were still prepared


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "203.0.113.7", "example.org"])
def test_serve_without_app_env_refuses_a_public_host_in_one_line(tmp_path: Path, host: str) -> None:
    env = clean_environ(VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "main.py", "serve", "--host", host, "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "APP_ENV" in result.stderr and host in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "emotional_balance.sqlite").exists()  # nothing was migrated


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("203.0.113.7", False),
        ("localhost.example.org", False),
    ],
)
def test_only_loopback_hosts_count_as_local(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback
