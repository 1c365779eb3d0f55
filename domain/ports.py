"""Ports: what the use cases need from the outside world, as Protocols.

Adapters (``adapters/``) and persistence (``tables/``) implement them; tests use fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from domain.crm_ports import (
    EmailOutbox,
    LeadRepository,
    LeadTimelineRepository,
    WaitlistRepository,
)
from domain.models import (
    Appointment,
    AppointmentStatus,
    ConsentRecord,
    Service,
    Slot,
    TrackingEvent,
)
from domain.payment_ports import IdempotencyKeyRepository, PaymentRepository
from domain.staff_ports import ContactAccessLogRepository, StaffQueueRepository


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class Encryptor(Protocol):
    """Authenticated encryption of personal data plus a keyed blind index for lookups."""

    def encrypt(self, plaintext: str) -> str: ...

    def decrypt(self, token: str) -> str: ...

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the newest key (any known key may have encrypted it)."""
        ...

    def is_current(self, token: str) -> bool:
        """Whether the token is already encrypted under the newest key."""
        ...

    def blind_index(self, namespace: str, normalised_value: str) -> str:
        """A deterministic keyed digest of a normalised value; equal inputs, equal digests."""
        ...


class PhoneNumberParser(Protocol):
    def to_e164(self, raw: str, default_region: str) -> str | None:
        """The number in E.164, or ``None`` when it is not a valid number."""
        ...


class EmailAddressParser(Protocol):
    def normalise(self, raw: str) -> str | None:
        """The address in its validator's normalised form (Unicode NFC, the domain in Unicode
        and lower case, an IDNA ``xn--`` domain decoded), or ``None`` when it is not a valid
        address. Internationalised addresses are valid. No network lookups."""
        ...


class ServiceRepository(Protocol):
    async def list_active(self) -> Sequence[Service]: ...

    async def get_active_by_slug(self, slug: str) -> Service | None: ...

    async def get(self, service_id: UUID) -> Service | None: ...


class SlotRepository(Protocol):
    async def get(self, slot_id: UUID) -> Slot | None: ...

    async def list_free(
        self, service_id: UUID, starts_from: datetime, starts_before: datetime
    ) -> Sequence[Slot]: ...

    async def try_hold(self, slot_id: UUID, now: datetime) -> bool:
        """Atomically move a free, future slot to ``held``; ``False`` when another won."""
        ...

    async def book(self, slot_id: UUID) -> None: ...

    async def release(self, slot_id: UUID) -> None:
        """Free a held or booked slot again."""
        ...


class AppointmentRepository(Protocol):
    async def add(self, appointment: Appointment) -> None: ...

    async def get(self, appointment_id: UUID) -> Appointment | None: ...

    async def transition(
        self,
        appointment_id: UUID,
        expected: AppointmentStatus,
        target: AppointmentStatus,
        now: datetime,
    ) -> bool:
        """Compare-and-set the status; ``False`` when it was no longer ``expected``."""
        ...

    async def list_expired_holds(
        self, now: datetime, limit: int, *, payment_grace: timedelta
    ) -> Sequence[Appointment]:
        """``pending_payment`` holds past their expiry, oldest first, except the ones kept
        for a live payment: those stay until ``hold_expires_at + payment_grace``."""
        ...

    async def count_by_status(self, status: AppointmentStatus) -> int: ...

    async def lock_client(self, indexes: Sequence[str]) -> None:
        """Until the transaction ends, serialise the holds of the client with these contact
        blind indexes, so two of them cannot both pass the count of active holds."""
        ...

    async def count_active_holds(
        self, *, email_index: str | None, phone_index: str | None, now: datetime
    ) -> int:
        """``pending_payment`` appointments whose hold has not expired by ``now`` and whose
        email index or phone index is one of these (one client may give both)."""
        ...


class ConsentRepository(Protocol):
    async def add(self, record: ConsentRecord) -> None: ...

    async def list_for_subject(self, subject_id: UUID) -> Sequence[ConsentRecord]: ...


class TrackingOutbox(Protocol):
    async def add(self, event: TrackingEvent) -> None: ...


class UnitOfWork(Protocol):
    """A database transaction with the repositories bound to it.

    ``async with uow:`` opens it; nothing is kept unless ``commit()`` is called; an exception
    or a missing commit rolls everything back.
    """

    services: ServiceRepository
    slots: SlotRepository
    appointments: AppointmentRepository
    consents: ConsentRepository
    tracking: TrackingOutbox
    waitlist: WaitlistRepository
    leads: LeadRepository
    lead_timeline: LeadTimelineRepository
    email_outbox: EmailOutbox
    staff_queue: StaffQueueRepository
    contact_access_log: ContactAccessLogRepository
    payments: PaymentRepository
    idempotency_keys: IdempotencyKeyRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
"""Each call opens a fresh unit of work: use cases run concurrently and never share one."""


class ReadinessProbe(Protocol):
    async def is_ready(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class OutboxBacklog:
    """Work waiting for the worker in one outbox: how many items, and the oldest's age."""

    outbox: str
    pending: int
    oldest_age_seconds: float  # 0 when nothing waits


class OutboxBacklogProbe(Protocol):
    """Reads every outbox's backlog in a few cheap indexed queries (at each metrics scrape)."""

    async def backlogs(self, now: datetime) -> Sequence[OutboxBacklog]: ...
