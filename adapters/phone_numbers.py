"""Phone number parsing with Google's libphonenumber rules (the ``phonenumbers`` package)."""

from __future__ import annotations

import phonenumbers


class LibPhoneNumberParser:
    def to_e164(self, raw: str, default_region: str) -> str | None:
        try:
            number = phonenumbers.parse(raw, default_region)
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_valid_number(number):
            return None
        return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
