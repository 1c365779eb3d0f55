"""The staff forms (exact names from SPEC section 6): thin, they call the use cases.

Each endpoint takes the logged-in user's id from the session and hands it to a use case,
which looks the role up itself: the forms decide nothing. Domain errors become a Russian
message in the form (422), or a 403 when the role or assignment forbids the action.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, TypeVar
from uuid import UUID

from piccolo_admin.endpoints import FileResponse, FormConfig
from pydantic import BaseModel, Field, WithJsonSchema, field_validator
from starlette.exceptions import HTTPException
from starlette.requests import Request

from admin.messages import staff_message
from domain.crm import CONTACT_METHOD_LABELS, LeadStatus
from domain.errors import DomainError, Forbidden
from domain.staff import AccessReason, QueueStatus, StatusOutcome
from domain.use_cases.change_waitlist_status import (
    ChangeWaitlistStatusCommand,
    ChangeWaitlistStatusUseCase,
)
from domain.use_cases.claim_waitlist_request import (
    ClaimWaitlistRequestCommand,
    ClaimWaitlistRequestUseCase,
)
from domain.use_cases.export_leads import ExportLeadsCommand, ExportLeadsUseCase
from domain.use_cases.reveal_contact import RevealContactCommand, RevealContactUseCase

CLAIM_FORM = "Взять заявку в работу"
CHANGE_STATUS_FORM = "Изменить статус заявки"
REVEAL_CONTACT_FORM = "Показать контакт"
EXPORT_LEADS_FORM = "Выгрузить лиды"
FORM_GROUP = "Очередь заявок"

STATUS_LABELS: dict[str, str] = {
    QueueStatus.CONTACTED: "Связались",
    QueueStatus.BOOKED: "Записан",
    QueueStatus.DECLINED: "Отказ",
    QueueStatus.EXPIRED: "Истекла",
    QueueStatus.WITHDRAWN: "Отозвана",
}
OUTCOME_LABELS: dict[str, str] = {
    StatusOutcome.CLIENT_REACHED: "Дозвонились / ответил",
    StatusOutcome.NO_ANSWER: "Не отвечает",
    StatusOutcome.SESSION_BOOKED: "Записан на приём",
    StatusOutcome.CLIENT_DECLINED: "Клиент отказался",
    StatusOutcome.NO_SUITABLE_TIME: "Не подошло время",
    StatusOutcome.CLIENT_WITHDREW: "Клиент отозвал заявку",
    StatusOutcome.DUPLICATE: "Дубликат",
    StatusOutcome.NO_RESPONSE_TOO_LONG: "Нет ответа слишком долго",
}
REASON_LABELS: dict[str, str] = {
    AccessReason.CALL_BACK_CLIENT: "Перезвонить клиенту",
    AccessReason.OFFER_SLOT: "Предложить время приёма",
    AccessReason.CONFIRM_BOOKING: "Подтвердить запись",
    AccessReason.DATA_SUBJECT_REQUEST: "Запрос субъекта персональных данных",
    AccessReason.MARKETING_CAMPAIGN: "Рассылка по согласию на коммуникации",
    AccessReason.REPORTING: "Отчётность",
}
LEAD_STATUS_LABELS: dict[str, str] = {
    LeadStatus.NEW: "Новый",
    LeadStatus.IN_PROGRESS: "В работе",
    LeadStatus.CONVERTED: "Стал клиентом",
    LeadStatus.LOST: "Потерян",
}

E = TypeVar("E", bound=StrEnum)


def choice(enum: type[E], labels: dict[str, str], title: str, *, nullable: bool = False) -> Any:
    """An enum field the admin renders as a select with Russian labels."""
    choices = {
        member.name: {"display_name": labels[member.value], "value": member.value}
        for member in enum
        if member.value in labels
    }
    values = {"type": "string", "enum": [c["value"] for c in choices.values()]}
    schema: dict[str, Any] = {
        **({"anyOf": [values, {"type": "null"}]} if nullable else values),
        "title": title,
        "extra": {"choices": choices, "nullable": nullable},
    }
    return Annotated[enum | None if nullable else enum, WithJsonSchema(schema)]  # type: ignore[valid-type]


def _extra(nullable: bool) -> dict[str, Any]:
    return {"extra": {"nullable": nullable, "choices": None}}


TargetStatus = choice(QueueStatus, STATUS_LABELS, "Новый статус")
Outcome = choice(StatusOutcome, OUTCOME_LABELS, "Результат")
Reason = choice(AccessReason, REASON_LABELS, "Причина доступа к контакту")
LeadStatusFilter = choice(LeadStatus, LEAD_STATUS_LABELS, "Статус лида", nullable=True)


class ClaimRequestForm(BaseModel):
    waitlist_request_id: UUID | None = Field(
        default=None,
        title="Заявка (пусто: самая старая новая)",
        json_schema_extra=_extra(True),
    )


class ChangeStatusForm(BaseModel):
    waitlist_request_id: UUID = Field(title="Заявка", json_schema_extra=_extra(False))
    status: TargetStatus  # type: ignore[valid-type]
    reason: Outcome  # type: ignore[valid-type]


class RevealContactForm(BaseModel):
    waitlist_request_id: UUID = Field(title="Заявка", json_schema_extra=_extra(False))
    reason: Reason  # type: ignore[valid-type]


class ExportLeadsForm(BaseModel):
    date_from: date | None = Field(default=None, title="С даты", json_schema_extra=_extra(True))
    date_to: date | None = Field(default=None, title="По дату", json_schema_extra=_extra(True))
    status: LeadStatusFilter = None  # type: ignore[valid-type]
    include_contacts: bool = Field(
        default=False,
        title="С контактами (запишется в журнал доступа)",
        json_schema_extra=_extra(False),
    )
    reason: Reason = AccessReason.REPORTING  # type: ignore[valid-type]

    @field_validator("status", "date_from", "date_to", mode="before")
    @classmethod
    def empty_is_none(cls, value: Any) -> Any:
        """The admin's text inputs send ``""`` for an empty optional field."""
        return None if value == "" else value


