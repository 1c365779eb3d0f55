"""Contact normalisation with the real libphonenumber rules (the adapter, not a fake)."""

from __future__ import annotations

import pytest

from adapters.email_addresses import EmailValidatorParser
from adapters.phone_numbers import LibPhoneNumberParser
from domain.contacts import ContactNormaliser
from domain.errors import InvalidContact
from domain.models import ContactMethod

normaliser = ContactNormaliser(
    phone_parser=LibPhoneNumberParser(), email_parser=EmailValidatorParser()
)


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
    ("spellings", "canonical"),
    [
        (["имя@почта.рф", " Имя@ПОЧТА.РФ ", "имя@xn--80a1acny.xn--p1ai"], "имя@почта.рф"),
        (
            ["user@bücher.de", "User@BÜCHER.de", "user@xn--bcher-kva.de", "USER@XN--BCHER-KVA.DE"],
            "user@bücher.de",
        ),
        # NFD (u + combining diaeresis) and NFC are one address
        (["user@bu\u0308cher.de", "user@b\u00fccher.de"], "user@bücher.de"),
        (["Анна.Петрова@Example.COM"], "анна.петрова@example.com"),
    ],
)
def test_internationalised_emails_are_valid_and_have_one_canonical_form(
    spellings: list[str], canonical: str
) -> None:
    assert {normaliser.normalise(ContactMethod.EMAIL, raw).value for raw in spellings} == {
        canonical
    }


def test_the_canonical_form_is_stable() -> None:
    for raw in ("имя@почта.рф", "User@BÜCHER.de", "A@B.RU"):
        once = normaliser.normalise(ContactMethod.EMAIL, raw).value
        assert normaliser.normalise(ContactMethod.EMAIL, once).value == once


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
        "anna..petrova@example.com",
        "anna@localhost",
        "имя@почта",
        "user@xn--invalid-.de",
        "Anna <anna@example.com>",
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
