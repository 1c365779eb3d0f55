"""Piccolo repositories of the core tables; they run inside the current unit of work."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from piccolo.engine.base import Engine

from domain.models import (
    Appointment,
    AppointmentStatus,
    ConsentChannel,
    ConsentKind,
    ConsentRecord,
    ConsentSubject,
    EncryptedClient,
    Money,
    Service,
    Slot,
    SlotStatus,
    TrackingEvent,
)
from domain.payments import LIVE_STATUSES
from tables.core.tables import (
    AppointmentTable,
    ConsentRecordTable,
    ServiceTable,
    SlotTable,
    TrackingEventTable,
)
from tables.database import as_utc, as_utc_or_none, is_sqlite
from tables.payments.tables import PaymentTable

LIVE_PAYMENT_STATUSES = sorted(status.value for status in LIVE_STATUSES)


def service_from_row(row: dict[str, Any]) -> Service:
    deposit = row["deposit"]
    return Service(
        id=row["id"],
        slug=row["slug"],
        title=row["title"],
        duration_minutes=row["duration_minutes"],
        price=Money(Decimal(row["price"])),
        deposit=None if deposit is None else Money(Decimal(deposit)),
        active=bool(row["active"]),
    )


def slot_from_row(row: dict[str, Any]) -> Slot:
    return Slot(
        id=row["id"],
        service_id=row["service"],
        starts_at=as_utc(row["starts_at"]),
        ends_at=as_utc(row["ends_at"]),
        status=SlotStatus(row["status"]),
    )


def appointment_from_row(row: dict[str, Any]) -> Appointment:
    return Appointment(
        id=row["id"],
        slot_id=row["slot"],
        service_id=row["service"],
        client=EncryptedClient(
            name=row["client_name_encrypted"],
            email=row["client_email_encrypted"],
            phone=row["client_phone_encrypted"],
            email_index=row["client_email_index"],
            phone_index=row["client_phone_index"],
        ),
        status=AppointmentStatus(row["status"]),
        hold_expires_at=as_utc(row["hold_expires_at"]),
        created_at=as_utc(row["created_at"]),
        updated_at=as_utc(row["updated_at"]),
    )


class PiccoloServiceRepository:
    async def list_active(self) -> Sequence[Service]:
        rows = await ServiceTable.select().where(ServiceTable.active.eq(True))
        return [service_from_row(row) for row in rows]

    async def get_active_by_slug(self, slug: str) -> Service | None:
        # Plain SQL: every public request starts here, and building the Piccolo select cost
        # about as much CPU as the rest of a waitlist submission (bench/waitlist_bench.py).
        rows = await ServiceTable.raw(
            "SELECT * FROM services WHERE slug = {} AND active = {} LIMIT 1", slug, True
        )
        return service_from_row(rows[0]) if rows else None

    async def get(self, service_id: UUID) -> Service | None:
        row = await ServiceTable.select().where(ServiceTable.id == service_id).first()
        return None if row is None else service_from_row(row)


class PiccoloSlotRepository:
    async def get(self, slot_id: UUID) -> Slot | None:
        row = await SlotTable.select().where(SlotTable.id == slot_id).first()
        return None if row is None else slot_from_row(row)

    async def list_free(
        self, service_id: UUID, starts_from: datetime, starts_before: datetime
    ) -> Sequence[Slot]:
        rows = (
            await SlotTable.select()
            .where(
                (SlotTable.service == service_id)
                & (SlotTable.status == SlotStatus.FREE.value)
                & (SlotTable.starts_at >= starts_from)
                & (SlotTable.starts_at < starts_before)
            )
            .order_by(SlotTable.starts_at)
        )
        return [slot_from_row(row) for row in rows]

    async def try_hold(self, slot_id: UUID, now: datetime) -> bool:
        # One conditional UPDATE: the database decides which of concurrent holds wins.
        won = (
            await SlotTable.update({SlotTable.status: SlotStatus.HELD.value})
            .where(
                (SlotTable.id == slot_id)
                & (SlotTable.status == SlotStatus.FREE.value)
                & (SlotTable.starts_at > now)
            )
            .returning(SlotTable.id)
        )
        return len(won) == 1

    async def book(self, slot_id: UUID) -> None:
        await SlotTable.update({SlotTable.status: SlotStatus.BOOKED.value}).where(
            SlotTable.id == slot_id
        )

    async def release(self, slot_id: UUID) -> None:
        await SlotTable.update({SlotTable.status: SlotStatus.FREE.value}).where(
            SlotTable.id == slot_id
        )


def _advisory_key(namespace: str, value: str) -> int:
    """A signed 64-bit key for ``pg_advisory_xact_lock``, stable across processes."""
    digest = hashlib.sha256(f"{namespace}:{value}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PiccoloAppointmentRepository:
    def __init__(self, engine: Engine) -> None:  # type: ignore[type-arg]
        # SQLite's unit of work starts BEGIN IMMEDIATE: writers already queue one at a time.
        self._advisory_locks = not is_sqlite(engine)

    async def lock_client(self, indexes: Sequence[str]) -> None:
        if not self._advisory_locks:
            return
        # Sorted, so two holds by a client giving both contacts take the locks in one order.
        for key in sorted({_advisory_key("client-holds", index) for index in indexes}):
            await AppointmentTable.raw("SELECT pg_advisory_xact_lock({})", key)

    async def count_active_holds(
        self, *, email_index: str | None, phone_index: str | None, now: datetime
    ) -> int:
        by_contact: Any = None
        if email_index is not None:
            by_contact = AppointmentTable.client_email_index == email_index
        if phone_index is not None:
            by_phone = AppointmentTable.client_phone_index == phone_index
            by_contact = by_phone if by_contact is None else (by_contact | by_phone)
        if by_contact is None:
            return 0
        return int(
            await AppointmentTable.count().where(
                (AppointmentTable.status == AppointmentStatus.PENDING_PAYMENT.value)
                & (AppointmentTable.hold_expires_at > now)
                & by_contact
            )
        )

    async def add(self, appointment: Appointment) -> None:
        client = appointment.client
        await AppointmentTable.insert(
            AppointmentTable(
                id=appointment.id,
                slot=appointment.slot_id,
                service=appointment.service_id,
                client_name_encrypted=client.name,
                client_email_encrypted=client.email,
                client_phone_encrypted=client.phone,
                client_email_index=client.email_index,
                client_phone_index=client.phone_index,
                status=appointment.status.value,
                hold_expires_at=appointment.hold_expires_at,
                created_at=appointment.created_at,
                updated_at=appointment.updated_at,
            )
        )

    async def get(self, appointment_id: UUID) -> Appointment | None:
        row = await AppointmentTable.select().where(AppointmentTable.id == appointment_id).first()
        return None if row is None else appointment_from_row(row)

    async def transition(
        self,
        appointment_id: UUID,
        expected: AppointmentStatus,
        target: AppointmentStatus,
        now: datetime,
    ) -> bool:
        changed = (
            await AppointmentTable.update(
                {AppointmentTable.status: target.value, AppointmentTable.updated_at: now}
            )
            .where(
                (AppointmentTable.id == appointment_id)
                & (AppointmentTable.status == expected.value)
            )
            .returning(AppointmentTable.id)
        )
        return len(changed) == 1

    async def list_expired_holds(
        self, now: datetime, limit: int, *, payment_grace: timedelta
    ) -> Sequence[Appointment]:
        # Holds kept for a live payment are left out here, not after the read: else enough of
        # them would fill every batch and block the holds behind them for ever.
        live_payments = PaymentTable.select(PaymentTable.appointment_id).where(
            PaymentTable.status.is_in(LIVE_PAYMENT_STATUSES)
            & PaymentTable.appointment_id.is_not_null()
        )
        rows = (
            await AppointmentTable.select()
            .where(
                (AppointmentTable.status == AppointmentStatus.PENDING_PAYMENT.value)
                & (AppointmentTable.hold_expires_at <= now)
                & (
                    (AppointmentTable.hold_expires_at <= now - payment_grace)
                    | AppointmentTable.id.not_in(live_payments)
                )
            )
            .order_by(AppointmentTable.hold_expires_at)
            .limit(limit)
        )
        return [appointment_from_row(row) for row in rows]

    async def count_by_status(self, status: AppointmentStatus) -> int:
        return int(await AppointmentTable.count().where(AppointmentTable.status == status.value))


class PiccoloConsentRepository:
    async def add(self, record: ConsentRecord) -> None:
        await ConsentRecordTable.insert(
            ConsentRecordTable(
                id=record.id,
                subject_type=record.subject_type.value,
                subject_id=record.subject_id,
                kind=record.kind.value,
                text_version=record.text_version,
                channel=record.channel.value,
                granted_at=record.granted_at,
                withdrawn_at=record.withdrawn_at,
                evidence_encrypted=record.evidence_ciphertext,
            )
        )

    async def mark_withdrawn(self, record: ConsentRecord) -> None:
        t = ConsentRecordTable
        await t.update({t.withdrawn_at: record.withdrawn_at}).where(
            (t.id == record.id) & t.withdrawn_at.is_null()
        )

    async def list_for_subject(self, subject_id: UUID) -> Sequence[ConsentRecord]:
        rows = await ConsentRecordTable.select().where(ConsentRecordTable.subject_id == subject_id)
        return [
            ConsentRecord(
                id=row["id"],
                subject_type=ConsentSubject(row["subject_type"]),
                subject_id=row["subject_id"],
                kind=ConsentKind(row["kind"]),
                text_version=row["text_version"],
                channel=ConsentChannel(row["channel"]),
                granted_at=as_utc(row["granted_at"]),
                evidence_ciphertext=row["evidence_encrypted"],
                withdrawn_at=as_utc_or_none(row["withdrawn_at"]),
            )
            for row in rows
        ]


class PiccoloTrackingOutbox:
    async def add(self, event: TrackingEvent) -> None:
        await TrackingEventTable.insert(
            TrackingEventTable(
                id=event.id,
                name=event.name,
                source=event.source,
                properties=dict(event.properties),
                occurred_at=event.occurred_at,
            )
        )
