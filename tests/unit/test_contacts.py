"""Contact normalisation with the real libphonenumber rules (the adapter, not a fake)."""

from __future__ import annotations

import pytest

from adapters.phone_numbers import LibPhoneNumberParser
from domain.contacts import ContactNormaliser
from domain.errors import InvalidContact
from domain.models import ContactMethod

normaliser = ContactNormaliser(phone_parser=LibPhoneNumberParser())


@pytest.mark.parametrize(
    "raw",
    [
        "+7 912 345-67-89",
        "+7 (912) 345-67-89",
        "8 (912) 345 67 89",
        "89123456789",
        "8-912-345-67-89",
        "9123456789",
        "+79123456789",
        "  +7\u00a0912\u00a0345\u00a067\u00a089  ",
        "+7-912-345-6789",
        "tel:+7-912-345-67-89",
    ],
)
def test_russian_phone_formats_normalise_to_one_e164_number(raw: str) -> None:
    contact = normaliser.normalise(ContactMethod.PHONE, raw)
    assert contact.method is ContactMethod.PHONE
    assert contact.value == "+79123456789"


def test_a_moscow_landline_and_a_foreign_number_keep_their_country() -> None:
    assert normaliser.normalise(ContactMethod.PHONE, "8 (495) 123-45-67").value == "+74951234567"
    assert normaliser.normalise(ContactMethod.PHONE, "+44 20 7946 0958").value == "+442079460958"


@pytest.mark.parametrize(
    "raw",
    ["123", "abc", "+7 912", "8 912 345 67 89 12 34", "+7 000 000 00 00", "", "   ", "1" * 300],
)
def test_invalid_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidContact):
        normaliser.normalise(ContactMethod.PHONE, raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Anna.Petrova@Example.COM ", "anna.petrova@example.com"),
        ("anna+booking@mail.ru", "anna+booking@mail.ru"),
        ("A@B.RU", "a@b.ru"),
    ],
)
def test_emails_are_trimmed_and_lower_cased(raw: str, expected: str) -> None:
    assert normaliser.normalise(ContactMethod.EMAIL, raw).value == expected


@pytest.mark.parametrize(
    "raw",
    [
        "anna",
        "anna@",
        "@example.com",
        "anna@example",
        "anna@@example.com",
        "an na@example.com",
        "anna@exa_mple.com",
        "<anna@example.com>",
        "a" * 65 + "@example.com",
        "anna@" + "a" * 250 + ".ru",
    ],
)
def test_malformed_emails_are_refused(raw: str) -> None:
    with pytest.raises(InvalidContact):
        normaliser.normalise(ContactMethod.EMAIL, raw)


@pytest.mark.parametrize(
    "raw",
    [
        "@Anna_Petrova",
        "anna_petrova",
        "https://t.me/Anna_Petrova",
        "t.me/anna_petrova",
        " @ANNA_PETROVA ",
    ],
)
def test_telegram_usernames_lose_the_at_sign_and_case(raw: str) -> None:
    assert normaliser.normalise(ContactMethod.TELEGRAM, raw).value == "anna_petrova"


@pytest.mark.parametrize(
    "raw", ["@ann", "1anna_petrova", "anna__petrova", "anna_", "anna-petrova", "a" * 33, "@"]
)
def test_invalid_telegram_usernames_are_refused(raw: str) -> None:
    with pytest.raises(InvalidContact):
        normaliser.normalise(ContactMethod.TELEGRAM, raw)


def test_an_invalid_contact_error_never_echoes_the_value() -> None:
    with pytest.raises(InvalidContact) as caught:
        normaliser.normalise(ContactMethod.EMAIL, "secret.person@nowhere")
    assert "secret.person" not in str(caught.value)
    assert caught.value.code == "invalid_contact"
