"""MAX_ACTIVE_HOLDS_PER_CONTACT: one client cannot hold every free slot."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.contacts import ContactNormaliser
from domain.errors import TooManyHolds
from domain.models import AppointmentStatus, SlotStatus
from domain.use_cases.hold_slot import HoldSlotUseCase
from tests.support.fakes import (
    FakeEmailParser,
    FakeEncryptor,
    FakePhoneParser,
    FixedClock,
    InMemoryUnitOfWorkFactory,
)
from tests.unit.test_hold_slot import command, seeded

pytestmark = pytest.mark.anyio


def make(limit: int = 2) -> tuple[HoldSlotUseCase, InMemoryUnitOfWorkFactory, FixedClock]:
    clock = FixedClock()
    uow = InMemoryUnitOfWorkFactory()
    use_case = HoldSlotUseCase(
        uow=uow,
        clock=clock,
        encryptor=FakeEncryptor(),
        contacts=ContactNormaliser(phone_parser=FakePhoneParser(), email_parser=FakeEmailParser()),
        hold_for=timedelta(minutes=30),
        max_active_holds=limit,
    )
    return use_case, uow, clock


async def test_a_client_at_the_limit_cannot_hold_another_slot_and_nothing_is_written() -> None:
    use_case, uow, clock = make(limit=2)
    slots = [seeded(uow, clock, starts_in=timedelta(days=1, hours=i)) for i in range(3)]
    await use_case.execute(command(slots[0].id))
    await use_case.execute(command(slots[1].id))
    consents_before = list(uow.store.consents)

    with pytest.raises(TooManyHolds):
        await use_case.execute(command(slots[2].id))

    assert len(uow.store.appointments) == 2
    assert uow.store.slots[slots[2].id].status is SlotStatus.FREE
    assert uow.store.consents == consents_before


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({}, {"email": None}),
        ({}, {"phone": None}),
        ({"email": None}, {"email": "other@example.com"}),
        ({"phone": None}, {"phone": "+7 999 000-00-00", "email": "ANNA@example.com"}),
    ],
    ids=["both-then-phone", "both-then-email", "phone-then-both", "email-then-both"],
)
async def test_the_email_or_the_phone_alone_identifies_the_client(  # type: ignore[no-untyped-def]
    first, second
) -> None:
    use_case, uow, clock = make(limit=1)
    slots = [seeded(uow, clock, starts_in=timedelta(days=1, hours=i)) for i in range(2)]
    await use_case.execute(command(slots[0].id, **first))

    with pytest.raises(TooManyHolds):
        await use_case.execute(command(slots[1].id, **second))


async def test_another_client_is_not_limited_by_the_first_ones_holds() -> None:
    use_case, uow, clock = make(limit=1)
    slots = [seeded(uow, clock, starts_in=timedelta(days=1, hours=i)) for i in range(2)]
    await use_case.execute(command(slots[0].id))

    result = await use_case.execute(
        command(slots[1].id, email="boris@example.com", phone="+7 999 765-43-21")
    )

    assert result.status is AppointmentStatus.PENDING_PAYMENT


async def test_expired_holds_not_yet_swept_do_not_count() -> None:
    use_case, uow, clock = make(limit=1)
    slots = [seeded(uow, clock, starts_in=timedelta(days=1, hours=i)) for i in range(2)]
    first = await use_case.execute(command(slots[0].id))
    clock.advance(timedelta(minutes=30))

    await use_case.execute(command(slots[1].id))

    assert uow.store.appointments[first.appointment_id].status is (
        AppointmentStatus.PENDING_PAYMENT
    )


async def test_holds_no_longer_pending_do_not_count() -> None:
    use_case, uow, clock = make(limit=1)
    slots = [seeded(uow, clock, starts_in=timedelta(days=1, hours=i)) for i in range(2)]
    first = await use_case.execute(command(slots[0].id))
    uow.store.appointments[first.appointment_id].status = AppointmentStatus.CANCELLED

    await use_case.execute(command(slots[1].id))


async def test_the_count_is_taken_under_a_lock_on_every_contact_of_the_client() -> None:
    use_case, uow, clock = make()
    slot = seeded(uow, clock)

    await use_case.execute(command(slot.id))

    encryptor = FakeEncryptor()
    assert uow.store.client_locks == [
        (
            encryptor.blind_index("email", "anna@example.com"),
            encryptor.blind_index("phone", "+79991234567"),
        )
    ]


def test_the_limit_is_at_least_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        make(limit=0)
