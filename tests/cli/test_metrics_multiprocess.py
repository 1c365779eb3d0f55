"""Several processes, one scrape: prometheus-client's multiprocess mode, for real.

Processes write their files into ``PROMETHEUS_MULTIPROC_DIR``; any ``serve`` answers
``/metrics`` with the sum. Checked with plain subprocesses and with two real ``serve``
processes and a ``worker`` sharing one directory.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
import httpx

from api.config import ApiConfig
from api.metrics import render_metrics
from composition.metrics import tidy_multiprocess_dir
from tests.cli.cli import ROOT, clean_environ, run_main
from tests.cli.test_serve import serve
from tests.support.live_server import free_port
from tests.support.metrics import value

RECORD = textwrap.dedent(
    """
    import asyncio, sys
    from api.metrics import HTTP_REQUESTS, PAYMENTS_CREATED
    from composition.worker import run_worker_pass

    async def job(_):
        return 2

    n = int(sys.argv[1])
    for _ in range(n):
        HTTP_REQUESTS.labels(method="GET", route="/health", status="200").inc()
    PAYMENTS_CREATED.labels(outcome="created").inc(n)
    asyncio.run(run_worker_pass(None, jobs=[("mp-test-job", job)]))
    """
)


def record_in_subprocess(directory: Path, n: int) -> None:
    subprocess.run(
        [sys.executable, "-c", RECORD, str(n)],
        cwd=ROOT,
        env=clean_environ(PROMETHEUS_MULTIPROC_DIR=str(directory)),
        check=True,
        timeout=60,
    )


def scrape_files(directory: Path) -> str:
    config = ApiConfig(metrics_multiproc_dir=str(directory))
    return anyio.run(render_metrics, config, None).decode()


def test_two_processes_writing_are_summed_by_one_scrape(tmp_path: Path) -> None:
    record_in_subprocess(tmp_path, 3)
    record_in_subprocess(tmp_path, 4)
    text = scrape_files(tmp_path)

    assert value(text, "http_requests_total", method="GET", route="/health", status="200") == 7
    assert value(text, "payments_created_total", outcome="created") == 7
    assert value(text, "worker_job_runs_total", job="mp-test-job") == 2
    assert value(text, "worker_job_items_total", job="mp-test-job") == 4
    assert value(text, "worker_job_duration_seconds_count", job="mp-test-job") == 2
    # The latest success of either process, not their sum.
    last = value(text, "worker_job_last_success_timestamp_seconds", job="mp-test-job")
    assert time.time() - 120 < last <= time.time()


def test_a_start_with_nobody_else_alive_clears_the_directory(tmp_path: Path) -> None:
    record_in_subprocess(tmp_path, 1)
    assert list(tmp_path.glob("*.db"))
    removed = tidy_multiprocess_dir(tmp_path)
    assert removed > 0
    assert not list(tmp_path.glob("*.db"))
    assert value(scrape_files(tmp_path), "payments_created_total", outcome="created") == 0


def test_a_start_beside_a_live_process_keeps_every_count_and_drops_dead_live_gauges(
    tmp_path: Path,
) -> None:
    record_in_subprocess(tmp_path, 2)  # a process that has ended
    dead = list(tmp_path.glob("*.db"))
    dead_pid = int(dead[0].stem.rsplit("_", 1)[1])
    # A live gauge of the dead process (as a livesum gauge would leave behind).
    (tmp_path / f"gauge_livesum_{dead_pid}.db").write_bytes(b"")
    alive = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], cwd=ROOT, env=clean_environ()
    )
    try:
        (tmp_path / f"counter_{alive.pid}.db").write_bytes(b"")
        tidy_multiprocess_dir(tmp_path)
        assert (tmp_path / f"counter_{alive.pid}.db").exists()
        assert not (tmp_path / f"gauge_livesum_{dead_pid}.db").exists()
        assert all(p.exists() for p in dead)  # counters of the dead still count
    finally:
        alive.kill()
        alive.wait()
    (tmp_path / f"counter_{alive.pid}.db").unlink()
    assert value(scrape_files(tmp_path), "payments_created_total", outcome="created") == 2


def test_two_serve_processes_and_a_worker_are_summed_in_either_scrape(tmp_path: Path) -> None:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999999.db").write_bytes(b"")  # a stale file of a dead process
    env = clean_environ(
        VAR_DIR=str(tmp_path / "var"),
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        LOG_LEVEL="WARNING",
    )
    log = tmp_path / "serve.log"
    with serve(env, log) as first, serve(env, log) as second:
        assert not (metrics_dir / "counter_999999999.db").exists()
        before = httpx.get(f"{first}/metrics").text
        for _ in range(3):
            assert httpx.get(f"{first}/health").status_code == 200
        for _ in range(2):
            assert httpx.get(f"{second}/health").status_code == 200
        worker = run_main("worker", "--once", env=env, timeout=120)
        assert worker.returncode == 0, worker.stdout + worker.stderr
        after = httpx.get(f"{second}/metrics").text

    def health(text: str) -> float:
        return value(text, "http_requests_total", method="GET", route="/health", status="200")

    # Read from the first server, then from the second: both saw all five requests.
    assert health(after) - health(before) == 5
    # The second server's answer holds the first server's scrape (its own is not yet counted).
    assert value(after, "http_requests_total", method="GET", route="/metrics", status="200") == 1
    assert value(after, "worker_job_runs_total", job="send-emails") == 1
    assert value(after, "worker_job_failures_total", job="send-emails") == 0
    assert value(after, "outbox_backlog_up") == 1


@contextmanager
def worker_with_metrics_port(env: dict[str, str], log: Path) -> Iterator[str]:
    port = free_port()
    with log.open("a", encoding="utf-8") as out:
        process = subprocess.Popen(
            [sys.executable, "main.py", "worker", "--interval", "60", "--metrics-port", str(port)],
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
                    response = httpx.get(f"{url}/metrics", timeout=1)
                    if "worker_job_runs_total{" in response.text or response.status_code == 404:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the worker's metrics port did not answer"
                time.sleep(0.1)
            yield url
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0, log.read_text(encoding="utf-8")


def test_a_worker_alone_serves_its_metrics_on_its_own_port_to_allowed_clients(
    tmp_path: Path,
) -> None:
    env = clean_environ(VAR_DIR=str(tmp_path / "var"))
    log = tmp_path / "worker.log"
    with worker_with_metrics_port(env, log) as url:
        response = httpx.get(f"{url}/metrics")
        other_path = httpx.get(f"{url}/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert value(response.text, "worker_job_runs_total", job="send-emails") >= 1
    assert other_path.status_code == 404

    refused_env = clean_environ(VAR_DIR=str(tmp_path / "var"), METRICS_ALLOWED_IPS="10.9.0.0/16")
    with worker_with_metrics_port(refused_env, log) as url:
        refused = httpx.get(f"{url}/metrics")
    assert refused.status_code == 404
    assert "worker_job" not in refused.text
    # No access log line (it would carry the client's address).
    assert "GET /metrics HTTP/1.1" not in log.read_text(encoding="utf-8")
