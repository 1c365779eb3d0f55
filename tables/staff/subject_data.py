"""Everything stored for one contact, by blind index (the subject access read port).

Read outside any transaction, one query per kind of row: by the contact's blind index for
leads, waitlist requests and appointments, then by their ids. Waitlist requests have no index
on ``contact_index`` alone (only the partial one of active requests per service): a subject
access is rare and manual, and another index would cost every submission. Payments are read
column by column: their keys, confirmation links and tokens are never selected.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from piccolo.columns.combination import Or

from domain.models import ContactMethod
from domain.subject_access import (
    StoredAppointment,
    StoredConsent,
    StoredLead,
    StoredPayment,
    StoredSubjectData,
    StoredTimelineEvent,
    StoredWaitlistRequest,
    SubjectLookup,
)
from tables.core.tables import AppointmentTable, ConsentRecordTable
from tables.crm.tables import LeadTable, LeadTimelineEventTable, WaitlistRequestTable
from tables.database import as_utc, as_utc_or_none
from tables.payments.tables import PaymentTable

_L, _W, _A = LeadTable, WaitlistRequestTable, AppointmentTable
_C, _T, _P = ConsentRecordTable, LeadTimelineEventTable, PaymentTable
CENTS = Decimal("0.01")


class PiccoloSubjectDataSource:
    """Implements ``SubjectDataSource``."""

    async def find(self, lookup: SubjectLookup) -> StoredSubjectData:
        index = lookup.blind_index
        leads = await _leads(index)
        requests = await _requests(index)
        appointments = await _appointments(lookup)
        subjects = {
            *(("lead", lead.id) for lead in leads),
            *(("waitlist_request", request.id) for request in requests),
            *(("appointment", appointment.id) for appointment in appointments),
        }
        payments = await _payments([a.id for a in appointments])
        return StoredSubjectData(
            leads=leads,
            requests=requests,
            consents=await _consents(subjects),
            timeline=await _timeline(
                [lead.id for lead in leads], [a.id for a in appointments], [p.id for p in payments]
            ),
            appointments=appointments,
            payments=payments,
        )


async def _leads(index: str) -> tuple[StoredLead, ...]:
    rows = await _L.select(
        _L.id,
        _L.contact_method,
        _L.contact_encrypted,
        _L.source,
        _L.status,
        _L.first_activity_at,
        _L.last_activity_at,
    ).where(_L.contact_index == index)
    return tuple(
        StoredLead(
            id=row["id"],
            contact_method=row["contact_method"],
            contact_ciphertext=row["contact_encrypted"],
            source=row["source"],
            status=row["status"],
            first_activity_at=as_utc(row["first_activity_at"]),
            last_activity_at=as_utc_or_none(row["last_activity_at"]),
        )
        for row in rows
    )


async def _requests(index: str) -> tuple[StoredWaitlistRequest, ...]:
    rows = (
        await _W.select(
            _W.id,
            _W.lead,
            _W.service.title.as_alias("service_title"),
            _W.preferred_contact_method,
            _W.contact_encrypted,
            _W.preferred_time_window,
            _W.status,
            _W.status_reason,
            _W.created_at,
            _W.updated_at,
        )
        .where(_W.contact_index == index)
        .order_by(_W.created_at, _W.id)
    )
    return tuple(
        StoredWaitlistRequest(
            id=row["id"],
            lead_id=row["lead"],
            service_title=row["service_title"],
            contact_method=row["preferred_contact_method"],
            contact_ciphertext=row["contact_encrypted"],
            time_window=row["preferred_time_window"],
            status=row["status"],
            status_reason=row["status_reason"],
            created_at=as_utc(row["created_at"]),
            updated_at=as_utc_or_none(row["updated_at"]),
        )
        for row in rows
    )


async def _appointments(lookup: SubjectLookup) -> tuple[StoredAppointment, ...]:
    if lookup.method is ContactMethod.EMAIL:
        where: Any = _A.client_email_index == lookup.blind_index
    elif lookup.method is ContactMethod.PHONE:
        where = _A.client_phone_index == lookup.blind_index
    else:  # a booking takes an email or a phone, never a Telegram username
        return ()
    rows = (
        await _A.select(
            _A.id,
            _A.service.title.as_alias("service_title"),
            _A.slot.starts_at.as_alias("starts_at"),
            _A.slot.ends_at.as_alias("ends_at"),
            _A.status,
            _A.created_at,
            _A.client_name_encrypted,
            _A.client_email_encrypted,
            _A.client_phone_encrypted,
        )
        .where(where)
        .order_by(_A.created_at, _A.id)
    )
    return tuple(
        StoredAppointment(
            id=row["id"],
            service_title=row["service_title"],
            starts_at=as_utc_or_none(row["starts_at"]),
            ends_at=as_utc_or_none(row["ends_at"]),
            status=row["status"],
            created_at=as_utc(row["created_at"]),
            client_name_ciphertext=row["client_name_encrypted"],
            email_ciphertext=row["client_email_encrypted"],
            phone_ciphertext=row["client_phone_encrypted"],
        )
        for row in rows
    )


async def _consents(subjects: set[tuple[str, UUID]]) -> tuple[StoredConsent, ...]:
    if not subjects:
        return ()
    rows = (
        await _C.select(
            _C.id,
            _C.subject_type,
            _C.subject_id,
            _C.kind,
            _C.text_version,
            _C.channel,
            _C.granted_at,
            _C.withdrawn_at,
            _C.evidence_encrypted,
        )
        .where(_C.subject_id.is_in(sorted({subject_id for _, subject_id in subjects}, key=str)))
        .order_by(_C.granted_at, _C.id)
    )
    return tuple(
        StoredConsent(
            id=row["id"],
            subject_type=row["subject_type"],
            subject_id=row["subject_id"],
            kind=row["kind"],
            text_version=row["text_version"],
            channel=row["channel"],
            granted_at=as_utc(row["granted_at"]),
            withdrawn_at=as_utc_or_none(row["withdrawn_at"]),
            evidence_ciphertext=row["evidence_encrypted"],
        )
        for row in rows
        # An id names one row of one table: the type must agree as well.
        if (row["subject_type"], row["subject_id"]) in subjects
    )


async def _timeline(
    lead_ids: Sequence[UUID], appointment_ids: Sequence[UUID], payment_ids: Sequence[UUID]
) -> tuple[StoredTimelineEvent, ...]:
    conditions: list[Any] = []
    if lead_ids:
        conditions.append(_T.lead.is_in(list(lead_ids)))
    if appointment_ids:
        conditions.append(_T.appointment.is_in(list(appointment_ids)))
    if payment_ids:
        conditions.append(_T.payment_id.is_in(list(payment_ids)))
    if not conditions:
        return ()
    where = conditions[0]
    for condition in conditions[1:]:
        where = Or(where, condition)
    rows = (
        await _T.select(
            _T.id,
            _T.lead,
            _T.type,
            _T.occurred_at,
            _T.waitlist_request,
            _T.appointment,
            _T.payment_id,
            _T.waitlist_status,
            _T.outcome,
        )
        .where(where)
        .order_by(_T.occurred_at, _T.id)
    )
    return tuple(
        StoredTimelineEvent(
            id=row["id"],
            lead_id=row["lead"],
            type=row["type"],
            occurred_at=as_utc(row["occurred_at"]),
            waitlist_request_id=row["waitlist_request"],
            appointment_id=row["appointment"],
            payment_id=row["payment_id"],
            waitlist_status=row["waitlist_status"],
            outcome=row["outcome"],
        )
        for row in rows
    )


async def _payments(appointment_ids: Sequence[UUID]) -> tuple[StoredPayment, ...]:
    if not appointment_ids:
        return ()
    rows = (
        await _P.select(
            _P.id,
            _P.appointment_id,
            _P.kind,
            _P.amount,
            _P.currency,
            _P.status,
            _P.created_at,
            _P.updated_at,
            _P.refund_reason,
            _P.refunded_at,
        )
        .where(_P.appointment_id.is_in(list(appointment_ids)))
        .order_by(_P.created_at, _P.id)
    )
    return tuple(
        StoredPayment(
            id=row["id"],
            appointment_id=row["appointment_id"],
            kind=row["kind"],
            amount=Decimal(str(row["amount"])).quantize(CENTS),
            currency=row["currency"],
            status=row["status"],
            created_at=as_utc(row["created_at"]),
            updated_at=as_utc_or_none(row["updated_at"]),
            refund_reason=row["refund_reason"],
            refunded_at=as_utc_or_none(row["refunded_at"]),
        )
        for row in rows
    )
