"""The role rules again, inside Piccolo Admin: per-table ``Validators`` and form checks.

The gate (``admin.gate``) refuses what a role may not do before Piccolo sees it. These checks
run inside Piccolo on every table endpoint and every form post, from the same policy but with
the role looked up afresh for Piccolo's own authenticated user, so a request that slipped
past the gate is still refused.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from piccolo_admin.endpoints import FormConfig
from piccolo_api.crud.validators import Validators
from starlette.exceptions import HTTPException
from starlette.requests import Request

from admin.gate import CONTROL_PARAMS, SAFE_METHODS
from admin.policy import AdminPolicy
from admin.row_checks import RowChecks, write_checks
from domain.staff import StaffMember
from domain.staff_ports import StaffDirectory

Validator = Callable[[Any, Request], Any]


async def _member(staff: StaffDirectory, request: Request) -> StaffMember:
    """The active staff member with a role behind Piccolo's session user, or 401."""
    user = getattr(request.user, "user", None)
    user_id = getattr(user, "id", None)
    if not isinstance(user_id, int):
        raise HTTPException(status_code=401, detail="Войдите в админку.")
    member = await staff.get(user_id)
    if member is None:
        raise HTTPException(status_code=401, detail="Войдите в админку.")
    return member


def named_columns(query: Iterable[tuple[str, str]]) -> set[str]:
    """Every column a list query names: visible fields, order, filters."""
    names: set[str] = set()
    for key, value in query:
        if key == "__visible_fields":
            names.update(name for name in value.split(",") if name)
        elif key == "__order":
            names.add(value.lstrip("-"))
        elif key not in CONTROL_PARAMS:
            names.add(key.split("__", 1)[0])
    return names


def table_validators(
    policy: AdminPolicy,
    staff: StaffDirectory,
    tablename: str,
    checks: RowChecks | None = None,
) -> Validators:
    """Who may read and write this table, which columns a query may name, and (``checks``)
    which rows a write may leave (``admin.row_checks``: 422 in Russian)."""

    async def role_may_use_table(piccolo_crud: Any, request: Request) -> None:
        member = await _member(staff, request)
        rule = policy.table(tablename)
        if rule is None or not rule.may_read(member.role):
            raise HTTPException(status_code=403, detail="Недостаточно прав.")
        if request.method.upper() not in SAFE_METHODS and not rule.may_write(member.role):
            raise HTTPException(status_code=405, detail="Только для чтения.")

    def allowed_columns(request: Request, member: StaffMember) -> set[str] | None:
        rule = policy.table(tablename)
        fields = None if rule is None else rule.api_fields_for(member.role)
        return None if fields is None else set(fields)

    async def rows_show_allowed_columns(piccolo_crud: Any, request: Request) -> None:
        # Without ``__visible_fields`` Piccolo returns every column, so it must be there.
        allowed = allowed_columns(request, await _member(staff, request))
        query = parse_qsl(request.url.query, keep_blank_values=True)
        if allowed is not None and (
            "__visible_fields" not in dict(query) or not named_columns(query) <= allowed
        ):
            raise HTTPException(status_code=403, detail="Недостаточно прав.")

    async def count_filters_allowed_columns(piccolo_crud: Any, request: Request) -> None:
        # A count filtered on a hidden column would still tell what is in it.
        allowed = allowed_columns(request, await _member(staff, request))
        query = parse_qsl(request.url.query, keep_blank_values=True)
        if allowed is not None and not named_columns(query) <= allowed:
            raise HTTPException(status_code=403, detail="Недостаточно прав.")

    # Piccolo runs a method's validators before ``every``: the role is checked first all the
    # same, so nobody who may not write learns anything from a row check.
    writes = {} if checks is None else write_checks(checks)

    def write(method: str) -> list[Validator]:
        return [role_may_use_table, writes[method]] if method in writes else []

    return Validators(
        every=[role_may_use_table],
        get_all=[rows_show_allowed_columns],
        get_single=[rows_show_allowed_columns],
        get_count=[count_filters_allowed_columns],
        post_single=write("post_single"),
        put_single=write("put_single"),
        patch_single=write("patch_single"),
        delete_single=write("delete_single"),
    )


def guard_form(policy: AdminPolicy, staff: StaffDirectory, form: FormConfig) -> FormConfig:
    """The form's endpoint, refusing staff whose role may not use it."""
    endpoint = form.endpoint
    slug = form.slug

    async def guarded(request: Request, data: Any) -> Any:
        member = await _member(staff, request)
        if not policy.may_use_form(member.role, slug):
            raise HTTPException(status_code=403, detail="Недостаточно прав.")
        result = endpoint(request, data)
        return await result if inspect.isawaitable(result) else result

    form.endpoint = guarded
    return form
