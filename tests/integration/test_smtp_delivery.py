"""Email through a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import email
import email.policy
import ipaddress
import ssl
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from adapters.settings import load_settings
from adapters.smtp_mailer import SmtpMailer
from composition.container import build_container, build_mailer
from domain.emails import EmailMessage
from domain.errors import MailRejected, MailServerInsecure, MailServerUnavailable
from domain.models import ConsentEvidence
from domain.use_cases.create_waitlist_request import CreateWaitlistRequestCommand
from domain.use_cases.send_pending_emails import SendPendingEmailsUseCase
from tables.crm.tables import EmailOutboxTable
from tables.demo import seed_demo
from tests.support.live_server import free_port
from tests.support.smtp_inbox import Inbox, smtp_inbox

pytestmark = pytest.mark.anyio

SENDER = "Эмоциональный баланс <noreply@emotional-balance.test>"
ADDRESS = "smtp.person@example.org"


@pytest.fixture
def smtp(request: pytest.FixtureRequest) -> Iterator[tuple[Inbox, int]]:
    with smtp_inbox(smtputf8=getattr(request, "param", False)) as served:
        yield served


async def test_an_internationalised_domain_goes_as_idna_to_any_server(
    smtp: tuple[Inbox, int],
) -> None:
    inbox, port = smtp  # no SMTPUTF8
    mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER, timeout=5)

    await mailer.send(EmailMessage(to="user@bücher.de", subject="Тема", text="Текст", html="<p>"))

    [(_, rcpt, content)] = inbox.messages
    assert rcpt == ["user@xn--bcher-kva.de"]
    assert email.message_from_bytes(content)["To"] == "user@xn--bcher-kva.de"


@pytest.mark.parametrize("smtp", [True], indirect=True)
async def test_a_non_ascii_mailbox_goes_with_smtputf8(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER, timeout=5)

    await mailer.send(EmailMessage(to="имя@почта.рф", subject="Тема", text="Текст", html="<p>"))

    [(_, rcpt, content)] = inbox.messages
    assert rcpt == ["имя@почта.рф"]
    parsed = email.message_from_bytes(content, policy=email.policy.default)
    assert parsed["To"] == "имя@почта.рф"


async def test_a_message_arrives_as_russian_text_and_html(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER, timeout=5)
    await mailer.send(
        EmailMessage(
            to=ADDRESS, subject="Заявка принята", text="Здравствуйте!", html="<p>Здравствуйте!</p>"
        )
    )
    [(mail_from, rcpt, content)] = inbox.messages
    assert mail_from == "noreply@emotional-balance.test" and rcpt == [ADDRESS]
    parsed = email.message_from_bytes(content, policy=email.policy.default)
    assert parsed["Subject"] == "Заявка принята"
    assert parsed.get_body(("plain",)).get_content().strip() == "Здравствуйте!"  # type: ignore[union-attr]
    assert "<p>Здравствуйте!</p>" in parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]


async def test_refused_recipient_is_permanent_and_a_dead_server_is_temporary(
    smtp: tuple[Inbox, int],
) -> None:
    inbox, port = smtp
    inbox.refuse.add(ADDRESS)
    message = EmailMessage(to=ADDRESS, subject="s", text="t", html="<p>t</p>")
    with pytest.raises(MailRejected):
        await SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER, timeout=5).send(message)
    with pytest.raises(MailServerUnavailable):
        await SmtpMailer(f"smtp://127.0.0.1:{free_port()}", SENDER, timeout=5).send(message)
    assert inbox.messages == []


@pytest.mark.db
async def test_the_worker_delivers_the_waitlist_confirmation_once(
    db: object, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await seed_demo()
    container = build_container(load_settings())
    slug = (await container.list_services.execute())[-1].slug
    await container.create_waitlist_request.execute(
        CreateWaitlistRequestCommand(
            service_slug=slug,
            preferred_contact_method="email",
            contact_value=ADDRESS,
            preferred_time_window="morning",
            personal_data_consent=True,
            communications_consent=True,
            consent_version="2026-11-01",
            evidence=ConsentEvidence(ip=None, user_agent=None),
        )
    )
    sender = SendPendingEmailsUseCase(
        uow=container.uow,
        clock=container.clock,
        encryptor=container.encryptor,
        mailer=SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER, timeout=5),
    )
    assert await sender.execute() == 1
    assert await sender.execute() == 0
    [(_, rcpt, content)] = inbox.messages
    assert rcpt == [ADDRESS]
    parsed = email.message_from_bytes(content, policy=email.policy.default)
    assert "заявк" in str(parsed["Subject"]).lower()
    assert "лист" in parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    row = await EmailOutboxTable.select().first()
    assert row is not None and row["status"] == "sent" and row["attempts"] == 1


@pytest.mark.db
async def test_a_server_outage_is_retried_later_and_then_delivered(
    db: object, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await seed_demo()
    container = build_container(load_settings())
    slug = (await container.list_services.execute())[-1].slug
    await container.create_waitlist_request.execute(
        CreateWaitlistRequestCommand(
            service_slug=slug,
            preferred_contact_method="email",
            contact_value=ADDRESS,
            preferred_time_window="any",
            personal_data_consent=True,
            communications_consent=True,
            consent_version="2026-11-01",
            evidence=ConsentEvidence(ip=None, user_agent=None),
        )
    )

    def sender(target_port: int) -> SendPendingEmailsUseCase:
        return SendPendingEmailsUseCase(
            uow=container.uow,
            clock=container.clock,
            encryptor=container.encryptor,
            mailer=SmtpMailer(f"smtp://127.0.0.1:{target_port}", SENDER, timeout=5),
        )

    assert await sender(free_port()).execute() == 0
    row = await EmailOutboxTable.select().first()
    assert row is not None and row["status"] == "pending" and row["attempts"] == 1
    assert row["last_error"] == "MailServerUnavailable"
    assert await sender(port).execute() == 0  # backoff: not due yet
    await EmailOutboxTable.update(
        {EmailOutboxTable.next_attempt_at: container.clock.now() - timedelta(seconds=1)}
    ).where(EmailOutboxTable.id == row["id"])
    assert await sender(port).execute() == 1
    assert len(inbox.messages) == 1


def self_signed(tmp_path: Any) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a fresh self-signed certificate and a client that trusts it."""
    from datetime import UTC, datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client


