"""Rows for the managers' dashboard, written straight into the Piccolo tables.

Every contact column gets a Fernet-looking ciphertext (``gAAAA...``) so a test can prove the
dashboard never shows one.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from tables.core.tables import AppointmentTable, ServiceTable, SlotTable, TrackingEventTable
from tables.crm.tables import LeadTable, WaitlistRequestTable
from tables.payments.tables import PaymentTable

CIPHERTEXT = "gAAAAABdashboard-test-ciphertext-never-shown=="


async def add_service(title: str, slug: str | None = None) -> UUID:
    service_id = uuid4()
    await ServiceTable.insert(
        ServiceTable(
            id=service_id,
            slug=slug or f"service-{service_id.hex[:8]}",
            title=title,
            duration_minutes=50,
            price=Decimal("5000.00"),
            deposit=None,
        )
    )
    return service_id


async def add_request(
    service_id: UUID,
    created_at: datetime,
    *,
    status: str = "new",
    window: str = "any",
    assigned_at: datetime | None = None,
) -> UUID:
    lead_id = uuid4()
    await LeadTable.insert(
        LeadTable(
            id=lead_id,
            contact_method="phone",
            contact_encrypted=CIPHERTEXT,
            contact_index=lead_id.hex,
            source="waitlist",
            status="new",
            first_activity_at=created_at,
            last_activity_at=created_at,
        )
    )
    request_id = uuid4()
    await WaitlistRequestTable.insert(
        WaitlistRequestTable(
            id=request_id,
            service=service_id,
            lead=lead_id,
            preferred_contact_method="phone",
            contact_encrypted=CIPHERTEXT,
            contact_index=request_id.hex,
            preferred_time_window=window,
            status=status,
            assigned_at=assigned_at,
            created_at=created_at,
        )
    )
    return request_id


async def add_event(name: str, occurred_at: datetime, service_slug: str = "individual") -> None:
    await TrackingEventTable.insert(
        TrackingEventTable(
            id=uuid4(),
            name=name,
            source="frontend" if name == "show_no_slots" else "server",
            properties={"service_slug": service_slug},
            occurred_at=occurred_at,
        )
    )


# A service has one slot per start (a unique index): each payment's slot starts a minute later.
_SLOT_MINUTES = itertools.count()


async def add_payment(service_id: UUID, created_at: datetime, status: str) -> UUID:
    slot_id = uuid4()
    starts_at = created_at + timedelta(days=2, minutes=next(_SLOT_MINUTES))
    await SlotTable.insert(
        SlotTable(
            id=slot_id,
            service=service_id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=50),
            status="booked",
        )
    )
    appointment_id = uuid4()
    await AppointmentTable.insert(
        AppointmentTable(
            id=appointment_id,
            slot=slot_id,
            service=service_id,
            client_name_encrypted=CIPHERTEXT,
            client_phone_encrypted=CIPHERTEXT,
            status="confirmed" if status == "succeeded" else "pending_payment",
            hold_expires_at=created_at + timedelta(minutes=30),
            created_at=created_at,
        )
    )
    payment_id = uuid4()
    await PaymentTable.insert(
        PaymentTable(
            id=payment_id,
            appointment_id=appointment_id,
            status=status,
            kind="full",
            amount=Decimal("5000.00"),
            idempotence_key=payment_id.hex,
            request_fingerprint="0" * 64,
            created_at=created_at,
            updated_at=created_at,
        )
    )
    return payment_id
