"""Other ASGI apps served under a path of ours (the staff admin at ``/admin``).

The API knows nothing about them: ``main.py`` hands them over as opaque ASGI callables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from litestar.handlers import ASGIRouteHandler, asgi
from litestar.types import Receive, Scope, Send


def mounted_asgi_handlers(apps: Mapping[str, Any]) -> list[ASGIRouteHandler]:
    """One mount per path prefix, handed the scope the ASGI way (``root_path`` + full path).

    Litestar rewrites ``path`` for a mount (and drops or adds a trailing slash); the mounted
    app gets the request path as the client sent it instead, with the prefix in
    ``root_path``, which is what Starlette-based apps (Piccolo Admin) route on.

    Behind a trusted proxy the mounted app sees the real client address, scheme and host
    (``api.client_ip.TrustedProxyMiddleware`` ran before), so per-client limits such as the
    admin's login limiter do not lump every visitor together under the proxy's address, and
    the CSRF origin check knows the page was served over HTTPS.
    """
    handlers: list[ASGIRouteHandler] = []
    for prefix, app in apps.items():
        mount = "/" + prefix.strip("/")

        async def forward(
            scope: Scope, receive: Receive, send: Send, _app: Any = app, _mount: str = mount
        ) -> None:
            root = scope.get("root_path", "")
            raw = scope.get("raw_path") or (root + _mount + scope["path"]).encode()
            full = unquote(raw.decode("latin-1").split("?", 1)[0])
            scope["root_path"] = root + _mount  # type: ignore[typeddict-unknown-key]
            scope["path"] = (
                full if full.startswith(root + _mount) else root + _mount + scope["path"]
            )
            await _app(scope, receive, send)

        handlers.append(
            asgi(mount, is_static=True, copy_scope=True, include_in_schema=False, name=mount)(
                forward
            )
        )
    return handlers