async def test_smtps_with_credentials_from_the_url(tmp_path: Any) -> None:
    from aiosmtpd.smtp import AuthResult

    inbox = Inbox()
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        logins.append((data.login, data.password))
        return AuthResult(success=data.login == b"mailer" and data.password == b"p@ss word")

    server_tls, client_tls = self_signed(tmp_path)
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        ssl_context=server_tls,
        authenticator=authenticator,
        auth_required=True,
        # aiosmtpd does not count implicit TLS as TLS for AUTH; the connection is TLS anyway
        auth_require_tls=False,
    )
    controller.start()
    try:
        mailer = SmtpMailer(
            f"smtps://mailer:p%40ss%20word@127.0.0.1:{port}",
            SENDER,
            timeout=5,
            tls_context=client_tls,
        )
        assert "p@ss" not in repr(mailer)
        await mailer.send(EmailMessage(to=ADDRESS, subject="s", text="t", html="<p>t</p>"))
        wrong = SmtpMailer(
            f"smtps://mailer:wrong@127.0.0.1:{port}", SENDER, timeout=2, tls_context=client_tls
        )
        # bad credentials are our configuration, not the message: retried, never dropped
        with pytest.raises(MailServerUnavailable):
            await wrong.send(EmailMessage(to=ADDRESS, subject="s", text="t", html="<p>t</p>"))
    finally:
        controller.stop()
    assert [m[1] for m in inbox.messages] == [[ADDRESS]]
    assert logins[0] == (b"mailer", b"p@ss word")


def production_settings(smtp_url: str, tmp_path: Any) -> Any:
    """Development settings turned production: only ``is_production`` matters to the mailer."""
    import dataclasses

    settings = load_settings({"SMTP_URL": smtp_url}, var_dir=tmp_path)
    return dataclasses.replace(settings, app_env="production")


