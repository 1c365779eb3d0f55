"""prometheus-client's multiprocess directory: tidied when a process starts and when it stops.

Each process writes ``<kind>_<pid>.db`` files there; ``/metrics`` sums them all. Counters and
histograms of a process that has ended stay (a sum that went down would read as a counter
reset to Prometheus), except when no process of the directory is alive any more: a process
that starts then removes every file, a clean restart. Live gauges of dead processes go
(``mark_process_dead``). The files carry process ids, so one directory serves one host (or one
container): never share it between machines or containers.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import logging
import os
import re
import socket
import threading
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess

from adapters.settings import IPNetwork

logger = logging.getLogger("metrics")

_METRIC_FILE = re.compile(r"^[a-z_]+_(\d+)\.db$")
_LOCK_FILE = ".tidy.lock"


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process, alive
        return True
    return True


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    # Two processes starting together must not both decide that the other's files are stale.
    with (directory / _LOCK_FILE).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def tidy_multiprocess_dir(directory: Path, *, own_pid: int | None = None) -> int:
    """Run at the start of ``serve`` and ``worker``: returns how many files were removed."""
    own = os.getpid() if own_pid is None else own_pid
    with _locked(directory):
        files: dict[int, list[Path]] = {}
        for path in directory.iterdir():
            match = _METRIC_FILE.match(path.name)
            if match:
                files.setdefault(int(match.group(1)), []).append(path)
        others = {pid for pid in files if pid != own}
        alive = {pid for pid in others if process_alive(pid)}
        removed = 0
        if not alive:
            # Nobody else is running: start from zero (only the files listed above, so a
            # process that starts while we tidy keeps what it has written since).
            for pid in others:
                for path in files[pid]:
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                        removed += 1
        else:
            for pid in others - alive:
                before = sum(1 for path in files[pid] if path.exists())
                multiprocess.mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]
                removed += before - sum(1 for path in files[pid] if path.exists())
    if removed:
        logger.info("metrics: removed %d stale file(s) from the multiprocess directory", removed)
    return removed


def mark_this_process_dead(directory: Path) -> None:
    """At a clean exit: this process's live gauges leave the sum at once."""
    multiprocess.mark_process_dead(os.getpid(), str(directory))  # type: ignore[no-untyped-call]


def metrics_text(directory: Path | None) -> bytes:
    """This process's metrics, or every process's of the multiprocess directory."""
    if directory is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def serve_worker_metrics(
    host: str, port: int, allowed: Sequence[IPNetwork], directory: Path | None
) -> ThreadingHTTPServer:
    """``worker --metrics-port``: ``GET /metrics`` on a port of the worker's own, for a worker
    with no ``serve`` beside it (its own container). The peer address must be in ``allowed``
    (METRICS_ALLOWED_IPS); anyone else, and any other path, gets a bare 404. Call
    ``shutdown()`` on the result to stop it."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            try:
                peer = ipaddress.ip_address(self.client_address[0])
            except ValueError:
                peer = None
            if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
                peer = peer.ipv4_mapped
            if (
                self.path.split("?", 1)[0] != "/metrics"
                or peer is None
                or not any(peer in network for network in allowed)
            ):
                self._answer(404, b"Not Found", "text/plain; charset=utf-8")
                return
            self._answer(200, metrics_text(directory), "text/plain; version=0.0.4; charset=utf-8")

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # client addresses are never logged

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    server = Server((host.strip("[]"), port), Handler)
    threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True).start()
    return server
