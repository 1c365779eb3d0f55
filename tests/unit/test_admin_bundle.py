"""The patched Piccolo Admin bundle: every patch fits the installed bundle, the result still
parses, the helper formats what staff read, and every word the patches look up is Russian."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from piccolo_admin.endpoints import ASSET_PATH
from piccolo_admin.translations.data import ENGLISH, RUSSIAN, TRANSLATIONS

from admin.app import bundle_labels, table_configs
from admin.bundle import (
    HELPER,
    HELPER_PATH,
    LABELS_MARK,
    NEW_FORM_FIELD_WITH_CHOICES,
    PAGE_PATCHES,
    RUSSIAN_EXTRA,
    SCRIPT_PATCHES,
    STYLE_PATCHES,
    BundleMismatch,
    Patch,
    PatchedBundle,
    apply,
    patch_page,
    patch_script,
    patched_assets,
    staff_translations,
)

pytestmark = pytest.mark.anyio

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")
LABELS = bundle_labels([config.table_class for config in table_configs()])


@pytest.fixture(scope="module")
def assets() -> dict[str, tuple[bytes, bytes]]:
    return patched_assets(LABELS)


def _body(assets: dict[str, tuple[bytes, bytes]], suffix: str) -> str:
    (body,) = [body for path, (_, body) in assets.items() if path.endswith(suffix)]
    return body.decode("utf-8")


def test_every_patch_is_made_in_the_installed_bundle(
    assets: dict[str, tuple[bytes, bytes]],
) -> None:
    script, styles = _body(assets, ".js"), _body(assets, ".css")
    assert script.startswith(HELPER_PATH.read_text(encoding="utf-8").split(LABELS_MARK)[0])
    assert script.count(NEW_FORM_FIELD_WITH_CHOICES) == 1
    for patch in SCRIPT_PATCHES:
        assert patch.new == "" or patch.new in script, patch.why
        assert patch.old in patch.new or patch.old not in script, patch.why
    assert "text-transform:capitalize" not in styles
    assert "Waitlist Requests" not in script


@needs_node
def test_the_patched_bundle_still_parses_as_a_module(
    assets: dict[str, tuple[bytes, bytes]], tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle.mjs"
    bundle.write_text(_body(assets, ".js"), encoding="utf-8")
    checked = subprocess.run(
        [str(NODE), "--check", str(bundle)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr


def test_a_patch_that_no_longer_fits_stops_the_start_up_naming_what_it_was_for() -> None:
    patches = (Patch("the pager", "of 1", "из 1"), Patch("the title", "Piccolo", "Баланс"))
    assert apply("Piccolo: of 1", patches) == "Баланс: из 1"
    with pytest.raises(BundleMismatch, match="the title"):
        apply("of 1", patches)  # gone
    with pytest.raises(BundleMismatch, match="the pager"):
        apply("of 1, of 1 Piccolo", patches)  # more than once: not the code we know
    with pytest.raises(BundleMismatch, match="piccolo-admin upgraded"):
        patch_script("const NewForm = () => {}", LABELS)
    with pytest.raises(BundleMismatch, match="helper's name"):
        patch_script(f"const {HELPER} = 1", LABELS)


def test_a_bundle_the_page_does_not_name_stops_the_start_up(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<html lang="en">no bundle</html>')
    with pytest.raises(BundleMismatch, match="script and style sheet"):
        patched_assets(LABELS, tmp_path)
    (tmp_path / "index.html").write_text("<html>")
    with pytest.raises(BundleMismatch, match="language"):
        patched_assets(LABELS, tmp_path)


def test_the_page_is_russian() -> None:
    page = (Path(ASSET_PATH) / "index.html").read_text(encoding="utf-8")
    assert '<html lang="ru">' in patch_page(page)
    assert [patch.why for patch in PAGE_PATCHES] == ["the page's language (index.html)"]


def test_the_style_sheet_capitalises_nothing_and_fits_the_page_size(
    assets: dict[str, tuple[bytes, bytes]],
) -> None:
    styles = _body(assets, ".css")
    source = (Path(ASSET_PATH) / "assets").glob("index-*.css")
    original = next(source).read_text(encoding="utf-8")
    assert original.count("text-transform:capitalize") == STYLE_PATCHES[0].count
    assert styles.count("text-transform:none") >= STYLE_PATCHES[0].count
    assert "div#page_size select{width:auto" in styles


def _looked_up(patches: tuple[Patch, ...]) -> set[str]:
    """Every word a patch looks up: ``$t("...")`` and ``__eb.t("...")``."""
    found: set[str] = set()
    for patch in patches:
        found.update(re.findall(r'(?:\$t|__eb\.t)\("([^"]+)"\)', patch.new))
    return found


def test_every_word_the_patched_bundle_looks_up_is_russian(
    assets: dict[str, tuple[bytes, bytes]],
) -> None:
    script = _body(assets, ".js")
    # Words looked up by value: the filter operators' labels and the text matches.
    operators = re.search(r"operators:(\[\{label:.*?\}\])\}", script)
    matches = re.search(r'const t=(\["contains"[^\]]*\])', script)
    assert operators is not None and matches is not None
    labels = re.findall(r'label:"([^"]+)"', operators.group(1))
    words = _looked_up(SCRIPT_PATCHES) | set(labels) | set(json.loads(matches.group(1)))
    # And the messages the store translates when it shows them.
    words |= {"Successfully added row", "Successfully saved row", "The form has errors."}
    russian = {**RUSSIAN.translations, **RUSSIAN_EXTRA}
    missing = sorted(word for word in words if word not in russian)
    assert missing == []
    cyrillic = re.compile(r"[А-Яа-яЁё]")
    assert all(cyrillic.search(RUSSIAN_EXTRA[word]) for word in RUSSIAN_EXTRA)


def test_the_russian_translation_is_extended_and_the_others_are_kept() -> None:
    translations = staff_translations()
    by_code = {t.language_code: t for t in translations}
    assert set(by_code) == {t.language_code for t in TRANSLATIONS}
    russian = by_code["ru"].translations
    assert russian["Save"] == RUSSIAN.translations["Save"]  # Piccolo's own words kept
    assert russian["per page"] == "на странице"
    assert russian["Links"] == "Ссылки"  # Piccolo's has a Latin "C"
    assert by_code["en"].translations == ENGLISH.translations


HELPER_CHECKS = r"""
const stamp = {anyOf: [{type: "string", format: "date-time"}, {type: "null"}]};
const out = {
  queue: __eb.title("waitlist_requests"),
  payments: __eb.title("payments"),
  unknown: __eb.title("email_outbox"),
  proto: __eb.title("constructor"),
  column: __eb.column("slots", "starts_at"),
  utc: __eb.cell("2026-12-02T12:04:40.838595Z", stamp),
  offset: __eb.cell("2026-12-02T12:04:40+00:00", {type: "string", format: "date-time"}),
  naive: __eb.cell("2026-12-02T13:37:14.848671", stamp),
  date: __eb.cell("2026-12-02", {format: "date"}),
  text: __eb.cell("2026-12-02T12:04:40Z", {type: "string"}),
  number: __eb.cell(5000, stamp),
  postgres: __eb.text("Парная терапия, 2026-12-04 11:36:40.838595+00"),
  sqlite: __eb.text("Парная терапия, 2026-12-04 11:36:40.838595+00:00"),
  errors: __eb.errors({detail: [{loc: ["body", "Название"], msg: "обязательное поле"},
                                {loc: ["body"], msg: "Запрос не прочитан."}]}),
  refused: __eb.errors({detail: "Только для чтения."}),
  readOnly: [__eb.readOnly({extra: {staff_read_only: true}}), __eb.readOnly({extra: {}}),
             __eb.readOnly(undefined)],
  before: __eb.t("Successfully saved row"),
};
__eb.learn({"Successfully saved row": "Изменения сохранены."});
out.after = __eb.message({contents: "Successfully saved row", type: "success"});
console.log(JSON.stringify(out));
"""


@needs_node
def test_the_helper_shows_moscow_times_table_titles_and_russian_errors(tmp_path: Path) -> None:
    script = tmp_path / "helper.mjs"
    helper = HELPER_PATH.read_text(encoding="utf-8")
    script.write_text(
        helper.replace(LABELS_MARK, json.dumps(LABELS, ensure_ascii=False)) + HELPER_CHECKS,
        encoding="utf-8",
    )
    run = subprocess.run([str(NODE), str(script)], capture_output=True, text=True, check=True)
    out: dict[str, Any] = json.loads(run.stdout)
    assert out["queue"] == "Заявки листа ожидания"
    assert out["payments"] == "Оплаты"
    assert out["unknown"] == "email outbox"
    assert out["proto"] == "constructor"
    assert out["column"] == "Начало"
    assert out["utc"] == out["offset"] == "02.12.2026 15:04"  # Moscow, UTC+3
    assert out["naive"] == "02.12.2026 13:37"  # no offset: as stored
    assert out["date"] == "02.12.2026"
    assert out["text"] == "2026-12-02T12:04:40Z"  # not a time column
    assert out["number"] == 5000
    assert out["postgres"] == out["sqlite"] == "Парная терапия, 04.12.2026 14:36"
    assert out["errors"] == ["Название: обязательное поле", "Запрос не прочитан."]
    assert out["refused"] == ["Только для чтения."]
    assert out["readOnly"] == [True, False, False]
    assert out["before"] == "Successfully saved row"
    assert out["after"] == {"contents": "Изменения сохранены.", "type": "success"}


async def call(
    app: Any, method: str, path: str, root_path: str = ""
) -> tuple[int, dict[bytes, bytes], bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": root_path + path, "root_path": root_path}
    await app(scope, receive, send)
    headers = dict(sent[0].get("headers", []))
    return sent[0]["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


async def test_the_assets_are_answered_patched_the_page_rewritten_and_the_rest_passed_on() -> None:
    seen: list[str] = []

    async def piccolo(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["path"])
        page = b'<!DOCTYPE html><html lang="en"><title>Piccolo Admin</title></html>'
        headers = [(b"content-type", b"text/html"), (b"set-cookie", b"csrftoken=abc")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": page})

    app = PatchedBundle(piccolo, assets={"/assets/index-x.js": (b"text/javascript", b"patched")})

    assert (await call(app, "GET", "/assets/index-x.js", "/admin"))[::2] == (200, b"patched")
    assert (await call(app, "HEAD", "/assets/index-x.js"))[::2] == (200, b"")
    status, headers, body = await call(app, "GET", "/", "/admin")
    assert status == 200
    assert b'<html lang="ru">' in body
    assert headers[b"set-cookie"] == b"csrftoken=abc"  # Piccolo's CSRF cookie kept
    assert headers[b"content-length"] == str(len(body)).encode()
    assert (await call(app, "GET", "/assets/index-y.css"))[0] == 200
    assert (await call(app, "POST", "/assets/index-x.js"))[0] == 200
    assert seen == ["/admin/", "/assets/index-y.css", "/assets/index-x.js"]
