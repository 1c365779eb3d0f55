from __future__ import annotations

from datetime import timedelta

import pytest

from domain.contacts import ContactNormaliser
from domain.errors import (
    ConsentRequired,
    ContactRequired,
    InvalidContact,
    SlotInPast,
    SlotNotAvailable,
    SlotNotFound,
)
from domain.models import AppointmentStatus, ConsentEvidence, ConsentKind, SlotStatus
from domain.use_cases.hold_slot import HoldSlotCommand, HoldSlotUseCase
from tests.support.builders import a_service, a_slot
from tests.support.fakes import (
    FakeEmailParser,
    FakeEncryptor,
    FakePhoneParser,
    FixedClock,
    InMemoryUnitOfWorkFactory,
)

pytestmark = pytest.mark.anyio


def make(
    clock: FixedClock | None = None,
) -> tuple[HoldSlotUseCase, InMemoryUnitOfWorkFactory, FixedClock]:
    clock = clock or FixedClock()
    uow = InMemoryUnitOfWorkFactory()
    use_case = HoldSlotUseCase(
        uow=uow,
        clock=clock,
        encryptor=FakeEncryptor(),
        contacts=ContactNormaliser(phone_parser=FakePhoneParser(), email_parser=FakeEmailParser()),
    )
    return use_case, uow, clock


def command(slot_id, **overrides):  # type: ignore[no-untyped-def]
    values = dict(
        slot_id=slot_id,
        client_name="Анна Петрова",
        email=" Anna@Example.com ",
        phone="8 (999) 123-45-67",
        personal_data_consent=True,
        communications_consent=True,
        consent_version="2026-11-01",
        evidence=ConsentEvidence(ip="203.0.113.7", user_agent="pytest"),
    )
    values.update(overrides)
    return HoldSlotCommand(**values)


def seeded(
    uow: InMemoryUnitOfWorkFactory, clock: FixedClock, *, starts_in: timedelta = timedelta(days=1)
):  # type: ignore[no-untyped-def]
    service = a_service()
    slot = a_slot(service, clock.now() + starts_in)
    uow.store.services[service.id] = service
    uow.store.slots[slot.id] = slot
    return slot


async def test_holding_a_free_slot_creates_a_pending_appointment_with_encrypted_contacts() -> None:
    use_case, uow, clock = make()
    slot = seeded(uow, clock)

    result = await use_case.execute(command(slot.id))

    assert result.status is AppointmentStatus.PENDING_PAYMENT
    assert result.hold_expires_at == clock.now() + timedelta(minutes=30)
    stored = uow.store.appointments[result.appointment_id]
    assert FakeEncryptor().decrypt(stored.client.email or "") == "anna@example.com"
    assert FakeEncryptor().decrypt(stored.client.phone or "") == "+79991234567"
    assert "anna" not in repr(stored).lower()
    assert uow.store.slots[slot.id].status is SlotStatus.HELD
    assert {c.kind for c in uow.store.consents} == {
        ConsentKind.PERSONAL_DATA,
        ConsentKind.COMMUNICATIONS,
    }


async def test_a_held_slot_cannot_be_held_twice() -> None:
    use_case, uow, clock = make()
    slot = seeded(uow, clock)
    await use_case.execute(command(slot.id))

    with pytest.raises(SlotNotAvailable):
        await use_case.execute(command(slot.id))
    assert len(uow.store.appointments) == 1


async def test_without_personal_data_consent_nothing_is_written() -> None:
    use_case, uow, clock = make()
    slot = seeded(uow, clock)

    with pytest.raises(ConsentRequired):
        await use_case.execute(command(slot.id, personal_data_consent=False))
    assert uow.store.appointments == {}
    assert uow.store.slots[slot.id].status is SlotStatus.FREE


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"email": None, "phone": None}, ContactRequired),
        ({"email": "  ", "phone": ""}, ContactRequired),
        ({"email": "not-an-email", "phone": None}, InvalidContact),
        ({"email": None, "phone": "12345"}, InvalidContact),
    ],
)
async def test_bad_contacts_are_refused_and_nothing_is_written(overrides, error) -> None:  # type: ignore[no-untyped-def]
    use_case, uow, clock = make()
    slot = seeded(uow, clock)

    with pytest.raises(error):
        await use_case.execute(command(slot.id, **overrides))
    assert uow.store.appointments == {}


async def test_a_slot_that_has_started_cannot_be_held() -> None:
    use_case, uow, clock = make()
    slot = seeded(uow, clock, starts_in=-timedelta(minutes=5))

    with pytest.raises(SlotInPast):
        await use_case.execute(command(slot.id))


async def test_an_unknown_slot_is_not_found() -> None:
    use_case, _, _ = make()
    from uuid import uuid4

    with pytest.raises(SlotNotFound):
        await use_case.execute(command(uuid4()))
