"""Email address validation with the maintained ``email-validator`` package.

It knows internationalised addresses (``имя@почта.рф``, ``user@bücher.de``), IDNA 2008
domains and the syntax rules a regex gets wrong. ``check_deliverability=False``: no DNS query
while a visitor waits, and no lookup that would tell a resolver who is signing up.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


class EmailValidatorParser:
    """Implements ``EmailAddressParser``: the library's normalised form, or ``None``."""

    def normalise(self, raw: str) -> str | None:
        try:
            # strict: the 64-character limit of a local part (RFC 5321) too.
            result = validate_email(raw, check_deliverability=False, strict=True)
        except EmailNotValidError:
            return None
        # NFC, the domain in Unicode and lower case (an IDNA ``xn--`` domain decoded).
        return str(result.normalized)


def ascii_address(address: str) -> str:
    """``address`` with its domain in IDNA ASCII (``user@xn--bcher-kva.de``) when its local
    part is ASCII, so any SMTP server takes it; an address with a non-ASCII local part
    (``имя@почта.рф``) as it is: it needs a server that speaks SMTPUTF8."""
    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return address
    return str(result.ascii_email) if result.ascii_email else address
