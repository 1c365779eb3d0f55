"""Contact normalisation: one canonical form per contact, so the blind index deduplicates.

- email: validated by the :class:`EmailAddressParser` port (``email-validator``:
  internationalised addresses such as ``имя@почта.рф`` are valid), then the canonical form is
  its normalised form (Unicode NFC; the domain in Unicode, so ``bücher.de`` and
  ``xn--bcher-kva.de`` are one domain), lower-cased as a whole and NFC again. The local part
  is lower-cased too, as before: mailboxes are case-insensitive in practice, and ASCII
  addresses keep the canonical form (and blind index) they had, ``a.b@example.org``;
- phone: E.164, parsed with region RU by the :class:`PhoneNumberParser` port;
- telegram: the username without ``@`` (or a t.me link), lower-cased, 5-32 of ``a-z0-9_``.
"""

from __future__ import annotations

import re
import unicodedata

from domain.errors import InvalidContact
from domain.models import Contact, ContactMethod
from domain.ports import EmailAddressParser, PhoneNumberParser

_TELEGRAM = re.compile(r"^[a-z][a-z0-9_]{3,30}[a-z0-9]$")
_TELEGRAM_PREFIXES = ("https://t.me/", "http://t.me/", "t.me/", "@")
MAX_RAW_CONTACT = 256


class ContactNormaliser:
    """Validates a raw contact for its method and returns its canonical form."""

    def __init__(
        self,
        *,
        phone_parser: PhoneNumberParser,
        email_parser: EmailAddressParser,
        default_region: str = "RU",
    ) -> None:
        self._phone_parser = phone_parser
        self._email_parser = email_parser
        self._region = default_region

    def normalise(self, method: ContactMethod, raw: str) -> Contact:
        if not isinstance(raw, str) or len(raw) > MAX_RAW_CONTACT:
            raise InvalidContact("The contact is too long.")
        value = raw.strip()
        if not value:
            raise InvalidContact("The contact is empty.")
        if method is ContactMethod.EMAIL:
            return Contact(method, self._email(value))
        if method is ContactMethod.PHONE:
            return Contact(method, self._phone(value))
        return Contact(method, self._telegram(value))

    def _email(self, value: str) -> str:
        normalised = self._email_parser.normalise(value)
        if normalised is None:
            raise InvalidContact("The email address is not valid.")
        return unicodedata.normalize("NFC", normalised.lower())

    def _phone(self, value: str) -> str:
        e164 = self._phone_parser.to_e164(value, self._region)
        if e164 is None:
            raise InvalidContact("The phone number is not valid.")
        return e164

    @staticmethod
    def _telegram(value: str) -> str:
        username = value
        for prefix in _TELEGRAM_PREFIXES:
            if username.lower().startswith(prefix):
                username = username[len(prefix) :]
                break
        username = username.lower()
        if not _TELEGRAM.match(username) or "__" in username:
            raise InvalidContact(
                "The Telegram username is not valid: 5-32 Latin letters, digits or underscores."
            )
        return username
