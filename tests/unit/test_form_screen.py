"""The patched Piccolo Admin bundle: the form screen passes ``extra.choices`` to its fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from admin.form_screen import (
    NEW_FORM_FIELD,
    NEW_FORM_FIELD_WITH_CHOICES,
    BundleMismatch,
    FormScreenWithChoices,
    patch_script,
    patched_assets,
)

pytestmark = pytest.mark.anyio


def test_the_installed_bundle_is_patched_once_and_its_style_sheet_too() -> None:
    assets = patched_assets()

    scripts = [body for path, (_, body) in assets.items() if path.endswith(".js")]
    styles = [body for path, (_, body) in assets.items() if path.endswith(".css")]
    assert len(scripts) == len(styles) == 1
    assert scripts[0].count(NEW_FORM_FIELD_WITH_CHOICES.encode()) == 1
    assert NEW_FORM_FIELD.encode() not in scripts[0]
    assert styles[0].rstrip().endswith(b"select{text-transform:none}")


def test_a_bundle_without_the_expected_form_screen_stops_the_start_up(tmp_path: Path) -> None:
    with pytest.raises(BundleMismatch, match="piccolo-admin upgraded"):
        patch_script("const NewForm = () => {}")
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<html>no bundle</html>")
    with pytest.raises(BundleMismatch):
        patched_assets(tmp_path)


async def call(app: Any, method: str, path: str, root_path: str = "") -> tuple[int, bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": root_path + path, "root_path": root_path}
    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def test_the_patched_assets_are_answered_and_everything_else_goes_on() -> None:
    seen: list[str] = []

    async def piccolo(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["path"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = FormScreenWithChoices(
        piccolo, assets={"/assets/index-x.js": (b"text/javascript", b"patched")}
    )

    assert await call(app, "GET", "/assets/index-x.js", root_path="/admin") == (200, b"patched")
    assert await call(app, "HEAD", "/assets/index-x.js") == (200, b"")
    assert await call(app, "GET", "/assets/index-y.css") == (204, b"")
    assert await call(app, "POST", "/assets/index-x.js") == (204, b"")
    assert seen == ["/assets/index-y.css", "/assets/index-x.js"]
