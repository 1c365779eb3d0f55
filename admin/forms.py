"""The staff forms (exact names from SPEC section 6): thin, they call the use cases.

Each endpoint takes the logged-in user's id from the session and hands it to a use case,
which looks the role up itself: the forms decide nothing. Domain errors become a Russian
message in the form (422), or a 403 when the role or assignment forbids the action.

Every choice is a drop-down with Russian labels. Piccolo Admin's form screen reads them from
the form's JSON schema, ``extra.choices`` of a property (as Piccolo API writes them for table
columns), once ``admin.bundle`` has taught the screen to pass them on. The request to
work on is one of them too: :class:`FormSchemas` fills it per staff member with the requests
they may pick, labelled by short id, service, time window and age, never by contact.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from piccolo_admin.endpoints import FileResponse, FormConfig
from pydantic import BaseModel, Field, WithJsonSchema, field_validator
from starlette.exceptions import HTTPException
from starlette.requests import Request

from admin.bundle import TIMEZONE
from admin.messages import staff_message
from domain.crm import LeadStatus, TimeWindow
from domain.errors import DomainError, Forbidden
from domain.labels import (
    ACCESS_REASON_LABELS,
    LEAD_STATUS_LABELS,
    OFFER_OUTCOME_LABELS,
    STATUS_OUTCOME_LABELS,
    WAITLIST_STATUS_LABELS,
)
from domain.models import ContactMethod
from domain.offers import OfferOutcome
from domain.staff import (
    AccessReason,
    PickableRequest,
    PickPurpose,
    QueueStatus,
    StaffMember,
    StatusOutcome,
)
from domain.use_cases.change_waitlist_status import (
    ChangeWaitlistStatusCommand,
    ChangeWaitlistStatusUseCase,
)
from domain.use_cases.claim_waitlist_request import (
    ClaimWaitlistRequestCommand,
    ClaimWaitlistRequestUseCase,
)
from domain.use_cases.export_leads import ExportLeadsCommand, ExportLeadsUseCase
from domain.use_cases.list_pickable_requests import (
    DEFAULT_LIMIT,
    ListPickableRequestsCommand,
    ListPickableRequestsUseCase,
    PickableRequestsResult,
)
from domain.use_cases.record_consent_withdrawal import (
    RecordConsentWithdrawalCommand,
    RecordConsentWithdrawalUseCase,
)
from domain.use_cases.record_offer_outcome import (
    RecordOfferOutcomeCommand,
    RecordOfferOutcomeUseCase,
)
from domain.use_cases.reveal_contact import RevealContactCommand, RevealContactUseCase

CLAIM_FORM = "Взять заявку в работу"
CHANGE_STATUS_FORM = "Изменить статус заявки"
REVEAL_CONTACT_FORM = "Показать контакт"
EXPORT_LEADS_FORM = "Выгрузить лиды"
WITHDRAW_CONSENT_FORM = "Отозвать согласие"
OFFER_OUTCOME_FORM = "Записать ответ на предложение"
FORM_GROUP = "Очередь заявок"
PRIVACY_GROUP = "Персональные данные"
REQUEST_FIELD = "waitlist_request_id"

# A status the form may set: every move but taking into work, which is the claim form's.
STATUS_LABELS: dict[QueueStatus, str] = {
    status: label
    for status, label in WAITLIST_STATUS_LABELS.items()
    if status not in (QueueStatus.NEW, QueueStatus.IN_PROGRESS)
}
OUTCOME_LABELS = STATUS_OUTCOME_LABELS
REASON_LABELS = ACCESS_REASON_LABELS
# How a request reads in a drop-down: short words, the list is long.
REQUEST_STATUS_WORDS: dict[str, str] = {
    QueueStatus.NEW: "новая",
    QueueStatus.IN_PROGRESS: "в работе",
    QueueStatus.CONTACTED: "связались",
    QueueStatus.BOOKED: "записан",
    QueueStatus.DECLINED: "отказ",
    QueueStatus.EXPIRED: "истекла",
}
TIME_WINDOW_WORDS: dict[str, str] = {
    TimeWindow.MORNING: "утро",
    TimeWindow.AFTERNOON: "день",
    TimeWindow.EVENING: "вечер",
    TimeWindow.WEEKEND: "выходные",
    TimeWindow.ANY: "любое время",
}
CONTACT_METHOD_WORDS: dict[str, str] = {
    ContactMethod.PHONE: "телефон",
    ContactMethod.EMAIL: "эл. почта",
    ContactMethod.TELEGRAM: "Telegram",
}
# What a form answers when a drop-down was left on its first, empty option.
CHOOSE_REQUEST = "Выберите заявку из списка."
CHOOSE_STATUS = "Выберите новый статус."
CHOOSE_OUTCOME = "Выберите результат."
CHOOSE_REASON = "Выберите причину доступа к контакту."
CHOOSE_ANSWER = "Выберите ответ клиента."

STAFF_ZONE = ZoneInfo(TIMEZONE)

E = TypeVar("E", bound=StrEnum)
Choices = dict[str, dict[str, Any]]


def options(*pairs: tuple[str, Any]) -> Choices:
    """``extra.choices`` from ``(label, value)`` pairs, in this order.

    Keys are the positions, zero-padded: pydantic sorts the keys of a JSON schema, and a
    browser keeps string keys that are not array indexes in insertion order; both orders are
    then the one given here. The form screen uses a key only to tell options apart.
    """
    return {
        f"{i:03d}": {"display_name": label, "value": value}
        for i, (label, value) in enumerate(pairs)
    }


def choice(
    enum: type[E],
    labels: Mapping[Any, str],  # by member or by value: a ``StrEnum`` member is its value
    title: str,
    *,
    placeholder: str | None = None,
    default: E | None = None,
) -> Any:
    """An enum field the form screen shows as a drop-down with Russian labels.

    - ``extra.choices`` are the options in order (``display_name``, ``value``); ``default`` is
      the option selected when the form opens.
    - A ``placeholder`` is a first option that sends no value: the screen sends ``""``, which
      ``extra.nullable`` makes ``null``, and the endpoint asks for a choice in Russian.
    - No ``anyOf`` with ``null``: the screen would add an option labelled ``Null``.
    """
    members = [m for m in enum if m in labels]
    first = [] if placeholder is None else [(placeholder, "")]
    schema: dict[str, Any] = {
        "type": "string",
        "title": title,
        "enum": [m.value for m in members],
        "default": "" if default is None else default.value,
        "extra": {
            "choices": options(*first, *((labels[m], m.value) for m in members)),
            "nullable": placeholder is not None,
        },
    }
    # The field's own default (``None``) would be written over the schema's ``default``.
    shown_first = Field(json_schema_extra={"default": schema["default"]})
    return Annotated[enum | None, WithJsonSchema(schema), shown_first]  # type: ignore[valid-type]


def _extra(nullable: bool) -> dict[str, Any]:
    return {"extra": {"nullable": nullable, "choices": None}}


def _request_field(title: str) -> Any:
    # Without :class:`FormSchemas` (Piccolo's own static schema) this stays a text field.
    schema = {"type": "string", "format": "uuid", "title": title, **_extra(True)}
    return Annotated[UUID | None, WithJsonSchema(schema), Field(json_schema_extra={"default": ""})]


def _empty_is_none(value: Any) -> Any:
    """The form screen sends ``""`` for a drop-down left on its empty option."""
    return None if value == "" else value


PICK = "— выберите —"
RequestToClaim = _request_field("Заявка (пусто: самая старая новая)")
RequestInWork = _request_field("Заявка")
TargetStatus = choice(QueueStatus, STATUS_LABELS, "Новый статус", placeholder=PICK)
Outcome = choice(StatusOutcome, OUTCOME_LABELS, "Результат", placeholder=PICK)
Reason = choice(AccessReason, REASON_LABELS, "Причина доступа к контакту", placeholder=PICK)
OfferAnswer = choice(OfferOutcome, OFFER_OUTCOME_LABELS, "Ответ клиента", placeholder=PICK)
ExportReason = choice(
    AccessReason, REASON_LABELS, "Причина доступа к контакту", default=AccessReason.REPORTING
)
LeadStatusFilter = choice(LeadStatus, LEAD_STATUS_LABELS, "Статус лида", placeholder="Любой")
INCLUDE_CONTACTS_SCHEMA: dict[str, Any] = {
    "type": "boolean",
    "title": "Контакты",
    "default": False,
    "extra": {
        "nullable": False,
        "choices": options(
            ("Без контактов", "false"), ("С контактами (запишется в журнал доступа)", "true")
        ),
    },
}


class ClaimRequestForm(BaseModel):
    waitlist_request_id: RequestToClaim = None  # type: ignore[valid-type]

    _empty = field_validator("waitlist_request_id", mode="before")(_empty_is_none)


class ChangeStatusForm(BaseModel):
    waitlist_request_id: RequestInWork = None  # type: ignore[valid-type]
    status: TargetStatus = None  # type: ignore[valid-type]
    reason: Outcome = None  # type: ignore[valid-type]

    _empty = field_validator("waitlist_request_id", "status", "reason", mode="before")(
        _empty_is_none
    )


class RevealContactForm(BaseModel):
    waitlist_request_id: RequestInWork = None  # type: ignore[valid-type]
    reason: Reason = None  # type: ignore[valid-type]

    _empty = field_validator("waitlist_request_id", "reason", mode="before")(_empty_is_none)


class OfferOutcomeForm(BaseModel):
    waitlist_request_id: RequestInWork = None  # type: ignore[valid-type]
    outcome: OfferAnswer = None  # type: ignore[valid-type]

    _empty = field_validator("waitlist_request_id", "outcome", mode="before")(_empty_is_none)


class WithdrawConsentForm(BaseModel):
    waitlist_request_id: RequestInWork = None  # type: ignore[valid-type]

    _empty = field_validator("waitlist_request_id", mode="before")(_empty_is_none)


class ExportLeadsForm(BaseModel):
    date_from: date | None = Field(default=None, title="С даты", json_schema_extra=_extra(True))
    date_to: date | None = Field(default=None, title="По дату", json_schema_extra=_extra(True))
    status: LeadStatusFilter = None  # type: ignore[valid-type]
    include_contacts: Annotated[bool, WithJsonSchema(INCLUDE_CONTACTS_SCHEMA)] = False
    reason: ExportReason = AccessReason.REPORTING  # type: ignore[valid-type]

    _empty = field_validator("status", "date_from", "date_to", "reason", mode="before")(
        _empty_is_none
    )


@dataclass(frozen=True, slots=True)
class StaffForms:
    """The use cases the forms call (built once by the composition root)."""

    claim: ClaimWaitlistRequestUseCase
    change_status: ChangeWaitlistStatusUseCase
    reveal_contact: RevealContactUseCase
    export_leads: ExportLeadsUseCase
    pickable: ListPickableRequestsUseCase
    record_withdrawal: RecordConsentWithdrawalUseCase
    export_max_rows: int = 100_000
    # Requests one drop-down offers, oldest first; the label says when the list is cut.
    max_choices: int = DEFAULT_LIMIT
    # Waitlist offers to phone and Telegram contacts (``domain/offers.py``).
    record_offer_outcome: RecordOfferOutcomeUseCase | None = None


def short_id(request_id: UUID) -> str:
    return f"#{request_id.hex[:6]}"


def age_text(age: timedelta) -> str:
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return "только что"
    if minutes < 60:
        return f"{minutes} мин назад"
    if minutes < 24 * 60:
        return f"{minutes // 60} ч назад"
    return f"{minutes // (24 * 60)} дн назад"


def request_label(item: PickableRequest, now: datetime, *, with_status: bool) -> str:
    """``#ab12cd · Индивидуальная консультация · вечер · 3 ч назад``: never a contact."""
    parts = [short_id(item.id), item.service_title or "услуга не указана"]
    parts.append(TIME_WINDOW_WORDS.get(item.time_window, item.time_window.value))
    if with_status:
        parts.append(REQUEST_STATUS_WORDS.get(item.status, item.status.value))
    parts.append(age_text(now - item.created_at))
    return " · ".join(parts)


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


