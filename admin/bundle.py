"""Piccolo Admin's script bundle and style sheet, patched for the practice's Russian staff.

Piccolo Admin 1.14 is a compiled Vue app, and some of what staff see is not configurable:

- Table names are shown as themselves ("waitlist requests") in the sidebar, the headings and
  the pickers. Nothing passes them through the translations.
- List cells show timestamps as the API returns them (ISO, UTC, microseconds), ``NULL`` for an
  empty value, and a foreign key's readable value as the database writes it.
- Some words are written in the bundle, not looked up: the pager ("of 1", "15 per page"), the
  filter operators ("Equals"), "All", "Null", "True", the pickers, the pop-up messages, and
  the form errors ("title field - Field required").
- Every table offers "Add Row", row check boxes, "Save" and "Delete", even where the role may
  only read (the gate then answers 405).
- The custom form screen (``NewForm``) hands its fields only the type, format, default and
  nullability, so a form field is a text input whatever the schema says. The row form hands
  ``property.extra.choices`` on; upstream pull requests that add it to ``NewForm``
  (piccolo_admin #391, #434, #436) were closed unmerged.
- The style sheet capitalises every word of the sidebar, the headings and every drop-down
  ("Взять Заявку В Работу").
- The page says it is English (``lang="en"``), so browsers offer to translate it, and the
  user menu links to an MFA set-up the staff admin does not have (the gate refuses it).

So the admin serves its own copy of the bundle: a small helper (``bundle_helper.js``, named
``__eb`` in the module's scope) is put in front of it with our table and column titles, and
literal replacements route the code above through it, through ``$t`` (the Russian words are in
:data:`RUSSIAN_EXTRA`, added to Piccolo's own Russian translation) or through the table
schema's ``extra.staff_read_only`` (set per staff member by ``admin.table_schemas``). The
replacements are made once at start-up; if the bundle no longer contains what one of them
expects (a Piccolo Admin upgrade), building the admin fails with a message naming it rather
than silently bringing the English, the ISO dates or the text fields back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from piccolo_admin.endpoints import ASSET_PATH
from piccolo_admin.translations.data import RUSSIAN, TRANSLATIONS
from piccolo_admin.translations.models import Translation

from admin.asgi import ASGIApp, Headers, Receive, Scope, Send, relative_path, rewritten

TIMEZONE = "Europe/Moscow"
HELPER = "__eb"


@dataclass(frozen=True, slots=True)
class Patch:
    """One literal replacement in the bundle: ``old`` must occur exactly ``count`` times."""

    why: str
    old: str
    new: str
    count: int = 1


# The helper the patches call, with ``__EB_LABELS__`` standing for our JSON (table and column
# titles, the time zone).
HELPER_PATH = Path(__file__).with_name("bundle_helper.js")
LABELS_MARK = "__EB_LABELS__"

_RO = f"{HELPER}.readOnly(e.schema)"

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

SCRIPT_PATCHES: tuple[Patch, ...] = (
    Patch("the custom form screen's fields", NEW_FORM_FIELD, NEW_FORM_FIELD_WITH_CHOICES),
    # Table and column names.
    Patch(
        "the headings' table names (readable)",
        'function Cb(e){return e.split("_").join(" ")}',
        f"function Cb(e){{return {HELPER}.title(e)}}",
    ),
    Patch(
        "the sidebar's table names (TableNavItem)",
        'readableTableName(){return this.tableName.split("_").join(" ")}',
        f"readableTableName(){{return {HELPER}.title(this.tableName)}}",
    ),
    Patch(
        "the picker's table name (KeySearchModal)",
        'readableTableName(){return this.tableName?KL(this.tableName.split("_").join(" ")):""}',
        f'readableTableName(){{return this.tableName?{HELPER}.title(this.tableName):""}}',
    ),
    Patch(
        "the referencing tables' names (ReferencingTables)",
        't0("span",l9,M0(s.tableName),1),U0(" "+M0(e.$t("with a matching"))+" ",1),'
        't0("span",z9,M0(s.columnName),1)',
        f't0("span",l9,M0({HELPER}.title(s.tableName)),1),'
        'U0(" "+M0(e.$t("with a matching"))+" ",1),'
        f't0("span",z9,M0({HELPER}.column(s.tableName,s.columnName)),1)',
    ),
    # List cells: dates in Moscow time, a dash for nothing.
    Patch(
        "an empty cell (RowListing)",
        't0("code",null,"NULL",-1)',
        't0("span",{class:"eb-empty"},"—",-1)',
    ),
    Patch(
        "the link column's cell (RowListing)",
        "rowID:m[e.pkName]}}},{default:J0(()=>[U0(M0(m[g]),1)]),_:2}",
        "rowID:m[e.pkName]}}},{default:J0(()=>"
        f"[U0(M0({HELPER}.cell(m[g],e.schema.properties[g])),1)]),_:2}}",
    ),
    Patch(
        "a foreign key's cell (RowListing)",
        'U0(M0(m[g+"_readable"]),1)',
        f'U0(M0({HELPER}.text(m[g+"_readable"])),1)',
    ),
    Patch(
        "a plain cell (RowListing)",
        'p0("span",D_,M0(e.abbreviate(m[g])),1)',
        f'p0("span",D_,M0(e.abbreviate({HELPER}.cell(m[g],e.schema.properties[g]))),1)',
    ),
    Patch(
        "the picker's rows (KeySearchModal)",
        "M0(s[1]),9,rN)",
        f"M0({HELPER}.text(s[1])),9,rN)",
    ),
    Patch(
        "the picked row (KeySearch)",
        "handleUpdate(e){this.selectedValue=e.readable,",
        f"handleUpdate(e){{this.selectedValue={HELPER}.text(e.readable),",
    ),
    Patch(
        "the picked row, changed (KeySearch)",
        "watch:{readable(e){this.selectedValue=e},",
        f"watch:{{readable(e){{this.selectedValue={HELPER}.text(e)}},",
    ),
    Patch(
        "the picked row, shown first (KeySearch)",
        "async mounted(){this.selectedValue=this.readable,",
        f"async mounted(){{this.selectedValue={HELPER}.text(this.readable),",
    ),
    Patch(
        "the edit screens' time zone (TimestamptzWidget, TimezoneModal)",
        'localStorage.getItem(Gs)??"UTC"',
        f"localStorage.getItem(Gs)??{HELPER}.timezone",
        count=2,
    ),
    # Words written in the bundle, looked up instead.
    Patch(
        "the pager (Pagination)",
        't0("li",QB,"of "+M0(e.pageCount),1)',
        't0("li",QB,M0(e.$t("of"))+" "+M0(e.pageCount),1)',
    ),
    Patch(
        "the page size (ChangePageSize)",
        "label:`${c} per page`",
        'label:`${c} ${e.$t("per page")}`',
    ),
    Patch("the filter operators (OperatorField)", "M0(c.label),9,OT)", "M0(e.$t(c.label)),9,OT)"),
    Patch("the text filter's matches (MatchField)", "M0(r),9,bT)", "M0(o.$t(r)),9,bT)"),
    Patch(
        "a choice filter's 'All' (ChoiceSelect)",
        'value:"all"}," All ",8,uE)',
        'value:"all"},M0(e.$t("All")),9,uE)',
    ),
    Patch(
        "a choice field's 'Null' (ChoiceSelect)",
        'value:"null"}," Null ",8,fE)',
        'value:"null"},M0(e.$t("Null")),9,fE)',
    ),
    Patch(
        "a yes/no filter's 'All' (InputField)",
        'value:"all"}," All ",8,DT)',
        'value:"all"},M0(e.$t("All")),9,DT)',
    ),
    Patch(
        "a yes/no field's 'Null' (InputField)",
        'value:"null"}," Null ",8,xT)',
        'value:"null"},M0(e.$t("Null")),9,xT)',
    ),
    Patch(
        "a yes/no field's 'True' (InputField)",
        'value:"true"}," True ",8,FT)',
        'value:"true"},M0(e.$t("True")),9,FT)',
    ),
    Patch(
        "a yes/no field's 'False' (InputField)",
        'value:"false"}," False ",8,$T)',
        'value:"false"},M0(e.$t("False")),9,$T)',
    ),
    Patch(
        "an empty field's placeholder (InputField)",
        'placeholder(){return this.isFilter?"All":this.isNullable&&this.value===null?"NULL":""}',
        'placeholder(){return this.isFilter?this.$t("All"):'
        'this.isNullable&&this.value===null?this.$t("NULL"):""}',
    ),
    Patch(
        "the picker field's placeholder (KeySearch)",
        'placeholder:e.isFilter?"All":"None"',
        'placeholder:e.isFilter?e.$t("All"):e.$t("None")',
    ),
    Patch(
        "the picker's title (KeySearchModal)",
        "title:`Select a row from ${e.readableTableName}`",
        'title:`${e.$t("Select a row from")}: ${e.readableTableName}`',
    ),
    Patch(
        "the picker's search box (KeySearchModal)",
        'placeholder:"Type here to filter"',
        'placeholder:e.$t("Type here to filter")',
    ),
    Patch(
        "the picker's 'All' (KeySearchModal)",
        '["prevent"]))},"All")])',
        '["prevent"]))},M0(e.$t("All")),1)])',
    ),
    Patch(
        "the picker's 'None' (KeySearchModal)",
        '["prevent"]))},"None")])',
        '["prevent"]))},M0(e.$t("None")),1)])',
    ),
    Patch(
        "the picker's 'Load more' (KeySearchModal)",
        't[5]||(t[5]=U0(" Load more",-1))',
        'U0(" "+M0(e.$t("Load more")),1)',
    ),
    Patch("a row's edit link (RowListing)", 'title:"Edit Row"', 'title:e.$t("Edit Row")'),
    Patch("a row's delete link (DeleteButton)", 'title:"Delete Row"', 'title:e.$t("Delete Row")'),
    Patch(
        "the bulk delete button (BulkDeleteButton)",
        'title:"Delete selected Rows"',
        'title:e.$t("Delete selected Rows")',
    ),
    Patch("the bulk update (BulkUpdateModal)", 'title:"Bulk Update"', 'title:e.$t("Bulk Update")'),
    Patch(
        "the bulk update's 'Set null' (BulkUpdateModal)",
        't[4]||(t[4]=t0("label",null,"Set null:",-1))',
        't0("label",null,M0(e.$t("Set null:")),1)',
    ),
    Patch(
        "the CSV export's column names (CSVModal)",
        't0("label",{for:"csv_"+m},M0(m),9,kB)',
        f't0("label",{{for:"csv_"+m}},M0({HELPER}.column(o.state.currentTableName,m)),9,kB)',
    ),
    Patch(
        "the CSV export without columns (CSVModal)",
        'alert("Please select at least one column.")',
        f'alert({HELPER}.t("Please select at least one column."))',
    ),
    Patch(
        "the form errors' heading (FormErrors)",
        't[0]||(t[0]=U0("Error",-1))',
        'U0(M0(e.$t("Error")),1)',
    ),
    Patch(
        "the CSV export's columns (CSVModal)",
        'q[5]||(q[5]=U0(" Columns",-1))',
        'U0(" "+M0(O.$t("Columns")),1)',
    ),
    Patch(
        "the CSV export's 'Toggle all' (CSVModal)",
        '"Toggle all",512)',
        'M0(O.$t("Toggle all")),513)',
    ),
    Patch(
        "the CSV export's readable values (CSVModal)",
        'q[6]||(q[6]=t0("label",{for:"include_readable"},"Include readable",-1))',
        't0("label",{for:"include_readable"},M0(O.$t("Include readable")),1)',
    ),
    Patch(
        "the add screen's heading (AddRowForm)",
        't0("h1",null,M0(e.$t("Add"))+" "+M0(e.readable(e.tableName)),1)',
        't0("h1",null,M0(e.$t("Add"))+": "+M0(e.readable(e.tableName)),1)',
    ),
    # Pop-up messages, confirmations and form errors.
    Patch(
        "the translations, kept for messages (loadTranslation)",
        "uc.global.setLocaleMessage(o.data.language_code,o.data.translations),",
        "uc.global.setLocaleMessage(o.data.language_code,o.data.translations),"
        f"{HELPER}.learn(o.data.translations),",
    ),
    Patch(
        "the pop-up messages (store)",
        "updateApiResponseMessage(e,t){e.apiResponseMessage=t}",
        f"updateApiResponseMessage(e,t){{e.apiResponseMessage={HELPER}.message(t)}}",
    ),
    Patch(
        "the form errors (parseErrorResponse)",
        'function tr(e,t){return t==422?typeof e=="object"?e.db_error?[`Database error: '
        "${e.db_error}`]:e.detail?e.detail.map(o=>`${o.loc[o.loc.length-1]} field - "
        "${o.msg}`):e.custom_form_error?[e.custom_form_error]:[JSON.stringify(e)]:[e]:t==405?"
        'typeof e=="object"?e.detail?[e.detail]:[JSON.stringify(e)]:[e]:typeof e=="object"?'
        "[JSON.stringify(e)]:[e]}",
        f"function tr(e,t){{return {HELPER}.errors(e)}}",
    ),
    Patch(
        "a failed list (store)",
        "contents:`Problem fetching ${o} rows.`",
        f'contents:{HELPER}.t("Problem fetching rows.")',
    ),
    Patch(
        "the edit screen's delete (EditRowForm)",
        'window.confirm("Are you sure you want to delete this row?")',
        f'window.confirm({HELPER}.t("Are you sure you want to delete this row?"))',
    ),
    Patch(
        "the edit screen's deleted row (EditRowForm)",
        'alert("Successfully deleted row")',
        f'alert({HELPER}.t("Successfully deleted row"))',
    ),
    Patch(
        "a row's delete (RowListing)",
        "confirm(`Are you sure you want to delete row ${e}?`)",
        f'confirm({HELPER}.t("Are you sure you want to delete this row?"))',
    ),
    Patch(
        "the bulk delete (RowListing)",
        'confirm("Are you sure you want to delete the selected rows?")',
        f'confirm({HELPER}.t("Are you sure you want to delete the selected rows?"))',
    ),
    Patch(
        "a row the bulk delete could not delete (RowListing)",
        "contents:`Unable to delete row ${this.selectedRows[e]} (${n})`",
        f'contents:`${{{HELPER}.t("Unable to delete the row.")}} ${{n}}`',
    ),
    Patch(
        # The staff admin has no MFA: the gate refuses its set-up page.
        "the MFA set-up link (NavDropDownMenu)",
        't0("li",null,[t0("a",{href:"./api/mfa-setup/",onClick:t[1]||(t[1]=p=>p.stopPropagation())},'
        '[z0(c,{icon:"mobile-alt"}),U0(M0(e.$t("MFA Setup")),1)])]),',
        "",
    ),
    Patch(
        "the log-out (NavDropDownMenu)",
        'window.confirm("Are you sure you want to logout?")',
        f'window.confirm({HELPER}.t("Are you sure you want to logout?"))',
    ),
    Patch(
        "a form's download (FormAdd)",
        'this.successMessage="Downloaded file"',
        f'this.successMessage={HELPER}.t("Downloaded file")',
    ),
    Patch(
        "a form's success (FormAdd)",
        '||"Successfully submitted form"',
        f'||{HELPER}.t("Successfully submitted form")',
    ),
    # What a role may not do, not offered: the schema says so (``extra.staff_read_only``).
    # The listing and the edit screen are keyed by it, so Vue builds them anew rather than
    # patching one into the other when it changes.
    Patch(
        "the listing, keyed by its table being read-only (RowListing)",
        'e.loading?h0("",!0):(Z(),p0(W0,{key:0},[t0("div",m_,[',
        f'e.loading?h0("",!0):(Z(),p0(W0,{{key:{_RO}?"eb-ro":"eb-rw"}},[t0("div",m_,[',
    ),
    Patch(
        "the 'Add Row' button (RowListing)",
        'z0(p,{to:{name:"addRow",params:{tableName:e.tableName}}',
        f'{_RO}?h0("",!0):z0(p,{{to:{{name:"addRow",params:{{tableName:e.tableName}}}}',
    ),
    Patch(
        "the 'select all' check box (RowListing)",
        't0("th",null,[x0(t0("input",{type:"checkbox","onUpdate:modelValue":t[4]',
        f'{_RO}?h0("",!0):t0("th",null,[x0(t0("input",{{type:"checkbox","onUpdate:modelValue":t[4]',
    ),
    Patch(
        "a row's check box (RowListing)",
        't0("td",null,[x0(t0("input",{value:m[e.pkName]',
        f'{_RO}?h0("",!0):t0("td",null,[x0(t0("input",{{value:m[e.pkName]',
    ),
    Patch(
        "a row's edit and delete menu (RowListing)",
        't0("td",null,[t0("span",x_,[',
        f't0("td",null,[{_RO}?h0("",!0):t0("span",x_,[',
    ),
    Patch(
        "the edit screen's heading and delete menu (EditRowForm)",
        'return e.schema?(Z(),p0("div",h9,[t0("div",m9,[t0("h1",null,M0(e.$t("Edit"))+" "+'
        'M0(e.readable(e.tableName)),1),t0("p",null,[',
        f'return e.schema?(Z(),p0("div",{{key:{_RO}?"eb-ro":"eb-rw"}},[t0("div",m9,'
        f'[t0("h1",null,({_RO}?"":M0(e.$t("Edit"))+": ")+M0(e.readable(e.tableName)),1),'
        f'{_RO}?h0("",!0):t0("p",null,[',
    ),
    Patch(
        "the edit screen's fields (EditRowForm)",
        't0("form",{onSubmit:t[1]||(t[1]=B0(l=>e.submitForm(l),["prevent"]))},'
        "[e.schema&&e.selectedRow?",
        f't0("form",{{inert:{_RO},onSubmit:t[1]||(t[1]=B0(l=>e.submitForm(l),["prevent"]))}},'
        "[e.schema&&e.selectedRow?",
    ),
    Patch(
        "the edit screen's save button (EditRowForm)",
        't0("button",{disabled:!e.saveButtonEnabled,"data-uitest":"save_button"},'
        'M0(e.$t("Save")),9,W9)',
        f'{_RO}?h0("",!0):t0("button",{{disabled:!e.saveButtonEnabled,'
        '"data-uitest":"save_button"},M0(e.$t("Save")),9,W9)',
    ),
)

STYLE_PATCHES: tuple[Patch, ...] = (
    # The sidebar, the headings, the referencing tables and every drop-down: Russian labels
    # ("Индивидуальная консультация") are not titles to capitalise word by word.
    Patch(
        "the capitalised words (sidebar, headings, drop-downs)",
        "text-transform:capitalize",
        "text-transform:none",
        count=8,
    ),
)
STYLE_ADDED = (
    "\n.eb-empty{opacity:.45}"
    # "15 на странице" is longer than "15 per page".
    "\ndiv#page_size select{width:auto!important;padding-right:1.8rem}"
    # A read-only edit screen shows values, not fields waiting for input.
    "\nform[inert] input,form[inert] select,form[inert] textarea"
    "{background:transparent!important;border-color:transparent!important;"
    "appearance:none;-webkit-appearance:none;color:inherit;opacity:1}"
    "\nform[inert] a,form[inert] input[type=datetime-local]+select{display:none}\n"
)
PAGE_PATCHES: tuple[Patch, ...] = (
    Patch("the page's language (index.html)", '<html lang="en">', '<html lang="ru">'),
)

# The Russian for every word the patches look up that Piccolo's Russian translation lacks,
# and two of its own that read badly ("c соответствующим" has a Latin "c").
RUSSIAN_EXTRA: Mapping[str, str] = {
    "per page": "на странице",
    "Equals": "Равно",
    "Not Equal": "Не равно",
    "Less Than": "Меньше",
    "Less Than or Equal To": "Меньше или равно",
    "Greater Than or Equal To": "Больше или равно",
    "Greater Than": "Больше",
    "contains": "Содержит",
    "exact": "Совпадает",
    "starts": "Начинается с",
    "ends": "Заканчивается на",
    "All": "Все",
    "Null": "Не указано",
    "NULL": "Не указано",
    "None": "Не выбрано",
    "True": "Да",
    "False": "Нет",
    "Select a row from": "Выберите строку",
    "Type here to filter": "Начните вводить, чтобы найти",
    "Load more": "Показать ещё",
    "Edit Row": "Открыть строку",
    "Delete Row": "Удалить строку",
    "Delete selected Rows": "Удалить выбранные строки",
    "Bulk Update": "Изменить выбранные строки",
    "Set null:": "Очистить:",
    "Columns": "Столбцы",
    "Toggle all": "Выбрать все / ничего",
    "Include readable": "С названиями вместо ID",
    "with a matching": "по полю",
    "Links": "Ссылки",
    "Error": "Ошибка",
    "Please select at least one column.": "Выберите хотя бы один столбец.",
    "Database error": "База данных не приняла изменение",
    "Problem fetching rows.": "Не удалось загрузить строки.",
    "Are you sure you want to delete this row?": "Удалить эту строку?",
    "Are you sure you want to delete the selected rows?": "Удалить выбранные строки?",
    "Successfully deleted row": "Строка удалена.",
    "Successfully deleted rows": "Строки удалены.",
    "Unable to delete the row.": "Не удалось удалить строку.",
    "Successfully added row": "Строка добавлена.",
    "Successfully saved row": "Изменения сохранены.",
    "The form has errors.": "В форме есть ошибки.",
    "Are you sure you want to logout?": "Выйти из админки?",
    "Downloaded file": "Файл скачан.",
    "Successfully submitted form": "Форма отправлена.",
    "Problem logging in": "Не удалось войти: проверьте логин и пароль.",
    "The server can't be reached - please try later.": "Сервер недоступен, попробуйте позже.",
}


def staff_translations() -> list[Translation]:
    """Piccolo Admin's translations with its Russian one extended by :data:`RUSSIAN_EXTRA`."""
    russian = Translation(
        language_name=RUSSIAN.language_name,
        language_code=RUSSIAN.language_code,
        translations={**RUSSIAN.translations, **RUSSIAN_EXTRA},
    )
    return [russian if t.language_code == RUSSIAN.language_code else t for t in TRANSLATIONS]


