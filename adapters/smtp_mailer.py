"""Outgoing email: SMTP through aiosmtplib, and a console sink for development.

``SMTP_URL`` is ``smtp://[user:pass@]host:port`` (STARTTLS) or ``smtps://...`` (TLS from the
first byte). With ``require_starttls`` (production) an ``smtp://`` server that does not offer
STARTTLS gets nothing, not even the login: :class:`MailServerInsecure`, and the message stays
in the outbox for a retry. Without it (development) STARTTLS is used when offered, else the
message goes in clear text, as to a local test server. The server's certificate is checked
against the system's CAs (``SSL_CERT_FILE`` names another bundle). The send timeout is kept
well below the outbox lease, so a slow server can never let a second worker send the same
message.
"""

from __future__ import annotations

import logging
import ssl
import sys
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, make_msgid
from typing import TextIO
from urllib.parse import unquote, urlsplit

import aiosmtplib

from adapters.email_addresses import ascii_address
from domain.emails import EmailMessage
from domain.errors import MailRejected, MailServerInsecure, MailServerUnavailable

logger = logging.getLogger("adapters.smtp")

SEND_TIMEOUT_SECONDS = 30.0


def to_mime(message: EmailMessage, sender: str) -> MimeMessage:
    mime = MimeMessage()
    mime["From"] = sender
    # An internationalised domain goes as IDNA (ASCII); a non-ASCII local part makes
    # aiosmtplib ask for SMTPUTF8.
    mime["To"] = ascii_address(message.to)
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(localtime=False)
    domain = sender.rsplit("@", 1)[-1].rstrip(">").strip() or "localhost"
    mime["Message-ID"] = make_msgid(idstring=message.message_id.hex, domain=domain)
    mime.set_content(message.text)
    mime.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        maintype, subtype, params = _content_type(attachment.content_type)
        # Bytes as they are (base64 on the wire): an .ics keeps its CRLF line endings.
        mime.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            params=params,
        )
    return mime


def _content_type(value: str) -> tuple[str, str, dict[str, str]]:
    """``text/calendar; method=PUBLISH; charset=utf-8`` -> ("text", "calendar", {...})."""
    full, *rest = (part.strip() for part in value.split(";"))
    maintype, _, subtype = full.partition("/")
    params = {
        name.strip().lower(): val.strip().strip('"')
        for name, _, val in (item.partition("=") for item in rest if item)
    }
    return maintype, subtype, params


class SmtpMailer:
    """Implements the ``Mailer`` port over SMTP."""

    def __init__(
        self,
        url: str,
        sender: str,
        *,
        timeout: float = SEND_TIMEOUT_SECONDS,
        tls_context: ssl.SSLContext | None = None,
        require_starttls: bool = False,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError("SMTP_URL must be smtp://host:port or smtps://host:port")
        self._hostname = parts.hostname
        self._use_tls = parts.scheme == "smtps"
        self._port = parts.port or (465 if self._use_tls else 25)
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._sender = sender
        self._timeout = timeout
        self._tls_context = tls_context
        self._require_starttls = require_starttls and not self._use_tls

    def __repr__(self) -> str:
        scheme = "smtps" if self._use_tls else "smtp"
        return f"SmtpMailer({scheme}://{self._hostname}:{self._port})"

    async def send(self, message: EmailMessage) -> None:
        mime = to_mime(message, self._sender)
        try:
            if self._require_starttls:
                await self._send_over_starttls(mime)
            else:
                await aiosmtplib.send(
                    mime,
                    hostname=self._hostname,
                    port=self._port,
                    username=self._username,
                    password=self._password,
                    use_tls=self._use_tls,
                    start_tls=None if not self._use_tls else False,
                    timeout=self._timeout,
                    tls_context=self._tls_context,
                )
        except MailServerInsecure:
            logger.error(
                "SMTP server %s:%d does not offer STARTTLS: nothing sent in clear text "
                "(APP_ENV=production); the message stays in the outbox",
                self._hostname,
                self._port,
            )
            raise
        except aiosmtplib.SMTPRecipientsRefused as exc:
            # The address itself is refused: 5xx is final for this message, 4xx is not.
            if all(500 <= err.code < 600 for err in exc.recipients):
                raise MailRejected() from None
            raise MailServerUnavailable() from None
        except aiosmtplib.SMTPDataError as exc:
            if 500 <= exc.code < 600:
                raise MailRejected() from None
            raise MailServerUnavailable() from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            # Connection, TLS, login or sender trouble is about our set-up, not this message:
            # it is retried with backoff until the configuration is fixed.
            raise MailServerUnavailable() from None

    async def _send_over_starttls(self, mime: MimeMessage) -> None:
        """STARTTLS before anything else, the login included, or nothing at all."""
        client = aiosmtplib.SMTP(
            hostname=self._hostname,
            port=self._port,
            start_tls=False,  # decided below, after EHLO, so a refusal is told apart
            timeout=self._timeout,
            tls_context=self._tls_context,
        )
        async with client:
            await client.ehlo()
            if not client.supports_extension("starttls"):
                raise MailServerInsecure()
            await client.starttls()
            if self._username is not None:
                await client.login(self._username, self._password or "")
            await client.send_message(mime)


class ConsoleMailer:
    """Development stand-in for SMTP: prints the message, with the recipient masked."""

    def __init__(self, sender: str, stream: TextIO | None = None) -> None:
        self._sender = sender
        self._stream = stream

    async def send(self, message: EmailMessage) -> None:
        stream = self._stream or sys.stdout
        logger.info("console email %s (recipient masked)", message.message_id)
        stream.write(
            "----- email (development console sink) -----\n"
            f"From: {self._sender}\nTo: ***\nSubject: {message.subject}\n\n"
            f"{message.text}\n"
            + "".join(f"[attachment {a.filename}, {a.content_type}]\n" for a in message.attachments)
            + "---------------------------------------------\n"
        )
        stream.flush()
