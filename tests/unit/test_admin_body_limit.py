"""The admin's outermost wrapper limits every request body before the admin sees a byte."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from admin.login_guard import InMemoryLoginFailures, LoginGuard

pytestmark = pytest.mark.anyio

LIMIT = 1024


class RecordingApp:
    """Stands in for the admin: records the body it read."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        self.bodies.append(b"".join(chunks))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


class Chunks:
    """A client's body arriving in chunks (``endless``: it never ends), counting reads."""

    def __init__(self, chunk: bytes, count: int | None) -> None:
        self.chunk = chunk
        self.left = count
        self.reads = 0

    async def __call__(self) -> dict[str, Any]:
        self.reads += 1
        if self.left is not None:
            self.left -= 1
        more = self.left is None or self.left > 0
        return {"type": "http.request", "body": self.chunk, "more_body": more}


async def call(
    app: LoginGuard, receive: Any, *, path: str = "/api/tables/x/", headers: list[Any] = ()
) -> tuple[int, dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "root_path": "", "headers": headers}
    await app(scope, receive, send)
    status = sent[0]["status"]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return status, json.loads(body) if status == 413 else {}


def guard(inner: RecordingApp) -> LoginGuard:
    failures = InMemoryLoginFailures(limit=5, window=timedelta(minutes=15))
    return LoginGuard(inner, failures=failures, max_body=LIMIT)


async def test_an_oversized_content_length_is_refused_before_a_byte_is_read() -> None:
    inner = RecordingApp()

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body was read")

    status, answer = await call(
        guard(inner), receive, headers=[(b"content-length", str(LIMIT + 1).encode())]
    )
    assert status == 413 and "too large" in answer["detail"]
    assert inner.bodies == []


async def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit() -> None:
    inner = RecordingApp()
    body = Chunks(b"x" * 100, count=None)  # no Content-Length, and it never ends
    status, _ = await call(guard(inner), body)
    assert status == 413
    assert body.reads == LIMIT // 100 + 1  # counted as it arrived, never read further
    assert inner.bodies == []


async def test_a_lying_content_length_is_still_counted() -> None:
    inner = RecordingApp()
    body = Chunks(b"x" * 100, count=50)
    status, _ = await call(guard(inner), body, headers=[(b"content-length", b"10")])
    assert status == 413 and inner.bodies == []


async def test_a_body_within_the_limit_reaches_the_admin_unchanged() -> None:
    inner = RecordingApp()
    body = Chunks(b"y" * 256, count=4)
    status, _ = await call(guard(inner), body, headers=[(b"content-length", b"1024")])
    assert status == 200
    assert inner.bodies == [b"y" * LIMIT]


async def test_the_default_limit_is_one_mebibyte() -> None:
    failures = InMemoryLoginFailures(limit=5, window=timedelta(minutes=15))
    assert LoginGuard(RecordingApp(), failures=failures).max_body == 1024 * 1024