@dataclass(frozen=True, slots=True)
class StaffForms:
    """The use cases the forms call (built once by the composition root)."""

    claim: ClaimWaitlistRequestUseCase
    change_status: ChangeWaitlistStatusUseCase
    reveal_contact: RevealContactUseCase
    export_leads: ExportLeadsUseCase
    export_max_rows: int = 100_000


def _user_id(request: Request) -> int:
    return int(request.user.user.id)


T = TypeVar("T")


async def _run(call: Callable[[], Awaitable[T]]) -> T:
    """A domain error as the admin shows it: 403 for forbidden, else the form's message."""
    try:
        return await call()
    except Forbidden as exc:
        raise HTTPException(status_code=403, detail=staff_message(exc)) from None
    except DomainError as exc:
        raise ValueError(staff_message(exc)) from None


def codes(labels: dict[str, str]) -> str:
    """The admin renders form choices as text fields, so the description lists the codes."""
    return "; ".join(f"{code} — {label}" for code, label in labels.items())


def build_forms(use_cases: StaffForms) -> list[FormConfig]:
    async def claim(request: Request, data: ClaimRequestForm) -> str:
        result = await _run(
            lambda: use_cases.claim.execute(
                ClaimWaitlistRequestCommand(
                    staff_user_id=_user_id(request), waitlist_request_id=data.waitlist_request_id
                )
            )
        )
        return f"Заявка {result.item.id} взята в работу и назначена вам."

    async def change_status(request: Request, data: ChangeStatusForm) -> str:
        result = await _run(
            lambda: use_cases.change_status.execute(
                ChangeWaitlistStatusCommand(
                    staff_user_id=_user_id(request),
                    waitlist_request_id=data.waitlist_request_id,
                    status=data.status,
                    reason=data.reason,
                )
            )
        )
        label = STATUS_LABELS.get(result.item.status, result.item.status.value)
        return f"Статус заявки {result.item.id}: {label}."

    async def reveal_contact(request: Request, data: RevealContactForm) -> str:
        contact = await _run(
            lambda: use_cases.reveal_contact.execute(
                RevealContactCommand(
                    staff_user_id=_user_id(request),
                    waitlist_request_id=data.waitlist_request_id,
                    reason=data.reason,
                )
            )
        )
        method = CONTACT_METHOD_LABELS.get(contact.method, contact.method.value)
        return f"Контакт ({method}): {contact.value}. Просмотр записан в журнал."

    async def export_leads(request: Request, data: ExportLeadsForm) -> FileResponse:
        export = await _run(
            lambda: use_cases.export_leads.execute(
                ExportLeadsCommand(
                    staff_user_id=_user_id(request),
                    include_contacts=data.include_contacts,
                    date_from=data.date_from,
                    date_to=data.date_to,
                    status=None if data.status is None else data.status.value,
                    reason=data.reason,
                    max_rows=use_cases.export_max_rows,
                )
            )
        )
        buffer = io.BytesIO()
        async for chunk in export.chunks():
            buffer.write(chunk)
        return FileResponse(
            contents=buffer,
            file_name=f"leads-{export.export_id}.csv",
            media_type="text/csv; charset=utf-8",
        )

    return [
        FormConfig(
            name=CLAIM_FORM,
            pydantic_model=ClaimRequestForm,
            endpoint=claim,
            description="Берёт самую старую новую заявку (или указанную) и назначает её вам.",
            form_group=FORM_GROUP,
        ),
        FormConfig(
            name=CHANGE_STATUS_FORM,
            pydantic_model=ChangeStatusForm,
            endpoint=change_status,
            description="Записывает результат работы с заявкой. status: "
            + codes(STATUS_LABELS)
            + ". reason: "
            + codes(OUTCOME_LABELS)
            + ".",
            form_group=FORM_GROUP,
        ),
        FormConfig(
            name=REVEAL_CONTACT_FORM,
            pydantic_model=RevealContactForm,
            endpoint=reveal_contact,
            description="Показывает контакт заявки; каждый просмотр записывается в журнал. "
            "reason: " + codes(REASON_LABELS) + ".",
            form_group=FORM_GROUP,
        ),
        FormConfig(
            name=EXPORT_LEADS_FORM,
            pydantic_model=ExportLeadsForm,
            endpoint=export_leads,
            description="CSV для менеджеров и администраторов; выгрузка с контактами "
            "записывается в журнал доступа. status: "
            + codes(LEAD_STATUS_LABELS)
            + ". reason: "
            + codes(REASON_LABELS)
            + ".",
            form_group="Лиды",
        ),
    ]
