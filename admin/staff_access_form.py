"""The admin form ``Изменить доступ сотрудника``: a role and the active flag, admins only.

Roles are never edited through the ``staff_roles`` table: this form calls the use case that
checks the actor is an admin, keeps an active admin, and audits every change. The staff
member is picked from a list of usernames, never typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from piccolo_admin.endpoints import FormConfig
from pydantic import BaseModel, Field, WithJsonSchema, field_validator
from starlette.requests import Request

from admin.forms import PICK, _run, _user_id, choice, form_slug, options
from domain.labels import STAFF_ROLE_LABELS
from domain.models import StaffRole
from domain.staff import StaffMember
from domain.use_cases.change_staff_access import (
    ChangeStaffAccessCommand,
    ChangeStaffAccessUseCase,
)
from domain.use_cases.list_staff_accounts import (
    ListStaffAccountsCommand,
    ListStaffAccountsUseCase,
)

STAFF_ACCESS_FORM = "Изменить доступ сотрудника"
ROLE_LABELS: dict[str, str] = {role.value: label for role, label in STAFF_ROLE_LABELS.items()}
ACTIVE_CHOICES = options(("Может входить", "true"), ("Отключён: не может входить", "false"))
StaffUserField = Annotated[
    int | None,
    WithJsonSchema(
        {
            "type": "integer",
            "title": "Сотрудник",
            "default": "",
            "extra": {"nullable": True, "choices": None},
        }
    ),
    Field(json_schema_extra={"default": ""}),
]
RoleField = choice(StaffRole, ROLE_LABELS, "Роль", placeholder=PICK)
ActiveField = Annotated[
    bool,
    WithJsonSchema(
        {
            "type": "boolean",
            "title": "Вход в админку",
            "default": True,
            "extra": {"nullable": False, "choices": ACTIVE_CHOICES},
        }
    ),
]


class StaffAccessForm(BaseModel):
    staff_user_id: StaffUserField = None  # type: ignore[valid-type]
    role: RoleField = None  # type: ignore[valid-type]
    active: ActiveField = True

    @field_validator("staff_user_id", "role", mode="before")
    @classmethod
    def empty_is_none(cls, value: Any) -> Any:
        """The form screen sends ``""`` for a drop-down left on its empty option."""
        return None if value == "" else value


@dataclass(frozen=True, slots=True)
class StaffAccessUseCases:
    change: ChangeStaffAccessUseCase
    accounts: ListStaffAccountsUseCase


def account_label(username: str, role: StaffRole | None, active: bool) -> str:
    role_text = "без роли" if role is None else STAFF_ROLE_LABELS[role].lower()
    return f"{username} · {role_text}" + ("" if active else " · отключён")


def build_staff_access_form(use_cases: StaffAccessUseCases) -> FormConfig:
    async def change_access(request: Request, data: StaffAccessForm) -> str:
        if data.staff_user_id is None:
            raise ValueError("Выберите сотрудника из списка.")
        if data.role is None:
            raise ValueError("Выберите роль.")
        result = await _run(
            lambda: use_cases.change.execute(
                ChangeStaffAccessCommand(
                    actor_user_id=_user_id(request),
                    target_user_id=int(data.staff_user_id),  # type: ignore[arg-type]
                    role=StaffRole(data.role),
                    active=data.active,
                )
            )
        )
        account = result.account
        state = account_label(account.username, account.role, account.active)
        if not result.changes:
            return f"Ничего не изменилось: {state}."
        return f"Доступ изменён и записан в журнал: {state}."

    return FormConfig(
        name=STAFF_ACCESS_FORM,
        pydantic_model=StaffAccessForm,
        endpoint=change_access,
        description="Роль сотрудника и вход в админку. Только для администраторов; "
        "последнего администратора нельзя понизить или отключить; каждое изменение "
        "записывается в журнал.",
        form_group="Сотрудники",
    )


class StaffAccessFormSchema:
    """The form's schema with the accounts to pick from, for the gate to serve."""

    def __init__(self, use_cases: StaffAccessUseCases) -> None:
        self._use_cases = use_cases

    async def schema(self, slug: str, member: StaffMember) -> dict[str, Any] | None:
        if slug != form_slug(STAFF_ACCESS_FORM):
            return None
        accounts = await _run(
            lambda: self._use_cases.accounts.execute(ListStaffAccountsCommand(member.user_id))
        )
        schema = StaffAccessForm.model_json_schema()
        schema["properties"]["staff_user_id"]["extra"]["choices"] = options(
            (PICK, ""),
            *((account_label(a.username, a.role, a.active), a.user_id) for a in accounts),
        )
        return schema
