"""Hold a free slot for a client while they pay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from domain.consent_texts import require_known_version
from domain.contacts import ContactNormaliser
from domain.errors import (
    ConsentRequired,
    ContactRequired,
    ServiceNotFound,
    SlotInPast,
    SlotNotAvailable,
    SlotNotFound,
    TooManyHolds,
    ValidationFailed,
)
from domain.models import (
    DEFAULT_HOLD,
    Appointment,
    AppointmentStatus,
    ConsentChannel,
    ConsentEvidence,
    ConsentKind,
    ConsentRecord,
    ConsentSubject,
    ContactMethod,
    EncryptedClient,
)
from domain.ports import Clock, Encryptor, UnitOfWorkFactory

MAX_NAME_LENGTH = 200
DEFAULT_MAX_ACTIVE_HOLDS_PER_CONTACT = 2


@dataclass(frozen=True, slots=True)
class HoldSlotCommand:
    slot_id: UUID
    client_name: str
    email: str | None
    phone: str | None
    personal_data_consent: bool
    communications_consent: bool
    consent_version: str
    evidence: ConsentEvidence

    def __repr__(self) -> str:
        return f"HoldSlotCommand(slot_id={self.slot_id}, client=***)"


@dataclass(frozen=True, slots=True)
class AppointmentHoldResult:
    appointment_id: UUID
    status: AppointmentStatus
    hold_expires_at: datetime


def encrypt_evidence(encryptor: Encryptor, evidence: ConsentEvidence) -> str | None:
    if evidence.ip is None and evidence.user_agent is None:
        return None
    packed = f"{evidence.ip or ''}\n{(evidence.user_agent or '')[:512]}"
    return encryptor.encrypt(packed)


class HoldSlotUseCase:
    """Holds a slot and creates a ``pending_payment`` appointment.

    - Consent to personal-data processing is required (``consent_required``); the consent text
      version must be one we have shown.
    - A name and at least one contact (email or phone) are required; each is normalised and
      validated (``invalid_contact``).
    - The slot must exist (``slot_not_found``), belong to an active service, not have started
      (``slot_in_past``) and be free (``slot_not_available``): of concurrent holds exactly one
      wins.
    - A client (email index or phone index) holds at most ``max_active_holds`` slots at once
      (``too_many_holds``): expired holds not yet swept do not count, and the count is taken
      under a per-client lock so concurrent holds cannot all pass it.
    - Name and contacts are stored only encrypted, with blind indexes of the contacts.
    - A consent record is written for each consent given, with encrypted evidence.
    - Everything is written in one transaction, or nothing is.
    """

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        encryptor: Encryptor,
        contacts: ContactNormaliser,
        hold_for: timedelta = DEFAULT_HOLD,
        max_active_holds: int = DEFAULT_MAX_ACTIVE_HOLDS_PER_CONTACT,
    ) -> None:
        if max_active_holds < 1:
            raise ValueError("max_active_holds must be at least 1")
        self._uow = uow
        self._clock = clock
        self._encryptor = encryptor
        self._contacts = contacts
        self._hold_for = hold_for
        self._max_active_holds = max_active_holds

    async def execute(self, command: HoldSlotCommand) -> AppointmentHoldResult:
        if not command.personal_data_consent:
            raise ConsentRequired()
        version = require_known_version(command.consent_version)
        client = self._encrypt_client(command)
        now = self._clock.now()
        async with self._uow() as uow:
            slot = await uow.slots.get(command.slot_id)
            if slot is None:
                raise SlotNotFound()
            service = await uow.services.get(slot.service_id)
            if service is None or not service.active:
                raise ServiceNotFound()
            if slot.has_started(now):
                raise SlotInPast()
            indexes = [i for i in (client.email_index, client.phone_index) if i is not None]
            await uow.appointments.lock_client(indexes)
            active = await uow.appointments.count_active_holds(
                email_index=client.email_index, phone_index=client.phone_index, now=now
            )
            if active >= self._max_active_holds:
                raise TooManyHolds()
            if not await uow.slots.try_hold(slot.id, now):
                raise SlotNotAvailable()
            appointment = Appointment.hold(
                slot=slot, client=client, now=now, hold_for=self._hold_for
            )
            await uow.appointments.add(appointment)
            evidence = encrypt_evidence(self._encryptor, command.evidence)
            kinds = [ConsentKind.PERSONAL_DATA]
            if command.communications_consent:
                kinds.append(ConsentKind.COMMUNICATIONS)
            for kind in kinds:
                await uow.consents.add(
                    ConsentRecord(
                        id=uuid4(),
                        subject_type=ConsentSubject.APPOINTMENT,
                        subject_id=appointment.id,
                        kind=kind,
                        text_version=version,
                        channel=ConsentChannel.BOOKING_API,
                        granted_at=now,
                        evidence_ciphertext=evidence,
                    )
                )
            await uow.commit()
        return AppointmentHoldResult(
            appointment_id=appointment.id,
            status=appointment.status,
            hold_expires_at=appointment.hold_expires_at,
        )

    def _encrypt_client(self, command: HoldSlotCommand) -> EncryptedClient:
        name = " ".join(command.client_name.split())
        if not name:
            raise ValidationFailed("The client's name is required.")
        if len(name) > MAX_NAME_LENGTH:
            raise ValidationFailed(f"The client's name is longer than {MAX_NAME_LENGTH}.")
        email = phone = None
        if command.email is not None and command.email.strip():
            email = self._contacts.normalise(ContactMethod.EMAIL, command.email)
        if command.phone is not None and command.phone.strip():
            phone = self._contacts.normalise(ContactMethod.PHONE, command.phone)
        if email is None and phone is None:
            raise ContactRequired()
        enc = self._encryptor
        return EncryptedClient(
            name=enc.encrypt(name),
            email=enc.encrypt(email.value) if email else None,
            phone=enc.encrypt(phone.value) if phone else None,
            email_index=enc.blind_index(email.method.value, email.value) if email else None,
            phone_index=enc.blind_index(phone.method.value, phone.value) if phone else None,
        )
