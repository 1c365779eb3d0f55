"""Fakes of the domain's ports: in-memory, deterministic, with the same rules as the real ones."""

from __future__ import annotations

import contextvars
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self
from uuid import UUID

from domain.crm import EncryptedContact, Lead, LeadTimelineEvent, WaitlistRequest
from domain.emails import OutgoingEmail
from domain.models import (
    Appointment,
    AppointmentStatus,
    ConsentRecord,
    Service,
    Slot,
    SlotStatus,
    TrackingEvent,
)
from domain.offers import WaitlistOffer
from domain.payments import IdempotencyRecord, Payment
from domain.privacy import WithdrawalToken
from domain.staff import ContactAccessEntry, QueueItem
from tests.support.crm_fakes import (
    InMemoryEmailOutbox,
    InMemoryLeads,
    InMemoryLeadTimeline,
    InMemoryWaitlist,
)
from tests.support.offer_fakes import InMemoryOffers
from tests.support.payment_fakes import InMemoryIdempotencyKeys, InMemoryPayments
from tests.support.privacy_fakes import InMemoryContactErasure, InMemoryWithdrawalTokens
from tests.support.staff_fakes import (
    InMemoryContactAccessLog,
    InMemoryStaffQueue,
    RecordedQueueChange,
)


class FixedClock:
    def __init__(self, now: datetime | None = None) -> None:
        self._now = now or datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class FakeEncryptor:
    """Reversible and recognisable, so tests can assert that plaintext never leaks."""

    PREFIX = "enc:v1:"

    def __init__(self, version: str = "v1") -> None:
        self.prefix = f"enc:{version}:"

    def encrypt(self, plaintext: str) -> str:
        return self.prefix + plaintext.encode("utf-8").hex()

    def decrypt(self, token: str) -> str:
        _, _, payload = token.split(":", 2)
        return bytes.fromhex(payload).decode("utf-8")

    def rotate(self, token: str) -> str:
        return self.encrypt(self.decrypt(token))

    def is_current(self, token: str) -> bool:
        return token.startswith(self.prefix)

    def blind_index(self, namespace: str, normalised_value: str) -> str:
        return hmac.new(
            b"k" * 32, f"{namespace}\x1f{normalised_value}".encode(), hashlib.sha256
        ).hexdigest()


class FakePhoneParser:
    """Russian numbers only: +7 or 8 followed by ten digits."""

    def to_e164(self, raw: str, default_region: str) -> str | None:
        digits = "".join(ch for ch in raw if ch.isdigit())
        if raw.strip().startswith("+7") and len(digits) == 11:
            return "+" + digits
        if len(digits) == 11 and digits[0] in "78":  # 8 (999)... and 7999... as libphonenumber
            return "+7" + digits[1:]
        if len(digits) == 10 and default_region == "RU":
            return "+7" + digits
        return None


class FakeEmailParser:
    """One ``@``, a dotted domain, no spaces; the domain lower-cased and its ``xn--`` labels
    decoded, like email-validator's normalised form (none of its other rules)."""

    def normalise(self, raw: str) -> str | None:
        local, at, domain = raw.rpartition("@")
        labels = domain.lower().split(".")
        if not at or not local or "@" in local or any(ch.isspace() for ch in raw):
            return None
        if len(labels) < 2 or not all(labels):
            return None
        try:
            labels = [
                lb.encode("ascii").decode("idna") if lb.startswith("xn--") else lb for lb in labels
            ]
        except UnicodeError:
            return None
        return f"{local}@{'.'.join(labels)}"


class InMemoryStore:
    """The state behind the in-memory unit of work, shared by every unit it opens."""

    def __init__(self) -> None:
        self.services: dict[UUID, Service] = {}
        self.slots: dict[UUID, Slot] = {}
        self.appointments: dict[UUID, Appointment] = {}
        self.client_locks: list[tuple[str, ...]] = []
        self.consents: list[ConsentRecord] = []
        self.tracking: list[TrackingEvent] = []
        self.waitlist: dict[UUID, WaitlistRequest] = {}
        self.leads: dict[UUID, Lead] = {}
        self.lead_timeline: list[LeadTimelineEvent] = []
        self.emails: dict[UUID, OutgoingEmail] = {}
        # (contact blind index, service id) -> when its last waitlist confirmation was queued
        self.waitlist_confirmations: dict[tuple[str, UUID], datetime] = {}
        self.email_claims: dict[UUID, tuple[UUID, datetime]] = {}
        self.queue: dict[UUID, QueueItem] = {}
        self.queue_contacts: dict[UUID, EncryptedContact] = {}
        self.queue_changes: list[RecordedQueueChange] = []
        self.contact_access: list[ContactAccessEntry] = []
        self.payments: dict[UUID, Payment] = {}
        self.payment_claims: dict[UUID, datetime] = {}
        self.idempotency_keys: dict[str, IdempotencyRecord] = {}
        self.withdrawal_tokens: dict[str, WithdrawalToken] = {}  # by hash
        self.offers: dict[UUID, WaitlistOffer] = {}
        self.offer_tokens: dict[str, UUID] = {}  # token hash -> offer
        self.freed_slots: list[UUID] = []  # what the triggers on ``slots`` record
        self.offer_staff: dict[UUID, int] = {}  # offer -> who recorded its outcome


class _Services:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def list_active(self) -> Sequence[Service]:
        return [s for s in self._store.services.values() if s.active]

    async def get_active_by_slug(self, slug: str) -> Service | None:
        return next((s for s in self._store.services.values() if s.slug == slug and s.active), None)

    async def get(self, service_id: UUID) -> Service | None:
        return self._store.services.get(service_id)