def _chosen(value: T | None, prompt: str) -> T:
    if value is None:
        raise ValueError(prompt)
    return value


def build_forms(use_cases: StaffForms) -> list[FormConfig]:
    async def claim(request: Request, data: ClaimRequestForm) -> str:
        result = await _run(
            lambda: use_cases.claim.execute(
                ClaimWaitlistRequestCommand(
                    staff_user_id=_user_id(request), waitlist_request_id=data.waitlist_request_id
                )
            )
        )
        return f"Заявка {short_id(result.item.id)} взята в работу."

    async def change_status(request: Request, data: ChangeStatusForm) -> str:
        command = ChangeWaitlistStatusCommand(
            staff_user_id=_user_id(request),
            waitlist_request_id=_chosen(data.waitlist_request_id, CHOOSE_REQUEST),
            status=_chosen(data.status, CHOOSE_STATUS),
            reason=_chosen(data.reason, CHOOSE_OUTCOME),
        )
        result = await _run(lambda: use_cases.change_status.execute(command))
        label = STATUS_LABELS.get(result.item.status, result.item.status.value)
        return f"Заявка {short_id(result.item.id)}: статус «{label}»."

    async def reveal_contact(request: Request, data: RevealContactForm) -> str:
        command = RevealContactCommand(
            staff_user_id=_user_id(request),
            waitlist_request_id=_chosen(data.waitlist_request_id, CHOOSE_REQUEST),
            reason=_chosen(data.reason, CHOOSE_REASON),
        )
        contact = await _run(lambda: use_cases.reveal_contact.execute(command))
        method = CONTACT_METHOD_WORDS.get(contact.method, contact.method.value)
        return (
            f"Контакт заявки {short_id(contact.waitlist_request_id)} ({method}): "
            f"{contact.value}. Просмотр записан в журнал."
        )

    async def withdraw_consent(request: Request, data: WithdrawConsentForm) -> str:
        command = RecordConsentWithdrawalCommand(
            staff_user_id=_user_id(request),
            waitlist_request_id=_chosen(data.waitlist_request_id, CHOOSE_REQUEST),
        )
        result = await _run(lambda: use_cases.record_withdrawal.execute(command))
        ref = short_id(result.waitlist_request_id)
        if not result.withdrew:
            return f"Контакт заявки {ref} уже удалён: отзывать нечего. Обращение записано в журнал."
        return (
            f"Согласие по заявке {ref} отозвано: контакт удалён из заявок, лидов и записей, "
            "активные заявки закрыты, неотправленные письма отменены. Действие записано в журнал."
        )

    async def offer_outcome(request: Request, data: OfferOutcomeForm) -> str:
        use_case = use_cases.record_offer_outcome
        if use_case is None:  # an admin built without offers (some tests)
            raise ValueError("Предложения из листа ожидания не подключены.")
        command = RecordOfferOutcomeCommand(
            staff_user_id=_user_id(request),
            waitlist_request_id=_chosen(data.waitlist_request_id, CHOOSE_REQUEST),
            outcome=_chosen(data.outcome, CHOOSE_ANSWER),
        )
        result = await _run(lambda: use_case.execute(command))
        ref = short_id(command.waitlist_request_id)
        if result.hold is None:
            return (
                f"Заявка {ref}: клиент отказался от предложенного времени. Время предложено "
                "следующему в листе ожидания, заявка остаётся в работе."
            )
        until = result.hold.hold_expires_at.astimezone(STAFF_ZONE).strftime("%H:%M")
        return (
            f"Заявка {ref}: клиент записан, запись ждёт оплаты до {until} (время {TIMEZONE}). "
            "Действие записано в историю лида."
        )

    async def export_leads(request: Request, data: ExportLeadsForm) -> FileResponse:
        export = await _run(
            lambda: use_cases.export_leads.execute(
                ExportLeadsCommand(
                    staff_user_id=_user_id(request),
                    include_contacts=data.include_contacts,
                    date_from=data.date_from,
                    date_to=data.date_to,
                    status=None if data.status is None else data.status.value,
                    reason=data.reason or AccessReason.REPORTING,
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

    offer_forms = [
        FormConfig(
            name=OFFER_OUTCOME_FORM,
            pydantic_model=OfferOutcomeForm,
            endpoint=offer_outcome,
            description="Клиенту с телефоном или Telegram предложено освободившееся время "
            "(его видно в разделе «Предложения из листа ожидания»): запишите, что он "
            "ответил. Согласие создаёт запись, ждущую оплаты; отказ передаёт время "
            "следующему в очереди.",
            form_group=FORM_GROUP,
        )
    ]
    return [
        FormConfig(
            name=CLAIM_FORM,
            pydantic_model=ClaimRequestForm,
            endpoint=claim,
            description="Назначает вам новую заявку: выберите её в списке "
            "или оставьте самую старую из очереди.",
            form_group=FORM_GROUP,
        ),
        FormConfig(
            name=CHANGE_STATUS_FORM,
            pydantic_model=ChangeStatusForm,
            endpoint=change_status,
            description="Записывает, чем закончилась работа с заявкой: новый статус и результат.",
            form_group=FORM_GROUP,
        ),
        FormConfig(
            name=REVEAL_CONTACT_FORM,
            pydantic_model=RevealContactForm,
            endpoint=reveal_contact,
            description="Показывает контакт заявки, чтобы связаться с клиентом. "
            "Каждый просмотр записывается в журнал доступа.",
            form_group=FORM_GROUP,
        ),
        *offer_forms,
        FormConfig(
            name=EXPORT_LEADS_FORM,
            pydantic_model=ExportLeadsForm,
            endpoint=export_leads,
            description="Выгружает лиды за период в CSV. Выгрузка с контактами "
            "записывается в журнал доступа.",
            form_group="Лиды",
        ),
        FormConfig(
            name=WITHDRAW_CONSENT_FORM,
            pydantic_model=WithdrawConsentForm,
            endpoint=withdraw_consent,
            description="Клиент отозвал согласие по телефону или в Telegram: выберите его "
            "заявку. Контакт будет удалён везде, заявки закрыты, письма отменены. "
            "Действие необратимо и записывается в журнал.",
            form_group=PRIVACY_GROUP,
        ),
    ]


@dataclass(frozen=True, slots=True)
class _RequestPick:
    """How a form's request drop-down is filled."""

    purpose: PickPurpose
    title: str
    empty: str  # the first option, which sends no id
    empty_when_none: str  # ... when there is nothing to pick


FORM_MODELS: dict[str, type[BaseModel]] = {
    CLAIM_FORM: ClaimRequestForm,
    CHANGE_STATUS_FORM: ChangeStatusForm,
    REVEAL_CONTACT_FORM: RevealContactForm,
    EXPORT_LEADS_FORM: ExportLeadsForm,
    WITHDRAW_CONSENT_FORM: WithdrawConsentForm,
    OFFER_OUTCOME_FORM: OfferOutcomeForm,
}
_IN_WORK = _RequestPick(
    PickPurpose.WORK, "Заявка", "— выберите заявку —", "— нет заявок в работе —"
)
REQUEST_PICKS: dict[str, _RequestPick] = {
    CLAIM_FORM: _RequestPick(
        PickPurpose.CLAIM,
        "Заявка",
        "Самая старая новая заявка",
        "— новых заявок нет —",
    ),
    CHANGE_STATUS_FORM: _IN_WORK,
    REVEAL_CONTACT_FORM: _IN_WORK,
    OFFER_OUTCOME_FORM: _IN_WORK,
    WITHDRAW_CONSENT_FORM: _RequestPick(
        PickPurpose.WITHDRAW, "Заявка", "— выберите заявку —", "— заявок нет —"
    ),
}


def form_slug(name: str) -> str:
    """The form's slug in Piccolo Admin's URLs (as ``FormConfig`` makes it)."""
    return name.replace(" ", "-").lower()


class FormSchemas:
    """Each form's JSON schema as the form screen reads it, with this member's requests.

    Piccolo Admin serves a form's schema as it is, the same for everyone; the gate answers
    ``GET /api/forms/<slug>/schema/`` with :meth:`schema` instead, so the request drop-down
    lists only what the logged-in staff member may pick (``ListPickableRequestsUseCase``).
    """

    def __init__(self, pickable: ListPickableRequestsUseCase, *, limit: int = DEFAULT_LIMIT):
        self._pickable = pickable
        self._limit = limit
        self._static = {
            form_slug(name): model.model_json_schema() for name, model in FORM_MODELS.items()
        }
        self._picks = {form_slug(name): pick for name, pick in REQUEST_PICKS.items()}

    async def schema(self, slug: str, member: StaffMember) -> dict[str, Any] | None:
        """The form's schema with its choices filled in; ``None`` for an unknown form."""
        static = self._static.get(slug)
        if static is None:
            return None
        schema = copy.deepcopy(static)
        pick = self._picks.get(slug)
        if pick is not None:
            try:
                result = await self._pickable.execute(
                    ListPickableRequestsCommand(member.user_id, pick.purpose, self._limit)
                )
            except DomainError:  # no longer staff: nothing to pick, and the form refuses
                result = PickableRequestsResult(items=(), truncated=False, now=datetime.now(UTC))
            schema["properties"][REQUEST_FIELD] = self._request_property(pick, result)
        return schema

    def _request_property(self, pick: _RequestPick, result: PickableRequestsResult) -> Any:
        with_status = pick.purpose is not PickPurpose.CLAIM
        empty = pick.empty if result.items else pick.empty_when_none
        choices = options(
            (empty, ""),
            *(
                (request_label(item, result.now, with_status=with_status), str(item.id))
                for item in result.items
            ),
        )
        title = pick.title
        if result.truncated:
            title += f" (показаны {len(result.items)} самых старых)"
        return {
            "type": "string",
            "format": "uuid",
            "title": title,
            "default": "",
            "extra": {"choices": choices, "nullable": True},
        }


def build_form_schemas(use_cases: StaffForms) -> FormSchemas:
    return FormSchemas(use_cases.pickable, limit=use_cases.max_choices)
