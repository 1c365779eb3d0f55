"""The admin form ``Данные субъекта``: everything stored for a contact, as a file.

Managers and admins answer a person's request under 152-FZ art. 14: they pick how the person
reached us and type the contact they name; the form answers with a printable HTML document
(``admin.subject_data``) that Piccolo Admin's form screen downloads as an attachment, as it
does the lead export. The use case audits every lookup before decrypting anything; the
contact is never logged and the gate marks the answer ``no-store``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from piccolo_admin.endpoints import FileResponse, FormConfig
from pydantic import BaseModel, Field, field_validator
from starlette.requests import Request

from admin.forms import PICK, _chosen, _empty_is_none, _extra, _run, _user_id, choice
from admin.subject_data import MEDIA_TYPE, SubjectDataFile
from domain.labels import CONTACT_METHOD_LABELS
from domain.models import ContactMethod
from domain.use_cases.report_subject_data import (
    ReportSubjectDataCommand,
    ReportSubjectDataUseCase,
)

SUBJECT_ACCESS_FORM = "Данные субъекта"
CHOOSE_METHOD = "Выберите способ связи."
TYPE_CONTACT = "Введите контакт: телефон, адрес почты или имя в Telegram."
MethodField = choice(ContactMethod, CONTACT_METHOD_LABELS, "Способ связи", placeholder=PICK)


class SubjectAccessForm(BaseModel):
    contact_method: MethodField = None  # type: ignore[valid-type]
    contact: str = Field(
        default="",
        title="Контакт (как его назвал человек)",
        json_schema_extra=_extra(False),
    )

    _empty = field_validator("contact_method", mode="before")(_empty_is_none)

    def __repr__(self) -> str:  # pydantic would show the contact
        return "SubjectAccessForm(contact=***)"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class SubjectAccess:
    """What the form needs: the use case, and the time zone the file shows times in."""

    report: ReportSubjectDataUseCase
    timezone: ZoneInfo


def build_subject_access_form(subject_access: SubjectAccess) -> FormConfig:
    document = SubjectDataFile(subject_access.timezone)

    async def subject_data(request: Request, data: SubjectAccessForm) -> FileResponse:
        method: ContactMethod = _chosen(data.contact_method, CHOOSE_METHOD)
        if not data.contact.strip():
            raise ValueError(TYPE_CONTACT)
        command = ReportSubjectDataCommand(
            staff_user_id=_user_id(request),
            contact_method=ContactMethod(method),
            contact_value=data.contact,
        )
        report = await _run(lambda: subject_access.report.execute(command))
        return FileResponse(
            contents=io.BytesIO(document.render(report).encode("utf-8")),
            file_name=document.name(report),
            media_type=MEDIA_TYPE,
        )

    return FormConfig(
        name=SUBJECT_ACCESS_FORM,
        pydantic_model=SubjectAccessForm,
        endpoint=subject_data,
        description="Ответ на запрос человека о его персональных данных (ст. 14 152-ФЗ): "
        "всё, что хранится по его контакту, одним файлом для передачи ему. "
        "Каждый запрос записывается в журнал доступа.",
        form_group="Персональные данные",
    )