class _Slots:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def get(self, slot_id: UUID) -> Slot | None:
        return self._store.slots.get(slot_id)

    async def list_free(
        self, service_id: UUID, starts_from: datetime, starts_before: datetime
    ) -> Sequence[Slot]:
        return [
            s
            for s in self._store.slots.values()
            if s.service_id == service_id
            and s.status is SlotStatus.FREE
            and starts_from <= s.starts_at < starts_before
        ]

    async def try_hold(self, slot_id: UUID, now: datetime) -> bool:
        slot = self._store.slots.get(slot_id)
        if slot is None or slot.status is not SlotStatus.FREE or slot.starts_at <= now:
            return False
        self._store.slots[slot_id] = replace(slot, status=SlotStatus.HELD)
        return True

    async def book(self, slot_id: UUID) -> None:
        self._store.slots[slot_id] = replace(self._store.slots[slot_id], status=SlotStatus.BOOKED)

    async def release(self, slot_id: UUID) -> None:
        if self._store.slots[slot_id].status is not SlotStatus.FREE:
            self._store.freed_slots.append(slot_id)  # as the database's trigger does
        self._store.slots[slot_id] = replace(self._store.slots[slot_id], status=SlotStatus.FREE)


class _Appointments:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def add(self, appointment: Appointment) -> None:
        self._store.appointments[appointment.id] = replace(appointment)

    async def get(self, appointment_id: UUID) -> Appointment | None:
        found = self._store.appointments.get(appointment_id)
        return None if found is None else replace(found)

    async def transition(
        self,
        appointment_id: UUID,
        expected: AppointmentStatus,
        target: AppointmentStatus,
        now: datetime,
    ) -> bool:
        found = self._store.appointments.get(appointment_id)
        if found is None or found.status is not expected:
            return False
        found.status = target
        found.updated_at = now
        return True

    async def list_expired_holds(
        self, now: datetime, limit: int, *, payment_grace: timedelta
    ) -> Sequence[Appointment]:
        paying = {p.appointment_id for p in self._store.payments.values() if p.status.is_live}
        expired = [
            replace(a)
            for a in self._store.appointments.values()
            if a.status is AppointmentStatus.PENDING_PAYMENT
            and a.hold_expires_at <= now
            and (a.hold_expires_at <= now - payment_grace or a.id not in paying)
        ]
        return sorted(expired, key=lambda a: a.hold_expires_at)[:limit]

    async def count_by_status(self, status: AppointmentStatus) -> int:
        return sum(1 for a in self._store.appointments.values() if a.status is status)

    async def lock_client(self, indexes: Sequence[str]) -> None:
        self._store.client_locks.append(tuple(indexes))

    async def count_active_holds(
        self, *, email_index: str | None, phone_index: str | None, now: datetime
    ) -> int:
        return sum(
            1
            for a in self._store.appointments.values()
            if a.status is AppointmentStatus.PENDING_PAYMENT
            and a.hold_expires_at > now
            and (
                (email_index is not None and a.client.email_index == email_index)
                or (phone_index is not None and a.client.phone_index == phone_index)
            )
        )


class _Consents:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def add(self, record: ConsentRecord) -> None:
        self._store.consents.append(record)

    async def list_for_subject(self, subject_id: UUID) -> Sequence[ConsentRecord]:
        return [c for c in self._store.consents if c.subject_id == subject_id]

    async def mark_withdrawn(self, record: ConsentRecord) -> None:
        self._store.consents = [
            record if c.id == record.id and c.withdrawn_at is None else c
            for c in self._store.consents
        ]


class _Tracking:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def add(self, event: TrackingEvent) -> None:
        self._store.tracking.append(event)


_OPEN_UNIT_OF_WORK: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "open_in_memory_unit_of_work", default=False
)


class InMemoryUnitOfWork:
    """Works on a copy of the store and publishes it only on commit, like a transaction."""

    def __init__(self, store: InMemoryStore) -> None:
        self._committed_store = store
        self.committed = False

    async def __aenter__(self) -> Self:
        import copy

        if _OPEN_UNIT_OF_WORK.get():  # as tables/uow.py: a transaction never nests
            raise RuntimeError("a unit of work never nests inside another transaction")
        self._token = _OPEN_UNIT_OF_WORK.set(True)
        self._working = copy.deepcopy(self._committed_store)
        self.services = _Services(self._working)
        self.slots = _Slots(self._working)
        self.appointments = _Appointments(self._working)
        self.consents = _Consents(self._working)
        self.tracking = _Tracking(self._working)
        self.waitlist = InMemoryWaitlist(self._working)
        self.leads = InMemoryLeads(self._working)
        self.lead_timeline = InMemoryLeadTimeline(self._working)
        self.email_outbox = InMemoryEmailOutbox(self._working)
        self.staff_queue = InMemoryStaffQueue(self._working)
        self.contact_access_log = InMemoryContactAccessLog(self._working)
        self.payments = InMemoryPayments(self._working)
        self.idempotency_keys = InMemoryIdempotencyKeys(self._working)
        self.withdrawal_tokens = InMemoryWithdrawalTokens(self._working)
        self.erasure = InMemoryContactErasure(self._working)
        self.offers = InMemoryOffers(self._working)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._working = InMemoryStore()
        _OPEN_UNIT_OF_WORK.reset(self._token)

    async def commit(self) -> None:
        self._committed_store.__dict__.update(self._working.__dict__)
        self.committed = True

    async def rollback(self) -> None:
        self._working = InMemoryStore()


class InMemoryUnitOfWorkFactory:
    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()
        self.opened = 0

    def __call__(self) -> InMemoryUnitOfWork:
        self.opened += 1
        return InMemoryUnitOfWork(self.store)