class BundleMismatch(RuntimeError):
    pass


def _mismatch(what: str) -> BundleMismatch:
    return BundleMismatch(
        f"Piccolo Admin's bundle does not contain what admin/bundle.py patches for {what} "
        "(was piccolo-admin upgraded?): staff would see English, raw dates or text fields "
        "instead of drop-downs. Find the code in the new bundle and update the patch."
    )


def apply(source: str, patches: Sequence[Patch]) -> str:
    """``source`` with every patch made; :class:`BundleMismatch` if one does not fit."""
    for patch in patches:
        if source.count(patch.old) != patch.count:
            raise _mismatch(patch.why)
        source = source.replace(patch.old, patch.new)
    return source


def patch_script(source: str, labels: Mapping[str, object]) -> str:
    """The script bundle, with the helper in front (``labels``: tables, columns, time zone)."""
    if HELPER in source:
        raise _mismatch(f"the helper's name ({HELPER} is taken)")
    helper = HELPER_PATH.read_text(encoding="utf-8")
    if helper.count(LABELS_MARK) != 1:
        raise _mismatch(f"its own helper ({HELPER_PATH.name} must say {LABELS_MARK} once)")
    found = json.dumps(labels, ensure_ascii=False, sort_keys=True)
    return helper.replace(LABELS_MARK, found) + "\n" + apply(source, SCRIPT_PATCHES)