class RecordingAuth:
    """An aiosmtpd authenticator that accepts ``mailer`` / ``secret`` and records every try."""

    def __init__(self) -> None:
        self.logins: list[tuple[bytes, bytes]] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult

        self.logins.append((data.login, data.password))
        return AuthResult(success=data.login == b"mailer" and data.password == b"secret")


async def test_production_sends_nothing_in_clear_to_a_server_without_starttls(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    inbox, auth, port = Inbox(), RecordingAuth(), free_port()
    # It would even take the password in clear text: the mailer must not offer it.
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=auth, auth_require_tls=False
    )
    controller.start()
    try:
        mailer = build_mailer(
            production_settings(f"smtp://mailer:secret@127.0.0.1:{port}", tmp_path)
        )
        message = EmailMessage(to=ADDRESS, subject="s", text="t", html="<p>t</p>")
        with (
            caplog.at_level("ERROR", logger="adapters.smtp"),
            pytest.raises(MailServerInsecure) as refused,
        ):
            await mailer.send(message)
        # Retried like an unavailable server: the message stays in the outbox.
        assert isinstance(refused.value, MailServerUnavailable)
        assert "STARTTLS" in caplog.text and "secret" not in caplog.text
        assert inbox.messages == [] and auth.logins == []

        # Development still sends in clear text to a local server.
        development = SmtpMailer(f"smtp://mailer:secret@127.0.0.1:{port}", SENDER, timeout=5)
        await development.send(message)
        assert [m[1] for m in inbox.messages] == [[ADDRESS]]
    finally:
        controller.stop()


async def test_production_delivers_over_starttls_and_logs_in_only_after_it(tmp_path: Any) -> None:
    inbox, auth, port = Inbox(), RecordingAuth(), free_port()
    server_tls, client_tls = self_signed(tmp_path)
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_tls,
        require_starttls=True,  # refuses anything but STARTTLS before MAIL or AUTH
        authenticator=auth,
        auth_required=True,  # auth_require_tls stays on: AUTH only once TLS is up
    )
    controller.start()
    try:
        mailer = SmtpMailer(
            f"smtp://mailer:secret@127.0.0.1:{port}",
            SENDER,
            timeout=5,
            tls_context=client_tls,
            require_starttls=True,
        )
        await mailer.send(EmailMessage(to=ADDRESS, subject="s", text="t", html="<p>t</p>"))
        # The certificate is checked: one the client does not trust is a failure, not clear text.
        untrusted = SmtpMailer(
            f"smtp://mailer:secret@127.0.0.1:{port}", SENDER, timeout=5, require_starttls=True
        )
        with pytest.raises(MailServerUnavailable):
            await untrusted.send(EmailMessage(to=ADDRESS, subject="s", text="t", html="<p>t</p>"))
    finally:
        controller.stop()
    assert [m[1] for m in inbox.messages] == [[ADDRESS]]
    assert auth.logins == [(b"mailer", b"secret")]


@pytest.mark.db
async def test_an_insecure_server_leaves_the_message_in_the_outbox_for_a_retry(
    db: object, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    await seed_demo()
    container = build_container(load_settings())
    slug = (await container.list_services.execute())[-1].slug
    await container.create_waitlist_request.execute(
        CreateWaitlistRequestCommand(
            service_slug=slug,
            preferred_contact_method="email",
            contact_value=ADDRESS,
            preferred_time_window="any",
            personal_data_consent=True,
            communications_consent=True,
            consent_version="2026-11-01",
            evidence=ConsentEvidence(ip=None, user_agent=None),
        )
    )
    sender = SendPendingEmailsUseCase(
        uow=container.uow,
        clock=container.clock,
        encryptor=container.encryptor,
        mailer=SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER, timeout=5, require_starttls=True),
    )
    assert await sender.execute() == 0
    row = await EmailOutboxTable.select().first()
    assert row is not None and row["status"] == "pending" and row["attempts"] == 1
    assert row["last_error"] == "MailServerInsecure" and row["next_attempt_at"] is not None
    assert inbox.messages == []
