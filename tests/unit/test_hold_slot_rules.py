"""More rules of holding a slot: consent versions, names, inactive services, what is stored."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from domain.contacts import ContactNormaliser
from domain.errors import ServiceNotFound, UnknownConsentVersion, ValidationFailed
from domain.models import ConsentEvidence, ConsentKind, ConsentSubject
from domain.use_cases.hold_slot import HoldSlotUseCase
from tests.support.fakes import (
    FakeEmailParser,
    FakeEncryptor,
    FakePhoneParser,
    FixedClock,
    InMemoryUnitOfWorkFactory,
)
from tests.unit.test_hold_slot import command, make, seeded

pytestmark = pytest.mark.anyio


def assert_nothing_written(uow: InMemoryUnitOfWorkFactory) -> None:
    assert uow.store.appointments == {}
    assert uow.store.consents == []
    assert all(slot.status.value == "free" for slot in uow.store.slots.values())


async def test_an_unknown_consent_text_version_is_refused_and_nothing_is_written() -> None:
    use_case, uow, clock = make()
    slot = seeded(uow, clock)
    with pytest.raises(UnknownConsentVersion) as caught:
        await use_case.execute(command(slot.id, consent_version="1999-01-01"))
    assert caught.value.code == "unknown_consent_version"
    assert_nothing_written(uow)


@pytest.mark.parametrize("name", ["", "   ", "\t\n", "я" * 201])
async def test_a_missing_or_too_long_name_is_refused(name: str) -> None:
    use_case, uow, clock = make()
    slot = seeded(uow, clock)
    with pytest.raises(ValidationFailed):
        await use_case.execute(command(slot.id, client_name=name))
    assert_nothing_written(uow)


async def test_a_slot_of_an_inactive_service_cannot_be_held() -> None:
    use_case, uow, clock = make()
    slot = seeded(uow, clock)
    service = uow.store.services[slot.service_id]
    uow.store.services[service.id] = replace(service, active=False)
    with pytest.raises(ServiceNotFound):
        await use_case.execute(command(slot.id))
    assert_nothing_written(uow)


async def test_only_the_consents_given_are_recorded_with_encrypted_evidence() -> None:
    use_case, uow, clock = make()
    slot = seeded(uow, clock)
    result = await use_case.execute(command(slot.id, communications_consent=False))
    records = uow.store.consents
    assert [r.kind for r in records] == [ConsentKind.PERSONAL_DATA]
    record = records[0]
    assert record.subject_type is ConsentSubject.APPOINTMENT
    assert record.subject_id == result.appointment_id
    assert record.text_version == "2026-11-01"
    assert record.granted_at == clock.now()
    assert record.evidence_ciphertext is not None
    assert "203.0.113.7" not in record.evidence_ciphertext
    assert FakeEncryptor().decrypt(record.evidence_ciphertext).startswith("203.0.113.7\n")


async def test_without_any_evidence_no_evidence_is_stored() -> None:
    use_case, uow, clock = make()
    slot = seeded(uow, clock)
    await use_case.execute(command(slot.id, evidence=ConsentEvidence(ip=None, user_agent=None)))
    assert all(r.evidence_ciphertext is None for r in uow.store.consents)


async def test_a_phone_alone_is_enough_and_the_name_is_tidied_before_encryption() -> None:
    use_case, uow, clock = make()
    slot = seeded(uow, clock)
    result = await use_case.execute(
        command(slot.id, email=None, phone="+7 999 123 45 67", client_name="  Анна   Петрова ")
    )
    client = uow.store.appointments[result.appointment_id].client
    assert client.email is None and client.email_index is None
    assert FakeEncryptor().decrypt(client.phone or "") == "+79991234567"
    assert FakeEncryptor().decrypt(client.name) == "Анна Петрова"


async def test_the_hold_lasts_as_configured() -> None:
    clock = FixedClock()
    uow = InMemoryUnitOfWorkFactory()
    use_case = HoldSlotUseCase(
        uow=uow,
        clock=clock,
        encryptor=FakeEncryptor(),
        contacts=ContactNormaliser(phone_parser=FakePhoneParser(), email_parser=FakeEmailParser()),
        hold_for=timedelta(minutes=10),
    )
    slot = seeded(uow, clock)
    result = await use_case.execute(command(slot.id))
    assert result.hold_expires_at == clock.now() + timedelta(minutes=10)


async def test_the_command_masks_the_client_in_its_repr() -> None:
    shown = repr(command(seeded(InMemoryUnitOfWorkFactory(), FixedClock()).id))
    # The phone's digits as written ("123-45-67"), not "999", which a random UUID may hold.
    assert "Anna" not in shown and "123-45-67" not in shown and "203.0.113.7" not in shown
