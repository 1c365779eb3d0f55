"""Piccolo Admin's custom form screen, taught to show ``extra.choices`` as a drop-down.

Piccolo Admin 1.14 draws a table column with ``extra.choices`` as a ``<select>``: its row
form hands ``property.extra.choices`` to the input field component. Its custom form screen
(``NewForm``) hands over only the type, format, default and nullability, so every form field
is a text input whatever the schema says (a boolean is a True/False select). No schema shape
changes that: not ``enum``, ``anyOf``, ``$ref``/``$defs`` or ``extra.choices``. Upstream pull
requests that add it (piccolo_admin #391, #434, #436) were closed unmerged.

So the admin serves its own bundle with one change in ``NewForm``: it passes
``property.extra.choices`` on, exactly as the row form does (and the style sheet stops
capitalising every word of those drop-downs). The change is a literal replacement in the
compiled bundle, made once at start-up; if the bundle no longer contains the expected code (a
Piccolo Admin upgrade), building the admin fails with a clear message rather than silently
bringing the text fields back.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from piccolo_admin.endpoints import ASSET_PATH

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# ``NewForm``'s input field in the 1.14 bundle, and the same with the property's choices
# passed on (and listed among the props Vue re-checks when the next form's schema arrives).
NEW_FORM_FIELD = (
    "isFilter:!1,key:s,columnName:String(s),type:e.getType(a),value:a.default,"
    "isNullable:e.isNullable(a),"
    "timeResolution:(M=(p=e.schema)==null?void 0:p.extra)==null?void 0:M.time_resolution[s],"
    'format:e.getFormat(a)},null,8,["columnName","type","value","isNullable",'
    '"timeResolution","format"]'
)
NEW_FORM_FIELD_WITH_CHOICES = (
    "isFilter:!1,key:s,columnName:String(s),type:e.getType(a),value:a.default,"
    "choices:a.extra&&a.extra.choices,isNullable:e.isNullable(a),"
    "timeResolution:(M=(p=e.schema)==null?void 0:p.extra)==null?void 0:M.time_resolution[s],"
    'format:e.getFormat(a)},null,8,["columnName","type","value","choices","isNullable",'
    '"timeResolution","format"]'
)
# Piccolo's style sheet capitalises every word of every ``<select>``: fine for "All" and
# "Null", wrong for a Russian label ("Индивидуальная Консультация"). The custom form screen's
# scope id is the one in the same bundle (checked below).
FORM_SCREEN_SCOPE = "data-v-3a954912"
PLAIN_FORM_SELECTS = (
    f"\nh1[{FORM_SCREEN_SCOPE}],form[{FORM_SCREEN_SCOPE}] select{{text-transform:none}}\n"
)
_ASSET = re.compile(r'(?:src|href)="\./assets/(?P<name>index-[\w-]+\.(?P<kind>js|css))"')
CONTENT_TYPES = {"js": b"text/javascript; charset=utf-8", "css": b"text/css; charset=utf-8"}


class BundleMismatch(RuntimeError):
    pass


def _mismatch(what: str) -> BundleMismatch:
    return BundleMismatch(
        f"Piccolo Admin's {what} is not the one admin/form_screen.py patches (was piccolo-admin "
        "upgraded?): the staff forms would lose their drop-downs. Find NewForm's InputField "
        "in the new bundle and update NEW_FORM_FIELD and FORM_SCREEN_SCOPE."
    )


def patch_script(source: str) -> str:
    """The script bundle with ``NewForm`` passing ``extra.choices`` to its fields."""
    if source.count(NEW_FORM_FIELD) != 1 or f'"{FORM_SCREEN_SCOPE}"' not in source:
        raise _mismatch("form screen")
    return source.replace(NEW_FORM_FIELD, NEW_FORM_FIELD_WITH_CHOICES)


def patch_styles(source: str) -> str:
    """The style sheet with the custom form screen's drop-downs in their own letter case."""
    if f"[{FORM_SCREEN_SCOPE}]" not in source:
        raise _mismatch("style sheet")
    return source + PLAIN_FORM_SELECTS


def patched_assets(dist: Path = Path(ASSET_PATH)) -> dict[str, tuple[bytes, bytes]]:
    """``/assets/index-….js`` and ``….css`` (paths under the admin): content type, body."""
    names = {
        found["kind"]: found["name"]
        for found in _ASSET.finditer((dist / "index.html").read_text(encoding="utf-8"))
    }
    if set(names) != {"js", "css"}:
        raise _mismatch("index.html")
    patch = {"js": patch_script, "css": patch_styles}
    return {
        f"/assets/{name}": (
            CONTENT_TYPES[kind],
            patch[kind]((dist / "assets" / name).read_text(encoding="utf-8")).encode("utf-8"),
        )
        for kind, name in names.items()
    }


class FormScreenWithChoices:
    """Piccolo Admin, with its script bundle and style sheet answered by the patched ones."""

    def __init__(
        self, app: ASGIApp, *, assets: dict[str, tuple[bytes, bytes]] | None = None
    ) -> None:
        self._app = app
        self._assets = patched_assets() if assets is None else assets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        asset = None
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            asset = self._assets.get(_relative_path(scope))
        if asset is None:
            await self._app(scope, receive, send)
            return
        content_type, body = asset
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send(
            {"type": "http.response.body", "body": body if scope["method"] == "GET" else b""}
        )


def _relative_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :] or "/"
    return path