def patch_styles(source: str) -> str:
    return apply(source, STYLE_PATCHES) + STYLE_ADDED


def patch_page(source: str) -> str:
    return apply(source, PAGE_PATCHES)


_ASSET = re.compile(r'(?:src|href)="\./assets/(?P<name>index-[\w-]+\.(?P<kind>js|css))"')
CONTENT_TYPES = {"js": b"text/javascript; charset=utf-8", "css": b"text/css; charset=utf-8"}


def patched_assets(
    labels: Mapping[str, object], dist: Path = Path(ASSET_PATH)
) -> dict[str, tuple[bytes, bytes]]:
    """``/assets/index-….js`` and ``….css`` (paths under the admin): content type, body."""
    page = (dist / "index.html").read_text(encoding="utf-8")
    patch_page(page)  # fails now, not at the first visit
    names = {found["kind"]: found["name"] for found in _ASSET.finditer(page)}
    if set(names) != {"js", "css"}:
        raise _mismatch("index.html's script and style sheet")
    sources = {
        kind: (dist / "assets" / name).read_text(encoding="utf-8") for kind, name in names.items()
    }
    bodies = {"js": patch_script(sources["js"], labels), "css": patch_styles(sources["css"])}
    return {
        f"/assets/{name}": (CONTENT_TYPES[kind], bodies[kind].encode("utf-8"))
        for kind, name in names.items()
    }


class PatchedBundle:
    """Piccolo Admin, with its page, script bundle and style sheet answered patched."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        labels: Mapping[str, object] | None = None,
        assets: dict[str, tuple[bytes, bytes]] | None = None,
    ) -> None:
        self._app = app
        if assets is None:
            assets = patched_assets(labels or {"tables": {}, "columns": {}, "timezone": TIMEZONE})
        self._assets = assets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self._app(scope, receive, send)
            return
        path = relative_path(scope)
        if path == "/":
            # Piccolo answers the page itself (it also sets the CSRF cookie): only its text
            # is changed on the way out.
            await rewritten(self._app, scope, receive, send, _page)
            return
        asset = self._assets.get(path)
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


def _page(status: int, headers: Headers, body: bytes) -> tuple[int, bytes, bytes] | None:
    if status != 200 or not body:
        return None
    try:
        page = patch_page(body.decode("utf-8"))
    except (UnicodeDecodeError, BundleMismatch):
        return None
    return status, page.encode("utf-8"), b"text/html; charset=utf-8"
