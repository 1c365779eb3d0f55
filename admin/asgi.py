"""What the ASGI wrappers around Piccolo Admin share: types, paths, rewriting an answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]
# Given the status, headers and whole body of an answer: a new status, body and content type,
# or ``None`` to pass the answer on unchanged.
Rewrite = Callable[[int, Headers, bytes], tuple[int, bytes, bytes] | None]


def relative_path(scope: Scope) -> str:
    """The request's path inside the mounted app (``/api/...``, not ``/admin/api/...``)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :] or "/"
    return path


def content_type(headers: Headers) -> bytes:
    for key, value in headers:
        if key.lower() == b"content-type":
            return value.split(b";", 1)[0].strip().lower()
    return b""


async def rewritten(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, rewrite: Rewrite
) -> None:
    """Call ``app`` and send its answer through ``rewrite`` (read whole, sent in one piece)."""
    start: Message | None = None
    body = bytearray()

    async def capture(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        if message["type"] != "http.response.body" or start is None:
            await send(message)
            return
        body.extend(message.get("body", b""))
        if message.get("more_body", False):
            return
        headers: Headers = list(start.get("headers", []))
        status: int = start["status"]
        result = rewrite(status, headers, bytes(body))
        payload = bytes(body)
        if result is not None:
            status, payload, kind = result
            replaced = (b"content-length", b"content-type")
            headers = [(key, value) for key, value in headers if key.lower() not in replaced]
            headers.append((b"content-type", kind))
            headers.append((b"content-length", str(len(payload)).encode("latin-1")))
        await send({**start, "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload, "more_body": False})

    await app(scope, receive, capture)
