"""Money, statuses and the masking of personal data in the domain's value objects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.errors import InvalidMoney, InvalidStatusTransition
from domain.models import (
    Appointment,
    AppointmentStatus,
    ClientDetails,
    ConsentChannel,
    ConsentEvidence,
    ConsentKind,
    ConsentRecord,
    ConsentSubject,
    Contact,
    ContactMethod,
    EncryptedClient,
    Money,
    StaffRole,
    require_aware,
)
from tests.support.builders import a_service, a_slot

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_money_keeps_exactly_two_places_in_roubles() -> None:
    assert Money(Decimal("1500")).value == "1500.00"
    assert Money.rub("1500.5").value == "1500.50"
    assert Money.rub(7).amount == Decimal("7.00")
    assert Money.rub("0.005").value == "0.01"  # half up, like a cashier
    assert Money.rub("10").currency == "RUB"


def test_money_is_never_built_from_a_float() -> None:
    with pytest.raises(InvalidMoney):
        Money(1500.0)  # type: ignore[arg-type]
    with pytest.raises(InvalidMoney):
        Money.rub(0.1)  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["abc", "-1", "NaN", "Infinity", ""])
def test_money_refuses_amounts_that_are_not_finite_non_negative_numbers(raw: str) -> None:
    with pytest.raises(InvalidMoney):
        Money.rub(raw)


def test_money_refuses_other_currencies() -> None:
    with pytest.raises(InvalidMoney):
        Money(Decimal("10"), "USD")


def test_money_equality_ignores_how_the_amount_was_written() -> None:
    assert Money.rub("1500") == Money.rub("1500.00")
    assert Money.rub("0").is_zero


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        require_aware(datetime(2026, 1, 1))
    assert require_aware(NOW) is NOW


def _appointment() -> Appointment:
    service = a_service()
    slot = a_slot(service, NOW + timedelta(days=1))
    client = EncryptedClient(name="n", email="e", phone=None, email_index="i", phone_index=None)
    return Appointment.hold(slot=slot, client=client, now=NOW)


def test_a_hold_is_pending_payment_for_thirty_minutes_by_default() -> None:
    appointment = _appointment()
    assert appointment.status is AppointmentStatus.PENDING_PAYMENT
    assert appointment.hold_expires_at == NOW + timedelta(minutes=30)
    assert appointment.is_payable(NOW + timedelta(minutes=29))
    assert not appointment.is_payable(NOW + timedelta(minutes=30))


@pytest.mark.parametrize(
    "target", [AppointmentStatus.CONFIRMED, AppointmentStatus.EXPIRED, AppointmentStatus.CANCELLED]
)
def test_a_pending_appointment_may_be_confirmed_expired_or_cancelled(
    target: AppointmentStatus,
) -> None:
    appointment = _appointment()
    later = NOW + timedelta(minutes=5)
    appointment.transition_to(target, later)
    assert appointment.status is target
    assert appointment.updated_at == later


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (AppointmentStatus.EXPIRED, AppointmentStatus.CONFIRMED),
        (AppointmentStatus.EXPIRED, AppointmentStatus.PENDING_PAYMENT),
        (AppointmentStatus.CANCELLED, AppointmentStatus.CONFIRMED),
        (AppointmentStatus.CONFIRMED, AppointmentStatus.PENDING_PAYMENT),
        (AppointmentStatus.CONFIRMED, AppointmentStatus.EXPIRED),
    ],
)
def test_terminal_and_confirmed_appointments_do_not_go_back(
    start: AppointmentStatus, target: AppointmentStatus
) -> None:
    appointment = _appointment()
    appointment.status = start
    with pytest.raises(InvalidStatusTransition):
        appointment.transition_to(target, NOW)
    assert appointment.status is start
    assert not appointment.is_payable(NOW)


def test_a_confirmed_appointment_can_still_be_cancelled() -> None:
    appointment = _appointment()
    appointment.transition_to(AppointmentStatus.CONFIRMED, NOW)
    appointment.transition_to(AppointmentStatus.CANCELLED, NOW)
    assert appointment.status is AppointmentStatus.CANCELLED


def test_a_withdrawn_consent_keeps_its_first_withdrawal_time() -> None:
    record = ConsentRecord(
        id=uuid4(),
        subject_type=ConsentSubject.APPOINTMENT,
        subject_id=uuid4(),
        kind=ConsentKind.PERSONAL_DATA,
        text_version="2026-11-01",
        channel=ConsentChannel.BOOKING_API,
        granted_at=NOW,
        evidence_ciphertext=None,
    )
    withdrawn = record.withdraw(NOW + timedelta(days=1))
    assert withdrawn.withdrawn_at == NOW + timedelta(days=1)
    assert withdrawn.withdraw(NOW + timedelta(days=2)).withdrawn_at == NOW + timedelta(days=1)
    assert record.withdrawn_at is None


def test_staff_roles_are_ordered() -> None:
    assert StaffRole.ADMIN.at_least(StaffRole.MANAGER)
    assert StaffRole.MANAGER.at_least(StaffRole.OPERATOR)
    assert not StaffRole.OPERATOR.at_least(StaffRole.MANAGER)


def test_objects_holding_personal_data_mask_themselves() -> None:
    email = Contact(ContactMethod.EMAIL, "anna@example.com")
    phone = Contact(ContactMethod.PHONE, "+79123456789")
    client = ClientDetails(name="Анна Петрова", email=email, phone=phone)
    evidence = ConsentEvidence(ip="198.51.100.7", user_agent="Firefox/999")
    shown = " ".join(
        [repr(email), str(email), repr(phone), repr(client), str(client), repr(evidence)]
    )
    for secret in ("anna@example.com", "+79123456789", "Анна", "198.51.100.7", "Firefox"):
        assert secret not in shown
    assert client.primary_contact() == email
