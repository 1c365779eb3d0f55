"""A real HTTP server for tests: any ASGI app served by uvicorn on a free loopback port.

Used where a real peer talks to us over the network: the YooKassa SDK against the sandbox,
headless Chromium against the pages and the admin.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(
    app: Any,
    *,
    port: int | None = None,
    timeout: float = 15.0,
    tls: tuple[Path, Path] | None = None,
    proxy_headers: bool = True,
) -> Iterator[str]:
    """Serve ``app`` in a background thread; yields its base URL, stops it on exit.

    ``proxy_headers=False`` is how ``serve`` runs uvicorn: the app alone judges
    ``X-Forwarded-For`` (uvicorn's default believes it from 127.0.0.1).
    ``tls`` (certificate file, key file) serves HTTPS instead of HTTP.
    """
    port = port or free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        access_log=False,
        proxy_headers=proxy_headers,
        ssl_certfile=str(tls[0]) if tls else None,
        ssl_keyfile=str(tls[1]) if tls else None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"live-server-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=timeout)
